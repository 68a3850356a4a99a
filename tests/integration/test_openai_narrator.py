"""``OpenAINarrator`` on the real ``openai`` client against the local OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

import bot.sandbox.llm as sandbox_llm
from bot.narrator import (
    NARRATOR_TOOLS,
    CircuitBreaker,
    NarratorUnavailable,
    OfflineNarrator,
    OpenAINarrator,
    ProposedCall,
    TextDelta,
    ToolCallsProposed,
    Usage,
    assistant_message,
    build_narrator,
    context_block,
    fallback,
)
from bot.narrator.base import NarratorEvent
from bot.sandbox.llm import Fault, LocalLLM, Reply, ToolCall
from bot.settings import Settings

MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are the DM.\n" + context_block("Mira", "the flooded crypt")},
    {"role": "user", "content": "I sneak past the guards."},
]
CHECK = {"character": "Mira", "skill_or_ability": "stealth", "dc": 13, "reason": "the guards are alert"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def llm() -> AsyncIterator[LocalLLM]:
    async with LocalLLM() as server:
        yield server


def make(llm: LocalLLM, **overrides: Any) -> OpenAINarrator:
    options: dict[str, Any] = {
        "api_key": "test",
        "model": "local-model",
        "base_url": llm.base_url,
        "timeout": 5.0,
        "max_retries": 0,
    }
    return OpenAINarrator(**(options | overrides))


async def run(narrator: OpenAINarrator, messages: list[dict[str, Any]] = MESSAGES) -> list[NarratorEvent]:
    try:
        return [event async for event in narrator.stream(messages, NARRATOR_TOOLS)]
    finally:
        await narrator.aclose()


async def fails(narrator: OpenAINarrator) -> tuple[NarratorUnavailable, list[NarratorEvent]]:
    """Run a turn that must fail; return the error and what was streamed before it."""
    seen: list[NarratorEvent] = []
    with pytest.raises(NarratorUnavailable) as info:
        async for event in narrator.stream(MESSAGES, NARRATOR_TOOLS):
            seen.append(event)
    return info.value, seen


def texts(events: list[NarratorEvent]) -> list[str]:
    return [event.text for event in events if isinstance(event, TextDelta)]


def calls(events: list[NarratorEvent]) -> list[ProposedCall]:
    return [call for event in events if isinstance(event, ToolCallsProposed) for call in event.calls]


def usage(events: list[NarratorEvent]) -> Usage:
    assert isinstance(events[-1], Usage)
    return events[-1]


async def test_streamed_text_arrives_as_several_deltas(llm: LocalLLM) -> None:
    text = "Torchlight trembles on the black water as the guards turn away."
    llm.enqueue(Reply(text=text, chunk_size=6))

    events = await run(make(llm, max_tokens=300))

    assert len(texts(events)) == len(text) // 6 + 1
    assert "".join(texts(events)) == text
    assert calls(events) == []
    (request,) = llm.requests
    assert request.stream and request.stream_options == {"include_usage": True}
    assert request.body["max_tokens"] == 300 and request.messages == MESSAGES
    assert [tool["function"]["name"] for tool in request.tools] == [tool.name for tool in NARRATOR_TOOLS]


async def test_fragmented_tool_calls_assemble_in_order(llm: LocalLLM) -> None:
    heal = {"target": "Mira", "amount": 3}
    llm.enqueue(
        Reply(
            text="Roll for it.",
            tool_calls=[ToolCall("request_check", CHECK, id="call_a"), ToolCall("heal", heal, id="call_b")],
            chunk_size=5,
        )
    )

    events = await run(make(llm))

    assert [type(e).__name__ for e in events][-2:] == ["ToolCallsProposed", "Usage"]
    assert [(c.id, c.name, c.arguments, c.error) for c in calls(events)] == [
        ("call_a", "request_check", CHECK, None),
        ("call_b", "heal", heal, None),
    ]
    assert calls(events)[0].raw_arguments == json.dumps(CHECK)


async def test_a_call_written_into_the_stream_is_proposed_and_never_streamed(llm: LocalLLM) -> None:
    written = f"Hold on.\n<tool_call>\n{json.dumps({'name': 'request_check', 'arguments': CHECK})}\n</tool_call>"
    llm.enqueue(Reply(text=written + "\nThe guards turn.", chunk_size=2))

    events = await run(make(llm))

    assert "".join(texts(events)) == "Hold on.\n\nThe guards turn."
    assert all("<" not in text and "{" not in text for text in texts(events))
    assert [(c.name, c.arguments, c.error) for c in calls(events)] == [("request_check", CHECK, None)]
    assert isinstance(events[-1], Usage)


async def test_native_and_written_calls_of_one_reply_are_proposed_together(llm: LocalLLM) -> None:
    heal = {"target": "Mira", "amount": 3}
    written = f"[TOOL_CALLS] [{json.dumps({'name': 'heal', 'arguments': heal})}]"
    llm.enqueue(Reply(text=written, tool_calls=[ToolCall("request_check", CHECK, id="call_a")], chunk_size=4))

    events = await run(make(llm))

    assert texts(events) == []
    assert [(c.id, c.name) for c in calls(events)] == [("call_a", "request_check"), ("call_text_1", "heal")]
    assert sum(isinstance(event, ToolCallsProposed) for event in events) == 1


async def test_whole_tool_calls_ollama_style(llm: LocalLLM) -> None:
    llm.enqueue(Reply(tool_calls=[ToolCall("request_check", CHECK), ToolCall("heal", {"x": 1})], whole_tool_calls=True))

    (check, heal) = calls(await run(make(llm)))

    assert check.ok and check.arguments == CHECK
    assert heal.error is not None and "target is required" in heal.error


async def test_tool_results_round_trip_in_chat_format(llm: LocalLLM) -> None:
    llm.enqueue(Reply(tool_calls=[ToolCall("request_check", CHECK)]), Reply(text="The guards never look up."))
    narrator = make(llm)
    (call,) = calls([event async for event in narrator.stream(MESSAGES, NARRATOR_TOOLS)])
    result = {"ok": True, "check": {"skill": "stealth", "total": 17, "dc": 13, "success": True}}
    follow_up = [
        *MESSAGES,
        assistant_message("", [call]),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)},
    ]

    events = await run(narrator, follow_up)

    assert "".join(texts(events)) == "The guards never look up."
    sent = llm.requests[1].messages
    assert sent[-2]["tool_calls"][0]["id"] == call.id and sent[-1]["tool_call_id"] == call.id


async def test_usage_from_the_api_with_cost(llm: LocalLLM) -> None:
    llm.enqueue(Reply(text="Hi.", usage=(1200, 70)))

    found = usage(await run(make(llm, model="gpt-4o-mini")))

    assert (found.model, found.prompt_tokens, found.completion_tokens, found.estimated) == (
        "gpt-4o-mini",
        1200,
        70,
        False,
    )
    assert found.cost_usd == pytest.approx((1200 * 0.15 + 70 * 0.60) / 1e6)
    assert found.seconds >= 0


async def test_usage_estimated_when_the_server_sends_none(llm: LocalLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    # Some servers ignore stream_options; make the sandbox one of them.
    monkeypatch.setattr(sandbox_llm._Completion, "include_usage", property(lambda self: False))
    llm.enqueue(Reply(text="x" * 40, usage=(999, 999)))

    found = usage(await run(make(llm)))

    assert found.estimated and found.completion_tokens == 10
    assert found.prompt_tokens > 0 and found.prompt_tokens != 999


@pytest.mark.parametrize("kind", ["bad_json", "unknown_tool"])
async def test_malformed_tool_call_becomes_an_error_not_an_exception(llm: LocalLLM, kind: Any) -> None:
    llm.enqueue(Fault.malformed_tool_call(kind, name="request_check"))

    (call,) = calls(await run(make(llm)))

    assert call.arguments is None and call.error
    assert ("not valid JSON" if kind == "bad_json" else "Unknown tool") in call.error


async def test_429_is_retried_by_the_sdk_then_succeeds(llm: LocalLLM) -> None:
    llm.enqueue(Fault.status(429, retry_after=0.01), Reply(text="Second time lucky."))
    narrator = make(llm, max_retries=2)

    events = await run(narrator)

    assert "".join(texts(events)) == "Second time lucky."
    assert [r.status for r in llm.requests] == [429, 200]
    assert narrator.breaker.state == "closed" and narrator.breaker.failures == 0


async def test_500_after_retries_is_unavailable(llm: LocalLLM) -> None:
    llm.enqueue(*[Fault.status(500, retry_after=0.01)] * 3)

    error, seen = await fails(make(llm, max_retries=2))

    assert error.reason == "server error" and not error.partial and seen == []
    assert len(llm.requests) == 3


async def test_timeout_is_unavailable(llm: LocalLLM) -> None:
    llm.enqueue(Fault.timeout(5))
    error, _ = await fails(make(llm, timeout=0.3))
    assert error.reason == "slow start" and not error.partial  # not a word in time: the first-token bound


async def test_the_first_token_is_bounded_apart_from_the_whole_call(llm: LocalLLM) -> None:
    slow_start = OpenAINarrator(
        api_key="k", model="m", base_url=llm.base_url, max_retries=0, timeout=30, first_token_timeout=0.3
    )
    llm.enqueue(Reply(text="late", delay_first_token=2))
    error, _ = await fails(slow_start)
    assert error.reason == "slow start" and "no first token in 0.3 s" in error.detail
    # Once the first token is in, only the whole-call bound applies: a slow writer finishes.
    llm.enqueue(Reply(text="drip " * 8, chunk_size=5, delay_between_chunks=0.1))
    events = [event async for event in slow_start.stream(MESSAGES, [])]
    assert "".join(texts(events)).split() == ["drip"] * 8
    usage = events[-1]
    assert isinstance(usage, Usage) and usage.first_token_seconds is not None
    await slow_start.aclose()


async def test_the_whole_turn_is_bounded_not_just_each_read(llm: LocalLLM) -> None:
    # Every chunk arrives well within the read timeout, but the turn as a whole takes too long.
    llm.enqueue(Reply(text="drip " * 40, chunk_size=5, delay_between_chunks=0.03))
    error, seen = await fails(make(llm, timeout=0.4))
    assert error.reason == "timeout" and error.partial and texts(seen)


async def test_dropped_stream_after_some_text_is_partial(llm: LocalLLM) -> None:
    llm.enqueue(Fault.drop_after(3, Reply(text="You hear a distant rumble...", chunk_size=4)))

    error, seen = await fails(make(llm))

    assert error.reason == "connection dropped" and error.partial
    assert "".join(texts(seen)) == "You hear"


async def test_garbage_is_unavailable(llm: LocalLLM) -> None:
    llm.enqueue(Fault.garbage())
    error, seen = await fails(make(llm))
    assert error.reason == "garbage" and not error.partial and seen == []


async def test_unreachable_server() -> None:
    async with LocalLLM() as gone:
        pass  # stopped: its port now refuses connections
    error, _ = await fails(make(gone))
    assert error.reason == "unreachable"
    with pytest.raises(NarratorUnavailable):
        await make(gone).probe()


async def test_breaker_opens_fails_fast_then_half_opens(llm: LocalLLM) -> None:
    clock = FakeClock()
    narrator = make(llm, breaker=CircuitBreaker(failure_threshold=3, reset_after=30.0, clock=clock))
    llm.enqueue(*[Fault.status(500)] * 3)
    for _ in range(3):
        error, _ = await fails(narrator)
        assert error.reason == "server error"
    assert narrator.breaker.state == "open" and len(llm.requests) == 3

    error, _ = await fails(narrator)
    assert error.reason == "circuit open"
    assert len(llm.requests) == 3  # failed fast: no request went out

    clock.now += 30
    assert narrator.breaker.state == "half-open"
    llm.enqueue(Fault.status(500))
    error, _ = await fails(narrator)  # the trial fails: open again
    assert error.reason == "server error" and len(llm.requests) == 4
    assert (await fails(narrator))[0].reason == "circuit open" and len(llm.requests) == 4

    clock.now += 30
    events = await run(narrator)  # the trial succeeds: closed
    assert texts(events) and narrator.breaker.state == "closed" and len(llm.requests) == 5


async def test_probe_measures_latency(llm: LocalLLM) -> None:
    narrator = make(llm)
    assert await narrator.probe() >= 0.0
    await narrator.aclose()


def test_factory_picks_by_api_key(llm: LocalLLM) -> None:
    keyed = Settings(  # type: ignore[call-arg]
        _env_file=None,
        openai_api_key=SecretStr("sk-test"),
        openai_base_url=llm.base_url,
        openai_model="gpt-4.1-mini",
        openai_timeout_seconds=7,
        openai_max_retries=1,
        narrator_breaker_failures=5,
    )
    narrator = build_narrator(keyed)
    assert isinstance(narrator, OpenAINarrator)
    assert (narrator.name, narrator.model, narrator.timeout, narrator.breaker.failure_threshold) == (
        "openai",
        "gpt-4.1-mini",
        7,
        5,
    )
    assert isinstance(build_narrator(Settings(_env_file=None)), OfflineNarrator)  # type: ignore[call-arg]
    assert fallback().name == "offline"


async def test_a_caller_that_stops_early_is_not_a_failure(llm: LocalLLM) -> None:
    llm.enqueue(Reply(text="A long tale " * 20, chunk_size=4), Reply(text="Next turn."))
    narrator = make(llm)
    stream = narrator.stream(MESSAGES, NARRATOR_TOOLS)
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    assert narrator.breaker.failures == 0
    assert "".join(texts(await run(narrator))) == "Next turn."
