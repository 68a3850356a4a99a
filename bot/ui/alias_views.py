"""What `/alias` shows: saved rolls, a player's own and the server's."""

from __future__ import annotations

import discord

from bot.engine.aliases import MAX_PER_SERVER, MAX_PER_USER, AliasList, Saved, SavedRoll
from bot.ui.embeds import NEUTRAL_COLOUR

FIELD_LIMIT = 1024  # Discord's, per field value


def alias_list_embed(saved: AliasList, in_server: bool) -> discord.Embed:
    embed = discord.Embed(title="🎲 Saved rolls", colour=NEUTRAL_COLOUR)
    embed.add_field(name=f"Yours ({len(saved.personal)}/{MAX_PER_USER})", value=_lines(saved.personal), inline=False)
    if in_server:
        embed.add_field(
            name=f"This server's ({len(saved.server)}/{MAX_PER_SERVER})", value=_lines(saved.server), inline=False
        )
    embed.set_footer(text="Roll one with /roll expression:<name>; yours win over the server's of the same name.")
    return embed


def saved_message(saved: Saved) -> str:
    roll = saved.roll
    whose = "this server's" if roll.server else "your"
    if saved.previous is not None:
        return (
            f"🎲 Replaced {whose} `{roll.name}`: `{_code(saved.previous)}` → `{_code(roll.expression)}`. "
            f"Roll it with `/roll expression:{roll.name}`."
        )
    return f"🎲 Saved {whose} `{roll.name}`: `{_code(roll.expression)}`. Roll it with `/roll expression:{roll.name}`."


def removed_message(removed: SavedRoll) -> str:
    whose = "this server's" if removed.server else "your"
    return f"🗑️ Removed {whose} `{removed.name}` (it rolled `{_code(removed.expression)}`)."


def _lines(rolls: tuple[SavedRoll, ...]) -> str:
    """One line each, cut short (with a count of the rest) to fit a field."""
    if not rolls:
        return "*none yet*"
    lines: list[str] = []
    for n, roll in enumerate(rolls):
        line = f"`{roll.name}` — `{_code(roll.expression)}`"
        rest = f"… and {len(rolls) - n} more (`/alias remove` makes room)"
        if sum(len(x) + 1 for x in lines) + len(line) + len(rest) + 2 > FIELD_LIMIT:
            lines.append(rest)
            break
        lines.append(line)
    return "\n".join(lines)


def _code(text: str) -> str:
    """Text safe inside inline code: backticks replaced (an alias's expression is the player's text)."""
    return text.replace("`", "ˋ")
