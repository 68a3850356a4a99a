"""A real small model (Qwen2.5-0.5B-Instruct, Q4_K_M) run by the bot itself (`NARRATOR=local`): turns finish,
players see prose only, and what the model writes as tool calls reaches the engine.

Needs the model in the cache (`scripts/fetch-model`) and the `xllamacpp` wheel; skipped without them, except
where `REQUIRE_REAL_MODEL=1` (CI) makes their absence a failure.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import AsyncIterator
from importlib.util import find_spec
from pathlib import Path

import pytest

from bot.narrator import NARRATOR_TOOLS, TextDelta, ToolCallsProposed, Usage, build_narrator
from bot.narrator.local_models import MODELS, cached_path
from bot.sandbox.interactions import InteractionHandle
from bot.settings import Settings
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot

pytestmark = [pytest.mark.real_model, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(900)]

MARKUP = re.compile(r"<\||<tool|</|\{\s*\"|\[TOOL_CALLS\]|```|request_check|\"arguments\"")


def model_path() -> Path:
    configured = os.environ.get("DMBOT_TEST_MODEL")
    path = Path(configured) if configured else cached_path(MODELS["qwen2.5-0.5b"])
    missing = [] if find_spec("xllamacpp") else ["the xllamacpp wheel (pip install 'dmbot[local]')"]
    if path is None or not path.is_file():
        missing.append("the model (scripts/fetch-model qwen2.5-0.5b)")
    if missing:
        if os.environ.get("REQUIRE_REAL_MODEL") == "1":
            pytest.fail("REQUIRE_REAL_MODEL=1 but missing: " + ", ".join(missing))
        pytest.skip("needs " + ", ".join(missing))
    assert path is not None
    return path


@pytest.fixture(scope="module")
def local_model() -> Path:
    return model_path()


async def test_the_local_narrator_streams_prose_and_proposes_calls(local_model: Path) -> None:
    settings = Settings(
        _env_file=None,
        narrator="local",
        local_model_path=local_model,
        local_model_context_tokens=4096,
        local_model_timeout_seconds=600,
        narrator_first_token_seconds=600,  # a shared, loaded CPU reads the first prompt slowly: not a failure here
    )  # type: ignore[call-arg]
    narrator = build_narrator(settings)
    messages = [
        {
            "role": "system",
            "content": "You are the dungeon master. When an action's outcome is uncertain, call "
            "request_check with the character, the skill and a DC; never decide the outcome yourself.",
        },
        {"role": "user", "content": "Mira: I leap across the chasm."},
    ]
    try:
        events = [event async for event in narrator.stream(messages, NARRATOR_TOOLS, max_tokens=120)]
    finally:
        await narrator.aclose()
    prose = "".join(event.text for event in events if isinstance(event, TextDelta))
    calls = [call for event in events if isinstance(event, ToolCallsProposed) for call in event.calls]
    assert not MARKUP.search(prose), prose
    assert prose.strip() or calls  # it said something: a story or a call
    assert isinstance(events[-1], Usage) and events[-1].prompt_tokens > 0 and not events[-1].estimated


@pytest.fixture
async def table(postgres_url: str, redis_url: str, key_prefix: str, local_model: Path) -> AsyncIterator[SandboxSession]:
    settings = isolated_settings(
        postgres_url,
        redis_url=redis_url,
        rate_redis_key_prefix=key_prefix,
        narrator="local",
        local_model_path=local_model,
        local_model_context_tokens=4096,
        narrator_max_tokens=150,
        narration_edit_interval_seconds=0.2,
        narrator_breaker_failures=100,
        turn_timeout_seconds=600,
        local_model_timeout_seconds=600,  # a slow CPU is not a failure here
        daily_token_budget=1_000_000,  # the host's ceiling: a server's admins may only lower it
        narrator_first_token_seconds=600,
    )
    async with running_bot(settings, rng=random.Random(7)) as session:
        # the Postgres database lives for the whole run and sandbox guild ids repeat: a budget another
        # test set (test_narrate_e2e's 100 tokens) would send these turns to the offline narrator
        await session.services.campaign.usage.set_budget(session.world.guild.id, 1_000_000)
        await session.make_character("alice", "Mira")
        await session.run("campaign create", {"name": "The Sunken Crypt", "tone": "grim"}, user="dungeonmaster")
        await session.run("campaign join", user="alice")
        await session.run("dm scene", {"text": "A flooded crypt below the chapel."}, user="dungeonmaster")
        yield session


def story(handle: InteractionHandle) -> str:
    return "".join(m.content for m in handle.messages)


def trace(handle: InteractionHandle) -> dict[str, object]:
    return next(e for m in handle.messages for e in m.embeds if e.get("title") == "🎲 What the dice said")


async def test_narrated_turns_on_the_real_model_show_prose_only(table: SandboxSession) -> None:
    for action in ("I search the altar for hidden runes", "I sneak past the sleeping ghoul"):
        handle = await table.invoke("narrate", {"action": action}, user="alice")
        await handle.wait_for(
            lambda h: any(e.get("title") == "🎲 What the dice said" for m in h.messages for e in m.embeds), timeout=600
        )
        shown = [edit.get("content") or "" for m in handle.messages for edit in m.edits] + [story(handle)]
        assert not [text for text in shown if MARKUP.search(text)], shown
        assert "offline" not in str(trace(handle).get("footer")), story(handle)
        # Both actions call for a check by the engine's own reading: a two-phase turn rolls one for Mira whatever
        # the model decides (the model's own choice of skill when it asks for one, else the engine's).
        assert re.search(r"\*\*Mira\*\*: [\w ]+ check vs DC \d+", str(trace(handle).get("description"))), trace(handle)
