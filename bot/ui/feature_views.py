"""Embeds of `/feature`: a use and what it did, and a character's features with uses, counters and features."""

from __future__ import annotations

import discord

from bot import discord_limits as limits
from bot.engine.features import uses
from bot.engine.features.data import describe
from bot.engine.features.service import FeatureUse
from bot.engine.sheet import Sheet
from bot.ui.fit import fit_embed, fit_lines
from bot.ui.text import safe

FEATURE_COLOUR = discord.Colour.teal()


def feature_use_embed(used: FeatureUse) -> discord.Embed:
    title = f"✨ {safe(used.character)}: {safe(used.feature)}"
    lines = [safe(line) for line in used.lines]
    return fit_embed(discord.Embed(title=title[:256], description="\n".join(lines), colour=FEATURE_COLOUR))


def uses_field(sheet: Sheet) -> str:
    """The sheet's features with uses and counters, one line each: "Rage 2/3 (long rest)"."""
    return fit_lines((safe(line) for line in uses.lines(sheet)), limits.FIELD_VALUE) or ""


def feature_list_embed(sheet: Sheet) -> discord.Embed:
    embed = discord.Embed(title=f"✨ {safe(sheet.name)}'s features"[:256], colour=FEATURE_COLOUR)
    embed.add_field(name="With uses (`/feature use`)", value=uses_field(sheet) or "none", inline=False)
    described = [f"**{safe(f)}**: {what}" for f in sheet.features if (what := describe(f))]
    others = [safe(f) for f in sheet.features if not describe(f)]
    if described:
        embed.add_field(name="What they do", value=fit_lines(described, limits.FIELD_VALUE), inline=False)
    if others:
        embed.add_field(name="Also", value=fit_lines(others, limits.FIELD_VALUE, sep=", "), inline=False)
    embed.set_footer(text="Add your own: /feature add name:Luck maximum:3 reset:long")
    return fit_embed(embed)


def counter_added(sheet: Sheet) -> str:
    counter = sheet.counters[-1]
    reset = uses.RESET_WORDS[counter.reset]
    name = safe(counter.name)
    return f"✅ {safe(sheet.name)} has a counter “{name}”: {counter.maximum} ({reset}). Spend it with `/feature use`."
