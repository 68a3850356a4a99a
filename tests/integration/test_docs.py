"""The docs and the help agree with the code: the command tree the bot registers, and its settings.

When one of these fails after you added a command or a setting: add its `CommandHelp` to
bot/help_catalog.py (or its `description=` in bot/settings.py), then run `.venv/bin/python scripts/gen_docs.py`.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest
from discord import app_commands

from bot import help_catalog as catalog
from bot.app import DMBot
from bot.services import open_services
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ("docs/PLAYER_GUIDE.md", "docs/DM_GUIDE.md")
CODE_SPAN = re.compile(r"`(/[a-z][^`]*)`")
FIX = "add it to bot/help_catalog.py, then run `.venv/bin/python scripts/gen_docs.py`"

Tree = dict[str, app_commands.Command]


def load_gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def tree(tmp_path: Path) -> AsyncIterator[Tree]:
    """Every slash command and subcommand, by qualified name, as the bot builds its tree (no connection)."""
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'docs.sqlite3'}")  # type: ignore[call-arg]
    async with open_services(settings) as services:
        bot = DMBot(services)
        await bot.setup_hook()  # loads bot.app.COGS, as at startup
        yield {c.qualified_name: c for c in bot.tree.walk_commands() if isinstance(c, app_commands.Command)}


def mentioned_commands(text: str, tree: Tree) -> list[tuple[str, str]]:
    """(command, code span) for each `/...` code span: the longest qualified name the span starts with."""
    found = []
    for span in CODE_SPAN.findall(text):
        words = span.removeprefix("/").split()
        names = [" ".join(words[:n]) for n in (3, 2, 1) if len(words) >= n]  # subgroups: /dm-combat start
        found.append((next((n for n in names if n in tree), words[0] if words else ""), span))
    return found


def option_names(span: str) -> set[str]:
    """`name:` options in a usage or an example: "/roll expression:1d20 [private:true]" → {expression, private}."""
    return set(re.findall(r"(?:^|\s)\[?([a-z_]+):", span))


def parameters(command: app_commands.Command) -> set[str]:
    return {p.display_name for p in command.parameters}


def test_the_catalog_lists_exactly_the_registered_commands(tree: Tree) -> None:
    listed = [e.command for e in catalog.CATALOG]
    assert len(listed) == len(set(listed)), "a command is listed twice in bot/help_catalog.py"
    missing = sorted(set(tree) - set(listed))
    assert not missing, f"registered but not in the help: {missing}; {FIX}"
    extra = sorted(set(listed) - set(tree))
    assert not extra, f"in bot/help_catalog.py but no cog registers them: {extra}"


def test_catalog_usages_and_examples_name_real_options(tree: Tree) -> None:
    for entry in catalog.CATALOG:
        command = tree[entry.command]
        for text in (entry.usage, entry.example):
            assert text.startswith(f"/{entry.command}"), text
            unknown = option_names(text) - parameters(command)
            assert not unknown, f"{text!r}: /{entry.command} has no option {sorted(unknown)}"
        required = {p.display_name for p in command.parameters if p.required}
        assert required <= option_names(entry.example), f"{entry.example!r} leaves out a required option"
        assert entry.topic in catalog.TOPICS, f"{entry.command}: topic {entry.topic!r} is not in TOPICS"


def test_every_registered_command_appears_in_the_guides(tree: Tree) -> None:
    text = "\n".join((ROOT / guide).read_text(encoding="utf-8") for guide in GUIDES)
    shown = {name for name, _ in mentioned_commands(text, tree)}
    missing = sorted(set(tree) - shown)
    assert not missing, f"not in {GUIDES}: {missing}; {FIX}"


def test_every_command_the_guides_show_exists(tree: Tree) -> None:
    for guide in GUIDES:
        for name, span in mentioned_commands((ROOT / guide).read_text(encoding="utf-8"), tree):
            assert name in tree, f"{guide} shows `{span}`, but the bot has no /{name}"
            unknown = option_names(span.removeprefix(f"/{name}")) - parameters(tree[name])
            assert not unknown, f"{guide} shows `{span}`: /{name} has no option {sorted(unknown)}"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    info = Settings.model_fields[name]
    assert info.description, f"bot/settings.py: give {name} a Field(description=...)"
    configuration = (ROOT / "docs/CONFIGURATION.md").read_text(encoding="utf-8")
    assert f"| `{name.upper()}` |" in configuration, f"{name.upper()} is not in docs/CONFIGURATION.md"
    env_lines = {line.split("=")[0] for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()}
    assert f"# {name.upper()}" in env_lines, f"{name.upper()} is not in .env.example"


def test_the_generated_docs_are_up_to_date() -> None:
    gen_docs = load_gen_docs()
    stale = [str(p.relative_to(ROOT)) for p in gen_docs.stale_files(ROOT)]
    assert not stale, f"out of date: {stale}; run `.venv/bin/python scripts/gen_docs.py`"


def test_the_generator_marks_every_command_of_the_catalog() -> None:
    gen_docs = load_gen_docs()
    text = "\n".join(gen_docs.render_commands(audiences) for audiences in gen_docs.GUIDES.values())
    for entry in catalog.CATALOG:
        assert f"**`/{entry.command}`**" in text and entry.example in text
