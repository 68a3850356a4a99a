"""Every `/roll` and `/alias` example of the player guide and of `/help` runs, in order, as written."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from bot import help_catalog as catalog
from bot.sandbox.commandline import parse
from bot.testbed.harness import SandboxSession
from persistence.models import Alias

ROOT = Path(__file__).resolve().parents[2]
CODE_SPAN = re.compile(r"`(/[a-z][^`]*)`")
COMMANDS = ("roll", "alias")


def guide_examples() -> list[str]:
    """Spans that are examples (a usage line has `<...>` placeholders; a bare name is not a command)."""
    text = (ROOT / "docs/PLAYER_GUIDE.md").read_text(encoding="utf-8")
    spans = [s for s in CODE_SPAN.findall(text) if s.removeprefix("/").split()[0] in COMMANDS and "<" not in s]
    return [s for s in spans if ":" in s or s == "/alias list"]


def help_examples() -> list[str]:
    return [e.example for e in catalog.CATALOG if e.command.split()[0] in COMMANDS]


@pytest.fixture
async def table(sqlite_session: SandboxSession) -> AsyncIterator[SandboxSession]:
    """The server's owner (Manage Server, for `server:true`) with a character (for `{str}`)."""
    await sqlite_session.make_character("admin")
    yield sqlite_session
    async with sqlite_session.services.db.transaction() as db:
        await db.execute(delete(Alias))


def test_the_guide_shows_batch_rolls_and_aliases() -> None:
    shown = " ".join(guide_examples())
    for needed in ("times:6", "dc:13", "/alias add", "server:true", "{str}", "/roll expression:greatsword"):
        assert needed in shown, needed


@pytest.mark.parametrize("source", ["guide", "help"])
async def test_every_example_runs(table: SandboxSession, source: str) -> None:
    examples = guide_examples() if source == "guide" else help_examples()
    assert examples
    for example in examples:
        parsed = parse(example, table.discord.commands())
        handle = await table.run(parsed.path, parsed.options, user="admin")
        reply = handle.content + str(handle.messages[-1].embeds if handle.messages else "")
        assert "⚠️" not in reply and "Something went wrong" not in reply, f"{example}: {reply[:300]}"
