"""Prompt sizes and prefix-cache reuse over a few turns of one new campaign, per decision mode.

Each mode plays the same turns in an empty campaign of its own (one character, a scene, nothing else) through the
real bot and the local Discord; the model's traffic goes through the judgment bench's recording proxy, so every
call's prompt tokens, the tokens the server took from its cache and the tokens it had to evaluate come from the
server itself (llama.cpp's `timings`):

    .venv/bin/python bench/prompt_reuse.py --local ~/.cache/dmbot/models/qwen2.5-0.5b-1d9614638d18.gguf
    .venv/bin/python bench/prompt_reuse.py --base-url http://127.0.0.1:8080/v1 --model qwen2.5 --modes tools json_schema

The first call of the first turn is the "first-turn prompt of an empty campaign"; the first call of the next turn
shows what a prefix cache saves from one turn to the next.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.judgment import finished, recording, story, upstream  # the same proxy and model server
from bot.testbed.harness import isolated_settings, running_bot
from persistence.migrate import upgrade

ACTIONS = ("I open the chapel door", "I climb the slick wall to the bell rope", "I ask who rang the bell")


async def play(options: argparse.Namespace, mode: str, base_url: str, api_key: str, model: str) -> list[str]:
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='dmbot-reuse-')) / 'reuse.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    lines = []
    async with recording(base_url) as (proxy, recorder):
        settings = isolated_settings(
            url,
            narrator="openai",
            openai_api_key=api_key,
            openai_base_url=proxy,
            openai_model=model,
            openai_max_retries=0,
            openai_timeout_seconds=options.timeout,
            openai_context_tokens=options.context,
            narrator_decision_mode=mode,
            narrator_breaker_failures=1000,
            turn_timeout_seconds=options.timeout,
            narration_edit_interval_seconds=0.3,
        )
        async with running_bot(settings, rng=random.Random(3)) as session:
            channel = f"reuse-{mode}"
            session.world.add_channel(session.world.guild.id, channel)
            await session.make_character("alice", "Mira")
            await session.run("campaign create", {"name": "Reuse"}, user="dungeonmaster", channel=channel)
            await session.run("campaign join", user="alice", channel=channel)
            await session.run("dm scene", {"text": "A drowned chapel."}, user="dungeonmaster", channel=channel)
            for number, action in enumerate(ACTIONS, start=1):
                before = len(recorder.exchanges)
                started = time.monotonic()
                handle = await session.invoke("narrate", {"action": action}, user="alice", channel=channel)
                await handle.wait_for(finished, timeout=options.timeout + 60)
                calls = [e for e in recorder.exchanges[before:] if e.prompt_tokens is not None]
                cells = " ".join(f"{e.prompt_tokens}/{e.cached_tokens}/{e.evaluated_tokens}" for e in calls)
                fallback = " (fell back)" if "offline narrator answered" in story(handle) else ""
                lines.append(
                    f"{mode:<12} turn {number}  {time.monotonic() - started:6.1f} s  calls p/c/e: {cells}{fallback}"
                )
    return lines


async def run(options: argparse.Namespace) -> None:
    async with upstream(options) as (base_url, api_key, model, title):
        assert base_url, "give --local or --base-url"
        lines = [line for mode in options.modes for line in await play(options, mode, base_url, api_key, model)]
    print(f"## prompt reuse: {title}\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", help="a GGUF file to run with llama.cpp (needs the 'local' extra)")
    parser.add_argument("--base-url")
    parser.add_argument("--model", default="local-model")
    parser.add_argument("--api-key", default="unused")
    parser.add_argument("--context", type=int, default=8192)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--modes", nargs="*", default=["tools", "json_schema"])
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
