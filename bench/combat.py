"""A round of combat with 6 combatants through the local Discord, next to a bare discord.py bot in the same run.

One round: four players `/combat join` (initiative from their sheets), the DM starts round 1 with `/combat next`,
then every combatant takes a turn in initiative order: a player `/attack`s an ogre and ends the turn with
`/combat next`; the DM ends each ogre's turn. That is 15 interactions, and each one that changes the fight
also edits the fight's one tracker message. dmbot runs as in production: Postgres, the Redis rate limiter,
every roll logged. The bare bot answers `/ping` with a constant: its figures are the floor.

Figures: the median and p99 of each command's round trip (dispatch → the bot's response) with the database round
trips it made (BEGIN, statements, COMMIT of its own task: the tracker's coalesced edits and the roll log are
background tasks, not counted), the wall time of a
whole round against 15 sequential bare `/ping`s, and interactions per second with several fights at once
against the bare bot with as many callers.

Usage: .venv/bin/python bench/combat.py [--rounds 30] [--fights 4] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import update

from bench.common import bare_bot_session, response_time
from bot.engine.creation import Choices
from bot.engine.sheet import Actor, name_key
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.server import LocalDiscord
from bot.settings import Settings
from bot.testbed.databases import temporary_postgres
from bot.testbed.harness import SandboxSession, running_bot
from bot.testbed.statements import RoundTrips, counting
from persistence.models import Campaign, Character

PLAYERS = {"alice": "Tordek", "bob": "Brienne", "carol": "Mira", "dave": "Odo"}
MONSTERS = ("ogre", 2)
INTERACTIONS_PER_ROUND = len(PLAYERS) + 1 + len(PLAYERS) + len(PLAYERS) + MONSTERS[1]
TURN = re.compile(r"It's \*\*(.+?)\*\*'s turn")


@dataclass
class Samples:
    by_command: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # round trips of each
    rounds: list[float] = field(default_factory=list)
    interactions: int = 0


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def p99_ms(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


# --- dmbot ------------------------------------------------------------------------------------------


class Table:
    """One channel with a campaign whose DM is `dungeonmaster`, where rounds are played."""

    def __init__(self, session: SandboxSession, channel_id: int, campaign_id: int, party: dict[str, str]) -> None:
        self.session, self.channel, self.campaign, self.party = session, channel_id, campaign_id, party
        self.trips: RoundTrips | None = None  # counting the database round trips of each command (one fight only)
        self.dm = Actor(session.user_id("dungeonmaster"), session.world.guild.id, channel_id)

    async def timed(self, samples: Samples, command: str, options: dict[str, object] | None, user: str) -> str:
        if self.trips is not None:
            self.trips.start()
        handle = await self.session.discord.invoke(
            command, options, user_id=self.session.user_id(user), channel_id=self.channel
        )
        samples.by_command[command].append(await response_time(handle))
        if self.trips is not None:  # the command's own: BEGIN, statements, COMMIT (not the tracker's edits)
            samples.statements[command].append(len(self.trips.of_commands()))
        samples.interactions += 1
        if handle.ephemeral:
            raise RuntimeError(f"/{command} by {user} was refused: {handle.content}")
        return handle.content

    async def round(self, samples: Samples) -> None:
        combat = self.session.services.combat
        combat_id = (await combat.start(self.dm, self.campaign, self.channel)).combat_id
        await combat.add_monsters(self.dm, combat_id, *MONSTERS)
        await self.session.services.board.refresh(self.session.bot, combat_id)
        started = time.perf_counter()
        for user in PLAYERS:
            await self.timed(samples, "combat join", None, user)
        content = await self.timed(samples, "combat next", None, "dungeonmaster")
        owners = {name: user for user, name in self.party.items()}
        for _ in range(len(PLAYERS) + MONSTERS[1]):
            current = TURN.search(content)
            player = owners.get(current.group(1)) if current else None
            if player is not None:
                await self.timed(samples, "attack", {"weapon": "longsword", "target": "Ogre 1"}, player)
            content = await self.timed(samples, "combat next", None, player or "dungeonmaster")
        samples.rounds.append(time.perf_counter() - started)
        await combat.end(self.dm, combat_id)


async def open_table(session: SandboxSession, name: str, number: int) -> Table:
    """A campaign in a channel of its own, with a party of its own (only a campaign's party joins its fights)."""
    guild = session.world.guild
    channel = session.world.add_channel(guild.id, name)
    async with session.services.db.transaction() as db:
        row = Campaign(
            guild_id=guild.id,
            channel_id=channel.id,
            dm_id=session.user_id("dungeonmaster"),
            name=name,
            settings={},
            safety={},
            scene={},
        )
        db.add(row)
        await db.flush()
        campaign_id = row.id
    party = {user: f"{hero} {number}" if number else hero for user, hero in PLAYERS.items()}
    await make_party(session, party, campaign_id)
    return Table(session, channel.id, campaign_id, party)


async def make_party(session: SandboxSession, party: dict[str, str], campaign_id: int) -> None:
    guild = session.world.guild
    if "dave" not in {u.name for u in session.world.users.values()}:
        session.world.add_member(guild.id, name="dave")
    for user, name in party.items():
        actor = Actor(session.user_id(user), guild.id)
        draft = await session.services.characters.start_draft(
            actor, name=name, race="human", klass="fighter", background="acolyte", method="standard"
        )
        await session.services.characters.create(actor, draft, Choices(skills=("athletics", "perception")))
    async with session.services.db.transaction() as db:
        names = [name_key(name) for name in party.values()]
        await db.execute(update(Character).where(Character.name_key.in_(names)).values(campaign_id=campaign_id))


async def dmbot_figures(
    database_url: str, redis_url: str, rounds: int, fights: int, seconds: float
) -> tuple[Samples, float]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        redis_url=redis_url,
        rate_redis_key_prefix=f"dmbot-bench:{uuid.uuid4().hex[:8]}:",
        rate_user_capacity=10**9,
        rate_guild_capacity=10**9,
        log_level="WARNING",
    )
    async with running_bot(settings, rng=random.Random(7)) as session:
        tables = [await open_table(session, f"arena-{i}", i) for i in range(fights)]
        for _ in range(3):  # warm-up
            await tables[0].round(Samples())
        samples = Samples()
        with counting(session.services.db.engine) as trips:
            tables[0].trips = trips
            for _ in range(rounds):
                await tables[0].round(samples)
            tables[0].trips = None
        busy = Samples()
        deadline = time.monotonic() + seconds

        async def keep_playing(table: Table) -> None:
            while time.monotonic() < deadline:
                await table.round(busy)

        started = time.monotonic()
        await asyncio.gather(*(keep_playing(t) for t in tables))
        return samples, busy.interactions / (time.monotonic() - started)


# --- the bare bot -----------------------------------------------------------------------------------


async def bare_figures(rounds: int, callers: int, seconds: float) -> tuple[list[float], list[float], float]:
    """`/ping` latencies, the wall time of 15 sequential pings, and pings per second with `callers` at once."""
    async with bare_bot_session() as discord:
        ping = _pinger(discord)
        for _ in range(20):
            await response_time(await ping())
        latencies: list[float] = []
        round_times: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(INTERACTIONS_PER_ROUND):
                latencies.append(await response_time(await ping()))
            round_times.append(time.perf_counter() - started)
        done = 0
        deadline = time.monotonic() + seconds

        async def caller() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                await response_time(await ping())
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(caller() for _ in range(callers)))
        return latencies, round_times, done / (time.monotonic() - started)


def _pinger(discord: LocalDiscord) -> Callable[[], Awaitable[InteractionHandle]]:
    user, channel = discord.world.user("alice").id, discord.world.guild.channel("tavern").id
    return lambda: discord.invoke("ping", user_id=user, channel_id=channel)


# --- report -----------------------------------------------------------------------------------------


def print_report(bare: tuple[list[float], list[float], float], dmbot: tuple[Samples, float], fights: int) -> None:
    pings, bare_rounds, bare_rate = bare
    samples, rate = dmbot
    base = median_ms(pings)
    print(
        f"== a combat round: 6 combatants ({len(PLAYERS)} players, {MONSTERS[1]} ogres), "
        f"{INTERACTIONS_PER_ROUND} interactions"
    )
    print(f"{'':<24}{'median ms':>10}{'p99 ms':>10}{'ratio':>8}{'n':>7}{'statements':>12}")
    print(f"{'bare bot /ping':<24}{base:>10.2f}{p99_ms(pings):>10.2f}{1.0:>8.2f}{len(pings):>7}")
    for command in ("combat join", "attack", "combat next"):
        values = samples.by_command[command]
        print(
            f"{'dmbot /' + command:<24}{median_ms(values):>10.2f}{p99_ms(values):>10.2f}"
            f"{median_ms(values) / base:>8.2f}{len(values):>7}{statistics.median(samples.statements[command]):>12.0f}"
        )
    bare_round, round_ = median_ms(bare_rounds), median_ms(samples.rounds)
    print(
        f"{'round wall time':<24}{round_:>10.2f}{p99_ms(samples.rounds):>10.2f}{round_ / bare_round:>8.2f}"
        f"{len(samples.rounds):>7}   (bare: {INTERACTIONS_PER_ROUND} pings in {bare_round:.2f} ms)"
    )
    print(
        f"throughput with {fights} fights at once: {rate:.1f} interactions/s; bare bot with {fights} callers: "
        f"{bare_rate:.1f}/s; ratio {rate / bare_rate:.2f}x"
    )


async def main(rounds: int, fights: int, seconds: float, redis_url: str) -> None:
    async with temporary_postgres(prefix="dmbot_bench") as database_url:
        bare = await bare_figures(rounds, fights, seconds)  # bots take turns: discord.py's REST address is global
        dmbot = await dmbot_figures(database_url, redis_url, rounds, fights, seconds)
    print_report(bare, dmbot, fights)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--fights", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="empty: the in-process limiter")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.fights, args.seconds, args.redis_url))
