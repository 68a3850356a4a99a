"""The narrator on any OpenAI-compatible chat-completions server (OpenAI, Ollama, vLLM, llama.cpp).

One turn is one streamed ``chat.completions.create`` call. Text is yielded as it arrives; tool
calls arrive as fragments keyed by ``index`` and are parsed only when the model has finished
them. Every failure after the SDK's own retries becomes ``NarratorUnavailable`` so the caller
can fall back to the offline narrator; a circuit breaker stops paying a timeout per turn while
the server is down.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import openai
import structlog

from bot.narrator.base import (
    NarratorEvent,
    NarratorUnavailable,
    ProposedCall,
    TextDelta,
    ToolCallsProposed,
    ToolSpec,
    Usage,
    estimate_tokens,
)
from bot.narrator.breaker import CircuitBreaker
from bot.narrator.capabilities import read_context_window
from bot.narrator.cost import PriceTable
from bot.narrator.textcalls import TextCallScanner
from bot.narrator.tools import parse_call

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionChunk
    from openai.types.chat.chat_completion_chunk import ChoiceDeltaToolCall

    from bot.settings import Settings

__all__ = ["OpenAINarrator", "classify_failure"]

log = structlog.get_logger(__name__)


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class _Turn:
    """What one streamed call has produced so far."""

    tools: list[ToolSpec]
    text: list[str] = field(default_factory=list)
    calls: dict[int, _PendingCall] = field(default_factory=dict)
    usage: tuple[int, int] | None = None
    cache: tuple[int | None, int | None] = (None, None)  # (reused, evaluated) prompt tokens, when the server says
    first_token_at: float | None = None
    model: str = ""
    written_chars: int = 0  # everything the model wrote (prose, markup, arguments), for estimating usage
    raw: bool = False  # a decision: the text is data, passed on whole (no tool-call scanning)
    scanner: TextCallScanner = field(init=False)

    def __post_init__(self) -> None:
        self.scanner = TextCallScanner([tool.name for tool in self.tools])

    def show(self, prose: str) -> list[NarratorEvent]:
        """Prose the scanner let through, as events; the text it held back counts toward usage as calls."""
        if not prose:
            return []
        self.text.append(prose)
        return [TextDelta(prose)]

    def finish(self) -> list[NarratorEvent]:
        """The end of the reply: release held prose, and propose native and written calls together."""
        events = self.show(self.scanner.finish())
        if self.calls or self.scanner.calls:
            events.append(ToolCallsProposed(self.take_calls()))
        return events

    @property
    def partial(self) -> bool:
        return bool(self.text)

    def add_fragment(self, fragment: ChoiceDeltaToolCall) -> None:
        index = fragment.index if fragment.index is not None else len(self.calls)
        pending = self.calls.get(index)
        # A second whole call under an index already taken (some servers send every call as index 0).
        if pending is not None and fragment.id and pending.id and fragment.id != pending.id:
            index = max(self.calls) + 1
            pending = None
        if pending is None:
            pending = self.calls[index] = _PendingCall()
        pending.id = pending.id or fragment.id or ""
        if fragment.function is not None:
            pending.name = pending.name or fragment.function.name or ""
            pending.arguments.append(fragment.function.arguments or "")
            self.written_chars += len(fragment.function.arguments or "")

    def take_calls(self) -> list[ProposedCall]:
        calls = [
            parse_call(pending.id or f"call_{index}", pending.name, "".join(pending.arguments), self.tools)
            for index, pending in sorted(self.calls.items())
        ]
        written = [
            parse_call(f"call_text_{index}", call.name, call.arguments, self.tools)
            for index, call in enumerate(self.scanner.calls, start=len(calls))
        ]
        self.calls.clear()
        self.scanner.calls.clear()
        return calls + written


def classify_failure(exc: BaseException, *, partial: bool) -> str:
    """The short reason for a failed call (order matters: timeouts are connection errors)."""
    if isinstance(exc, TimeoutError) and str(exc).startswith(("no first token", "no answer")):
        return "slow start"
    if isinstance(exc, TimeoutError | openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection dropped" if partial else "unreachable"
    if isinstance(exc, openai.RateLimitError):
        return "rate limited"
    if isinstance(exc, openai.APIStatusError):
        return "server error" if exc.status_code >= 500 else "rejected"
    if isinstance(exc, openai.APIResponseValidationError | ValueError):
        return "garbage"  # a non-JSON SSE line surfaces as a bare json.JSONDecodeError
    return "server error"  # an error event inside the stream (openai.APIError)


_FAILURES = (openai.OpenAIError, TimeoutError, ValueError)


class OpenAINarrator:
    """``Narrator`` over ``openai.AsyncOpenAI``; build it with ``from_settings`` in the app."""

    name = "openai"
    structured = True  # takes response_format and raw_text: a turn may ask it for a decision first

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        max_tokens: int | None = None,
        first_token_timeout: float | None = None,
        context_tokens: int | None = None,
        breaker: CircuitBreaker | None = None,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
        self.timeout = timeout  # one whole call
        # Until the first token: a CPU reading a long prompt is silent for a long while, then writes quickly.
        self.first_token_timeout = min(first_token_timeout or timeout, timeout)
        self.max_tokens = max_tokens
        self.base_url = base_url
        self._api_key = api_key
        self._context: tuple[int | None, str] | None = (
            (context_tokens, "OPENAI_CONTEXT_TOKENS") if context_tokens else None
        )
        self.breaker = breaker or CircuitBreaker()
        self.prices = prices or PriceTable()
        self._clock = clock
        # The SDK's timeout is per socket read; the whole turn is bounded separately in stream().
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "unused", base_url=base_url, max_retries=max_retries, timeout=self.first_token_timeout
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> OpenAINarrator:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        return cls(
            api_key=key,
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            timeout=settings.openai_timeout_seconds,
            first_token_timeout=settings.narrator_first_token_seconds,
            context_tokens=settings.openai_context_tokens,
            max_retries=settings.openai_max_retries,
            max_tokens=settings.narrator_max_tokens,
            breaker=CircuitBreaker(settings.narrator_breaker_failures, settings.narrator_breaker_reset_seconds),
            prices=PriceTable(settings.narrator_prices),
            clock=clock,
        )

    async def stream(
        self,
        messages: list[dict[str, Any]],
        tools: list[ToolSpec],
        *,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        raw_text: bool = False,
    ) -> AsyncIterator[NarratorEvent]:
        """Stream a reply. A decision (``raw_text``, with ``response_format`` where the server honours it) passes
        the model's text on whole: it is JSON for the engine, never shown."""
        if not self.breaker.allow():
            raise NarratorUnavailable("circuit open", detail=f"retry in {self.breaker.retry_in():.0f} s")
        started = self._clock()
        turn = _Turn(tools=tools, model=self.model, raw=raw_text)
        try:
            async for event in self._events(messages, turn, max_tokens or self.max_tokens, response_format):
                yield event
        except _FAILURES as exc:
            self.breaker.record_failure()
            reason = classify_failure(exc, partial=turn.partial)
            log.warning("narrator_unavailable", reason=reason, partial=turn.partial, error=repr(exc)[:300])
            raise NarratorUnavailable(reason, partial=turn.partial, detail=str(exc) or type(exc).__name__) from exc
        self.breaker.record_success()
        yield self._usage(messages, turn, self._clock() - started, started)

    async def _events(
        self,
        messages: list[dict[str, Any]],
        turn: _Turn,
        max_tokens: int | None,
        response_format: dict[str, Any] | None,
    ) -> AsyncIterator[NarratorEvent]:
        # Two deadlines, applied only around our own awaits (a timeout scope spanning a `yield` would fire inside
        # the consumer's code): one until the first token, one for the whole call.
        now = asyncio.get_running_loop().time()
        deadline = now + self.timeout
        first_deadline = now + self.first_token_timeout
        request = self._request(messages, turn.tools, max_tokens)
        if response_format is not None:
            request["response_format"] = response_format
        try:
            async with asyncio.timeout_at(first_deadline):
                stream = await self._client.chat.completions.create(**request)
        except TimeoutError as exc:
            raise TimeoutError(f"no answer in {self.first_token_timeout:g} s") from exc
        async with stream:
            chunks = aiter(stream)
            while True:
                waiting = turn.first_token_at is None
                try:
                    async with asyncio.timeout_at(min(first_deadline, deadline) if waiting else deadline):
                        chunk = await anext(chunks, None)
                except TimeoutError as exc:
                    raise TimeoutError(f"no first token in {self.first_token_timeout:g} s" if waiting else "") from exc
                if chunk is None:
                    break
                for event in self._read_chunk(chunk, turn):
                    if turn.first_token_at is None:
                        turn.first_token_at = self._clock()
                    yield event
                if turn.first_token_at is None and any(c.delta.tool_calls for c in chunk.choices):
                    turn.first_token_at = self._clock()
        for event in turn.finish():  # the stream ended without a finish reason: use what arrived
            yield event

    def _request(self, messages: list[dict[str, Any]], tools: list[ToolSpec], max_tokens: int | None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools:  # an empty tools list is a 400 on OpenAI
            request["tools"] = [tool.to_openai() for tool in tools]
        if max_tokens is not None:
            request["max_tokens"] = max_tokens
        return request

    @staticmethod
    def _read_chunk(chunk: ChatCompletionChunk, turn: _Turn) -> list[NarratorEvent]:
        events: list[NarratorEvent] = []
        turn.model = chunk.model or turn.model
        if chunk.usage is not None:
            turn.usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            details = chunk.usage.prompt_tokens_details
            if details is not None and details.cached_tokens is not None:
                turn.cache = (details.cached_tokens, chunk.usage.prompt_tokens - details.cached_tokens)
        timings = (chunk.model_extra or {}).get("timings")  # llama.cpp: cache_n reused, prompt_n evaluated
        if isinstance(timings, dict) and isinstance(timings.get("prompt_n"), int):
            cache_n = timings.get("cache_n")
            turn.cache = (cache_n if isinstance(cache_n, int) else None, timings["prompt_n"])
        for choice in chunk.choices:
            if choice.delta.content:
                turn.written_chars += len(choice.delta.content)
                content = choice.delta.content
                events.extend(turn.show(content if turn.raw else turn.scanner.feed(content)))
            for fragment in choice.delta.tool_calls or []:
                turn.add_fragment(fragment)
            # "tool_calls" normally; Ollama says "stop" even with calls, so any finish flushes them.
            if choice.finish_reason:
                events.extend(turn.finish())
        return events

    def _usage(self, messages: list[dict[str, Any]], turn: _Turn, seconds: float, started: float) -> Usage:
        if turn.usage is not None:
            prompt, completion = turn.usage
        else:  # the server sent no usage chunk: estimate, and say so
            tools_json = json.dumps([tool.to_openai() for tool in turn.tools]) if turn.tools else ""
            prompt = estimate_tokens(messages) + estimate_tokens(tools_json)
            completion = math.ceil(turn.written_chars / 4)
        cost = self.prices.estimate_cost(turn.model, prompt, completion)
        first = None if turn.first_token_at is None else turn.first_token_at - started
        reused, evaluated = turn.cache
        return Usage(turn.model, prompt, completion, turn.usage is None, seconds, cost, reused, evaluated, first)

    @property
    def client(self) -> openai.AsyncOpenAI:
        return self._client

    async def context_window_and_source(self) -> tuple[int | None, str]:
        """The model's context window: the setting, else what the server reports (read once)."""
        if self._context is None:
            self._context = await read_context_window(self.base_url, self.model, self._api_key)
        return self._context

    async def context_window(self) -> int | None:
        return (await self.context_window_and_source())[0]

    async def probe(self) -> float:
        """Seconds ``GET /models`` took (no retries, bounded by the timeout)."""
        started = self._clock()
        try:
            async with asyncio.timeout(self.timeout):
                await self._client.with_options(max_retries=0).models.list()
        except _FAILURES as exc:
            raise NarratorUnavailable(classify_failure(exc, partial=False), detail=type(exc).__name__) from exc
        return self._clock() - started

    async def aclose(self) -> None:
        await self._client.close()
