"""The story stays true with the LLM narrator (the real openai client against bot/sandbox/llm.py's scripted
replies): retcons any number of turns back, after the rolling summary has folded them in."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.engine.sheet import Actor, Sheet
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.llm import LocalLLM, Reply, ToolCall
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import Campaign

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
async def llm() -> AsyncIterator[LocalLLM]:
    async with LocalLLM() as server:
        yield server


@pytest.fixture
async def table(postgres_url: str, redis_url: str, key_prefix: str, llm: LocalLLM) -> AsyncIterator[SandboxSession]:
    settings = isolated_settings(
        postgres_url,
        redis_url=redis_url,
        rate_redis_key_prefix=key_prefix,
        openai_api_key="sk-local",
        openai_base_url=llm.base_url,
        openai_model="local-model",
        openai_max_retries=0,
        narration_edit_interval_seconds=0.05,
        narrator_breaker_failures=100,
        summary_refresh_events=2,  # the rolling summary folds in nearly every event
        daily_token_budget=1_000_000,  # the host's ceiling: a server's admins may only lower it
        narrator_decision_mode="tools",  # these scripts play the one-loop turn
    )
    async with running_bot(settings, rng=random.Random(7)) as session:
        guild = session.world.guild.id
        async with session.services.db.transaction() as tx:
            await tx.execute(update(Campaign).where(Campaign.guild_id == guild).values(status="ended"))
        await session.make_character("alice", "Mira", race="human")
        await session.services.campaign.usage.set_budget(guild, 1_000_000)
        await session.run("campaign create", {"name": "The Sunken Crypt"}, user="dungeonmaster")
        await session.run("campaign join", user="alice")
        llm.reset()
        yield session
        session.discord.assert_no_violations()
        async with session.services.db.transaction() as tx:
            await tx.execute(update(Campaign).where(Campaign.guild_id == guild).values(status="ended"))


async def narrate(session: SandboxSession, action: str, user: str = "alice") -> InteractionHandle:
    handle = await session.invoke("narrate", {"action": action}, user=user)
    await handle.wait_for(
        lambda h: any(e.get("title") == "🎲 What the dice said" for m in h.messages for e in m.embeds), timeout=15
    )
    return handle


def everything(handle: InteractionHandle) -> str:
    return " ".join([handle.content, *(json.dumps(e) for m in handle.messages for e in m.embeds)])


async def sheet(session: SandboxSession) -> Sheet:
    return await session.services.characters.get(Actor(session.user_id("alice"), session.world.guild.id))


def after_tools(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return any(m["role"] == "tool" for m in messages[last_user:])


def hurting(reasons: dict[str, tuple[int, str]]) -> Any:
    """A model that answers each action with its own damage (amount, cause) and one sentence of story."""

    def responder(body: dict[str, Any]) -> Reply:
        action = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
        key = next(k for k in reasons if k in action)
        amount, cause = reasons[key]
        if after_tools(body):
            return Reply(text=f"The {cause} bites deep.")
        damage = {"target": "Mira", "amount": amount, "damage_type": "piercing", "reason": cause}
        return Reply(tool_calls=[ToolCall("apply_damage", damage)])

    return responder


async def test_two_retcons_in_a_row_take_both_turns_out_of_the_summary_and_the_recap(
    table: SandboxSession, llm: LocalLLM
) -> None:
    llm.responder = hurting({"altar": (1, "rusty nail"), "tower": (2, "falling slate"), "door": (3, "spiked trap")})
    # only the model's damage: a risky check the engine rolls for "I climb the tower" may hurt too, if failed badly
    await table.run("dm settings", {"consequences": False}, user="dungeonmaster")
    start = (await sheet(table)).hp_current
    for action in ("I search the altar", "I climb the tower", "I open the door"):
        await narrate(table, action)
    assert (await sheet(table)).hp_current == start - 6
    folded = everything(await table.run("recap", user="alice"))
    assert "spiked trap" in folded and "falling slate" in folded
    for number in (3, 2):
        undone = await table.run("dm retcon", user="dungeonmaster")
        assert f"Turn {number}" in everything(undone)
    assert (await sheet(table)).hp_current == start - 1  # both turns' damage undone, exactly
    recap = everything(await table.run("recap", user="alice"))
    assert "rusty nail" in recap, recap
    assert "falling slate" not in recap and "spiked trap" not in recap and "tower" not in recap, recap
    async with table.services.db.transaction() as tx:
        query = select(Campaign.summary).where(Campaign.guild_id == table.world.guild.id, Campaign.status == "active")
        summary = (await tx.scalars(query)).one()
    assert "rusty nail" in summary and "spiked trap" not in summary and "falling slate" not in summary, summary
    llm.responder = hurting({"altar": (1, "rusty nail"), "well": (1, "cold water")})
    llm.reset()
    await narrate(table, "I look down the well")
    prompt = json.dumps(llm.requests[0].messages)  # what the model is told of the story now
    assert "rusty nail" in prompt and "spiked trap" not in prompt and "falling slate" not in prompt, prompt
