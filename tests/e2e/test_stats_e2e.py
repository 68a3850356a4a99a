"""`/stats player` and `/stats campaign` through the local Discord: the numbers against the roll log and
the fights' own reports, and the chart attached as a PNG."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from bot import help_catalog as catalog
from bot.engine.combat import InChannel
from bot.engine.sheet import Actor
from bot.engine.stats import natural_d20
from bot.sandbox.commandline import parse
from bot.testbed.harness import SandboxSession
from persistence.models import RollLog

if TYPE_CHECKING:
    from conftest import PartyCampaign

PNG = b"\x89PNG\r\n\x1a\n"
ARENA = "stats-arena"


async def naturals_of(session: SandboxSession, user: str) -> list[int]:
    """The kept d20 of each of the user's rolls on this server, read from the roll log itself."""
    await session.services.rolls.flush()
    async with session.services.db.transaction() as db:
        query = select(RollLog.breakdown).where(
            RollLog.user_id == session.user_id(user), RollLog.guild_id == session.world.guild.id
        )
        breakdowns = (await db.scalars(query)).all()
    return [n[0] for b in breakdowns if (n := natural_d20(b)) is not None]


async def test_a_players_stats_match_the_roll_log_and_carry_a_chart(session: SandboxSession) -> None:
    await session.make_character("alice", "Tordek")
    rolled = await session.run("roll", {"expression": "1d20", "times": 25}, user="alice")
    assert "×25" in rolled.text
    for _ in range(3):
        await session.run("check", {"skill_or_ability": "Athletics"}, user="alice")
    naturals = await naturals_of(session, "alice")
    shown = await session.run("stats player", user="alice", timeout=15)
    message = shown.messages[-1]
    text = shown.text
    mean = sum(naturals) / len(naturals)
    assert f"{len(naturals):,} d20s · average {mean:.2f}" in text
    assert f"nat 20 ×{naturals.count(20)} · nat 1 ×{naturals.count(1)}" in text
    assert "**Tordek**: " in message.embeds[0]["fields"][0]["value"]  # by character: the sheet's rolls
    [chart] = message.attachments
    assert chart.filename == "d20.png" and chart.data.startswith(PNG) and len(chart.data) < 200_000
    assert message.embeds[0]["image"]["url"] == "attachment://d20.png"


async def test_no_rolls_yet_is_a_clear_answer(session: SandboxSession) -> None:
    quiet = await session.run("stats player", {"player": session.user_id("bob")}, user="alice", timeout=15)
    if "no rolls" in quiet.text:  # bob may have rolled in an earlier test of this shared session
        assert "That player has made no rolls on this server yet" in quiet.text
    nowhere = await session.run("stats campaign", user="alice", channel="tavern", timeout=15)
    assert "There is no campaign in this channel" in nowhere.text or "Campaign statistics" in nowhere.text


TORDEK = (("alice", "Tordek", "fighter", "dwarf"),)  # a party of one


@pytest.fixture
async def arena(
    session: SandboxSession, campaign_with_party: PartyCampaign
) -> AsyncIterator[tuple[SandboxSession, int, int]]:
    async with campaign_with_party(ARENA, "Stats Arena", TORDEK) as (campaign, channel):
        yield session, campaign, channel


async def test_a_campaigns_stats_count_the_fights_attacks_damage_and_drops(
    arena: tuple[SandboxSession, int, int],
) -> None:
    session, campaign, channel = arena
    combat = session.services.combat
    dm = Actor(session.user_id("dungeonmaster"), session.world.guild.id, channel)
    alice = Actor(session.user_id("alice"), session.world.guild.id, channel)
    combat_id = (await combat.start(dm, campaign, channel)).combat_id
    await combat.add_monsters(dm, combat_id, "goblin", 1)
    await combat.join(alice, InChannel(channel))
    hits = attacks = dealt = drops = 0
    for _ in range(15):  # the DM acts for Tordek until the goblin drops
        report = await combat.attack(dm, combat_id, "Tordek", "Goblin", "longsword")
        attacks += 1
        hits += report.hit
        if report.damage is not None:
            dealt += report.damage.hp_before - report.damage.hp_after
            drops += report.damage.dropped
            if report.damage.dropped:
                break
    assert drops == 1, "a goblin has 7 HP: fifteen longsword swings drop it"
    shown = await session.run("stats campaign", user="bob", channel=ARENA, timeout=15)
    text = shown.text
    assert "Campaign statistics: Stats Arena" in text and f"⚔️ {attacks} attacks in its fights" in text
    assert f"**Tordek**: {hits}/{attacks} hits" in text and f"dealt {dealt}" in text and "dropped Goblin" in text
    assert f"**Goblin**: 0/0 hits · dealt 0 · took {dealt} · went down ×1" in text
    [chart] = shown.messages[-1].attachments
    assert chart.filename == "damage.png" and chart.data.startswith(PNG)


async def test_the_help_examples_of_stats_run(arena: tuple[SandboxSession, int, int]) -> None:
    """Each /stats example of the catalog (and so of the guides), run as typed, in a campaign's channel."""
    session = arena[0]
    await session.run("roll", {"expression": "1d20"}, user="alice", channel=ARENA)
    for entry in [e for e in catalog.CATALOG if e.topic == "stats"]:
        parsed = parse(entry.example, session.discord.commands())
        shown = await session.run(parsed.path, parsed.options, user="alice", channel=ARENA, timeout=15)
        assert shown.messages[-1].embeds[0]["title"].startswith(("Dice statistics", "Campaign statistics")), entry


async def test_session_end_shows_the_sessions_dice(arena: tuple[SandboxSession, int, int]) -> None:
    session = arena[0]
    started = await session.run("session start", user="dungeonmaster", channel=ARENA, timeout=15)
    assert "begins" in started.text
    rolled = await session.run("roll", {"expression": "1d20", "times": 4}, user="alice", channel=ARENA)
    assert "×4" in rolled.text
    ended = await session.run("session end", user="dungeonmaster", channel=ARENA, timeout=15)
    await ended.wait_for(lambda h: "The dice this session" in h.text, timeout=10)
    dice = ended.messages[-1]
    assert dice.embeds[0]["title"] == "🎲 The dice this session"
    assert "**4 rolls** this session" in dice.embeds[0]["description"]
    assert "4 d20s" in dice.text
