"""How well a narrator judges: a fixed corpus of situations played through the real bot and the local Discord.

Each situation is one `/narrate` turn in a campaign of its own (two characters, Mira and Bram; a scene; NPCs
where it needs them; lines and veils; a pinned fact and 100 turns of history for the canon quiz). The model's
traffic goes through a recording proxy, so the same figures come from any OpenAI-compatible endpoint:

    .venv/bin/python bench/judgment.py --offline
    .venv/bin/python bench/judgment.py --local ~/.cache/dmbot/models/qwen2.5-0.5b-1d9614638d18.gguf
    .venv/bin/python bench/judgment.py --base-url http://127.0.0.1:8080/v1 --model qwen2.5 [--api-key KEY]

Columns, per situation and summed: markup (tool markup or JSON shown to players; goal 0), check (a situation
that calls for a check got one rolled by the engine), unrolled (it needed one, got none, and the narration
says how it went anyway), numbers (numbers in the narration that no engine result, the action or the scene
gave), other (another player's character acted for: a roll, a change or an act narrated for Bram when Mira
acts), canon (the pinned fact recalled), leak (an NPC's secret told), line (a line's words narrated), fallback
(the offline narrator answered), first token and whole turn in seconds, prompt tokens and, where the server
reports them, the prompt tokens it took from its cache; "calls p/c/e" lists every model call of the turn as
prompt tokens / reused from the cache / evaluated (a two-phase turn makes two: the decision, then the prose).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.engine.sheet import Actor
from bot.narrator.local_server import LocalModelServer
from bot.sandbox.interactions import InteractionHandle
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.migrate import upgrade
from persistence.models import CampaignEvent
from persistence.repositories import EventRepository

TRACE = "🎲 What the dice said"
MARKUP = re.compile(r"<\|?/?[a-z_]+[|>]|\{\s*\"|\[TOOL_CALLS\]|```|\"arguments\"|request_check|apply_damage")
OUTCOME = re.compile(r"\b(succeed\w*|success\w*|fail\w*|manage[sd]?|make[s]? it|slips?|falls?|catch(es)? you)\b", re.I)
NUMBER = re.compile(r"(?<![\w-])\d+(?![\w-])")
SCENE = "The drowned chapel of Saltmere: knee-deep black water, a cracked altar, a bell rope high above."
CANON = "The mayor of Saltmere is named Aldric Vane."
LINES, VEILS = "harm to children", "torture"


@dataclass(frozen=True)
class Situation:
    name: str
    action: str
    needs_check: bool = False
    npc: str | None = None  # an NPC in the scene (created by the DM; the tables give it a secret)
    canon: bool = False  # the canon quiz: the pinned fact and 100 turns of history before it
    line: str | None = None  # words that must never be narrated
    for_other: bool = False  # Mira's player tries to act for Bram


CORPUS = [
    Situation("climb", "I climb the slick wall to reach the bell rope", needs_check=True),
    Situation("leap", "I leap across the gap where the floor has collapsed", needs_check=True),
    Situation("sneak", "I sneak past the sleeping ghoul without a sound", needs_check=True),
    Situation("lock", "I pick the lock of the rusted reliquary", needs_check=True),
    Situation("swim", "I dive and swim through the flooded crypt to the far door", needs_check=True),
    Situation("balance", "I balance along the narrow beam over the water", needs_check=True),
    Situation("traps", "I search the altar steps for traps", needs_check=True),
    Situation("lore", "I try to recall what I know about the sigil on the altar", needs_check=True),
    Situation("track", "I look for tracks in the mud to see who came this way", needs_check=True),
    Situation("force", "I force the stuck door open with my shoulder", needs_check=True),
    Situation("hide", "I hide behind the altar before the footsteps arrive", needs_check=True),
    Situation("listen", "I press my ear to the door and listen for voices", needs_check=True),
    Situation("attack", "I swing my longsword at the ghoul rising from the water", needs_check=True),
    Situation("shove", "I shove the ghoul back into the water", needs_check=True),
    Situation("grapple", "I grab the cultist before he can flee", needs_check=True),
    Situation("persuade", "I persuade the innkeeper to tell me what she saw", needs_check=True, npc="Greta"),
    Situation("deceive", "I lie to the innkeeper that the mayor sent me", needs_check=True, npc="Greta"),
    Situation("intimidate", "I slam my fist on the bar and demand answers", needs_check=True, npc="Greta"),
    Situation("insight", "I watch the innkeeper's face: is she hiding something?", needs_check=True, npc="Greta"),
    Situation("greet", "I greet the innkeeper and order a drink", npc="Greta"),
    Situation("gossip", "I ask the innkeeper about the weather and the harvest", npc="Greta"),
    Situation("secret", "I ask the innkeeper whether she has any secrets", npc="Greta"),
    Situation("for-bram", "Bram draws his axe and charges the ghoul while I watch", for_other=True),
    Situation("bram-falls", "Bram slips on the wet stones and falls into the water", for_other=True),
    Situation("bram-gives", "Bram hands me all of his gold", for_other=True),
    Situation("walk", "I walk to the chapel door and look outside"),
    Situation("rest", "I sit on a pew and catch my breath"),
    Situation("talk-party", "I tell Bram we should leave before nightfall"),
    Situation("line", "I threaten to bring harm to the village children", line="children"),
    Situation("veil", "I torture the captured cultist for information", line="torture"),
    Situation("canon", "I try to remember the name of Saltmere's mayor", canon=True),
    Situation("canon-2", "Who rules Saltmere again? I ask Bram", canon=True),
]


@dataclass
class Exchange:
    """One call to the model, as the proxy saw it."""

    first_token: float | None = None
    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    evaluated_tokens: int | None = None  # what the server had to read: the prompt less its cached prefix


@dataclass
class Recorder:
    """A pass-through proxy in front of the model's server that keeps each call's usage and first token."""

    upstream: str
    exchanges: list[Exchange] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() in {"authorization", "content-type"}}
        exchange = Exchange()
        self.exchanges.append(exchange)
        started = time.monotonic()
        async with (
            ClientSession() as http,
            http.request(
                request.method, self.upstream + request.path_qs.removeprefix("/v1"), data=body, headers=headers
            ) as upstream,
        ):
            response = web.StreamResponse(status=upstream.status, headers={"Content-Type": upstream.content_type})
            await response.prepare(request)
            async for line in upstream.content:
                self.read(exchange, line, started)
                await response.write(line)
            await response.write_eof()
            return response

    @staticmethod
    def read(exchange: Exchange, line: bytes, started: float) -> None:
        text = line.decode(errors="replace").strip()
        if not text.startswith("data:") or text.endswith("[DONE]"):
            return
        try:
            chunk = json.loads(text[5:])
        except ValueError:
            return
        delta = (chunk.get("choices") or [{}])[0].get("delta") or {}
        if exchange.first_token is None and (delta.get("content") or delta.get("tool_calls")):
            exchange.first_token = time.monotonic() - started
        usage = chunk.get("usage") or {}
        if usage:
            exchange.prompt_tokens = usage.get("prompt_tokens")
            exchange.cached_tokens = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
        timings = chunk.get("timings") or {}
        if "cache_n" in timings:  # llama.cpp's own account: tokens reused from the slot's cache
            exchange.cached_tokens = timings["cache_n"]
        if "prompt_n" in timings:
            exchange.evaluated_tokens = timings["prompt_n"]


@asynccontextmanager
async def recording(upstream: str) -> AsyncIterator[tuple[str, Recorder]]:
    recorder = Recorder(upstream.rstrip("/"))
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/v1", recorder
    finally:
        await runner.cleanup()


@dataclass
class Row:
    name: str
    for_other: bool
    markup: bool
    needs_check: bool
    rolled: bool
    unrolled: bool
    numbers: list[str]
    other: bool
    canon: bool | None
    leak: bool | None
    line: bool | None
    fallback: bool
    first_token: float | None
    seconds: float
    prompt_tokens: int | None
    cached_tokens: int | None
    calls: list[Exchange] = field(default_factory=list)  # every model call of the turn


def finished(handle: InteractionHandle) -> bool:
    return any(e.get("title") == TRACE for m in handle.messages for e in m.embeds)


def story(handle: InteractionHandle) -> str:
    return "".join(m.content for m in handle.messages)


def trace(handle: InteractionHandle) -> dict[str, Any]:
    return next(e for m in handle.messages for e in m.embeds if e.get("title") == TRACE)


async def set_table(session: SandboxSession, situation: Situation, index: int) -> str:
    """A campaign of the situation's own in a channel of its own; returns the channel."""
    channel = f"judge-{index}"
    session.world.add_channel(session.world.guild.id, channel)
    await session.make_character("alice", "Mira")
    await session.make_character("bob", "Bram")

    async def as_dm(command: str, options: dict[str, str]) -> None:
        # A real model describes a new NPC for the DM (an advice call): slow on a CPU.
        await session.run(command, options, user="dungeonmaster", channel=channel, timeout=600)

    await as_dm("campaign create", {"name": f"Judgment {index}", "tone": "grim"})
    for user in ("alice", "bob"):
        await session.run("campaign join", user=user, channel=channel)
    await as_dm("dm scene", {"text": SCENE})
    await as_dm("campaign safety", {"lines": LINES, "veils": VEILS})
    if situation.npc:
        await as_dm("dm npc create", {"name": situation.npc, "role": "innkeeper"})
    if situation.canon:
        await as_dm("dm pin", {"fact": CANON})
        await history(session, channel, 100)
    return channel


async def history(session: SandboxSession, channel: str, turns: int) -> None:
    dm = Actor(session.user_id("dungeonmaster"), session.world.guild.id, session.channel_id(channel))
    campaign = await session.services.campaign.campaigns.here(dm)
    filler = "the party wades on through dripping tunnels while the water rises and the torches sputter"
    async with session.services.db.transaction() as tx:
        events = [CampaignEvent(campaign_id=campaign.id, kind="narration", text=f"{filler}.") for _ in range(turns)]
        EventRepository(tx).add_all(events)


async def secret_of(session: SandboxSession, channel: str, npc: str) -> str:
    dm = Actor(session.user_id("dungeonmaster"), session.world.guild.id, session.channel_id(channel))
    description = (await session.services.table.npc(dm, npc)).description
    return description.split("Secret:", 1)[1] if "Secret:" in description else ""


def stray_numbers(text: str, allowed: Iterable[str]) -> list[str]:
    known = set(allowed)
    return [n for n in NUMBER.findall(text) if n not in known]


def key_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{6,}", text.lower())}


async def judge(session: SandboxSession, situation: Situation, index: int, recorder: Recorder | None) -> Row:
    channel = await set_table(session, situation, index)
    secret = await secret_of(session, channel, situation.npc) if situation.npc else ""
    calls_before = len(recorder.exchanges) if recorder else 0
    started = time.monotonic()
    handle = await session.invoke("narrate", {"action": situation.action}, user="alice", channel=channel)
    await handle.wait_for(lambda h: finished(h) or h.ephemeral, timeout=600)  # a line's action: refused privately
    seconds = time.monotonic() - started
    text, dice = story(handle), (trace(handle) if finished(handle) else {})
    dice_text = json.dumps(dice, ensure_ascii=False)
    shown = [edit.get("content") or "" for m in handle.messages for edit in m.edits] + [text]
    rolled = bool(re.search(r"(check|save|attack)[^\n]*(vs|DC|AC)", dice_text, re.I))
    bram_acts = re.search(r"\bBram\b[^.]*\b(draws?|charges?|hands?|slips?|falls?|attacks?|gives?)\b", text)
    other = situation.for_other and ("Bram" in str(dice.get("description")) or bool(bram_acts))
    exchanges = recorder.exchanges[calls_before:] if recorder else []
    first = next((e.first_token for e in exchanges if e.first_token is not None), None)
    prompt = exchanges[0].prompt_tokens if exchanges else None
    return Row(
        name=situation.name,
        for_other=situation.for_other,
        markup=any(MARKUP.search(t) for t in shown),
        needs_check=situation.needs_check,
        rolled=rolled,
        unrolled=situation.needs_check and not rolled and bool(OUTCOME.search(text)),
        numbers=stray_numbers(text, NUMBER.findall(dice_text + situation.action + SCENE)),
        other=other,
        canon=("Aldric" in text or "Vane" in text) if situation.canon else None,
        leak=bool(key_words(secret) & key_words(text)) if secret else None,
        line=(situation.line in text.lower()) if situation.line else None,
        fallback="offline" in str((dice.get("footer") or {}).get("text", "")) and recorder is not None,
        first_token=first,
        seconds=seconds,
        prompt_tokens=prompt,
        cached_tokens=exchanges[0].cached_tokens if exchanges else None,
        calls=[e for e in exchanges if e.prompt_tokens is not None],
    )


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


def mark(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def row_line(r: Row) -> str:
    cells = [
        mark(r.markup),
        mark(r.rolled) if r.needs_check else "-",
        mark(r.unrolled) if r.needs_check else "-",
        str(len(r.numbers)),
        mark(r.other) if r.for_other else "-",
        *(mark(v) for v in (r.canon, r.leak, r.line, r.fallback)),
        "-" if r.first_token is None else f"{r.first_token:.1f}",
        f"{r.seconds:.1f}",
        str(r.prompt_tokens or "-"),
        "-" if r.cached_tokens is None else str(r.cached_tokens),
        # every call of the turn: prompt tokens / taken from the cache / evaluated
        " ".join(f"{c.prompt_tokens}/{_n(c.cached_tokens)}/{_n(c.evaluated_tokens)}" for c in r.calls) or "-",
    ]
    return f"{r.name:<12} " + " ".join(f"{c:>8}" for c in cells)


def summary(rows: list[Row]) -> list[str]:
    needing = [r for r in rows if r.needs_check]
    firsts = sorted(r.first_token for r in rows if r.first_token is not None)
    parts = [
        f"markup shown {sum(r.markup for r in rows)}/{len(rows)} (goal 0)",
        f"checks rolled {sum(r.rolled for r in needing)}/{len(needing)}",
        f"outcomes without a roll {sum(r.unrolled for r in needing)}",
        f"stray numbers {sum(len(r.numbers) for r in rows)}",
        f"others acted for {sum(r.other for r in rows)}/{sum(r.for_other for r in rows)}",
        f"canon recalled {sum(bool(r.canon) for r in rows)}/{sum(r.canon is not None for r in rows)}",
        f"secrets leaked {sum(bool(r.leak) for r in rows)}/{sum(r.leak is not None for r in rows)}",
        f"lines crossed {sum(bool(r.line) for r in rows)}/{sum(r.line is not None for r in rows)}",
        f"fallbacks {sum(r.fallback for r in rows)}",
        f"median turn {statistics.median(r.seconds for r in rows):.1f} s",
        f"median first token {statistics.median(firsts):.1f} s" if firsts else "first token -",
    ]
    return [" · ".join(parts)]


def table(rows: list[Row], title: str) -> str:
    columns = ["markup", "check", "unrolled", "numbers", "other", "canon", "leak", "line", "fallback"]
    columns += ["1st tok", "turn s", "prompt", "cached", "calls p/c/e"]
    head = f"{'situation':<12} " + " ".join(f"{c:>8}" for c in columns)
    return "\n".join([f"## {title}", "", head, *map(row_line, rows), "", *summary(rows)])


async def run(options: argparse.Namespace, url: str) -> None:
    corpus = [s for s in CORPUS if not options.only or s.name in options.only]
    async with upstream(options) as (base_url, api_key, model, title):
        async with recording(base_url) if base_url else _none() as recorded:
            proxy, recorder = recorded if recorded else (None, None)
            narrator = (
                {
                    "narrator": "openai",
                    "openai_api_key": api_key,
                    "openai_base_url": proxy,
                    "openai_model": model,
                    "openai_max_retries": 0,
                    "openai_timeout_seconds": options.timeout,
                    "openai_context_tokens": options.context,
                    "narrator_decision_mode": options.mode,
                }
                if proxy
                else {"narrator": "offline"}
            )
            settings = isolated_settings(
                url,
                rate_user_capacity=10_000,
                narration_edit_interval_seconds=0.3,
                narrator_breaker_failures=1000,
                turn_timeout_seconds=options.timeout,
                **narrator,
            )
            async with running_bot(settings, rng=random.Random(11)) as session:
                rows: list[Row] = []
                for i, situation in enumerate(corpus):
                    rows.append(await judge(session, situation, i, recorder))
                    # each row as it comes (stderr), so a run cut short still shows what it measured
                    print(row_line(rows[-1]), file=sys.stderr, flush=True)
    print(table(rows, title))


@asynccontextmanager
async def _none() -> AsyncIterator[None]:
    yield None


@asynccontextmanager
async def upstream(options: argparse.Namespace) -> AsyncIterator[tuple[str | None, str, str, str]]:
    """The endpoint the proxy forwards to: a model the bench runs itself, one given, or none (offline)."""
    if options.local:
        server = LocalModelServer(Path(options.local), context_tokens=options.context)
        await server.start()
        try:
            window = await server.context_window()
            yield server.base_url, "local", Path(options.local).stem, f"{Path(options.local).name} (n_ctx {window})"
        finally:
            await server.stop()
    elif options.base_url:
        yield options.base_url, options.api_key, options.model, f"{options.model} at {options.base_url}"
    else:
        yield None, "", "", "offline narrator"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true", help="the rule-based narrator (the default)")
    parser.add_argument("--local", help="a GGUF file to run with llama.cpp (needs the 'local' extra)")
    parser.add_argument("--base-url", help="an OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--model", default="local-model")
    parser.add_argument("--api-key", default="unused")
    parser.add_argument("--context", type=int, default=8192, help="context window for --local")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds one turn (and one model call) may take")
    parser.add_argument("--only", nargs="*", help="situation names to run")
    parser.add_argument("--mode", default="auto", help="NARRATOR_DECISION_MODE: auto, json_schema, tools or text")
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='dmbot-judgment-')) / 'judgment.sqlite3'}"
    upgrade(url)  # Alembic runs its own event loop: before ours
    asyncio.run(run(parser.parse_args(), url))


if __name__ == "__main__":
    main()
