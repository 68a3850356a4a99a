"""Embeds, kept short so they read well on a phone."""

from __future__ import annotations

import discord

from bot.engine.dice import Advantage, Critical, RollOutcome
from bot.engine.rolls import RollBatch
from bot.ui.fit import fit_embed
from bot.ui.text import safe

CRITICAL_COLOUR = discord.Colour.green()
FUMBLE_COLOUR = discord.Colour.red()
NEUTRAL_COLOUR = discord.Colour.blurple()
ERROR_COLOUR = discord.Colour.dark_red()
DESCRIPTION_LIMIT = 4096  # Discord's; the title (256) and footer stay far below the 6,000 of a whole embed
FOOTER_LIMIT = 300


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


def rolls_embed(batch: RollBatch, roller: str) -> discord.Embed:
    """A `/roll`: one roll as `roll_embed` shows it; several, or any against a DC, as one list."""
    if batch.single:
        return roll_embed(batch.rolls[0], roller)
    return batch_embed(batch, roller)


def batch_embed(batch: RollBatch, roller: str) -> discord.Embed:
    first = batch.rolls[0]
    name = safe(first.label, limit=120) if first.label else first.expression[:120]
    times = f" ×{len(batch.rolls)}" if len(batch.rolls) > 1 else ""
    if batch.dc is None:
        title = f"🎲 {name}{times}"
    else:
        title = f"🎲 {name}{times} vs DC {batch.dc}: {batch.passes} pass, {len(batch.rolls) - batch.passes} fail"
    embed = discord.Embed(title=title[:256], description=_batch_lines(batch), colour=NEUTRAL_COLOUR)
    how = {Advantage.ADVANTAGE: " with advantage", Advantage.DISADVANTAGE: " with disadvantage"}
    footer = f"{roller} rolled {first.expression}{times}{how.get(first.advantage, '')}"
    embed.set_footer(text=footer)
    return fit_embed(embed)


def _batch_lines(batch: RollBatch) -> str:
    """One line per roll, then the totals; a breakdown too long for its share of 4,096 shows its total."""
    totals = "**Totals:** " + ", ".join(str(r.total) for r in batch.rolls)
    if len(totals) > 600:
        totals = f"**Sum:** {sum(r.total for r in batch.rolls)}"
    share = (DESCRIPTION_LIMIT - len(totals) - 1) // len(batch.rolls) - 1
    lines = [_batch_line(n, roll, batch, share) for n, roll in enumerate(batch.rolls, start=1)]
    return "\n".join([*lines, totals])


def _batch_line(number: int, roll: RollOutcome, batch: RollBatch, share: int) -> str:
    mark = ("✅ " if batch.passed(roll) else "❌ ") if batch.dc is not None else ""
    critical = {Critical.SUCCESS: " **Critical!**", Critical.FAIL: " **Fumble.**"}.get(roll.critical, "")
    line = f"{number}. {mark}{roll.breakdown}{critical}"
    if len(line) <= share:
        return line
    return f"{number}. {mark}`{roll.total}`{critical}"
