"""Short and long rests by the SRD, as pure functions on a sheet: what comes back, and only that.

A short rest spends hit dice only when the player asks for them (and never at full HP: there is nothing to
heal); a warlock's Pact Magic slots come back. A long rest restores HP, half the hit dice, every spell slot,
and lowers exhaustion by one. `Rest` says exactly what changed, so the text can say only what happened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from bot.data.srd import SRD
from bot.engine import casting, class_levels, rules, spells
from bot.engine.dice import RollOutcome
from bot.engine.features import uses
from bot.engine.sheet import Sheet
from bot.engine.wording import counted
from bot.errors import InvalidInput

RestKind = Literal["short", "long"]
SHORT_REST_ROUNDS = 600  # an hour, in the rounds timed effects count (10 a minute)
LONG_REST_ROUNDS = 4800  # 8 hours


@dataclass(frozen=True)
class Rest:
    sheet: Sheet
    kind: RestKind
    hp_regained: int
    hit_dice_spent: int
    hit_dice_regained: int
    roll: RollOutcome | None
    slots_regained: int = 0  # spell slots that came back
    death_saves_reset: bool = False
    exhaustion_before: int = 0  # the level before a long rest lowered it
    features_regained: tuple[str, ...] = ()  # the features with uses (and counters) that came back


def short_rest(sheet: Sheet, srd: SRD, dice: int, roll: Callable[[str], RollOutcome]) -> Rest:
    """Spend `dice` hit dice (0: none; the SRD leaves it to the player), each healing its roll + Con."""
    sheet = casting.pass_time(sheet, SHORT_REST_ROUNDS)  # an hour: timed spells run down
    left = sheet.level - sheet.hit_dice_used
    if dice < 0 or dice > left:
        raise InvalidInput(f"{sheet.name} has {counted(left, 'hit die')} to spend; not {dice}.")
    if dice and sheet.hp_current >= sheet.hp_max:
        raise InvalidInput(
            f"{sheet.name} is at full HP ({sheet.hp_current}/{sheet.hp_max}): there is nothing for hit dice to heal. "
            "Rest without `dice:`."
        )
    con_mod = rules.modifier(sheet.scores["con"])
    outcome = None
    healed = 0
    if dice:
        bonus = "" if con_mod == 0 else rules.signed(con_mod * dice)
        outcome = roll(f"{class_levels.hit_dice_to_spend(srd, sheet, dice)}{bonus}")
        healed = max(0, outcome.total)
    current = rules.heal(sheet.hp_current, sheet.hp_max, healed)
    slots = sheet.slots_max if class_levels.slots_are_pact(sheet) else sheet.slots_current  # Pact Magic
    revived = current > 0 and sheet.hp_current <= 0
    new = replace(
        sheet,
        hp_current=current,
        hit_dice_used=sheet.hit_dice_used + dice,
        slots_current=tuple(slots),
        death_successes=0 if revived else sheet.death_successes,
        death_failures=0 if revived else sheet.death_failures,
    )
    new, back = uses.after_rest(new, "short")  # Action Surge, Ki, Wild Shape, Channel Divinity...
    return Rest(
        new,
        "short",
        current - max(0, sheet.hp_current),
        dice,
        0,
        outcome,
        slots_regained=sum(slots) - sum(sheet.slots_current),
        death_saves_reset=revived and bool(sheet.death_successes or sheet.death_failures),
        features_regained=back,
    )


def long_rest(sheet: Sheet) -> Rest:
    sheet = casting.pass_time(sheet, LONG_REST_ROUNDS)  # 8 hours: Mage Armor and Aid end
    regained = min(sheet.hit_dice_used, rules.hit_dice_regained_on_long_rest(sheet.level))
    exhaustion = next((c.level for c in sheet.conditions if c.name == "exhaustion"), 0)
    conditions = tuple(
        replace(c, level=c.level - 1) if c.name == "exhaustion" else c
        for c in sheet.conditions
        if not (c.name == "exhaustion" and c.level <= 1)
    )
    new = replace(
        sheet,
        hp_current=sheet.hp_max,
        hit_dice_used=sheet.hit_dice_used - regained,
        slots_current=sheet.slots_max,
        death_successes=0,
        death_failures=0,
        conditions=conditions,
        spells=spells.after_long_rest(sheet.spells),  # SRD: prepared spells change after a long rest
    )
    new, back = uses.after_rest(new, "long")  # every feature with uses
    return Rest(
        new,
        "long",
        sheet.hp_max - max(0, sheet.hp_current),
        0,
        regained,
        None,
        slots_regained=sum(sheet.slots_max) - sum(sheet.slots_current),
        death_saves_reset=bool(sheet.death_successes or sheet.death_failures),
        exhaustion_before=exhaustion,
        features_regained=back,
    )


def rest_lines(rest: Rest) -> list[str]:
    """What the rest did, in words: nothing is said of what did not happen."""
    sheet = rest.sheet
    lines: list[str] = []
    if rest.hp_regained:
        lines.append(f"❤️ HP {sheet.hp_current}/{sheet.hp_max} (+{rest.hp_regained})")
    if rest.roll:
        lines.append(f"Spent {counted(rest.hit_dice_spent, 'hit die')}: {rest.roll.breakdown}")
    if rest.hit_dice_regained:
        lines.append(f"Regained {counted(rest.hit_dice_regained, 'hit die')}.")
    if rest.slots_regained:
        lines.append(f"🔮 Regained {counted(rest.slots_regained, 'spell slot')}.")
    if rest.features_regained:
        lines.append("🔋 Back: " + ", ".join(rest.features_regained) + ".")
    if rest.death_saves_reset:
        lines.append("Death saves reset.")
    if rest.exhaustion_before:
        after = rest.exhaustion_before - 1
        lines.append(f"Exhaustion {rest.exhaustion_before} → {after}." if after else "No longer exhausted.")
    if not lines:
        lines.append(f"❤️ HP {sheet.hp_current}/{sheet.hp_max}: {sheet.name} is rested; nothing needed recovering.")
    left = sheet.level - sheet.hit_dice_used
    lines.append(f"Hit dice left: {left}/{sheet.level}")
    return lines
