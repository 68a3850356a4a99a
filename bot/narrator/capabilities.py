"""What an OpenAI-compatible endpoint supports, asked of the endpoint itself.

- The context window, where the server says: llama.cpp ``GET /props`` (``n_ctx``, what it runs with), Ollama
  ``POST /api/show`` (``num_ctx`` when the model sets one, else Ollama's default), vLLM ``GET /v1/models``
  (``max_model_len``), LM Studio ``GET /api/v0/models`` (``loaded_context_length``). OpenAI itself says nothing:
  ``OPENAI_CONTEXT_TOKENS`` sets it.
- For ``dmbot check``: whether ``response_format: json_schema`` is honoured (a tiny schema, the answer parsed),
  whether ``tools`` are accepted and come back as native calls, whether a stream ends with a usage chunk; and the
  decision mode a turn will use.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
import openai

if TYPE_CHECKING:
    from bot.narrator.openai_narrator import OpenAINarrator

__all__ = ["Capabilities", "probe_capabilities", "read_context_window", "server_root"]

OLLAMA_DEFAULT_CONTEXT = 4096  # Ollama runs a model with num_ctx 4096 unless told otherwise
PROBE_SECONDS = 5.0
_PROBE_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["answer"],
    "additionalProperties": False,
}
_PING_TOOL = {
    "type": "function",
    "function": {
        "name": "ping",
        "description": "Answer the user's ping.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
    },
}


def server_root(base_url: str) -> str:
    """``http://host:8080/v1`` → ``http://host:8080``: where the servers' own endpoints live."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


async def _get_json(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> Any:
    with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
        async with http.request(method, url, timeout=aiohttp.ClientTimeout(PROBE_SECONDS), **kwargs) as response:
            if response.status == 200:
                return await response.json(content_type=None)
    return None


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


async def read_context_window(base_url: str | None, model: str, api_key: str = "") -> tuple[int | None, str]:
    """The context window the server reports, and where it was read; ``(None, why)`` when it says nothing."""
    if not base_url:
        return None, "OpenAI does not report it (set OPENAI_CONTEXT_TOKENS)"
    root = server_root(base_url)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with aiohttp.ClientSession(headers=headers) as http:
        props = await _get_json(http, "GET", f"{root}/props")
        if isinstance(props, dict):
            settings = props.get("default_generation_settings")
            n_ctx = _positive(props.get("n_ctx")) or _positive(
                settings.get("n_ctx") if isinstance(settings, dict) else None
            )
            if n_ctx:
                return n_ctx, "llama.cpp /props n_ctx"
        shown = await _get_json(http, "POST", f"{root}/api/show", json={"model": model})
        if isinstance(shown, dict) and ("model_info" in shown or "parameters" in shown):
            for line in str(shown.get("parameters") or "").splitlines():
                key, _, value = line.strip().partition(" ")
                if key == "num_ctx" and value.strip().isdigit():
                    return int(value.strip()), "Ollama /api/show num_ctx"
            return OLLAMA_DEFAULT_CONTEXT, "Ollama's default num_ctx (the model sets none)"
        listed = await _get_json(http, "GET", f"{base_url.rstrip('/')}/models")
        for entry in (listed.get("data") or []) if isinstance(listed, dict) else []:
            if isinstance(entry, dict) and (entry.get("id") == model or len(listed["data"]) == 1):
                if length := _positive(entry.get("max_model_len")):
                    return length, "vLLM /v1/models max_model_len"
        studio = await _get_json(http, "GET", f"{root}/api/v0/models")
        for entry in (studio.get("data") or []) if isinstance(studio, dict) else []:
            if isinstance(entry, dict) and entry.get("id") == model:
                if length := _positive(entry.get("loaded_context_length") or entry.get("max_context_length")):
                    return length, "LM Studio /api/v0/models"
    return None, "the server does not report it (set OPENAI_CONTEXT_TOKENS)"


@dataclass(frozen=True)
class Capabilities:
    context_tokens: int | None
    context_source: str
    json_schema: bool
    tools: str  # "native", "as text" (accepted, calls come back in the text), "refused"
    streaming_usage: bool
    mode: str  # the decision mode a turn will use
    problems: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        context = (
            f"{self.context_tokens:,} tokens ({self.context_source})" if self.context_tokens else self.context_source
        )
        return [
            f"context window: {context}",
            f"response_format json_schema: {'honoured' if self.json_schema else 'not honoured'}",
            f"tools: {self.tools}",
            f"streaming usage: {'reported' if self.streaming_usage else 'not reported (estimated)'}",
            f"decision mode: {self.mode}",
            *self.problems,
        ]


def choose_mode(setting: str, json_schema: bool) -> str:
    if setting != "auto":
        return f"{setting} (NARRATOR_DECISION_MODE)"
    return "json_schema (auto)" if json_schema else "text (auto: the server does not honour json_schema)"


async def probe_capabilities(narrator: OpenAINarrator, setting: str = "auto") -> Capabilities:
    """Four small requests (each a few tokens); a failure of one is reported, not raised."""
    client = narrator.client.with_options(max_retries=0, timeout=max(narrator.first_token_timeout, PROBE_SECONDS))
    problems: list[str] = []
    ping: dict[str, Any] = {
        "model": narrator.model,
        "messages": [{"role": "user", "content": "Is this a ping? Answer yes or no."}],
    }
    json_schema = False
    try:
        fmt: dict[str, Any] = {
            "type": "json_schema",
            "json_schema": {"name": "probe", "strict": True, "schema": _PROBE_SCHEMA},
        }
        answer = await client.chat.completions.create(**{**ping, "max_tokens": 16, "response_format": fmt})
        data = json.loads(answer.choices[0].message.content or "")
        json_schema = isinstance(data, dict) and data.get("answer") in {"yes", "no"}
    except (openai.OpenAIError, ValueError) as exc:
        problems.append(f"json_schema probe: {type(exc).__name__}")
    tools = "refused"
    try:
        asked: dict[str, Any] = {
            "model": narrator.model,
            "messages": [{"role": "user", "content": "Call the ping tool."}],
            "tools": [_PING_TOOL],
            "max_tokens": 48,
        }
        called = await client.chat.completions.create(**asked)
        tools = "native" if called.choices[0].message.tool_calls else "as text (calls come back in the reply)"
    except openai.OpenAIError as exc:
        problems.append(f"tools probe: {type(exc).__name__}")
    streaming_usage = False
    try:
        streamed: dict[str, Any] = {**ping, "max_tokens": 1, "stream_options": {"include_usage": True}}
        stream = await client.chat.completions.create(**streamed, stream=True)
        async for chunk in stream:
            streaming_usage = streaming_usage or chunk.usage is not None
    except openai.OpenAIError as exc:
        problems.append(f"streaming probe: {type(exc).__name__}")
    context, source = await narrator.context_window_and_source()
    return Capabilities(
        context, source, json_schema, tools, streaming_usage, choose_mode(setting, json_schema), tuple(problems)
    )
