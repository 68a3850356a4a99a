"""The one narrator interface and the plain data it streams.

A narrator reads a conversation in OpenAI chat format and streams events: text as it is
written, then the tool calls it proposes (never applied here: the engine validates and applies
them, then sends the results back as ``role: "tool"`` messages), then what the turn cost.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "Narrator",
    "NarratorEvent",
    "NarratorUnavailable",
    "ProposedCall",
    "TextDelta",
    "ToolCallsProposed",
    "ToolSpec",
    "Usage",
    "assistant_message",
    "estimate_tokens",
]

# Chat formats wrap every message in a few tokens of role/separator markup; OpenAI documents ~3-4.
MESSAGE_OVERHEAD_TOKENS = 4
REPLY_PRIMING_TOKENS = 3


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call; ``parameters`` is a JSON schema of an object."""

    name: str
    description: str
    parameters: dict[str, Any]

    def to_openai(self) -> dict[str, Any]:
        """The ``tools=[...]`` entry of a chat-completions request."""
        function = {"name": self.name, "description": self.description, "parameters": self.parameters}
        return {"type": "function", "function": function}


@dataclass(frozen=True)
class ProposedCall:
    """A tool call the model proposed.

    ``error`` is set (and ``arguments`` may be ``None``) when the call cannot be used as it is:
    arguments that are not a JSON object, an unknown tool, or arguments that break the schema.
    The engine sends that message back to the model as the tool result instead of applying it.
    ``raw_arguments`` is the JSON text as the model wrote it, for echoing the assistant message.
    """

    id: str
    name: str
    arguments: dict[str, Any] | None
    error: str | None = None
    raw_arguments: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.arguments is not None


@dataclass(frozen=True)
class TextDelta:
    """A piece of narration, in order."""

    text: str


@dataclass(frozen=True)
class ToolCallsProposed:
    """Every call of the turn at once, after the model finished writing them."""

    calls: list[ProposedCall]


@dataclass(frozen=True)
class Usage:
    """Tokens and time of one model call; ``estimated`` when the server reported no usage."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    estimated: bool
    seconds: float
    cost_usd: float = 0.0
    # What a prefix-caching server (llama.cpp's `timings`, OpenAI's `prompt_tokens_details`) reused and evaluated.
    cached_tokens: int | None = None
    evaluated_tokens: int | None = None
    first_token_seconds: float | None = None


NarratorEvent = TextDelta | ToolCallsProposed | Usage


class NarratorUnavailable(Exception):
    """The model could not be used for this turn (after the SDK's own retries).

    ``reason`` is short and safe to log or show: "slow start" (no first token in time), "timeout", "rate limited",
    "server error",
    "circuit open", "connection dropped", "unreachable", "garbage" or "rejected".
    ``partial`` is true when some text was already streamed: the caller should discard the half
    turn before falling back to the offline narrator.
    """

    def __init__(self, reason: str, *, partial: bool = False, detail: str = "") -> None:
        super().__init__(f"narrator unavailable: {reason}" + (f" ({detail})" if detail else ""))
        self.reason = reason
        self.partial = partial
        self.detail = detail


class Narrator(Protocol):
    """What the engine needs from a narrator: the OpenAI-compatible one or the offline one."""

    name: str
    model: str

    def stream(
        self, messages: list[dict[str, Any]], tools: list[ToolSpec], *, max_tokens: int | None = None
    ) -> AsyncIterator[NarratorEvent]:
        """Stream ``TextDelta``s, at most one ``ToolCallsProposed``, then one ``Usage``."""
        ...

    async def probe(self) -> float:
        """Seconds a trivial request took; raises ``NarratorUnavailable`` when unreachable."""
        ...

    async def aclose(self) -> None:
        """Release connections (at shutdown)."""
        ...


def assistant_message(text: str, calls: Sequence[ProposedCall]) -> dict[str, Any]:
    """The assistant message to append before the tool results, in OpenAI chat format."""
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.raw_arguments or json.dumps(call.arguments or {})},
            }
            for call in calls
        ]
    return message


def _message_chars(message: Mapping[str, Any]) -> int:
    content = message.get("content")
    chars = len(content) if isinstance(content, str) else len(json.dumps(content)) if content else 0
    if message.get("tool_calls"):
        chars += len(json.dumps(message["tool_calls"]))
    return chars + len(str(message.get("name") or "")) + len(str(message.get("tool_call_id") or ""))


def estimate_tokens(text_or_messages: str | Sequence[Mapping[str, Any]]) -> int:
    """Tokens as characters / 4, rounded up, plus per-message overhead for a chat.

    tiktoken cannot download its encodings offline; English prose runs ~4 characters a token,
    and the overhead margin keeps the estimate on the high side for budgeting.
    """
    if isinstance(text_or_messages, str):
        return math.ceil(len(text_or_messages) / 4)
    chars = sum(_message_chars(message) for message in text_or_messages)
    overhead = MESSAGE_OVERHEAD_TOKENS * len(text_or_messages) + REPLY_PRIMING_TOKENS
    return math.ceil(chars / 4) + overhead
