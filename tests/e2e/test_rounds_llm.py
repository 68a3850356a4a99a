"""A round of two players told by the LLM narrator (the real openai client against bot/sandbox/llm.py): one
narration for both acts, each character's check rolled by the engine, in the two-phase turn (decision in a JSON
schema, then prose) and in the one loop with native tools; and a round that falls back to the offline narrator."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from test_narrate_e2e import finished, seat_players, story, trace
from test_two_phase import table_settings

from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.llm import Fault, LocalLLM, Reply
from bot.testbed.harness import SandboxSession, running_bot

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
async def llm() -> AsyncIterator[LocalLLM]:
    async with LocalLLM() as server:
        yield server


@pytest.fixture(params=["json_schema", "tools"])
async def table(
    request: pytest.FixtureRequest, postgres_url: str, redis_url: str, key_prefix: str, llm: LocalLLM
) -> AsyncIterator[SandboxSession]:
    settings = table_settings(postgres_url, redis_url, key_prefix, llm, narrator_decision_mode=request.param)
    async with running_bot(settings, rng=random.Random(4)) as session:
        await seat_players(session)  # Mira (alice) and Bram (bob) in The Sunken Crypt
        await session.run("dm settings", {"pace": "rounds"}, user="dungeonmaster")
        llm.reset()
        yield session
        session.discord.assert_no_violations()


def prose(body: dict[str, Any]) -> bool:
    """The story call of a two-phase turn, or any call of the one loop."""
    return "DECISION STEP" not in str(body["messages"][-1]["content"])


async def play_round(session: SandboxSession) -> InteractionHandle:
    first = await session.run("narrate", {"action": "I climb the slick crypt wall"}, user="alice")
    assert "Waiting for: Bram" in first.content, first.content
    handle = await session.invoke("narrate", {"action": "I sneak past the drowned statues"}, user="bob")
    await handle.wait_for(finished, timeout=20)
    return handle


async def test_one_narration_tells_both_acts_with_each_characters_check(table: SandboxSession, llm: LocalLLM) -> None:
    def responder(body: dict[str, Any]) -> Reply:
        if not prose(body):
            return Reply(text=json.dumps({"checks": [], "calls": []}))  # the model asks for nothing
        return Reply(text="Mira hauls herself up the wall while Bram melts into the shadows.", chunk_size=5)

    llm.responder = responder
    handle = await play_round(table)
    assert "Mira hauls herself up" in story(handle) and "Round 1" in story(handle)
    lines = trace(handle)["description"]
    assert "**Mira**: Athletics check vs DC" in lines and "**Bram**: Stealth check vs DC" in lines, lines
    asked = [r for r in llm.requests if prose(r.body)]
    both = " ".join(str(m.get("content")) for m in asked[0].messages)
    assert "1. Mira: I climb the slick crypt wall" in both and "2. Bram: I sneak past" in both, both
    assert "a round" in both  # the record says whose actions these are and how to resolve them
    decided = [r for r in llm.requests if not prose(r.body)]
    assert all("This is a round" in str(r.messages[-1]["content"]) for r in decided)  # two-phase: the decision


async def test_a_round_the_model_fails_is_told_by_the_offline_narrator_act_by_act(
    table: SandboxSession, llm: LocalLLM
) -> None:
    llm.responder = lambda body: Fault.status(500)
    handle = await play_round(table)
    text = story(handle)
    assert "offline narrator answered" in text and text.index("Mira") < text.index("Bram"), text
    lines = trace(handle)["description"]
    assert "**Mira**:" in lines and "**Bram**:" in lines, lines
