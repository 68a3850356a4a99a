"""Two-phase turns end to end: the decision in a JSON schema, the engine's rolls, then prose with no tool schemas.

The real bot through the local Discord, the real `openai` client against the local LLM server, which honours
`response_format` as llama.cpp does (a scripted reply that breaks the schema would be a 500)."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from test_narrate_e2e import finished, seat_players, story, trace

from bot.sandbox.llm import Fault, LocalLLM, Reply
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
async def llm() -> AsyncIterator[LocalLLM]:
    async with LocalLLM() as server:
        yield server


def table_settings(postgres_url: str, redis_url: str, key_prefix: str, llm: LocalLLM, **extra: Any) -> Any:
    return isolated_settings(
        postgres_url,
        redis_url=redis_url,
        rate_redis_key_prefix=key_prefix,
        openai_api_key="sk-local",
        openai_base_url=llm.base_url,
        openai_model="local-model",
        openai_max_retries=0,
        narration_edit_interval_seconds=0.05,
        narrator_breaker_failures=100,
        **({"daily_token_budget": 1_000_000} | extra),  # the host's ceiling: a server's admins may only lower it
    )


@pytest.fixture
async def table(postgres_url: str, redis_url: str, key_prefix: str, llm: LocalLLM) -> AsyncIterator[SandboxSession]:
    async with running_bot(table_settings(postgres_url, redis_url, key_prefix, llm), rng=random.Random(3)) as session:
        await seat_players(session)
        llm.reset()
        yield session
        session.discord.assert_no_violations()


def deciding(body: dict[str, Any]) -> bool:
    return "DECISION STEP" in str(body["messages"][-1]["content"])


def decision(*checks: dict[str, Any], calls: list[dict[str, Any]] | None = None) -> Reply:
    return Reply(text=json.dumps({"checks": list(checks), "calls": calls or []}))


async def narrate(session: SandboxSession, action: str, user: str = "alice") -> Any:
    handle = await session.invoke("narrate", {"action": action}, user=user)
    await handle.wait_for(finished, timeout=15)
    return handle


async def test_the_decision_is_asked_in_a_schema_and_the_prose_without_tools(
    table: SandboxSession, llm: LocalLLM
) -> None:
    sneak = {"character": "Mira", "skill_or_ability": "stealth", "dc": 12, "reason": "past the ghoul"}
    llm.enqueue(decision(sneak), Reply(text="Mira slips through the shadows.", chunk_size=4))
    handle = await narrate(table, "I sneak past the ghoul")
    first, second = llm.requests
    assert first.body["response_format"]["type"] == "json_schema"
    assert "tools" not in first.body and "tools" not in second.body and "response_format" not in second.body
    # One prefix for both calls (a prefix cache reuses it); only the tail differs.
    assert first.messages[:-1] == second.messages[:-1]
    tail = second.messages[-1]["content"]
    assert tail.startswith("ENGINE RESULTS") and "Stealth" in tail and "DC 12" in tail
    assert "Stealth check vs DC 12" in trace(handle)["description"]
    assert "Mira slips through the shadows." in story(handle)
    assert "{" not in story(handle)


async def test_an_action_that_needs_a_check_gets_one_when_the_model_asks_none(
    table: SandboxSession, llm: LocalLLM
) -> None:
    llm.enqueue(decision(), Reply(text="Mira climbs."))
    handle = await narrate(table, "I climb the slippery wall of the well")
    assert "Athletics check vs DC" in trace(handle)["description"]  # the engine's own classification
    assert "Athletics" in llm.requests[1].messages[-1]["content"]


async def test_a_check_only_for_another_players_character_still_gets_the_actors_own(
    table: SandboxSession, llm: LocalLLM
) -> None:
    bram = {"character": "Bram", "skill_or_ability": "athletics", "dc": 10, "reason": "Bram lifts Mira"}
    llm.enqueue(decision(bram), Reply(text="The wall looms."))
    handle = await narrate(table, "I climb the slippery wall of the well")
    tail = llm.requests[1].messages[-1]["content"]
    assert "- Mira: Athletics check vs DC" in tail  # the acting character's, from the engine's classification
    assert "**Mira**: Athletics check vs DC" in trace(handle)["description"]


async def test_a_quiet_action_needs_no_check(table: SandboxSession, llm: LocalLLM) -> None:
    llm.enqueue(decision(), Reply(text="The chapel bell is silent."))
    handle = await narrate(table, "I hum a song and sit by the fire")
    assert "nothing was rolled" in llm.requests[1].messages[-1]["content"]
    assert "The chapel bell is silent." in story(handle)


async def test_a_server_that_refuses_json_schema_is_asked_in_text_from_then_on(
    table: SandboxSession, llm: LocalLLM
) -> None:
    refused = {"error": {"message": "response_format type must be one of text or json_object", "type": "x"}}
    sneak = {"character": "Mira", "skill_or_ability": "stealth", "dc": 14, "reason": "quietly"}
    written = f"Sure! ```json\n{json.dumps({'checks': [sneak], 'calls': []})}\n```"
    llm.enqueue(Fault.status(400, body=refused), Reply(text=written), Reply(text="Mira waits."))
    handle = await narrate(table, "I sneak past the ghoul")
    assert "Stealth check vs DC 14" in trace(handle)["description"]
    assert "response_format" not in llm.requests[1].body
    assert "like: {" in llm.requests[1].messages[-1]["content"]  # the text mode's example
    llm.reset()
    llm.enqueue(decision(), Reply(text="Nothing stirs."))
    await narrate(table, "I wait by the door")
    assert "response_format" not in llm.requests[0].body  # learned: no second refusal


async def test_the_reply_shows_the_dm_thinking_until_the_first_word(table: SandboxSession, llm: LocalLLM) -> None:
    slow = Reply(text=json.dumps({"checks": [], "calls": []}), delay_first_token=1.2)
    llm.enqueue(slow, Reply(text="A cold wind."))
    handle = await table.invoke("narrate", {"action": "I wait by the door"}, user="alice")
    await handle.wait_for(finished, timeout=15)
    edits = [edit.get("content") or "" for m in handle.messages for edit in m.edits]
    assert any(text.startswith("🎲 The DM reads the scene…") for text in edits)
    assert "A cold wind." in story(handle) and "🎲 The DM" not in story(handle)


async def test_a_slow_first_token_falls_back_and_says_why(
    postgres_url: str, redis_url: str, key_prefix: str, llm: LocalLLM
) -> None:
    settings = table_settings(postgres_url, redis_url, key_prefix, llm, narrator_first_token_seconds=0.5)
    async with running_bot(settings, rng=random.Random(4)) as session:
        await seat_players(session)
        llm.reset()
        llm.enqueue(Reply(text=json.dumps({"checks": [], "calls": []}), delay_first_token=3))
        handle = await narrate(session, "I wait by the door")
        assert "had not begun to answer in time" in story(handle)
        session.discord.assert_no_violations()


async def test_a_server_that_ignores_json_schema_still_gets_the_engines_check(
    table: SandboxSession, llm: LocalLLM
) -> None:
    llm.ignore_response_format = True  # it answers the decision in prose, as a server without structured outputs
    llm.enqueue(Reply(text="Mira scales the wall and reaches the top."), Reply(text="The rope sways."))
    handle = await narrate(table, "I climb the slippery wall of the well")
    assert "Athletics check vs DC" in trace(handle)["description"]
    assert "Mira scales the wall" not in story(handle)  # the decision's text is never shown
    llm.reset()
    llm.enqueue(decision(), Reply(text="Quiet."))
    await narrate(table, "I wait by the door")
    assert "response_format" not in llm.requests[0].body  # auto asked in text from then on


async def test_the_story_call_reuses_the_decisions_prefix_and_the_next_turn_most_of_it(
    postgres_url: str, redis_url: str, key_prefix: str
) -> None:
    """Against a server with llama.cpp's one-slot prefix cache: what each call really has to evaluate."""
    async with LocalLLM(prefix_cache=True) as cached:
        settings = table_settings(postgres_url, redis_url, key_prefix, cached)
        async with running_bot(settings, rng=random.Random(6)) as session:
            await seat_players(session)
            cached.reset()
            for action in ("I open the chapel door", "I wait by the door"):
                cached.enqueue(decision(), Reply(text="The hinges groan."))
                await narrate(session, action)
            session.discord.assert_no_violations()
    timings = [r.timings for r in cached.requests]
    assert all(t is not None for t in timings) and len(timings) == 4
    first_decision, first_story, next_decision, next_story = (t or {} for t in timings)
    for story_call in (first_story, next_story):  # the story shares the decision's whole prompt but its tail
        assert story_call["prompt_n"] < 150 < story_call["cache_n"], story_call
    # The next turn keeps the rules, the scene and the record up to the events the last turn added.
    assert next_decision["cache_n"] > next_decision["prompt_n"], next_decision
    assert next_decision["prompt_n"] < first_decision["prompt_n"] + first_decision["cache_n"]
