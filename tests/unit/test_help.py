"""`/help` and the welcome, rendered: every topic answers, within Discord's limits and readable on a phone."""

from __future__ import annotations

import discord
import pytest

from bot import help_catalog as catalog
from bot.errors import InvalidInput
from bot.help_catalog import CommandHelp
from bot.ui import help_views
from cogs import help as help_cog

LONGEST_LINE = 110  # characters; a phone wraps longer ones into a wall of text


def listed(command: str, text: str) -> bool:
    """`/dm npc show` in full, or in the compact list: `/dm` on a line with `npc show` after it."""
    top, _, sub = command.partition(" ")
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(f"`/{top}`")]
    following = ("\n".join(lines[i : i + 8]) for i in starts)  # its line and the wrapped ones after it
    return f"/{command}" in text or any(f" {sub}" in block for block in following)


def assert_fits(embed: discord.Embed) -> None:
    assert len(embed.fields) <= 25
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    for field in embed.fields:
        assert field.name and len(field.name) <= 256
        assert field.value and len(field.value) <= 1024, field.name


def all_text(embed: discord.Embed) -> str:
    return "\n".join([embed.title or "", embed.description or "", *(f"{f.name}\n{f.value}" for f in embed.fields)])


def test_the_overview_shows_every_command_with_its_example_grouped_by_audience() -> None:
    embed = help_views.overview_embed()
    assert_fits(embed)
    text = all_text(embed)
    compact = "**" not in text  # a catalog too big for details falls back to names only
    for entry in catalog.CATALOG:
        assert listed(entry.command, text) and (compact or entry.example in text)
    assert embed.fields[0].name == "Players"


@pytest.mark.parametrize("topic", catalog.topics())
def test_every_topic_answers_within_the_limits(topic: str) -> None:
    embed = help_views.topic_embed(topic)
    assert_fits(embed)
    text = all_text(embed)
    compact = "**" not in text  # a topic too big for details falls back to examples, then to names only
    detailed = "Use: `" in text
    for entry in catalog.entries_for(topic):
        assert listed(entry.command, text) and (compact or entry.example in text)
        assert not detailed or entry.usage in text
    for line in text.splitlines():
        assert len(line) <= LONGEST_LINE, line


def test_audiences_without_commands_say_so_and_admins_learn_what_they_can_set() -> None:
    for audience in catalog.AUDIENCES:
        embed = help_views.topic_embed(audience)
        if not catalog.entries_for(audience):
            assert "No commands just for" in (embed.description or "")
    assert "Integrations" in (help_views.topic_embed("admin").description or "")


@pytest.mark.parametrize("asked", ["/roll", "roll", "Character Create", " dice "])
def test_a_command_or_a_topic_in_any_case(asked: str) -> None:
    assert_fits(help_views.topic_embed(asked))


def test_an_unknown_topic_names_the_topics() -> None:
    with pytest.raises(InvalidInput) as raised:
        help_views.topic_embed("@everyone fireball" * 10)
    assert "dice" in raised.value.message and "/help topic:dice" in raised.value.message
    assert "@everyone" not in raised.value.message  # escaped: no live mention


def test_autocomplete_offers_topics_then_commands() -> None:
    assert [c.value for c in help_cog.topic_choices("")][: len(catalog.topics())] == list(catalog.topics())
    assert "characters" in [c.value for c in help_cog.topic_choices("CHAR")]
    assert "character create" in [c.value for c in help_cog.topic_choices("/character cr")]
    assert len(help_cog.topic_choices("")) <= 25


def test_a_big_catalog_falls_back_to_a_compact_list(monkeypatch: pytest.MonkeyPatch) -> None:
    many = tuple(
        CommandHelp("player", "dice", f"/cmd{i} option:<text>", "x" * 90, f"/cmd{i} option:{'y' * 60}")
        for i in range(120)
    )
    monkeypatch.setattr(catalog, "CATALOG", many)
    embed = help_views.overview_embed()
    assert_fits(embed)
    assert "/cmd0" in all_text(embed)


def test_the_welcome_is_short_mentions_no_one_and_only_existing_commands() -> None:
    embed = help_views.welcome_embed()
    assert_fits(embed)
    text = all_text(embed)
    assert len(text) < 800
    assert "/character create" in text and "/help" in text
    for name, _ in catalog.START_STEPS:
        assert (f"/{name}" in text) == (catalog.find(name) is not None)
    assert "<@" not in text and "@everyone" not in text and "@here" not in text
