"""What an endpoint supports, asked of it (`bot.narrator.capabilities`), and the decision schema against a server
that compiles it as llama.cpp does (`bot.sandbox.structured`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from bot.engine.memory import PromptBudget
from bot.narrator import NARRATOR_TOOLS, OpenAINarrator, TextDelta
from bot.narrator.capabilities import probe_capabilities, read_context_window
from bot.narrator.decision import decision_response_format, decision_schema, parse_decision
from bot.sandbox.llm import LocalLLM, Reply
from bot.sandbox.structured import check_instance, minimal_instance


@pytest.fixture
async def llm() -> AsyncIterator[LocalLLM]:
    async with LocalLLM(context_tokens=4096) as server:
        yield server


def narrator_on(llm: LocalLLM, **extra: Any) -> OpenAINarrator:
    return OpenAINarrator(api_key="k", model="local-model", base_url=llm.base_url, max_retries=0, **extra)


async def test_the_context_window_is_read_from_llama_cpp_props(llm: LocalLLM) -> None:
    assert await read_context_window(llm.base_url, "local-model") == (4096, "llama.cpp /props n_ctx")
    llm.context_tokens = None  # a server that does not say
    window, why = await read_context_window(llm.base_url, "local-model")
    assert window is None and "OPENAI_CONTEXT_TOKENS" in why
    narrator = narrator_on(llm, context_tokens=16384)  # the setting wins, and no request is made
    assert await narrator.context_window_and_source() == (16384, "OPENAI_CONTEXT_TOKENS")
    await narrator.aclose()


async def test_the_probe_reports_what_the_server_supports(llm: LocalLLM) -> None:
    narrator = narrator_on(llm)
    found = await probe_capabilities(narrator)
    await narrator.aclose()
    assert found.json_schema and found.streaming_usage and found.context_tokens == 4096
    assert found.tools.startswith("as text")  # accepted, but this server's default reply calls nothing
    assert found.mode == "json_schema (auto)"
    assert any(line.startswith("context window: 4,096 tokens") for line in found.lines())


async def test_a_server_that_refuses_json_schema_is_reported_and_text_is_chosen(llm: LocalLLM) -> None:
    from bot.sandbox.llm import Fault

    llm.enqueue(Fault.status(400, body={"error": {"message": "response_format not supported", "type": "x"}}))
    narrator = narrator_on(llm)
    found = await probe_capabilities(narrator)
    await narrator.aclose()
    assert not found.json_schema and found.mode.startswith("text")
    assert any("json_schema probe: BadRequestError" in line for line in found.lines())


async def test_the_decision_schema_compiles_and_its_smallest_answer_is_an_empty_decision(llm: LocalLLM) -> None:
    narrator = narrator_on(llm)
    messages = [{"role": "user", "content": "I climb the wall."}]
    stream = narrator.stream(messages, [], response_format=decision_response_format(), raw_text=True)
    text = "".join([e.text async for e in stream if isinstance(e, TextDelta)])
    await narrator.aclose()
    assert json.loads(text) == {"checks": [], "calls": []}
    assert parse_decision(text).calls == [] and parse_decision(text).error is None
    assert minimal_instance(decision_schema()) == {"checks": [], "calls": []}


async def test_a_scripted_answer_that_breaks_the_schema_is_a_server_error(llm: LocalLLM) -> None:
    """A grammar could never produce it, so the local server will not pretend it could."""
    llm.enqueue(Reply(text='{"checks": [{"character": "Mira", "skill_or_ability": "juggling", "dc": 15}]}'))
    client = openai.AsyncOpenAI(api_key="k", base_url=llm.base_url, max_retries=0)
    request: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(openai.InternalServerError, match="breaks the requested response_format"):
        await client.chat.completions.create(**{**request, "response_format": decision_response_format()})
    with pytest.raises(openai.BadRequestError, match="must be one of"):
        await client.chat.completions.create(**{**request, "response_format": {"type": "xml"}})
    await client.close()


def test_every_tool_call_the_schema_admits_is_one_the_engine_validates() -> None:
    schema = decision_schema()
    heal = {"tool": "heal", "arguments": {"target": "Mira", "amount": 4}}
    good = {
        "checks": [{"character": "Mira", "skill_or_ability": "athletics", "dc": 15, "reason": "r"}],
        "calls": [heal],
    }
    assert check_instance(good, schema) == []
    assert [call.ok for call in parse_decision(json.dumps(good)).calls] == [True, True]
    wrong = {"checks": [], "calls": [{"tool": "heal", "arguments": {"target": "Mira"}}]}
    assert check_instance(wrong, schema)  # the grammar would not let the amount be left out
    assert not parse_decision(json.dumps(wrong)).calls[0].ok  # nor would the engine accept it


def test_the_prompt_budget_fits_under_the_context_window() -> None:
    budget = PromptBudget(6000, NARRATOR_TOOLS, reply_tokens=800)
    assert budget.budget_for(None) == 6000
    assert budget.budget_for(32768) == 6000
    assert budget.budget_for(4096) == 4096 - 800 - 400  # room for the reply and the turn's tail
