"""The database round trips of each combat command, counted with SQLAlchemy's engine events, so they can't
creep back up: a combat command reads the fight (and locks it) in one query, its combatants with their
characters' rows in a second, and writes the change as an event of the campaign's log (what `/dm retcon` undoes
and recaps tell) whose INSERT carries every changed row's UPDATE as a CTE: one statement on Postgres. Its rolls go
to the batched roll log after the commit. An attack's outcome (for `/stats`: who hit whom for how much) is a row
of its own in the transaction. A read (`/combat status`, the tracker's coalesced edit that follows a change) is one
query.

Each figure is BEGIN + statements + COMMIT of the command's own task, its reply and what it does after it (the
tracker's edits and the roll log's batches run in tasks of their own and are counted apart). Measured before
this test: /combat join 11, /combat next 8, /attack 9, /dm damage 11, a tracker refresh 3; then /combat next 7,
/combat status 2, a tracker refresh 2; then (the event's INSERT carries the rows' UPDATEs as CTEs) /combat join 7,
/combat next 5, /attack 6-7, /dm damage 6; then /combat join 8 (spells cast before a fight: the party's sheets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from bot.engine.sheet import Actor
from bot.sandbox.commandline import parse
from bot.testbed.harness import SandboxSession
from bot.testbed.statements import RoundTrips, counting

if TYPE_CHECKING:
    from conftest import PartyCampaign

# command as typed → the most round trips it may make
BUDGET = {
    # + the joiner's sheet, locked; the party's other sheets (a spell it concentrates on, held by a member who
    # stays out, comes in with it); the combatant's row (then everyone's places, in the event)
    "/combat join": 8,
    "/combat next": 5,  # the turn it compares against comes with the locked fight; the writes are one statement
    "/attack weapon:longsword target:Ogre": 7,  # + the outcome (the monster's hit points are in the event)
    "/dm-combat act monster:Ogre action:Greatclub target:Tordek": 7,  # the same, Tordek's sheet on a hit
    "/dm damage target:Ogre amount:3": 6,  # + the campaign of the channel first; the tracker from the change
    "/combat status": 1,  # a read: the fight with its combatants and their sheets, one query
}
TORDEK = (("alice", "Tordek", "fighter", "dwarf"),)  # a party of one


@pytest.fixture
async def arena(
    session: SandboxSession, campaign_with_party: PartyCampaign
) -> AsyncIterator[tuple[SandboxSession, int]]:
    async with campaign_with_party("round-trips", "Round trips", TORDEK) as (campaign, channel):
        dm = Actor(session.user_id("dungeonmaster"), session.world.guild.id, channel)
        combat_id = (await session.services.combat.start(dm, campaign, channel)).combat_id
        await session.services.combat.add_monsters(dm, combat_id, "ogre", 1)
        yield session, combat_id


async def measured(session: SandboxSession, trips: RoundTrips, line: str, user: str) -> list[str]:
    parsed = parse(line, session.discord.commands())
    await quiet(trips)  # what the last command did after its reply (its tracker refresh) is not this one's
    trips.start()
    handle = await session.run(parsed.path, parsed.options, user=user, channel="round-trips")
    assert not handle.ephemeral or "⚠️" not in handle.content, f"{line}: {handle.content}"
    await quiet(trips)
    return trips.of_commands()


async def quiet(trips: RoundTrips, gap: float = 0.2) -> None:
    """Until the database has been quiet for `gap` seconds."""
    seen = -1
    while seen != len(trips.trips):
        seen = len(trips.trips)
        await asyncio.sleep(gap)


async def test_each_combat_command_keeps_to_its_round_trips(arena: tuple[SandboxSession, int]) -> None:
    session, combat_id = arena
    seen: dict[str, list[str]] = {}
    with counting(session.services.db.engine) as trips:
        seen["/combat join"] = await measured(session, trips, "/combat join", "alice")
        seen["/combat next"] = await measured(session, trips, "/combat next", "dungeonmaster")
        state = await session.services.combat.status(combat_id)
        if state.current is not None and state.current.name != "Tordek":  # the ogre went first
            await session.run("combat next", user="dungeonmaster", channel="round-trips")
        line = "/attack weapon:longsword target:Ogre"
        seen[line] = await measured(session, trips, line, "alice")
        for line in (
            "/dm-combat act monster:Ogre action:Greatclub target:Tordek",
            "/dm damage target:Ogre amount:3",
        ):
            seen[line] = await measured(session, trips, line, "dungeonmaster")
        seen["/combat status"] = await measured(session, trips, "/combat status", "alice")
        await session.services.board.settled(combat_id)
        trips.start()
        await session.services.board.refresh(session.bot, combat_id)
        await session.services.board.settled(combat_id)
        tracker = [t.what for t in trips.trips]
    report = "\n".join(f"{line}: {len(sent)} {sent}" for line, sent in seen.items())
    for line, sent in seen.items():
        assert len(sent) <= BUDGET[line], f"{line} made {len(sent)} round trips (budget {BUDGET[line]}):\n{report}"
    assert len(tracker) <= 1, tracker
