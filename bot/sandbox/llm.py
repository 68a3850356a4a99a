"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

``LocalLLM`` speaks the ``/v1/chat/completions`` wire format closely enough that the real
``openai.AsyncOpenAI`` client (streaming, tool-call deltas, ``include_usage``, retries) runs
against it unmodified. Replies are scripted: a queue consumed one per request, then an
optional ``responder`` hook, then a default narration. Faults (HTTP errors, hangs, dropped
streams, garbage SSE, malformed tool calls) are queued the same way. ``response_format`` is honoured as
llama.cpp honours it (`bot.sandbox.structured`): refused when it cannot be compiled, and a scripted reply
that breaks the schema is answered with a 500 that names the mistake. Every request is
recorded with its body, headers and timing.

Example::

    async with LocalLLM() as llm:
        llm.enqueue(
            Fault.status(429, retry_after=0.01),
            Reply(text="The door creaks open.", tool_calls=[ToolCall("roll_dice", {"expr": "1d20"})]),
        )
        client = openai.AsyncOpenAI(base_url=llm.base_url, api_key="test", max_retries=2)
        stream = await client.chat.completions.create(
            model="local", messages=[{"role": "user", "content": "I open the door"}], stream=True
        )
        async for chunk in stream:
            ...
        assert len(llm.requests) == 2  # the SDK retried the 429 itself

Timestamps (``RecordedRequest.received_at``, ``first_token_at``, ``finished_at``) come from
``time.monotonic()``, the same clock as ``asyncio``'s loop, so a benchmark in the same process
can subtract them from its own readings.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

from bot.sandbox.structured import FormatError, check_instance, minimal_instance, schema_of

__all__ = ["Fault", "LocalLLM", "RecordedRequest", "Reply", "Responder", "ToolCall"]

DEFAULT_TEXT = "The torchlight flickers across damp stone as the party presses deeper into the dark."
_JSON = "application/json"  # exact: discord.py-style clients compare it literally, no charset


@dataclass(frozen=True)
class ToolCall:
    """One function call the model "makes". ``arguments`` may be a dict or a raw (even broken) string."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    """A scripted model answer.

    ``delay_first_token`` / ``delay_between_chunks`` of ``None`` use the server's defaults.
    ``usage`` of ``None`` is estimated as characters / 4. ``whole_tool_calls`` sends every call
    in one delta (Ollama style) instead of streaming argument fragments (OpenAI style).
    ``finish_reason`` overrides the computed one (e.g. force ``"length"``).
    """

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    chunk_size: int = 8
    delay_first_token: float | None = None
    delay_between_chunks: float | None = None
    usage: tuple[int, int] | None = None
    whole_tool_calls: bool = False
    finish_reason: Literal["stop", "tool_calls", "length"] | None = None


FaultKind = Literal["status", "timeout", "drop", "garbage"]


@dataclass
class Fault:
    """A protocol-level failure; build with the classmethods, queue like a ``Reply``."""

    kind: FaultKind
    status_code: int = 500
    retry_after: float | None = None
    body: dict[str, Any] | str | None = None
    seconds: float = 0.0
    n_chunks: int = 0
    reply: Reply | None = None

    @classmethod
    def status(cls, code: int, retry_after: float | None = None, body: dict[str, Any] | str | None = None) -> Fault:
        """Answer with HTTP ``code`` and an OpenAI-style error body (or ``body``)."""
        return cls("status", status_code=code, retry_after=retry_after, body=body)

    @classmethod
    def timeout(cls, seconds: float) -> Fault:
        """Send nothing (not even headers) for ``seconds``, so a client read timeout fires."""
        return cls("timeout", seconds=seconds)

    @classmethod
    def drop_after(cls, n_chunks: int, reply: Reply | None = None) -> Fault:
        """Stream ``n_chunks`` SSE events of ``reply`` (default text), then cut the connection."""
        return cls("drop", n_chunks=n_chunks, reply=reply)

    @classmethod
    def garbage(cls) -> Fault:
        """Stream an SSE event whose data is not JSON, then ``[DONE]``."""
        return cls("garbage")

    @staticmethod
    def malformed_tool_call(kind: Literal["bad_json", "unknown_tool"] = "bad_json", name: str = "roll_dice") -> Reply:
        """A well-formed stream carrying a bad call: unparsable arguments, or a tool nobody offered.

        This is model misbehaviour, not a transport fault, so it is an ordinary ``Reply``.
        """
        if kind == "unknown_tool":
            return Reply(tool_calls=[ToolCall("summon_tarrasque", {"count": 99})])
        return Reply(tool_calls=[ToolCall(name, '{"expr": "1d20", ')])


Script = Reply | Fault
Responder = Callable[[dict[str, Any]], Script | Awaitable[Script | None] | None]


@dataclass
class RecordedRequest:
    """One request as the server saw it. Times are ``time.monotonic()`` seconds."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float
    status: int = 200
    first_token_at: float | None = None
    finished_at: float | None = None
    answer: Script | None = None
    timings: dict[str, int] | None = None  # with a prefix cache: what the server reused and evaluated

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.body.get("tools") or [])

    @property
    def model(self) -> str | None:
        return self.body.get("model")

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def stream_options(self) -> dict[str, Any] | None:
        return self.body.get("stream_options")

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")

    @property
    def time_to_first_token(self) -> float | None:
        return None if self.first_token_at is None else self.first_token_at - self.received_at


def _new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


def _estimate_tokens(chars: int) -> int:
    return max(1, math.ceil(chars / 4)) if chars else 0


def _prompt_chars(body: dict[str, Any]) -> int:
    total = 0
    for message in body.get("messages") or []:
        content = message.get("content")
        total += len(content) if isinstance(content, str) else len(json.dumps(content or ""))
    return total


def _error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def _json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # body= (not text=/json_response) keeps Content-Type exactly "application/json".
    body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    return web.Response(body=body, status=status, content_type=_JSON, headers=headers)


def _constrained(answer: Script, schema: dict[str, Any] | None) -> Script:
    """A scripted reply to a response_format request, as a constrained server could send it, or a 500 naming
    the script's mistake (a grammar never lets a model write what breaks the schema)."""
    if schema is None or not isinstance(answer, Reply):
        return answer
    if answer.tool_calls:
        problem = "a constrained reply cannot carry tool calls"
    else:
        try:
            problems = check_instance(json.loads(answer.text), schema)
        except ValueError:
            problems = ["the text is not JSON"]
        if not problems:
            return answer
        problem = "; ".join(problems[:5])
    message = f"sandbox: the scripted reply breaks the requested response_format ({problem})"
    return Fault.status(500, body=_error_body(message, "sandbox_script_error", None))


def _chunks(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass
class _Completion:
    """A reply resolved against one request: ids, truncation, usage, finish reason."""

    reply: Reply
    request: dict[str, Any]
    model: str
    id: str = field(default_factory=lambda: _new_id("chatcmpl-"))
    created: int = field(default_factory=lambda: int(time.time()))
    call_ids: list[str] = field(default_factory=list)
    text: str = ""
    finish_reason: str = "stop"
    cached_chars: int | None = None  # with a prefix cache: the characters of this prompt the last one shared

    def __post_init__(self) -> None:
        self.call_ids = [call.id or _new_id("call_") for call in self.reply.tool_calls]
        self.text, truncated = self._truncate(self.reply.text)
        if self.reply.finish_reason:
            self.finish_reason = self.reply.finish_reason
        elif truncated:
            self.finish_reason = "length"
        elif self.reply.tool_calls:
            self.finish_reason = "tool_calls"

    def _truncate(self, text: str) -> tuple[str, bool]:
        # Honour max_tokens like a real server so "length" paths can be exercised.
        limit = self.request.get("max_completion_tokens") or self.request.get("max_tokens")
        if isinstance(limit, int) and limit > 0 and len(text) > limit * 4:
            return text[: limit * 4], True
        return text, False

    def usage(self) -> dict[str, int]:
        if self.reply.usage is not None:
            prompt, completion = self.reply.usage
        else:
            args = sum(len(call.arguments_json()) for call in self.reply.tool_calls)
            prompt = _estimate_tokens(_prompt_chars(self.request))
            completion = _estimate_tokens(len(self.text) + args)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None, "refusal": None}
        if self.reply.tool_calls:
            message["tool_calls"] = [self._call(i, whole=True) for i in range(len(self.reply.tool_calls))]
        return message

    def _call(self, index: int, *, whole: bool) -> dict[str, Any]:
        call = self.reply.tool_calls[index]
        arguments = call.arguments_json() if whole else ""
        return {"id": self.call_ids[index], "type": "function", "function": {"name": call.name, "arguments": arguments}}

    def completion_json(self) -> dict[str, Any]:
        choice = {"index": 0, "message": self.message(), "logprobs": None, "finish_reason": self.finish_reason}
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_sandbox",
            "choices": [choice],
            "usage": self.usage(),
        }

    # -- streaming -------------------------------------------------------------------------

    def chunk(self, delta: dict[str, Any] | None, finish_reason: str | None = None) -> dict[str, Any]:
        choices = (
            [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        )
        data: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_sandbox",
            "choices": choices,
        }
        if self.include_usage:
            data["usage"] = self.usage() if delta is None else None
        return data

    @property
    def include_usage(self) -> bool:
        options = self.request.get("stream_options") or {}
        return bool(options.get("include_usage"))

    def deltas(self) -> Iterable[dict[str, Any]]:
        """The content/tool-call deltas in wire order, before the finish chunk."""
        yield {"role": "assistant", "content": "", "refusal": None}
        for piece in _chunks(self.text, self.reply.chunk_size):
            yield {"content": piece}
        if self.reply.whole_tool_calls and self.reply.tool_calls:
            calls = [{"index": i, **self._call(i, whole=True)} for i in range(len(self.reply.tool_calls))]
            yield {"tool_calls": calls}
            return
        for index, call in enumerate(self.reply.tool_calls):
            # OpenAI style: the first fragment names the call, the rest carry argument pieces.
            yield {"tool_calls": [{"index": index, **self._call(index, whole=False)}]}
            for piece in _chunks(call.arguments_json(), self.reply.chunk_size):
                yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}

    def timings(self) -> dict[str, int] | None:
        """llama.cpp's account of the prompt: tokens reused from the slot's cache, tokens evaluated."""
        if self.cached_chars is None:
            return None
        prompt = self.usage()["prompt_tokens"]
        cached = min(prompt, self.cached_chars // 4)
        return {"cache_n": cached, "prompt_n": prompt - cached, "predicted_n": self.usage()["completion_tokens"]}

    def events(self) -> Iterable[dict[str, Any]]:
        yield from (self.chunk(delta) for delta in self.deltas())
        last = self.chunk({}, self.finish_reason)
        if (timings := self.timings()) is not None:
            last["timings"] = timings  # llama.cpp sends them with the finish chunk
        yield last
        if self.include_usage:
            yield self.chunk(None)


class LocalLLM:
    """An aiohttp OpenAI-compatible server on 127.0.0.1 (port 0 = pick a free one)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default_text: str = DEFAULT_TEXT,
        first_token_delay: float = 0.0,
        chunk_delay: float = 0.0,
        api_key: str | None = None,
        models: Iterable[str] = ("local-model",),
        responder: Responder | None = None,
        context_tokens: int | None = None,
        ignore_response_format: bool = False,
        prefix_cache: bool = False,
    ) -> None:
        # On: one slot that keeps the last prompt, as llama.cpp's server does, and `timings` on each streamed reply.
        self.prefix_cache = prefix_cache
        self._slot = ""
        self.context_tokens = context_tokens  # set: GET /props answers with it, as llama.cpp's server does
        self.ignore_response_format = ignore_response_format  # like servers that accept the field and drop it
        self.host = host
        self.port = port
        self.default_text = default_text
        self.first_token_delay = first_token_delay
        self.chunk_delay = chunk_delay
        self.api_key = api_key
        self.models = list(models)
        self.responder = responder
        self.queue: deque[Script] = deque()
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/props", self._props)
        # handler_cancellation: a client that hung up (timeout tests) frees its sleeping handler.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the real port when 0 was asked for

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalLLM:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- scripting -------------------------------------------------------------------------

    def enqueue(self, *items: Script) -> None:
        """Queue replies/faults; each request consumes one, in order."""
        self.queue.extend(items)

    def reset(self) -> None:
        self.queue.clear()
        self.requests.clear()

    @property
    def first_token_times(self) -> list[float]:
        """``time.monotonic()`` of the first content/tool byte written, per request that had one."""
        return [r.first_token_at for r in self.requests if r.first_token_at is not None]

    async def _next_answer(self, body: dict[str, Any], schema: dict[str, Any] | None = None) -> Script:
        if self.queue:
            return _constrained(self.queue.popleft(), schema)
        if self.responder is not None:
            answer = self.responder(body)
            if inspect.isawaitable(answer):
                answer = await answer
            if answer is not None:
                return _constrained(answer, schema)
        if schema is not None:  # nothing scripted: what a constrained model with nothing to say writes
            return Reply(text=json.dumps(minimal_instance(schema)))
        return Reply(text=self.default_text)

    # -- handlers --------------------------------------------------------------------------

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        if self.api_key is None or request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        body = _error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        return _json_response(body, status=401)

    async def _models(self, request: web.Request) -> web.Response:
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "dmbot-sandbox"} for m in self.models]
        return _json_response({"object": "list", "data": data})

    async def _props(self, request: web.Request) -> web.Response:
        if self.context_tokens is None:
            return _json_response(_error_body("Not found.", "not_found_error", None), status=404)
        return _json_response({"default_generation_settings": {"n_ctx": self.context_tokens}, "total_slots": 1})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await self._chat_inner(request)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _chat_inner(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = {}
        record = RecordedRequest(request.path, body, dict(request.headers), time.monotonic())
        self.requests.append(record)
        denied = self._unauthorized(request)
        if denied is not None:
            record.status, record.finished_at = 401, time.monotonic()
            return denied
        try:
            schema = None if self.ignore_response_format else schema_of(body.get("response_format"))
        except FormatError as refused:
            record.status, record.finished_at = 400, time.monotonic()
            return _json_response(_error_body(str(refused), "invalid_request_error", None), status=400)
        record.answer = answer = await self._next_answer(body, schema)
        try:
            return await self._answer(request, record, answer)
        finally:
            record.finished_at = time.monotonic()

    async def _answer(self, request: web.Request, record: RecordedRequest, answer: Script) -> web.StreamResponse:
        if isinstance(answer, Fault):
            if answer.kind == "status":
                return self._status_fault(record, answer)
            if answer.kind == "timeout":
                await asyncio.sleep(answer.seconds)
                answer = Reply(text=self.default_text)  # if the client is somehow still there
            elif answer.kind == "garbage":
                return await self._garbage(request, record)
            else:
                reply = answer.reply or Reply(text=self.default_text)
                if not record.stream:  # nothing to stream: hang up before any answer
                    return self._drop(request, web.StreamResponse())
                return await self._stream(request, record, reply, drop_after=answer.n_chunks)
        if record.stream:
            return await self._stream(request, record, answer)
        return await self._complete(record, answer)

    def _status_fault(self, record: RecordedRequest, fault: Fault) -> web.Response:
        record.status = fault.status_code
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            # retry-after-ms keeps SDK backoff in tests sub-second; retry-after for other clients.
            headers["retry-after-ms"] = str(int(fault.retry_after * 1000))
            headers["retry-after"] = str(math.ceil(fault.retry_after))
        body = fault.body if fault.body is not None else self._default_error(fault.status_code)
        return _json_response(body, status=fault.status_code, headers=headers)

    @staticmethod
    def _default_error(code: int) -> dict[str, Any]:
        if code == 429:
            return _error_body("Rate limit reached (sandbox).", "requests", "rate_limit_exceeded")
        if code == 503:
            return _error_body("The engine is currently overloaded (sandbox).", "server_error", "overloaded")
        return _error_body(f"Sandbox error {code}.", "server_error", None)

    def _model_name(self, record: RecordedRequest) -> str:
        return record.model or (self.models[0] if self.models else "local-model")

    def _delays(self, reply: Reply) -> tuple[float, float]:
        first = self.first_token_delay if reply.delay_first_token is None else reply.delay_first_token
        between = self.chunk_delay if reply.delay_between_chunks is None else reply.delay_between_chunks
        return first, between

    async def _complete(self, record: RecordedRequest, reply: Reply) -> web.Response:
        completion = _Completion(reply, record.body, self._model_name(record))
        first, _ = self._delays(reply)
        await asyncio.sleep(first)
        record.first_token_at = time.monotonic()
        return _json_response(completion.completion_json())

    async def _open_sse(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        return response

    def _cached(self, body: dict[str, Any]) -> int | None:
        """The characters this prompt shares with the slot's last one (tool schemas first, as templates put them)."""
        if not self.prefix_cache:
            return None
        rendered = json.dumps(body.get("tools") or [])
        for message in body.get("messages") or []:
            content = message.get("content")
            rendered += f"<|{message.get('role')}|>" + (content if isinstance(content, str) else json.dumps(content))
        shared = next((i for i, (a, b) in enumerate(zip(rendered, self._slot, strict=False)) if a != b), None)
        self._slot, previous = rendered, self._slot
        return min(len(rendered), len(previous)) if shared is None else shared

    async def _stream(
        self, request: web.Request, record: RecordedRequest, reply: Reply, drop_after: int | None = None
    ) -> web.StreamResponse:
        completion = _Completion(reply, record.body, self._model_name(record))
        completion.cached_chars = self._cached(record.body)
        record.timings = completion.timings()
        response = await self._open_sse(request)
        first, between = self._delays(reply)
        await asyncio.sleep(first)
        sent = 0
        async for event in self._paced(completion.events(), between):
            if drop_after is not None and sent >= drop_after:
                return self._drop(request, response)
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
            sent += 1
            if record.first_token_at is None and self._has_token(event):
                record.first_token_at = time.monotonic()
        if drop_after is not None:
            return self._drop(request, response)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    @staticmethod
    async def _paced(events: Iterable[dict[str, Any]], delay: float) -> AsyncIterator[dict[str, Any]]:
        for i, event in enumerate(events):
            if i and delay:
                await asyncio.sleep(delay)
            yield event

    @staticmethod
    def _has_token(event: dict[str, Any]) -> bool:
        delta = event["choices"][0]["delta"] if event["choices"] else {}
        return bool(delta.get("content") or delta.get("tool_calls"))

    @staticmethod
    def _drop(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        # close() flushes what was written, then hangs up: a truncated chunked body, no [DONE].
        response.force_close()
        if request.transport is not None:
            request.transport.close()
        return response

    async def _garbage(self, request: web.Request, record: RecordedRequest) -> web.StreamResponse:
        record.first_token_at = time.monotonic()
        if not record.stream:
            return _json_response("{this is not json")
        response = await self._open_sse(request)
        await response.write(b"data: {this is not json\n\n")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
