"""SRD hit points on a character sheet: damage (temporary HP first, unconscious at 0, death saves) and healing.

Pure functions of a sheet and its hit point maximum; the narrator's `apply_damage` and `heal` tools
(`bot.engine.tools`) apply them.
"""

from __future__ import annotations

from dataclasses import replace

from bot.engine import rules
from bot.engine.sheet import ActiveCondition, Sheet


def damaged(sheet: Sheet, amount: int, hp_max: int) -> Sheet:
    """SRD damage: temporary HP first; at 0 HP unconscious; damage at 0 HP is a failed death save;
    what is left after reaching 0 that equals the hit point maximum kills outright."""
    absorbed = min(sheet.hp_temp, amount)
    rest = amount - absorbed
    if sheet.hp_current <= 0:
        failures = 3 if rest >= hp_max else min(3, sheet.death_failures + (1 if rest else 0))
        return replace(sheet, hp_temp=sheet.hp_temp - absorbed, death_failures=failures)
    hp = max(0, sheet.hp_current - rest)
    new = replace(sheet, hp_temp=sheet.hp_temp - absorbed, hp_current=hp)
    if hp == 0:
        failures = 3 if rest - sheet.hp_current >= hp_max else sheet.death_failures
        conditions = sheet.conditions
        if not any(c.name == "unconscious" for c in conditions):
            conditions = (*conditions, ActiveCondition("unconscious"))
        new = replace(new, death_failures=failures, conditions=conditions)
    return new


def healed(sheet: Sheet, amount: int, hp_max: int) -> Sheet:
    hp = rules.heal(sheet.hp_current, hp_max, amount)
    if sheet.hp_current > 0 or hp == 0:
        return replace(sheet, hp_current=hp)
    awake = tuple(c for c in sheet.conditions if c.name != "unconscious")
    return replace(sheet, hp_current=hp, conditions=awake, death_successes=0, death_failures=0)
