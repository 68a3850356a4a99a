"""`/roll` end to end: the real bot, through the local Discord, logged in the real database."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sandbox.interactions import InteractionHandle
from bot.testbed.harness import SandboxSession
from persistence.models import RollLog

TOTAL = re.compile(r"= `(-?\d+)`")


def embed_of(handle: InteractionHandle) -> dict[str, Any]:
    message = handle.messages[-1]
    assert len(message.embeds) == 1, message
    return dict(message.embeds[0])


async def last_roll_id(session: SandboxSession) -> int:
    """The database lives for the whole test run: each test looks only at rows after this."""
    async with session.services.db.transaction() as db:
        return int(await db.scalar(select(func.coalesce(func.max(RollLog.id), 0))) or 0)


async def roll_rows(session: SandboxSession, user: str, after: int) -> list[RollLog]:
    async with session.services.db.transaction() as db:
        query = select(RollLog).where(RollLog.user_id == session.user_id(user), RollLog.id > after)
        return list((await db.scalars(query.order_by(RollLog.id))).all())


async def wait_for_rows(session: SandboxSession, user: str, count: int, after: int) -> list[RollLog]:
    """The log is written after the reply, so give it a moment."""
    for _ in range(100):
        rows = await roll_rows(session, user, after)
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.02)
    raise AssertionError(f"expected {count} roll log rows for {user}, found {len(rows)}")


async def test_keep_highest_shows_the_breakdown_and_logs_the_roll(session: SandboxSession) -> None:
    before = await last_roll_id(session)
    handle = await session.run("roll", {"expression": "4d6kh3"})
    assert not handle.ephemeral
    embed = embed_of(handle)
    total = int(TOTAL.search(embed["description"]).group(1))  # type: ignore[union-attr]
    assert 3 <= total <= 18
    assert embed["title"] == f"🎲 {total}"
    assert embed["description"].count("~~") == 2
    [row] = await wait_for_rows(session, "alice", 1, before)
    assert (row.expression, row.total, row.guild_id) == ("4d6kh3", total, session.world.guild.id)
    assert row.channel_id == session.channel_id("tavern")
    assert "~~" in row.breakdown


async def test_advantage_label_and_private(session: SandboxSession) -> None:
    before = await last_roll_id(session)
    handle = await session.run(
        "roll", {"expression": "1d20+5", "advantage": True, "label": "Stealth", "private": True}, user="bob"
    )
    assert handle.ephemeral
    embed = embed_of(handle)
    assert embed["title"].startswith("🎲 Stealth: ")
    assert embed["description"].startswith("2d20kh1")
    assert "with advantage" in embed["description"]
    [row] = await wait_for_rows(session, "bob", 1, before)
    assert row.label == "Stealth"


async def test_advantage_and_disadvantage_cancel(session: SandboxSession) -> None:
    handle = await session.run("roll", {"expression": "1d20", "advantage": True, "disadvantage": True})
    assert embed_of(handle)["description"].startswith("1d20 (")


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("1d20+", "a number or dice must follow `+`"),
        ("1d20" + "+1" * 150, "200 is the most"),
        ("1+" * 450 + "1", "200 is the most"),
        ("(" * 30 + "1" + ")" * 30, "nests parentheses"),
        ("1/0", "divide by zero"),
        ("1d1e1", "explode forever"),
        ("1001d6", "too many dice"),
        ("hello @everyone", "not a dice expression"),
    ],
)
async def test_bad_input_gets_a_clear_ephemeral_error_and_logs_nothing(
    session: SandboxSession, expression: str, says: str
) -> None:
    before = await last_roll_id(session)
    handle = await session.run("roll", {"expression": expression}, user="carol")
    assert handle.ephemeral
    assert says in handle.content
    assert "Example" in handle.content
    assert not handle.messages[-1].pings_everyone
    await asyncio.sleep(0.05)
    assert await roll_rows(session, "carol", before) == []


async def test_a_label_that_tries_to_ping_pings_no_one(session: SandboxSession) -> None:
    handle = await session.run("roll", {"expression": "1d4", "label": "@everyone <@&1> **bold"})
    message = handle.messages[-1]
    assert not message.pings_everyone and message.pinged_role_ids == [] and message.pinged_user_ids == []


async def test_the_same_on_sqlite(sqlite_session: SandboxSession) -> None:
    before = await last_roll_id(sqlite_session)
    handle = await sqlite_session.run("roll", {"expression": "2d6+3"})
    total = int(TOTAL.search(embed_of(handle)["description"]).group(1))  # type: ignore[union-attr]
    assert 5 <= total <= 15
    [row] = await wait_for_rows(sqlite_session, "alice", 1, before)
    assert row.total == total


async def test_eight_players_at_once_all_get_answers(session: SandboxSession) -> None:
    for name in ("dave", "erin", "frank", "grace", "heidi"):
        session.world.add_member(session.world.guild.id, name=name)
    players = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
    handles = await asyncio.gather(*(session.run("roll", {"expression": "1d20"}, user=p) for p in players))
    assert all(TOTAL.search(embed_of(h)["description"]) for h in handles)


async def test_ability_scores_six_times_in_one_embed_each_roll_logged(session: SandboxSession) -> None:
    before = await last_roll_id(session)
    handle = await session.run("roll", {"expression": "4D6KH3", "times": 6, "label": "Ability scores"})
    embed = embed_of(handle)
    assert embed["title"] == "🎲 Ability scores ×6"
    totals = [int(t) for t in TOTAL.findall(embed["description"])]
    assert len(totals) == 6 and all(3 <= t <= 18 for t in totals)
    assert embed["description"].endswith("**Totals:** " + ", ".join(map(str, totals)))
    rows = await wait_for_rows(session, "alice", 6, before)
    assert [(r.expression, r.total, r.label) for r in rows] == [("4d6kh3", t, "Ability scores") for t in totals]


async def test_a_group_check_against_a_dc_counts_passes(session: SandboxSession) -> None:
    handle = await session.run("roll", {"expression": "1d20+5 stealth", "times": 3, "dc": 13}, user="bob")
    embed = embed_of(handle)
    lines = embed["description"].split("\n")
    totals = [int(TOTAL.search(line).group(1)) for line in lines[:3]]  # type: ignore[union-attr]
    passes = sum(t >= 13 for t in totals)
    assert embed["title"] == f"🎲 stealth ×3 vs DC 13: {passes} pass, {3 - passes} fail"
    assert [("✅" in line) for line in lines[:3]] == [t >= 13 for t in totals]


async def test_capital_d_and_a_trailing_label(session: SandboxSession) -> None:
    handle = await session.run("roll", {"expression": "2D6+1d4 Fire damage"})
    embed = embed_of(handle)
    total = int(TOTAL.search(embed["description"]).group(1))  # type: ignore[union-attr]
    assert embed["title"] == f"🎲 Fire damage: {total}" and 3 <= total <= 16
    assert embed["footer"]["text"].endswith("rolled 2d6+1d4")


async def test_times_out_of_range_is_refused_by_the_schema(session: SandboxSession) -> None:
    [roll] = [c for c in session.discord.commands() if c["name"] == "roll"]
    times = next(o for o in roll["options"] if o["name"] == "times")
    assert (times["min_value"], times["max_value"]) == (1, 25)
