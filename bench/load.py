"""Load and scale-out: dmbot as `dmbot run` processes against the local Discord, on Postgres and Redis.

single  One dmbot process serving a world of 1,000 guilds. Many players at once, each in a loop,
        send a mix of commands (rolls, checks, character sheets, and narrations when `/narrate`
        exists, on a fixed-delay local LLM) for a fixed time. Prints per command the count, p50 and
        p99 latency (dispatch → the answer complete) and errors (must be zero: no answer, an
        apology, a refusal by Discord, an error in the bot's log), the throughput and the bot's peak
        resident memory (target ≤ 250 MB), next to a bare discord.py bot in the same world and run.
scale   The same mix against 1, 2 and 4 dmbot processes (one shard each) sharing one
        DATABASE_MAX_CONNECTIONS budget: throughput per process count and the peak connections.
two     Two dmbot processes, one shard each, on one database and one Redis: concurrent coin changes
        to one character delivered to both shards lose nothing, and a user refused by the limiter
        on one shard is refused on the other.

Usage: .venv/bin/python bench/load.py [--mode all|single|scale|two] [--connections 40]
       [--seconds 10] [--players 60] [--guilds 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.llm import LocalLLM
from bot.sandbox.server import LocalDiscord
from bot.sandbox.world import Guild, World, default_world
from bot.testbed.databases import temporary_postgres
from persistence.models import Character

DMBOT = str(Path(sys.executable).parent / "dmbot")
# How long the local Discord waits after the bot's last change before a click (only clicks wait, the
# mix is commands): discord.py stores a view once it has read the callback's response, and with 60
# characters made at once on a loaded machine a click 50 ms after the answer found no view yet.
SETUP_REACTION = 1.0
THIS_FILE = str(Path(__file__).resolve())  # the bare bot runs as `python bench/load.py --serve-bare ...`
REDIS_URL = "redis://127.0.0.1:6379/0"
RSS_TARGET_MB = 250.0
APOLOGY = "Something went wrong on our side"
SETTING_NAMES = (  # dmbot settings that must not leak in from the caller's environment or .env
    "DISCORD_TOKEN",
    "DISCORD_API_BASE_URL",
    "DISCORD_GATEWAY_URL",
    "SHARD_COUNT",
    "SHARD_IDS",
    "DATABASE_URL",
    "REDIS_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "HEALTH_PORT",
    "LOG_FORMAT",
    "LOG_LEVEL",
)
EXPRESSIONS = ("1d20+5", "4d6kh3", "2d6+1d4+3", "1d20+7 [slashing]", "8d6")
CHECKS = ("perception", "athletics", "stealth", "insight", "strength", "dexterity")
MIX: tuple[tuple[str, int], ...] = (("roll", 4), ("check", 3), ("character show", 2), ("narrate", 1))
EXTRA_SETTINGS: dict[str, str] = {}  # from the command line, for every dmbot process


# --- dmbot processes ------------------------------------------------------------------------------


def bot_env(discord: LocalDiscord, database_url: str, redis_url: str, **settings: str) -> dict[str, str]:
    """The environment of a `dmbot` process pointed at the local Discord (nothing inherited)."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(
        DISCORD_TOKEN=discord.token,
        DISCORD_API_BASE_URL=discord.api_base_url,
        DISCORD_GATEWAY_URL=discord.gateway_url,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        RATE_REDIS_KEY_PREFIX=f"dmbot-load:{uuid.uuid4().hex[:8]}:",
        HEALTH_PORT="0",
        LOG_FORMAT="json",
        LOG_LEVEL="WARNING",
    )
    env.update({**EXTRA_SETTINGS, **settings})
    return env


class BotProcess:
    """One subprocess (`dmbot run`, or the bare bot), its log file and its memory as the kernel sees it."""

    def __init__(self, proc: asyncio.subprocess.Process, log_path: Path) -> None:
        self.proc = proc
        self.log_path = log_path

    @classmethod
    async def start(cls, args: Sequence[str], env: Mapping[str, str], folder: Path, name: str) -> BotProcess:
        log_path = folder / f"{name}.log"
        with log_path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(*args, env=dict(env), cwd=folder, stdout=log, stderr=log)
        return cls(proc, log_path)

    def memory_mb(self, field: str = "VmHWM") -> float:
        """VmHWM: the peak resident set since the process started; VmRSS: the current one."""
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def error_lines(self) -> list[str]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if '"level": "error"' in line or '"level": "critical"' in line]

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


async def sync_commands(env: Mapping[str, str], folder: Path) -> None:
    sync = await asyncio.create_subprocess_exec(
        DMBOT, "sync", env=dict(env), cwd=folder, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(sync.communicate(), timeout=60)
    if sync.returncode:
        raise RuntimeError(f"dmbot sync failed: {err.decode()[-2000:]}")


@contextlib.asynccontextmanager
async def dmbot_processes(
    discord: LocalDiscord, env: Mapping[str, str], shard_count: int = 1
) -> AsyncIterator[list[BotProcess]]:
    """One `dmbot run` per shard (one shard each: no 5 s wait before an IDENTIFY), and `dmbot sync`
    while they start."""
    with tempfile.TemporaryDirectory(prefix="dmbot-load-") as folder:
        shards = (
            [{}]
            if shard_count == 1
            else [{"SHARD_COUNT": str(shard_count), "SHARD_IDS": str(i)} for i in range(shard_count)]
        )
        bots = [
            await BotProcess.start([DMBOT, "run"], {**env, **shard}, Path(folder), f"dmbot{i}")
            for i, shard in enumerate(shards)
        ]
        try:
            await sync_commands(env, Path(folder))
            try:
                await discord.wait_until_ready(timeout=60)
            except TimeoutError:
                logs = "\n".join(b.log_tail() for b in bots)
                raise TimeoutError(f"dmbot did not connect; its logs:\n{logs}") from None
            yield bots
        finally:
            await asyncio.gather(*(bot.stop() for bot in bots))


@contextlib.asynccontextmanager
async def bare_process(discord: LocalDiscord) -> AsyncIterator[BotProcess]:
    """The bare discord.py bot (`/ping`) as a process of its own, for a like-for-like memory figure."""
    with tempfile.TemporaryDirectory(prefix="dmbot-bare-") as folder:
        args = [sys.executable, THIS_FILE, "--serve-bare", discord.api_base_url, discord.gateway_url, discord.token]
        bot = await BotProcess.start(args, os.environ, Path(folder), "bare")
        try:
            try:
                await discord.wait_until_ready(timeout=60)
                await discord.signal.wait(lambda: bool(discord.commands()), 60, "the bare bot to sync /ping")
            except TimeoutError:
                raise TimeoutError(f"the bare bot did not connect: {bot.log_tail()}") from None
            yield bot
        finally:
            await bot.stop()


async def serve_bare(api_base_url: str, gateway_url: str, token: str) -> None:
    from bot.endpoints import point_discord_py_at
    from bot.testbed.bare import build_bare_bot

    point_discord_py_at(api_base_url, gateway_url)
    bot = build_bare_bot()
    await bot.login(token)
    task = asyncio.create_task(bot.connect())
    await bot.wait_until_ready()
    await bot.tree.sync()
    await task


# --- players --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Player:
    user_id: int
    channel_id: int
    guild_id: int


def big_world(guilds: int, players: int, members_per_guild: int = 4) -> tuple[World, list[Player]]:
    """`guilds` guilds of a few members each; the players are spread evenly over them."""
    world = World()
    made = [world.add_guild(f"Guild {g}", channels=("tavern", "ooc")) for g in range(guilds)]
    for guild in made:
        for m in range(members_per_guild):
            world.add_member(guild.id, name=f"member{guild.id % 100000}-{m}")
    chosen = [made[p * guilds // players] for p in range(players)]
    return world, [player_in(world, guild, f"player{p}") for p, guild in enumerate(chosen)]


def player_in(world: World, guild: Guild, name: str) -> Player:
    user = world.add_member(guild.id, name=name).user
    assert guild.system_channel_id is not None
    return Player(user.id, guild.system_channel_id, guild.id)


async def until_answering(discord: LocalDiscord, player: Player, timeout: float = 60) -> None:  # noqa: ASYNC109
    """Probe with /roll until the bot answers: READY comes before a process has loaded everything."""
    deadline, probes = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        probes.append(
            await discord.invoke("roll", {"expression": "1d20"}, user_id=player.user_id, channel_id=player.channel_id)
        )
        with contextlib.suppress(TimeoutError):
            await probes[-1].done(timeout=2)
            for earlier in probes[:-1]:  # let their late answers arrive, then forget the refusals
                with contextlib.suppress(TimeoutError):
                    await earlier.done(timeout=3)
            discord.pop_violations()
            return
    raise TimeoutError("the bot never answered /roll")


async def create_character(discord: LocalDiscord, player: Player, name: str) -> None:
    """`/character create`, each select filled with its first options, then Confirm."""
    options = {"name": name, "race": "human", "class": "fighter", "background": "acolyte"}
    handle = await (
        await discord.invoke("character create", options, user_id=player.user_id, channel_id=player.channel_id)
    ).done(timeout=30)
    draft = handle.messages[-1]
    for comp in [c for c in draft.iter_components() if c.get("type") == 3]:
        values = [o["value"] for o in comp["options"][: max(1, comp.get("min_values", 1))]]
        await (await discord.click(draft, comp["custom_id"], user_id=player.user_id, values=values)).done(30)
    confirm = next(c["custom_id"] for c in draft.iter_components() if c.get("custom_id", "").endswith(":confirm"))
    done = await (await discord.click(draft, confirm, user_id=player.user_id)).done(timeout=30)
    if "is ready" not in done.messages[-1].content:
        raise RuntimeError(f"character creation failed: {done.messages[-1].content}")


async def open_campaign(discord: LocalDiscord, player: Player, character: str) -> bool:
    """When campaign commands exist: the player opens one in their channel and joins it (for /narrate)."""
    names = {c["name"]: c for c in discord.commands()}
    if "campaign" not in names:
        return False
    for path, values in (("campaign create", {}), ("campaign join", {"character": character})):
        options = required_defaults(names["campaign"], path.split()[1], values)
        handle = await discord.invoke(path, options, user_id=player.user_id, channel_id=player.channel_id)
        await handle.done(timeout=30)
    return True


def required_defaults(command: dict[str, Any], sub: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Values for the required options of `/command sub` (choices: the first; text: a plain word)."""
    leaf = next((o for o in command.get("options") or [] if o["name"] == sub), None)
    out: dict[str, Any] = {}
    for opt in (leaf or {}).get("options") or []:
        if opt["name"] in given:
            out[opt["name"]] = given[opt["name"]]
        elif opt.get("required"):
            out[opt["name"]] = opt["choices"][0]["value"] if opt.get("choices") else _plain(opt)
    return out


def _plain(opt: Mapping[str, Any]) -> Any:
    return {3: "The Sunless Citadel", 4: 1, 5: False, 10: 1.0}.get(int(opt["type"]), "x")


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def add(self, command: str, latency: float | None, error: str | None) -> None:
        self.latencies.setdefault(command, [])
        self.errors.setdefault(command, 0)
        if error is None and latency is not None:
            self.latencies[command].append(latency)
        else:
            self.errors[command] += 1
            self.reasons.append(f"/{command}: {error}")

    @property
    def done(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + sum(self.errors.values())


def options_for(path: str, rng: random.Random, narrate_schema: Mapping[str, Any] | None) -> dict[str, Any]:
    if path == "roll":
        return {"expression": rng.choice(EXPRESSIONS)}
    if path == "check":
        return {"skill_or_ability": rng.choice(CHECKS)}
    if path == "narrate" and narrate_schema is not None:
        texts = [o["name"] for o in narrate_schema.get("options") or [] if o["type"] == 3 and o.get("required")]
        return dict.fromkeys(texts, "I search the dusty shelves for anything useful.")
    if path == "ping":
        return {}
    return {}


def failure(handle: InteractionHandle) -> str | None:
    if handle.callback is None or (not handle.messages and handle.callback.type != 9):
        return "no answer"
    text = " ".join([m.content for m in handle.messages] + [json.dumps(m.embeds) for m in handle.messages])
    if APOLOGY in text:
        return "an unexpected error"
    if handle.rejected:
        return f"refused by Discord: {handle.rejected}"
    refusal = next((m.content for m in handle.messages if m.ephemeral and m.content[:1] in ("⚠", "⏳", "🔌")), None)
    return f"refused: {refusal[:200]}" if refusal else None  # every command of the mix should just work


async def player_loop(
    discord: LocalDiscord,
    player: Player,
    paths: Sequence[str],
    weights: Sequence[int],
    until: float,
    rng: random.Random,
    tally: Tally,
    narrate_schema: Mapping[str, Any] | None,
) -> None:
    while time.monotonic() < until:
        path = rng.choices(paths, weights)[0]
        handle = await discord.invoke(
            path, options_for(path, rng, narrate_schema), user_id=player.user_id, channel_id=player.channel_id
        )
        try:
            await handle.done(timeout=30)
        except TimeoutError:
            tally.add(path, None, "no complete answer within 30 s")
            continue
        tally.add(path, discord.clock() - handle.dispatched_at, failure(handle))


async def drive(
    discord: LocalDiscord,
    players: Sequence[Player],
    mix: Sequence[tuple[str, int]],
    seconds: float,
) -> tuple[Tally, float]:
    """Every player in a loop for `seconds`; returns the tally and the elapsed time."""
    schema = {c["name"]: c for c in discord.commands()}
    paths, weights = [p for p, _ in mix], [w for _, w in mix]
    tally = Tally()
    started = time.monotonic()
    await asyncio.gather(
        *(
            player_loop(discord, p, paths, weights, started + seconds, random.Random(i), tally, schema.get("narrate"))
            for i, p in enumerate(players)
        )
    )
    elapsed = time.monotonic() - started
    for violation in discord.pop_violations():
        tally.add("(discord)", None, str(violation))
    return tally, elapsed


def log_summary(line: str) -> str:
    """The event and the last line of the traceback of a JSON log line."""
    with contextlib.suppress(ValueError):
        entry = json.loads(line)
        last = str(entry.get("exception", "")).strip().splitlines()[-1:] or [""]
        return f"{entry.get('event')} ({entry.get('command')}): {last[0][:200]}"
    return line[:300]


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def print_tally(title: str, tally: Tally, elapsed: float) -> None:
    print(f"-- {title}: {tally.done} interactions in {elapsed:.1f} s = {tally.done / elapsed:.1f}/s")
    print(f"   {'command':<16}{'count':>7}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for command, latencies in sorted(tally.latencies.items()):
        p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
        print(f"   {command:<16}{len(latencies):>7}{p50:>10.1f}{p99:>10.1f}{tally.errors[command]:>8}")
    for reason, count in collections.Counter(r[:160] for r in tally.reasons).most_common(8):
        print(f"   ! {count} × {reason}")


# --- single process: 1,000 guilds -----------------------------------------------------------------


async def run_bare(guilds: int, players: int, seconds: float) -> tuple[Tally, float, float]:
    world, crowd = big_world(guilds, players)
    async with LocalDiscord(world, strict=False, enforce_contract=False) as discord, bare_process(discord) as bare:
        tally, elapsed = await drive(discord, crowd, (("ping", 1),), seconds)
        return tally, elapsed, bare.memory_mb()


async def run_dmbot(
    database_url: str, guilds: int, players: int, seconds: float, shards: int = 1, **settings: str
) -> DmbotRun:
    """The mix against `shards` dmbot processes (one shard each); peak figures are the largest process's."""
    world, crowd = big_world(guilds, players)
    async with (
        LocalDiscord(world, strict=False, enforce_contract=False, reaction_time=SETUP_REACTION) as discord,
        LocalLLM(first_token_delay=0.2, chunk_delay=0.01) as llm,
    ):
        env = bot_env(
            discord,
            database_url,
            REDIS_URL,
            RATE_USER_CAPACITY=str(10**9),
            RATE_GUILD_CAPACITY=str(10**9),
            OPENAI_API_KEY="local",
            OPENAI_BASE_URL=llm.base_url,
            OPENAI_MODEL="local-model",
            **settings,
        )
        async with dmbot_processes(discord, env, shard_count=shards) as bots:
            for player in first_player_per_shard(crowd, shards):
                await until_answering(discord, player)
            idle_mb = max(bot.memory_mb("VmRSS") for bot in bots)
            await asyncio.gather(*(create_character(discord, p, f"Hero {i}") for i, p in enumerate(crowd)))
            narrates = "narrate" in {c["name"] for c in discord.commands()}
            if narrates:
                narrates = all(
                    await asyncio.gather(*(open_campaign(discord, p, f"Hero {i}") for i, p in enumerate(crowd)))
                )
            discord.pop_violations()
            mix = [(p, w) for p, w in MIX if p != "narrate" or narrates]
            async with peak_connections(database_url) as connections:
                tally, elapsed = await drive(discord, crowd, mix, seconds)
            peak = max(bot.memory_mb() for bot in bots)
            for line in (line for bot in bots for line in bot.error_lines()):
                tally.add("(bot log)", None, log_summary(line))
            notes = [] if narrates else ["/narrate is not synced yet: the mix has rolls, checks and sheets only"]
            return DmbotRun(tally, elapsed, idle_mb, peak, notes, connections[0])


@dataclass
class DmbotRun:
    tally: Tally
    elapsed: float
    idle_mb: float  # resident memory once connected (the largest process)
    peak_mb: float
    notes: list[str]
    connections: int  # the most Postgres connections the bot's processes held at once

    @property
    def rate(self) -> float:
        return self.tally.done / self.elapsed


def first_player_per_shard(crowd: Sequence[Player], shards: int) -> list[Player]:
    """One player in a guild of each shard: every process must answer before the load starts."""
    found: dict[int, Player] = {}
    for player in crowd:
        found.setdefault(shard_of(player.guild_id, shards), player)
    return list(found.values())


@contextlib.asynccontextmanager
async def peak_connections(database_url: str) -> AsyncIterator[list[int]]:
    """Samples the connections to the bench's database every 50 ms; yields [the peak so far]."""
    peak = [0]
    engine = create_async_engine(database_url, poolclass=NullPool)
    name = database_url.rsplit("/", 1)[-1]

    async def sample() -> None:
        async with engine.connect() as conn:
            query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()")
            while True:
                peak[0] = max(peak[0], int((await conn.execute(query, {"db": name})).scalar_one()))
                await asyncio.sleep(0.05)

    task = asyncio.create_task(sample())
    try:
        yield peak
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await engine.dispose()


async def single(database_url: str, guilds: int, players: int, seconds: float) -> bool:
    print(f"== one dmbot process, {guilds:,} guilds, {players} players at once, {seconds:.0f} s of load")
    bare, bare_elapsed, bare_peak = await run_bare(guilds, players, seconds)
    run = await run_dmbot(database_url, guilds, players, seconds)
    tally, elapsed, idle_mb, peak, notes = run.tally, run.elapsed, run.idle_mb, run.peak_mb, run.notes
    notes.append(f"peak Postgres connections of the bot: {run.connections}")
    print_tally("bare discord.py bot, /ping", bare, bare_elapsed)
    print_tally("dmbot, the mix", tally, elapsed)
    for note in notes:
        print(f"   note: {note}")
    all_ms = [x for v in tally.latencies.values() for x in v]
    bare_ms = [x for v in bare.latencies.values() for x in v]
    errors = sum(tally.errors.values()) + sum(bare.errors.values())
    print(
        f"ratio: throughput {tally.done / elapsed / (bare.done / bare_elapsed):.2f}x the bare bot's, "
        f"p50 {statistics.median(all_ms) / statistics.median(bare_ms):.1f}x, "
        f"p99 {percentile(all_ms, 0.99) / percentile(bare_ms, 0.99):.1f}x"
    )
    rss_ok = peak <= RSS_TARGET_MB
    print(
        f"memory: dmbot peak RSS {peak:.0f} MB ({idle_mb:.0f} MB once connected), bare bot peak {bare_peak:.0f} MB; "
        f"target <= {RSS_TARGET_MB:.0f} MB: {'met' if rss_ok else 'MISSED'}"
    )
    print(f"errors: {errors} (target 0: {'met' if errors == 0 else 'MISSED'})")
    return rss_ok and errors == 0


# --- scale: 1, 2 and 4 shard processes on one Postgres and one Redis -----------------------------


async def scale(guilds: int, players: int, seconds: float, budget: int) -> bool:
    """The mix against 1, 2 and 4 processes, the pools split from one DATABASE_MAX_CONNECTIONS; each run
    on a database of its own (the worlds hand out the same ids, so the characters would clash)."""
    print(f"== scale: the mix on 1, 2 and 4 dmbot processes, DATABASE_MAX_CONNECTIONS={budget}")
    bare, bare_elapsed, _ = await run_bare(guilds, players, seconds)
    bare_rate = bare.done / bare_elapsed
    print(f"   bare discord.py bot, one process: {bare_rate:.0f}/s")
    ok, first_rate = True, 0.0
    for shards in (1, 2, 4):
        async with temporary_postgres(prefix=f"dmbot_scale{shards}") as database_url:
            run = await run_dmbot(database_url, guilds, players, seconds, shards, DATABASE_MAX_CONNECTIONS=str(budget))
        first_rate = first_rate or run.rate
        errors = sum(run.tally.errors.values())
        print(
            f"   {shards} process{'es' if shards > 1 else ''}: {run.rate:.0f}/s ({run.rate / first_rate:.2f}x one "
            f"process, {run.rate / bare_rate:.2f}x the bare bot), peak RSS {run.peak_mb:.0f} MB a process, "
            f"{run.connections} Postgres connections (budget {budget}), errors {errors}"
        )
        ok &= errors == 0 and run.connections <= budget
    return ok


# --- two processes, one shard each ----------------------------------------------------------------


def shard_of(guild_id: int, shard_count: int = 2) -> int:
    return (guild_id >> 22) % shard_count


def two_shard_world() -> tuple[World, Guild, Guild]:
    """The default world plus a second guild that lands on the other shard; alice and bob are in both."""
    world = default_world()
    first = world.guild
    second = world.add_guild("Baldur's Gate", channels=("tavern",))
    while shard_of(second.id) == shard_of(first.id):
        del world.guilds[second.id]
        second = world.add_guild("Baldur's Gate", channels=("tavern",))
    for name in ("alice", "bob"):
        world.add_member(second.id, world.user(name).id)
    return world, first, second


@contextlib.contextmanager
def alternate_shards(discord: LocalDiscord, guild_id: int) -> Iterator[list[int]]:
    """Deliver this guild's events to each shard in turn (yields how many went to each).

    Discord sends one guild's events to one shard; but the database is shared by every process, and
    two processes do change one row at once (a rolling deploy runs old and new side by side), so the
    row lock has to hold across processes. Alternating the shards makes that race happen every time.
    """
    gateway, original = discord.gateway, discord.gateway.session_for
    turns, sent = itertools.count(), [0] * gateway.shard_count

    def session_for(gid: int | None) -> Any:
        if gid != guild_id:
            return original(gid)
        shard = next(turns) % gateway.shard_count
        sent[shard] += 1
        return gateway.by_shard[shard]

    gateway.session_for = session_for  # type: ignore[method-assign,assignment]
    try:
        yield sent
    finally:
        del gateway.session_for  # back to the class's method


@dataclass
class TwoProcessResult:
    coin_changes: int
    per_shard: list[int]
    gp_before: int
    gp_after: int
    answered: int
    refused_on_other_shard: bool
    allowed_before: int
    errors: list[str]

    @property
    def no_lost_update(self) -> bool:
        return self.gp_after - self.gp_before == self.coin_changes == self.answered

    def lines(self) -> list[str]:
        return [
            f"no lost update: {self.coin_changes} concurrent `/character inventory coins gp:1` to one character, "
            f"{self.per_shard} per shard; gp {self.gp_before} → {self.gp_after} "
            f"({'met' if self.no_lost_update else 'MISSED'})",
            f"limits shared: {self.allowed_before} rolls allowed on shard 0, then refused on shard 1: "
            f"{'met' if self.refused_on_other_shard else 'MISSED'}",
            f"errors: {len(self.errors)}" + "".join(f"\n   ! {e}" for e in self.errors[:10]),
        ]


async def two_processes(database_url: str, redis_url: str = REDIS_URL, coin_changes: int = 40) -> TwoProcessResult:
    world, first, second = two_shard_world()
    async with LocalDiscord(world, strict=False, enforce_contract=False, reaction_time=SETUP_REACTION) as discord:
        # Bucket of 50 per user: room for the coin changes; a roll costs 25, so a third one is refused.
        env = bot_env(
            discord,
            database_url,
            redis_url,
            RATE_USER_CAPACITY="50",
            RATE_USER_REFILL_PER_SECOND="0.01",
            RATE_GUILD_CAPACITY=str(10**6),
            RATE_COMMAND_COSTS='{"roll": 25}',
        )
        async with dmbot_processes(discord, env, shard_count=2) as bots:
            alice_a = Player(world.user("alice").id, first.channel("tavern").id, first.id)
            bob_a = Player(world.user("bob").id, first.channel("tavern").id, first.id)
            bob_b = Player(world.user("bob").id, second.channel("tavern").id, second.id)
            for guild in (first, second):  # one probe per shard, by the guild's owner
                await until_answering(discord, Player(guild.owner_id, guild.channel("tavern").id, guild.id))
            await create_character(discord, alice_a, "Tordek")
            gp_before = await gold(database_url, alice_a)
            with alternate_shards(discord, first.id) as per_shard:
                fired = [
                    await discord.invoke(
                        "character inventory",
                        {"action": "coins", "gp": 1},
                        user_id=alice_a.user_id,
                        channel_id=alice_a.channel_id,
                    )
                    for _ in range(coin_changes)
                ]
            done = await asyncio.gather(*(h.done(timeout=30) for h in fired))
            answered = sum(1 for h in done if failure(h) is None and not h.ephemeral)
            gp_after = await gold(database_url, alice_a)
            allowed, refused = await limits_across_shards(discord, bob_a, bob_b)
            errors = [str(v) for v in discord.pop_violations()] + [e for b in bots for e in b.error_lines()]
            return TwoProcessResult(
                coin_changes, list(per_shard), gp_before, gp_after, answered, refused, allowed, errors
            )


async def gold(database_url: str, player: Player) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            coins = (
                await conn.execute(
                    sa.select(Character.coins).where(
                        Character.owner_id == player.user_id, Character.guild_id == player.guild_id
                    )
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return int(coins["gp"])


async def limits_across_shards(discord: LocalDiscord, here: Player, there: Player) -> tuple[int, bool]:
    """Spend the user's bucket in one guild (shard), then try once in a guild on the other shard."""
    assert shard_of(here.guild_id) != shard_of(there.guild_id)
    allowed = 0
    for _ in range(3):
        handle = await (
            await discord.invoke("roll", {"expression": "1d20"}, user_id=here.user_id, channel_id=here.channel_id)
        ).done(timeout=10)
        if handle.ephemeral:
            break
        allowed += 1
    other = await (
        await discord.invoke("roll", {"expression": "1d20"}, user_id=there.user_id, channel_id=there.channel_id)
    ).done(timeout=10)
    return allowed, other.ephemeral and "going a little fast" in other.content


# --- main -----------------------------------------------------------------------------------------


async def main(mode: str, seconds: float, players: int, guilds: int, budget: int) -> int:
    ok = True
    async with temporary_postgres(prefix="dmbot_load") as database_url:
        if mode in ("all", "single"):
            ok &= await single(database_url, guilds, players, seconds)
        if mode in ("all", "scale"):
            ok &= await scale(guilds, players, seconds, budget)
        if mode in ("all", "two"):
            print("== two dmbot processes, one shard each, one Postgres, one Redis")
            result = await two_processes(database_url)
            print("\n".join(result.lines()))
            ok &= result.no_lost_update and result.refused_on_other_shard and not result.errors
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-bare":
        asyncio.run(serve_bare(*sys.argv[2:]))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("all", "single", "scale", "two"), default="all")
    parser.add_argument("--connections", type=int, default=40, help="DATABASE_MAX_CONNECTIONS for --mode scale")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--players", type=int, default=60)
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="COMMAND",
        help="leave a command out of the mix, e.g. --without narrate",
    )
    parser.add_argument("--pool-size", type=int, help="DATABASE_POOL_SIZE of the dmbot process (default: its own)")
    args = parser.parse_args()
    MIX = tuple((path, weight) for path, weight in MIX if path not in args.without)
    if args.pool_size:
        EXTRA_SETTINGS["DATABASE_POOL_SIZE"] = str(args.pool_size)
    raise SystemExit(asyncio.run(main(args.mode, args.seconds, args.players, args.guilds, args.connections)))
