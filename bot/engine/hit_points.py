"""SRD hit points on a character sheet, one rule for every path that changes them (a fight's attacks, the DM's
damage and healing, the narrator's tools): temporary HP first, unconscious at 0 HP, death saves, massive damage,
healing that wakes the dying, and no hit points for the dead. The arithmetic is `combat_rules`' (`Vitals`)."""

from __future__ import annotations

from dataclasses import replace

from bot.engine import combat_rules as cr
from bot.engine import rules
from bot.engine.sheet import ActiveCondition, Sheet, condition_level


def vitals(sheet: Sheet) -> cr.Vitals:
    hp_max = rules.exhaustion_hp_max(sheet.hp_max, condition_level(sheet, "exhaustion"))  # as `stats()` has it
    return cr.Vitals(sheet.hp_current, hp_max, sheet.hp_temp, sheet.death_successes, sheet.death_failures)


def hit(sheet: Sheet, amount: int, *, critical: bool = False) -> tuple[Sheet, cr.CharacterHit]:
    """The sheet after ``amount`` damage, and what the hit did (dropped, death saves failed, killed)."""
    result = cr.damage_character(vitals(sheet), amount, critical=critical)
    return with_vitals(sheet, result.after, dropped=result.dropped, revived=False), result


def damaged(sheet: Sheet, amount: int) -> Sheet:
    return hit(sheet, amount)[0]


def healed(sheet: Sheet, amount: int) -> Sheet:
    """The sheet after healing; raises ``InvalidInput`` for the dead (that takes magic, or the DM)."""
    was = vitals(sheet)
    now = cr.heal_character(was, amount)
    return with_vitals(sheet, now, dropped=False, revived=was.hp <= 0 < now.hp)


def with_vitals(sheet: Sheet, new: cr.Vitals, *, dropped: bool, revived: bool) -> Sheet:
    """The sheet with new HP and death saves: falling to 0 HP knocks a character unconscious, healing from
    0 HP wakes them; other changes leave the conditions alone (a DM's *sleep* stays)."""
    others = tuple(c for c in sheet.conditions if c.name != "unconscious")
    conditions = sheet.conditions
    if dropped:
        conditions = (*others, ActiveCondition("unconscious"))
    elif revived:
        conditions = others
    return replace(
        sheet,
        hp_current=new.hp,
        hp_temp=new.temp,
        death_successes=new.successes,
        death_failures=new.failures,
        conditions=conditions,
    )
