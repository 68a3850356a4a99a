"""Embeds, kept short so they read well on a phone."""

from __future__ import annotations

import discord

from bot.engine.dice import Advantage, Critical, RollOutcome
from bot.ui.fit import fit_embed
from bot.ui.text import safe

CRITICAL_COLOUR = discord.Colour.green()
FUMBLE_COLOUR = discord.Colour.red()
NEUTRAL_COLOUR = discord.Colour.blurple()
ERROR_COLOUR = discord.Colour.dark_red()


def roll_embed(outcome: RollOutcome, roller: str) -> discord.Embed:
    title = f"🎲 {safe(outcome.label, limit=200)}: {outcome.total}" if outcome.label else f"🎲 {outcome.total}"
    lines = [outcome.breakdown]
    if outcome.critical is Critical.SUCCESS:
        lines.append("**Critical!** A natural 20.")
    elif outcome.critical is Critical.FAIL:
        lines.append("**Fumble.** A natural 1.")
    if outcome.advantage is Advantage.ADVANTAGE:
        lines.append("*with advantage*")
    elif outcome.advantage is Advantage.DISADVANTAGE:
        lines.append("*with disadvantage*")
    colour = {Critical.SUCCESS: CRITICAL_COLOUR, Critical.FAIL: FUMBLE_COLOUR}.get(outcome.critical, NEUTRAL_COLOUR)
    embed = discord.Embed(title=title, description="\n".join(lines), colour=colour)
    embed.set_footer(text=f"{roller} rolled {outcome.expression}")
    return fit_embed(embed)
