"""`/narrate` end to end: the real bot through the local Discord, the real `openai` client against the
local LLM server, on Postgres and Redis. Streaming edits, followups, the trace, outages and two players."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from bot.engine.creation import Choices
from bot.engine.events import state_of
from bot.engine.sheet import Actor, Sheet
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.llm import Fault, LocalLLM, Reply, ToolCall
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import Campaign, CampaignEvent, LlmUsage

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

STORY = "The torchlight gutters as the flooded crypt swallows every sound. "


@pytest.fixture
async def llm() -> AsyncIterator[LocalLLM]:
    async with LocalLLM() as server:
        yield server


async def seat_players(session: SandboxSession) -> None:
    """A clean table: old campaigns of the (reused) sandbox guild ended, Mira for Alice and Bram for Bob."""
    guild = session.world.guild.id
    async with session.services.db.transaction() as tx:
        await tx.execute(update(Campaign).where(Campaign.guild_id == guild).values(status="ended"))
        await tx.execute(delete(LlmUsage).where(LlmUsage.guild_id == guild))
    characters = session.services.characters
    for user, name, klass, skills in (
        ("alice", "Mira", "rogue", ("stealth", "athletics", "acrobatics", "deception")),
        ("bob", "Bram", "fighter", ("athletics", "perception")),
    ):
        actor = Actor(session.user_id(user), guild)
        for summary in await characters.list_characters(actor):
            await characters.delete(actor, summary.name)
        draft = await characters.start_draft(
            actor, name=name, race="human", klass=klass, background="acolyte", method="standard"
        )
        await characters.create(actor, draft, Choices(skills=skills))
    await session.services.campaign.usage.set_budget(guild, 1_000_000)
    await session.run("campaign create", {"name": "The Sunken Crypt", "tone": "grim"}, user="dungeonmaster")
    await session.run("campaign join", user="alice")
    await session.run("campaign join", user="bob")
    await session.run("dm scene", {"text": "A flooded crypt below the chapel."}, user="dungeonmaster")


@pytest.fixture
async def table(postgres_url: str, redis_url: str, key_prefix: str, llm: LocalLLM) -> AsyncIterator[SandboxSession]:
    settings = isolated_settings(
        postgres_url,
        redis_url=redis_url,
        rate_redis_key_prefix=key_prefix,
        openai_api_key="sk-local",
        openai_base_url=llm.base_url,
        narrator_decision_mode="tools",  # these scripts play the one-loop turn; tests/e2e/test_two_phase.py the other
        openai_model="local-model",
        openai_max_retries=0,
        narration_edit_interval_seconds=0.05,
        narrator_breaker_failures=100,
        narrator_max_tokens=2000,
        daily_token_budget=1_000_000,  # the host's ceiling: a server's admins may only lower it
    )
    async with running_bot(settings, rng=random.Random(5)) as session:
        await seat_players(session)
        llm.reset()
        yield session
        session.discord.assert_no_violations()


async def narrate(session: SandboxSession, action: str, user: str = "alice") -> InteractionHandle:
    handle = await session.invoke("narrate", {"action": action}, user=user)
    await handle.wait_for(finished, timeout=15)
    return handle


def finished(handle: InteractionHandle) -> bool:
    return any(e.get("title") == "🎲 What the dice said" for m in handle.messages for e in m.embeds)


def trace(handle: InteractionHandle) -> dict[str, Any]:
    return next(e for m in handle.messages for e in m.embeds if e.get("title") == "🎲 What the dice said")


def story(handle: InteractionHandle) -> str:
    return "".join(m.content for m in handle.messages)


async def sheet(session: SandboxSession, user: str) -> Sheet:
    return await session.services.characters.get(Actor(session.user_id(user), session.world.guild.id))


def action_of(body: dict[str, Any]) -> str:
    return str(next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user"))


def after_tools(body: dict[str, Any]) -> bool:
    """Whether this request carries tool results for the current action."""
    messages = body.get("messages") or []
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return any(m["role"] == "tool" for m in messages[last_user:])


async def test_the_reply_is_deferred_then_edited_as_the_story_streams(table: SandboxSession, llm: LocalLLM) -> None:
    llm.enqueue(Reply(text=STORY * 6, chunk_size=12, delay_between_chunks=0.01))
    handle = await narrate(table, "I hum a tune by the fire")
    assert handle.callback is not None and handle.callback.type == 5  # deferred at once
    original = handle.original
    assert original is not None and not original.ephemeral
    edits = [edit["content"] for edit in original.edits if edit.get("content")]
    assert edits[0].startswith("🎲 The DM reads the scene…")  # until the first word, the DM is thinking
    texts = [text for text in edits if not text.startswith("🎲 The DM")]
    assert len(texts) >= 3, texts  # the first words, then throttled edits
    assert all(b.startswith(a[: len(a) // 2]) for a, b in itertools_pairs(texts))  # it grows as it streams
    assert texts[0] != texts[-1] and story(handle).strip() == (STORY * 6).strip()
    assert trace(handle)["description"] == "No rolls and no changes this turn."
    request = llm.requests[0]
    assert request.stream and request.stream_options == {"include_usage": True} and request.tools
    assert request.messages[-1]["content"] == "<<<I hum a tune by the fire>>>"


def itertools_pairs(items: list[str]) -> list[tuple[str, str]]:
    return list(itertools.pairwise(items))


async def test_a_long_story_continues_in_followups(table: SandboxSession, llm: LocalLLM) -> None:
    text = " ".join(f"Sentence {i} of a very long tale about the drowned chapel and its bells." for i in range(70))
    llm.enqueue(Reply(text=text, chunk_size=400))
    handle = await narrate(table, "I wait for the tide")
    assert len(handle.messages) >= 3
    assert all(0 < len(m.content) <= 2000 for m in handle.messages)
    assert " ".join(m.content for m in handle.messages).split() == text.split()  # no word lost or cut
    assert handle.messages[-1].embeds and not handle.messages[0].embeds  # the trace ends the last page


async def test_every_number_in_the_trace_comes_from_the_engine(table: SandboxSession, llm: LocalLLM) -> None:
    before = await sheet(table, "alice")

    def responder(body: dict[str, Any]) -> Reply:
        if after_tools(body):
            results = [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]
            total = results[0]["check"]["total"]
            return Reply(text=f"You rolled {total}. A rusty blade nicks you.")
        return Reply(
            tool_calls=[
                ToolCall(
                    "request_check",
                    {"character": "Mira", "skill_or_ability": "stealth", "dc": 12, "reason": "past the ghoul"},
                ),
                ToolCall(
                    "apply_damage",
                    {"target": "Mira", "amount": 3, "damage_type": "slashing", "reason": "a rusty blade"},
                ),
            ]
        )

    llm.responder = responder
    handle = await narrate(table, "I sneak past the ghoul")
    after = await sheet(table, "alice")
    assert after.hp_current == before.hp_current - 3
    description = trace(handle)["description"]
    async with table.services.db.transaction() as tx:
        query = select(CampaignEvent).where(CampaignEvent.kind == "check").order_by(CampaignEvent.id.desc())
        check = (await tx.scalars(query)).first()
    assert check is not None
    assert f"`{check.data['total']}`" in description  # the engine's total, with its breakdown
    assert f"HP {before.hp_current} → {after.hp_current}" in description
    assert f"You rolled {check.data['total']}." in story(handle)


async def test_a_call_written_as_text_is_rolled_by_the_engine_and_never_shown(
    table: SandboxSession, llm: LocalLLM
) -> None:
    """What Qwen2.5-Coder-1.5B wrote on llama.cpp: the call as text, then prose that decided the outcome."""
    check = {"character": "Mira", "skill_or_ability": "acrobatics", "dc": 15, "reason": "the window is high"}
    written = f"<tools>{json.dumps({'name': 'request_check', 'arguments': check})}</tools> The players move slowly"

    def responder(body: dict[str, Any]) -> Reply:
        if after_tools(body):
            return Reply(text="Mira reaches for the sill.", chunk_size=3)
        return Reply(text=written, chunk_size=3)

    llm.responder = responder
    handle = await narrate(table, "I go through the window")  # no check by the engine's rules: the model's
    seen = [edit.get("content") or "" for m in handle.messages for edit in m.edits] + [story(handle)]
    assert not [text for text in seen if "<" in text or "{" in text or "request_check" in text]
    assert "Acrobatics check vs DC 15" in trace(handle)["description"]  # the engine rolled it
    assert "Mira reaches for the sill." in story(handle)


async def test_an_outage_mid_stream_leaves_no_half_applied_turn(table: SandboxSession, llm: LocalLLM) -> None:
    before = state_of(await sheet(table, "alice"))
    llm.enqueue(
        Reply(
            tool_calls=[
                ToolCall("apply_damage", {"target": "Mira", "amount": 5, "damage_type": "acid", "reason": "the slime"})
            ]
        ),
        Fault.drop_after(3, Reply(text="The slime rears up and " * 20, chunk_size=10)),
    )
    handle = await narrate(table, "I poke the slime with a stick")
    assert state_of(await sheet(table, "alice")) == before
    text = story(handle)
    assert "offline narrator answered" in text and "connection dropped" in text
    assert "The slime rears up" not in text
    assert "offline" in trace(handle)["footer"]["text"]


@pytest.mark.parametrize(("fault", "reason"), [(Fault.status(429), "rate limited"), (Fault.status(500), "failed")])
async def test_rate_limits_and_server_errors_fall_back(
    table: SandboxSession, llm: LocalLLM, fault: Fault, reason: str
) -> None:
    llm.enqueue(fault)
    handle = await narrate(table, "I search the altar")
    assert "offline narrator answered" in story(handle) and reason in story(handle)
    assert re.search(r"Investigation check vs DC \d+", trace(handle)["description"])  # offline still rolls


async def test_malformed_tool_calls_are_refused_and_the_turn_goes_on(table: SandboxSession, llm: LocalLLM) -> None:
    before = state_of(await sheet(table, "alice"))
    llm.enqueue(
        Fault.malformed_tool_call("bad_json", name="apply_damage"),
        Reply(tool_calls=[ToolCall("summon_tarrasque", {"count": 99})]),
        Reply(text="Nothing happens."),
    )
    handle = await narrate(table, "I wait")
    assert state_of(await sheet(table, "alice")) == before
    assert story(handle).strip() == "Nothing happens."
    tool_messages = [m for m in llm.requests[2].messages if m["role"] == "tool"]
    assert [json.loads(m["content"])["ok"] for m in tool_messages] == [False, False]
    assert "2 proposals refused" in trace(handle)["description"]


async def test_two_players_at_once_are_narrated_one_after_the_other(table: SandboxSession, llm: LocalLLM) -> None:
    def responder(body: dict[str, Any]) -> Reply:
        action = action_of(body)
        if after_tools(body):
            return Reply(text=f"Done: {action}", delay_first_token=0.05)
        target = "Mira" if "wade" in action else "Bram"
        damage = {"target": target, "amount": 2, "damage_type": "cold", "reason": "icy water"}
        return Reply(tool_calls=[ToolCall("apply_damage", damage)], delay_first_token=0.05)

    llm.responder = responder
    hp = {user: (await sheet(table, user)).hp_current for user in ("alice", "bob")}
    first, second = await asyncio.gather(
        table.invoke("narrate", {"action": "I wade into the water"}, user="alice"),
        table.invoke("narrate", {"action": "I follow Mira"}, user="bob"),
    )
    await asyncio.gather(first.wait_for(finished, 15), second.wait_for(finished, 15))
    assert {user: (await sheet(table, user)).hp_current for user in hp} == {u: h - 2 for u, h in hp.items()}
    turns = [(action_of(r.body), after_tools(r.body)) for r in llm.requests]
    assert [after for _, after in turns] == [False, True, False, True]  # one turn, then the other
    assert turns[0][0] == turns[1][0] and turns[2][0] == turns[3][0]
    later = json.dumps(llm.requests[2].messages, ensure_ascii=False)
    assert "Done: ‹‹‹I wade into the water›››" in later  # the second turn saw the first one's narration, whole
    assert f"HP {hp['alice'] - 2}/" in later  # and its damage


async def test_bad_input_is_refused_privately_and_changes_nothing(table: SandboxSession, llm: LocalLLM) -> None:
    stranger = await table.run("narrate", {"action": "I sneak in"}, user="carol")
    assert stranger.ephemeral and "no character in The Sunken Crypt" in stranger.content
    elsewhere = await table.run("narrate", {"action": "I sneak in"}, user="alice", channel="general")
    assert elsewhere.ephemeral and "no campaign in this channel" in elsewhere.content
    blank = await table.run("narrate", {"action": "\u200b"}, user="alice")
    assert blank.ephemeral and "Say what your character does" in blank.content
    assert not llm.requests


async def test_usage_is_recorded_and_the_budget_turns_the_model_off(table: SandboxSession, llm: LocalLLM) -> None:
    llm.enqueue(Reply(text="A quiet moment.", usage=(1200, 30)))
    await narrate(table, "I rest")
    usage = await table.run("admin usage", user="admin")
    fields = {f["name"]: f["value"] for f in usage.messages[-1].embeds[0]["fields"]}
    assert "1 call\n" in fields["Today"] and "1,200 prompt + 30 completion tokens" in fields["Today"]
    with pytest.raises(PermissionError):  # Manage Server only: Discord hides /admin from players
        await table.run("admin usage", user="alice")
    budget = await table.run("admin budget", {"tokens": 100}, user="admin")
    assert budget.ephemeral and "100 tokens a day" in budget.content
    handle = await narrate(table, "I rest again")
    assert "daily token budget is spent" in story(handle) and len(llm.requests) == 1


async def test_a_one_loop_turn_gets_the_engines_check_when_the_model_asks_none(
    table: SandboxSession, llm: LocalLLM
) -> None:
    """NARRATOR_DECISION_MODE=tools: the engine rolls the check its classification calls for before the model
    speaks, and tells it the result; a model that asks for the same check gets that roll back, not a second one."""

    def responder(body: dict[str, Any]) -> Reply:
        told = " ".join(str(m.get("content")) for m in body["messages"] if m["role"] == "system")
        record = " ".join(str(m.get("content")) for m in body["messages"] if m["role"] == "user")
        assert "already rolled this action's checks" in told and "Mira" not in told  # names are stored text
        assert "ENGINE RESULTS already rolled" in record and "Mira: Athletics check vs DC" in record
        if after_tools(body):
            results = [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]
            assert results[0]["ok"] is True and "rolled this check" in results[0]["note"]
            return Reply(text="Mira reaches the ledge.")
        check = {"character": "Mira", "skill_or_ability": "athletics", "dc": 18, "reason": "the wet wall"}
        return Reply(tool_calls=[ToolCall("request_check", check)])

    llm.responder = responder
    handle = await narrate(table, "I climb the slick wall")
    description = trace(handle)["description"]
    assert description.count("Athletics check") == 1 and "refused" not in description, description
    assert "Mira reaches the ledge." in story(handle)
    async with table.services.db.transaction() as tx:
        checks = (await tx.scalars(select(CampaignEvent).where(CampaignEvent.kind == "check"))).all()
    assert len([c for c in checks if "slick wall" in c.text]) == 1  # rolled once, by the engine
