"""A fight of 8 played as fast as people click: the tracker message stays under Discord's edit limit.

Discord allows about 5 edits of a channel's messages per 5 seconds; past that it answers 429 and
discord.py waits. The tracker's edits are coalesced (bot/ui/coalesce.py), so however fast the turns
go, the tracker is edited at most once per TRACKER_EDIT_INTERVAL, ends on the newest state, and no
reply waits for an edit. Measured here from the local Discord's request log: edits per action, the
closest two edits, the most edits in any 5 s, and the slowest reply.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from bot.engine.sheet import Actor
from bot.testbed.harness import SandboxSession
from bot.ui.combat_views import TRACKER_EDIT_INTERVAL

if TYPE_CHECKING:
    from conftest import PartyCampaign

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CHANNEL = "skirmish"
CLICKS = 40
CLICK_GAP = 0.1  # ten clicks a second: faster than a table of people, slow enough to span several intervals
DISCORD_EDITS_PER_5S = 5


@pytest.fixture
async def fight(session: SandboxSession, campaign_with_party: PartyCampaign) -> AsyncIterator[int]:
    """8 combatants: Tordek and Lia, 6 goblins; round 1 running."""
    async with campaign_with_party(CHANNEL, "Skirmish") as (campaign, channel):
        dm = Actor(session.user_id("dungeonmaster"), session.world.guild.id, channel)
        combat_id = (await session.services.combat.start(dm, campaign, channel)).combat_id
        await session.services.combat.add_monsters(dm, combat_id, "goblin", 6)
        for player in ("alice", "bob"):
            await session.run("combat join", user=player, channel=CHANNEL)
        await session.run("combat next", user="dungeonmaster", channel=CHANNEL)  # round 1
        yield combat_id


async def test_turns_as_fast_as_clicks_stay_under_the_edit_limit(session: SandboxSession, fight: int) -> None:
    board = session.services.board
    await board.settled(fight)
    tracker_id = (await session.services.combat.status(fight)).tracker_message_id
    assert tracker_id is not None
    first = len(session.discord.requests)

    latencies = []
    for _ in range(CLICKS):
        handle = await session.run("combat next", user="dungeonmaster", channel=CHANNEL)
        assert handle.callback is not None and "turn" in handle.messages[-1].content
        latencies.append(handle.callback.at - handle.dispatched_at)
        await asyncio.sleep(CLICK_GAP)
    await board.settled(fight)

    edits = [
        r.time
        for r in session.discord.requests[first:]
        if r.method == "PATCH" and r.path.endswith(f"/messages/{tracker_id}")
    ]
    gaps = [b - a for a, b in itertools.pairwise(edits)]
    busiest = max(sum(1 for t in edits if start <= t < start + 5) for start in edits)
    print(
        f"{CLICKS} turns: {len(edits)} tracker edits ({len(edits) / CLICKS:.2f} per action), closest "
        f"{min(gaps):.2f} s apart, at most {busiest} in 5 s; replies median "
        f"{statistics.median(latencies) * 1000:.0f} ms, slowest {max(latencies) * 1000:.0f} ms"
    )
    assert 3 <= len(edits) <= CLICKS / 5
    assert min(gaps) >= TRACKER_EDIT_INTERVAL * 0.95
    assert busiest < DISCORD_EDITS_PER_5S
    assert max(latencies) < 1.0  # no reply waits for an edit (each is a few ms here; the edits are 1.25 s apart)
    assert session.discord.rate_limited == []  # with Discord's buckets on, not one 429: no reply ever waited on one
    newest = await session.services.combat.status(fight)
    shown = session.discord.message(tracker_id).embeds[0]["title"]
    assert shown == f"⚔️ Combat — round {newest.round}"  # the last edit drew the newest state
