"""`/narrate` through the local Discord with the local LLM server, next to a bare discord.py bot.

dmbot runs as in production: Postgres, the Redis limiter, the OpenAI-compatible narrator (the real
`openai` client) against an LLM server that answers after a fixed delay. Figures:

- dispatch → deferral (the "thinking…" callback), p50 and p99, beside the bare bot's dispatch → answer;
- the LLM's first token (`LocalLLM.first_token_times`) → the first visible edit of the reply (the
  sandbox's record of that PATCH), p50 and p99;
- prompt tokens of a turn in campaigns of 10, 1,000 and 10,000 events, against the budget.

Targets: deferral ≤ 50 ms at p99; first words ≤ 150 ms after the first token; prompt tokens at 10,000
events under the budget.

    .venv/bin/python bench/narrate.py [--samples 60] [--delay 0.15]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figures, bare_bot_session, measure, ping_invoker
from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.llm import LocalLLM, Reply
from bot.testbed.databases import temporary_postgres
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import Campaign, CampaignEvent
from persistence.repositories import EventRepository

STORY = "The torchlight gutters as the flooded crypt swallows every sound, and something stirs below. " * 4
HISTORY = (10, 1_000, 10_000)
CHANNELS = ("general", "tavern", "dm-screen")


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def line(name: str, values: list[float]) -> str:
    return f"{name:<44} p50 {statistics.median(values) * 1000:8.2f} ms   p99 {p(values, 0.99) * 1000:8.2f} ms"


async def seat(session: SandboxSession, channel: str) -> int:
    """Alice's character in a campaign of the channel; the campaign's id."""
    guild = session.world.guild.id
    alice = Actor(session.user_id("alice"), guild, session.channel_id(channel))
    characters = session.services.characters
    name = f"Mira {uuid.uuid4().hex[:6]}"
    draft = await characters.start_draft(
        alice, name=name, race="elf", klass="rogue", background="acolyte", method="standard"
    )
    await characters.create(alice, draft, Choices(skills=("stealth", "athletics", "acrobatics", "deception")))
    dm = Actor(session.user_id("dungeonmaster"), guild, session.channel_id(channel))
    info = await session.services.campaign.campaigns.create(dm, f"Bench {channel}")
    await session.services.campaign.campaigns.join(alice, name)
    return info.id


async def seed(session: SandboxSession, campaign_id: int, count: int) -> None:
    text = "the party trudges on through dripping tunnels while the water rises and the torches sputter"
    async with session.services.db.transaction() as tx:
        EventRepository(tx).add_all(
            [
                CampaignEvent(campaign_id=campaign_id, kind="narration", text=f"Turn {i}: {text}.", data={})
                for i in range(count)
            ]
        )


def finished(handle: InteractionHandle) -> bool:
    return any(e.get("title") == "🎲 What the dice said" for m in handle.messages for e in m.embeds)


def first_edit(session: SandboxSession, handle: InteractionHandle) -> float:
    """When the reply was first edited with words: the sandbox's record of that PATCH."""
    edits = [
        r
        for r in session.discord.requests
        if r.method == "PATCH" and handle.token in r.path and (r.json or {}).get("content")
    ]
    return min(r.time for r in edits)  # received and applied in one step: the handler never awaits between


async def turns(session: SandboxSession, llm: LocalLLM, samples: int) -> tuple[list[float], list[float]]:
    deferrals, first_words = [], []
    for i in range(samples + 5):
        before = len(llm.requests)
        handle = await session.invoke("narrate", {"action": f"I listen at door {i}"}, user="alice")
        callback = await handle.response(timeout=10)
        await handle.wait_for(finished, timeout=30)
        if i < 5:  # warm-up: connections, caches
            continue
        deferrals.append(callback.at - handle.dispatched_at)
        token = llm.requests[before].first_token_at
        assert token is not None
        first_words.append(first_edit(session, handle) - token)
    return deferrals, first_words


async def prompt_tokens(session: SandboxSession) -> dict[int, tuple[int, int]]:
    """(estimated prompt tokens, events in the prompt) of a turn, by events of history."""
    out = {}
    for count, channel in zip(HISTORY, CHANNELS, strict=True):
        campaign_id = await seat(session, channel)
        await seed(session, campaign_id, count)
        alice = Actor(session.user_id("alice"), session.world.guild.id, session.channel_id(channel))
        ticket = await session.services.campaign.turns.prepare(alice, "I ask the priest about the silver key", "Alice")
        _, prompt = await session.services.campaign.turns.build_prompt(ticket)
        out[count] = (prompt.tokens, prompt.recent_included)
    return out


async def dmbot(database_url: str, redis_url: str, samples: int, delay: float) -> dict[str, Any]:
    async with LocalLLM(first_token_delay=delay, chunk_delay=0.01) as llm:
        llm.responder = lambda _body: Reply(text=STORY, chunk_size=16)
        settings = isolated_settings(
            database_url,
            redis_url=redis_url,
            rate_redis_key_prefix=f"dmbot-bench:{uuid.uuid4().hex[:8]}:",
            rate_user_capacity=10**9,
            rate_guild_capacity=10**9,
            openai_api_key="sk-local",
            openai_base_url=llm.base_url,
            openai_model="local-model",
            openai_max_retries=0,
            log_level="WARNING",
            daily_token_budget=10**9,  # the host's ceiling: a server's admins may only lower it
        )
        async with running_bot(settings, rng=random.Random(3)) as session:
            await session.services.campaign.usage.set_budget(session.world.guild.id, 10**9)
            await seat(session, "tavern")
            deferrals, first_words = await turns(session, llm, samples)
            for channel in CHANNELS:  # the prompt campaigns take over the channels
                dm = Actor(session.user_id("dungeonmaster"), session.world.guild.id, session.channel_id(channel))
                await end_campaign(session, dm)
            tokens = await prompt_tokens(session)
            return {
                "deferrals": deferrals,
                "first_words": first_words,
                "tokens": tokens,
                "budget": settings.prompt_token_budget,
            }


async def end_campaign(session: SandboxSession, dm: Actor) -> None:
    async with session.services.db.transaction() as tx:
        await tx.execute(update(Campaign).where(Campaign.channel_id == dm.channel_id).values(status="ended"))


async def bare(samples: int) -> Figures:
    async with bare_bot_session() as discord:
        return await measure("bare bot /ping", ping_invoker(discord), samples=samples, in_flight=1, seconds=0.5)


async def main(samples: int, delay: float, redis_url: str) -> int:
    baseline = await bare(samples)
    async with temporary_postgres(prefix="dmbot_bench") as database_url:
        figures = await dmbot(database_url, redis_url, samples, delay)
    deferrals, first_words = figures["deferrals"], figures["first_words"]
    print(f"== /narrate, {samples} turns, LLM first token after {delay * 1000:.0f} ms")
    print(line("bare bot /ping: dispatch → answer", baseline.latencies))
    print(line("dmbot /narrate: dispatch → deferral", deferrals))
    print(
        f"ratio: deferral p50 {statistics.median(deferrals) / baseline.median:.2f}x the bare bot's answer, "
        f"p99 {p(deferrals, 0.99) / baseline.p99:.2f}x"
    )
    print(line("dmbot: LLM first token → first visible edit", first_words))
    budget = figures["budget"]
    for count, (tokens, events) in figures["tokens"].items():
        print(f"prompt at {count:>6,} events of history: {tokens:>5,} tokens of {budget:,} ({events} recent events in)")
    targets = {
        "deferral p99 <= 50 ms": p(deferrals, 0.99) <= 0.050,
        "first words p99 <= 150 ms after the first token": p(first_words, 0.99) <= 0.150,
        "prompt at 10,000 events under the budget": figures["tokens"][10_000][0] <= budget,
    }
    for name, hit in targets.items():
        print(f"target {name}: {'met' if hit else 'MISSED'}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--delay", type=float, default=0.15, help="seconds before the LLM's first token")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="empty: the in-process limiter")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.samples, args.delay, args.redis_url)))
