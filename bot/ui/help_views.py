"""The help embeds: `/help`, `/help topic:<topic>` and the welcome posted when dmbot joins a server, all from
`bot/help_catalog.py`.

Built for a phone: one short block per command, at most 25 fields, no field over 1024 characters, the whole
embed under Discord's 6000; a catalog too big for that falls back to a compact list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import discord

from bot import discord_limits as limits
from bot import help_catalog as catalog
from bot.errors import InvalidInput
from bot.help_catalog import CommandHelp
from bot.ui.text import safe

MAX_FIELDS = limits.EMBED_FIELDS
MAX_FIELD_VALUE = limits.FIELD_VALUE
MAX_EMBED_CHARS = limits.EMBED_TOTAL
COLOUR = discord.Colour.dark_teal()
COMPACT_LINE = 100  # characters of a line of command names; a phone wraps longer ones into a wall of text
EMPTY_AUDIENCE = "No commands just for {title} in this version yet; everyone uses the player commands."


def _block(entry: CommandHelp, *, detailed: bool) -> str:
    head = f"**/{entry.command}**: {entry.summary}"
    if detailed and entry.usage != entry.example:
        return f"{head}\nUse: `{entry.usage}`\nExample: `{entry.example}`"
    return f"{head}\n`{entry.example}`"


def _chunk(blocks: Iterable[str], limit: int = MAX_FIELD_VALUE, separator: str = "\n\n") -> list[str]:
    """Pack whole blocks into field values of at most `limit` characters (a block is never split)."""
    values: list[str] = []
    for block in blocks:
        block = block[:limit]
        if values and len(values[-1]) + len(separator) + len(block) <= limit:
            values[-1] += separator + block
        else:
            values.append(block)
    return values


def _fields(entries: Sequence[CommandHelp], *, detailed: bool) -> list[tuple[str, str]]:
    """One field per audience (more if it needs them), in catalog order."""
    fields: list[tuple[str, str]] = []
    for audience in catalog.AUDIENCES:
        blocks = [_block(e, detailed=detailed) for e in entries if e.audience == audience]
        for i, value in enumerate(_chunk(blocks)):
            title = catalog.AUDIENCE_TITLES[audience]
            fields.append((title if i == 0 else f"{title} (more)", value))
    return fields


def _compact_fields(entries: Sequence[CommandHelp]) -> list[tuple[str, str]]:
    """The fallback for a big catalog: command names only, a line per command (its subcommands after it,
    wrapped to short lines), one field per audience or more; every command stays listed."""
    fields: list[tuple[str, str]] = []
    for audience in catalog.AUDIENCES:
        by_command: dict[str, list[str]] = {}
        for entry in (e for e in entries if e.audience == audience):
            top, _, rest = entry.command.partition(" ")
            by_command.setdefault(top, []).append(rest)
        lines = [line for top, subs in by_command.items() for line in _wrapped(f"`/{top}`", subs)]
        for i, value in enumerate(_chunk(lines, separator="\n")):
            title = catalog.AUDIENCE_TITLES[audience]
            fields.append((title if i == 0 else f"{title} (more)", value))
    return fields


def _wrapped(head: str, subcommands: Sequence[str], width: int = COMPACT_LINE) -> list[str]:
    """`/dm` scene · narrate · retcon ..., continued on further lines of at most `width` characters."""
    lines, line = [], head
    for sub in (s for s in subcommands if s):
        if len(line) + 3 + len(sub) > width:
            lines.append(line)
            line = "  "
        line += (" " if line.endswith(("`", "  ")) else " · ") + sub
    return [*lines, line]


def _embed(title: str, description: str, fields: Sequence[tuple[str, str]]) -> discord.Embed:
    embed = discord.Embed(title=title, description=description, colour=COLOUR)
    for name, value in fields[:MAX_FIELDS]:
        embed.add_field(name=name, value=value, inline=False)
    return embed


def _fit(title: str, description: str, entries: Sequence[CommandHelp], *, detailed: bool) -> discord.Embed:
    """The most detailed embed that fits Discord's limits."""
    for fields in (_fields(entries, detailed=detailed), _fields(entries, detailed=False), _compact_fields(entries)):
        embed = _embed(title, description, fields)
        if len(fields) <= MAX_FIELDS and len(embed) <= MAX_EMBED_CHARS:
            return embed
    return embed


def overview_embed() -> discord.Embed:
    """`/help` without a topic: every command, grouped by audience, each with an example."""
    description = (
        "New here? Start with `/character create`.\n"
        f"Details by topic: `/help topic:<topic>`: {', '.join(catalog.topics())}."
    )
    return _fit("📖 dmbot help", description, catalog.CATALOG, detailed=False)


def topic_embed(topic: str) -> discord.Embed:
    """`/help topic:<topic>`: an audience, a topic or one command, each with usage and example."""
    key = topic.strip().lower()
    if key in catalog.topics():
        entries = catalog.entries_for(key)
        description = catalog.TOPICS[key] + "."
        if key == "admin":
            description += "\n" + "\n".join(f"• {note}" for note in catalog.ADMIN_NOTES)
        if not entries and key in catalog.AUDIENCES:
            description += "\n" + EMPTY_AUDIENCE.format(title=catalog.AUDIENCE_TITLES[key].lower())
        return _fit(f"📖 Help: {key}", description, entries, detailed=True)
    entry = catalog.find(key)
    if entry is not None:
        return _fit(f"📖 Help: /{entry.command}", entry.summary, (entry,), detailed=True)
    raise InvalidInput(
        f"There's no help topic “{safe(topic, limit=40)}”. Try one of: {', '.join(catalog.topics())}. "
        "Example: `/help topic:dice`"
    )


def welcome_embed() -> discord.Embed:
    """The one short message posted when dmbot joins a server."""
    steps = [f"{i}. `/{name}`: {why}" for i, (name, why) in enumerate(catalog.start_steps(), 1)]
    embed = discord.Embed(
        title="👋 Hello! I'm dmbot, a D&D 5e dungeon master.",
        description="How to start:\n" + "\n".join(steps),
        colour=COLOUR,
    )
    embed.add_field(name="Admins", value="\n".join(f"• {note}" for note in catalog.ADMIN_NOTES), inline=False)
    return embed
