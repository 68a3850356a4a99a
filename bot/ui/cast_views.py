"""`/cast` as Discord shows it: one embed per cast with a line per target (the attack roll against AC,
the save against the DC, damage with resistances, healing, the effect that landed), the slot spent and
the slots left, what concentration ended, and every die in "What the dice said"."""

from __future__ import annotations

import discord

from bot import discord_limits as limits
from bot.engine import effects
from bot.engine.combat.cast_results import CastReport, TargetOutcome
from bot.engine.combat.results import MonsterTurn
from bot.engine.rules import ABILITY_NAMES
from bot.ui import combat_views
from bot.ui.combat_views import damage_outcome
from bot.ui.fit import fit_embed, fit_embeds, fit_lines
from bot.ui.text import safe

CAST_COLOUR = discord.Colour.purple()


def cast_embed(report: CastReport, *, for_dm: bool = False) -> discord.Embed:
    spell = report.spell
    title = f"✨ {safe(report.caster)} casts {safe(spell.name)} ({report.slot_label})"
    lines = [line for outcome in report.outcomes for line in _outcome_lines(outcome, for_dm=for_dm)]
    if not lines and not report.notes:
        lines.append(_no_target_line(report))
    lines += [f"*{safe(note)}*" for note in report.notes]
    if report.concentration_ended:
        lines.append("Concentration ends: " + ", ".join(safe(e) for e in report.concentration_ended) + ".")
    if spell.concentration:
        lines.append(f"🧠 {safe(report.caster)} concentrates on {safe(spell.name)} ({safe(spell.duration)}).")
    embed = discord.Embed(title=title, description=fit_lines(lines, limits.EMBED_DESCRIPTION - 200), colour=CAST_COLOUR)
    dice = [f"{safe(r.label or r.expression)}: {r.expression} → {r.breakdown}" for r in report.rolls]
    if dice:
        embed.add_field(name="🎲 What the dice said", value=fit_lines(dice, limits.FIELD_VALUE), inline=False)
    if spell.level > 0 and report.slots_left:
        left = " · ".join(f"L{n} {c}" for n, c in enumerate(report.slots_left, start=1) if c or n == report.slot)
        embed.add_field(name="Slots left", value=left or "none", inline=False)
    return fit_embed(embed)


def monster_turn_embeds(turn: MonsterTurn, *, for_dm: bool = False) -> list[discord.Embed]:
    """A monster's turn: the spells it cast (auto mode's Mage), then its attacks and notes."""
    casts = [cast_embed(c, for_dm=for_dm) for c in turn.casts]
    if casts and not turn.reports and not turn.notes:
        return fit_embeds(casts)
    return fit_embeds(casts + combat_views.monster_turn_embeds(turn, for_dm=for_dm))


def _no_target_line(report: CastReport) -> str:
    if report.spell.concentration:
        return f"{safe(report.spell.name)} takes hold ({safe(report.spell.duration)})."
    return f"{safe(report.spell.name)} is cast ({safe(report.spell.automation)}: the DM describes its effect)."


def _outcome_lines(outcome: TargetOutcome, *, for_dm: bool) -> list[str]:
    name = safe(outcome.target)
    lines: list[str] = []
    if outcome.attack is not None:
        attack = outcome.attack
        verdict = "**Critical hit!**" if attack.critical else "**Hit.**" if attack.hit else "**Miss.**"
        roll = attack.roll.breakdown if attack.roll else ""
        bonus = "".join(f" {'+' if s > 0 else '-'} {safe(n)} {r.breakdown}" for n, r, s in attack.bonus_rolls)
        head = f"→ {name}: {safe(attack.action)}: to hit **{attack.attack_total}** vs AC {attack.ac}"
        lines.append(f"{head}: {verdict}  {roll}{bonus}")
    if outcome.save is not None:
        save = outcome.save
        ability = ABILITY_NAMES.get(save.ability, save.ability)
        if save.roll is None:
            lines.append(f"→ {name} fails the DC {save.dc} {ability} save automatically.")
        else:
            verdict = "succeeds" if save.success else "fails"
            bonus = "".join(f" {'+' if s > 0 else '-'} {safe(n)} {r.breakdown}" for n, r, s in save.bonus_rolls)
            lines.append(
                f"→ {name} {verdict} the DC {save.dc} {ability} save: **{save.total}**  {save.roll.breakdown}{bonus}"
            )
    if outcome.damage is not None:
        damage = outcome.damage
        parts = " + ".join(_taken(t.amount, t.raw, t.damage_type, t.effect) for t in damage.parts)
        lines.append(f"→ {name} takes **{damage.total}** ({parts}). {damage_outcome(damage, for_dm=for_dm)}")
    if outcome.healed is not None and outcome.healing is not None:
        lines.append(
            f"→ {name} regains **{outcome.healed.healed}** HP ({outcome.healing.breakdown}). "
            f"{damage_outcome(outcome.healed, for_dm=for_dm)}"
        )
    if outcome.effect is not None:
        what = effects.describe(outcome.effect)
        lines.append(f"→ {name}: {safe(effects.label(outcome.effect, with_conditions=False))}: {safe(what)}")
    if outcome.note:
        lines.append(f"→ {name}: {safe(outcome.note)}" if not lines else f"  *{safe(outcome.note)}*")
    return lines


def _taken(amount: int, raw: int, damage_type: str | None, effect: str | None) -> str:
    """ "9 fire (half of 19: the save)", "3 fire (resistant, rolled 7)"."""
    why = f" ({effect}, rolled {raw})" if effect else f" (half of {raw}: the save)" if amount != raw else ""
    return f"{amount} {damage_type or ''}".strip() + why
