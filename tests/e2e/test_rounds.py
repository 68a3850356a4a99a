"""Several players, one story (issue 14): a campaign played in rounds, through the local Discord on SQLite with
the offline narrator. Each party member acts or passes; the round closes when everyone has, after its time, or
by the DM; one narration resolves every act in order with each character's checks; the spotlight moves on; an
acted player waits; the open round survives in the database; a retcon undoes a round as it undoes a turn."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import select, update

from bot.engine.rounds import RoundState
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import Message
from bot.testbed.harness import SandboxSession
from persistence.models import Campaign, CampaignEvent, CampaignTurn

TRACE = "🎲 What the dice said"


def traced(handle: InteractionHandle) -> bool:
    return any(e.get("title") == TRACE for m in handle.messages for e in m.embeds)


def everything(handle: InteractionHandle) -> str:
    return " ".join([handle.content, *(json.dumps(e) for m in handle.messages for e in m.embeds)])


def trace_lines(handle: InteractionHandle) -> list[str]:
    embed = next(e for m in handle.messages for e in m.embeds if e.get("title") == TRACE)
    return str(embed.get("description") or "").splitlines()


async def act(s: SandboxSession, user: str, action: str) -> InteractionHandle:
    return await s.run("narrate", {"action": action}, user=user)


async def told(handle: InteractionHandle) -> InteractionHandle:
    await handle.wait_for(traced, timeout=20)
    return handle


async def rounds_table(s: SandboxSession, minutes: int = 10) -> None:
    await s.make_character("alice", "Mira", race="human")
    await s.make_character("bob", "Bram", race="human")
    await s.run("campaign create", {"name": "Goblin Hill"}, user="dungeonmaster")
    await s.run("campaign join", user="alice")
    await s.run("campaign join", user="bob")
    settings = await s.run("dm settings", {"pace": "rounds", "round_minutes": minutes}, user="dungeonmaster")
    assert "rounds" in everything(settings), everything(settings)


async def state(s: SandboxSession) -> RoundState:
    async with s.services.db.transaction() as tx:
        row = (await tx.scalars(select(Campaign).where(Campaign.status == "active"))).one()
        return RoundState.of(row.round_state)


async def test_a_round_waits_for_everyone_then_one_narration_resolves_both_acts_with_their_checks(
    sqlite_session: SandboxSession,
) -> None:
    s = sqlite_session
    await rounds_table(s)
    first = await act(s, "alice", "I climb the slick bell tower")
    assert not first.ephemeral and "Round 1" in first.content and "Mira" in first.content
    assert "Waiting for: Bram" in first.content, first.content
    assert len((await state(s)).entries) == 1  # the open round is in the database, not in memory only
    info = everything(await s.run("campaign info", user="bob"))
    assert "Round 1" in info and "Ready: Mira" in info and "waiting for: Bram" in info, info
    again = await act(s, "alice", "I also jump down")
    assert again.ephemeral and "has acted" in again.content and "waiting for Bram" in again.content, again.content
    last = await told(await s.invoke("narrate", {"action": "I sneak past the sleeping goblins"}, user="bob"))
    text = last.content
    assert "Round 1" in text and text.index("Mira") < text.index("Bram"), text  # the order they came in
    checks = [line for line in trace_lines(last) if "check vs DC" in line]
    assert any("Mira" in c and "Athletics" in c for c in checks) and any("Bram" in c and "Stealth" in c for c in checks)
    assert "Round 1" in json.dumps(last.messages[-1].embeds)  # the trace says which round it told
    assert (await state(s)).entries == ()
    async with s.services.db.transaction() as tx:
        turns = (await tx.scalars(select(CampaignTurn))).all()
        actions = (await tx.scalars(select(CampaignEvent).where(CampaignEvent.kind == "action"))).all()
    assert len(turns) == 1 and {a.actor_id for a in actions} == {s.user_id("alice"), s.user_id("bob")}


async def test_the_spotlight_moves_on_a_pass_and_the_dm_closes_a_round(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await rounds_table(s)
    await act(s, "alice", "I search the altar for runes")
    await told(await s.invoke("narrate", {"action": "I listen at the crypt door"}, user="bob"))
    # Round 2: Mira is first in again, but she led round 1: Bram's act is told first this time.
    await act(s, "alice", "I read the runes aloud")
    second = await told(await s.invoke("narrate", {"action": "I search the pews for tracks"}, user="bob"))
    assert second.content.index("Bram") < second.content.index("Mira"), second.content
    # Round 3: Bram passes, then the round resolves at Mira's act with his pass told.
    passed = await s.run("pass", user="bob")
    assert not passed.ephemeral and "passes" in passed.content
    third = await told(await s.invoke("narrate", {"action": "I search the crypt for a hidden door"}, user="alice"))
    assert "Bram holds back this round." in third.content, third.content
    # Round 4: the DM closes it with one act in; Bram passes by default.
    await act(s, "bob", "I search the sacristy")
    refused = await s.run("dm end-round", user="alice")
    assert refused.ephemeral and "Only the DM" in refused.content
    closed = await told(await s.invoke("dm end-round", user="dungeonmaster"))
    assert "closed by the DM" in closed.content and "Mira holds back" in closed.content, closed.content
    nothing = await s.run("dm end-round", user="dungeonmaster")
    assert nothing.ephemeral and "No round is open" in nothing.content


async def test_a_round_past_its_time_closes_and_a_retcon_undoes_it_like_a_turn(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await rounds_table(s, minutes=5)
    await act(s, "alice", "I climb the slick bell tower")
    async with s.services.db.transaction() as tx:  # the clock moves on: the round's five minutes are over
        row = (await tx.scalars(select(Campaign).where(Campaign.status == "active"))).one()
        opened = RoundState.of(row.round_state)
        assert opened.opened_at is not None
        late = {**opened.to_json(), "opened_at": (opened.opened_at - timedelta(minutes=6)).isoformat()}
        await tx.execute(update(Campaign).where(Campaign.id == row.id).values(round_state=late))
    view = await s.services.campaign.rounds.close_due(row.id)  # what the cog's timer calls when the time is up
    assert view is not None and view.ticket is not None and view.ticket.passed == ("Bram",)
    assert await s.services.campaign.rounds.close_due(row.id) is None  # closed once, never twice
    # The retcon undoes the round's changes and strikes it from the story, as for a turn.
    await act(s, "alice", "I climb the ivy to the window")
    told_round = await told(await s.invoke("narrate", {"action": "I sneak past the goblins"}, user="bob"))
    assert "Round" in told_round.content
    undone = await s.run("dm retcon", user="dungeonmaster")
    assert "Round 2 (turn 1) is retconned" in everything(undone), everything(undone)
    recap = everything(await s.run("recap", user="bob"))
    assert "ivy" not in recap and "sneak past" not in recap, recap


async def test_pass_in_a_campaign_of_turns_says_how_to_switch(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await s.make_character("alice", "Mira", race="human")
    await s.run("campaign create", {"name": "Goblin Hill"}, user="dungeonmaster")
    await s.run("campaign join", user="alice")
    reply = await s.run("pass", user="alice")
    assert reply.ephemeral and "pace:rounds" in reply.content, reply.content
    turn = await told(await s.invoke("narrate", {"action": "I climb the wall"}, user="alice"))
    assert "Round" not in turn.content  # one turn per action, as before


async def test_a_round_nobody_finishes_is_told_in_the_channel_when_its_time_is_up(
    sqlite_session: SandboxSession,
) -> None:
    s = sqlite_session
    await rounds_table(s, minutes=5)
    await act(s, "alice", "I climb the slick bell tower")
    cog = cast(Any, s.bot.get_cog("NarrationCog"))  # an extension's module is its own copy: no isinstance
    assert cog is not None
    campaign_id = next(iter(cog.timers))  # the round's timer, sleeping until its five minutes are up
    cog.timers.pop(campaign_id).cancel()  # as if the bot had restarted: no timer, the round in the database
    async with s.services.db.transaction() as tx:  # ...which they are now
        row = await tx.get(Campaign, campaign_id)
        assert row is not None
        opened = RoundState.of(row.round_state)
        assert opened.opened_at is not None
        row.round_state = {**opened.to_json(), "opened_at": (opened.opened_at - timedelta(minutes=6)).isoformat()}
    await cog.on_ready()  # a restarted bot arms the timers of the rounds left open
    await cog.timers[campaign_id]  # due already: it closes the round and tells it in the channel

    posted: list[Message] = [
        m for m in s.discord.messages(s.channel_id(), ephemeral=False) if "its time is up" in m.content
    ]
    assert len(posted) == 1, [m.content for m in s.discord.messages(s.channel_id())]
    story = posted[0].content
    assert "Round 1" in story and "Mira" in story and "Bram holds back this round." in story, story
    assert any(e.get("title") == TRACE for e in posted[0].embeds)
    assert (await state(s)).entries == ()


async def test_two_players_acting_at_once_make_one_round_and_one_narration(sqlite_session: SandboxSession) -> None:
    s = sqlite_session
    await rounds_table(s)
    both = await asyncio.gather(
        s.invoke("narrate", {"action": "I climb the slick bell tower"}, user="alice"),
        s.invoke("narrate", {"action": "I sneak past the sleeping goblins"}, user="bob"),
    )
    for handle in both:
        await handle.wait_for(lambda h: traced(h) or any("Waiting for" in m.content for m in h.messages), timeout=20)
    told_it = [h for h in both if traced(h)]
    assert len(told_it) == 1 and [h for h in both if "Waiting for" in h.content], [h.content for h in both]
    text = told_it[0].content
    assert "Mira" in text and "Bram" in text and "Round 1" in text, text
    assert (await state(s)).entries == () and (await state(s)).number == 2
