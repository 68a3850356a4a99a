"""Multiclassing by the SRD 5.1 ("Multiclassing"): levels by class, prerequisites, what a new class
teaches, hit dice by class and the multiclass spellcaster table, with pact magic kept apart.

A sheet's `class_levels` is empty for a single-classed character: all its levels are in `class_index`
(its first class, which gave its saves and its level-1 proficiencies).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.data.srd import SRD, CharacterClass
from bot.engine import rules
from bot.errors import InvalidInput

if TYPE_CHECKING:  # bot.engine.sheet reads the levels from here
    from bot.engine.sheet import Sheet

FULL_CASTERS = frozenset({"bard", "cleric", "druid", "sorcerer", "wizard"})
HALF_CASTERS = frozenset({"paladin", "ranger"})  # count half their levels, rounded down
PACT_CASTER = "warlock"  # pact magic: its own slots, never added to the table
SLOT_TABLE_CLASS = "wizard"  # the Multiclass Spellcaster table is the full casters' table


def levels_by_class(sheet: Sheet) -> dict[str, int]:
    """{class index: levels}, the first class first."""
    return dict(sheet.class_levels) if sheet.class_levels else {sheet.class_index: sheet.level}


def level_in(sheet: Sheet, class_index: str) -> int:
    return levels_by_class(sheet).get(class_index, 0)


def is_multiclassed(sheet: Sheet) -> bool:
    return len(levels_by_class(sheet)) > 1


def classes_text(srd: SRD, sheet: Sheet) -> str:
    """'Fighter 1 / Wizard 1' (or just 'Fighter' for one class)."""
    levels = levels_by_class(sheet)
    if len(levels) == 1:
        return srd.klass(sheet.class_index).name
    return " / ".join(f"{srd.klass(c).name} {n}" for c, n in levels.items())


def check_prerequisites(srd: SRD, sheet: Sheet, new_class: CharacterClass) -> None:
    """A character takes a new class only with the scores of both its current classes and the new one."""
    scores = sheet.scores
    for index in (*levels_by_class(sheet), new_class.index):
        klass = srd.klass(index)
        missing = _missing(klass, scores)
        if missing:
            raise InvalidInput(
                f"To multiclass into {new_class.name}, {sheet.name} needs {missing} "
                f"(the SRD asks it of every {klass.name}); {sheet.name} has "
                + ", ".join(f"{a.upper()} {scores[a]}" for a in klass.multiclassing.requires)
                + "."
            )


def _missing(klass: CharacterClass, scores: Mapping[str, int]) -> str:
    needs = klass.multiclassing.requires
    met = [scores[a] >= n for a, n in needs.items()]
    if not needs or (any(met) if klass.multiclassing.requires_any else all(met)):
        return ""
    joiner = " or " if klass.multiclassing.requires_any else " and "
    return joiner.join(f"{rules.ABILITY_NAMES[a]} {n}" for a, n in needs.items())


def added_proficiencies(srd: SRD, sheet: Sheet, new_class: CharacterClass) -> dict[str, tuple[str, ...]]:
    """The proficiencies a sheet has after taking `new_class` as a second class (the SRD's subset)."""
    gained = new_class.multiclassing.proficiencies
    merged = {k: list(v) for k, v in sheet.proficiencies.items()}
    for group, values in (("armor", gained.armor), ("weapons", gained.weapons), ("tools", gained.tools)):
        merged[group] = sorted({*merged.get(group, ()), *values})
    return {k: tuple(v) for k, v in merged.items()}


def hit_dice(srd: SRD, sheet: Sheet) -> dict[int, int]:
    """{die size: how many}, e.g. a fighter 1 / wizard 1 has {10: 1, 6: 1}."""
    dice: dict[int, int] = {}
    for index, levels in levels_by_class(sheet).items():
        die = srd.klass(index).hit_die
        dice[die] = dice.get(die, 0) + levels
    return dice


def hit_dice_to_spend(srd: SRD, sheet: Sheet, count: int) -> str:
    """The next `count` unspent hit dice as an expression ('2d10', '1d10+1d6'): the largest are spent first."""
    pool = sorted((die for die, n in hit_dice(srd, sheet).items() for _ in range(n)), reverse=True)
    spent = pool[sheet.hit_dice_used : sheet.hit_dice_used + count]
    return "+".join(f"{spent.count(die)}d{die}" for die in sorted(set(spent), reverse=True))


def spell_slots(srd: SRD, levels: Mapping[str, int]) -> tuple[int, ...]:
    """Slots of spell levels 1..9: one class's own table, else the Multiclass Spellcaster table.

    A warlock's pact slots are not in it (see `pact_slots`), unless the warlock's other classes give no
    table slots: then the sheet's slots are its pact slots.
    """
    if len(levels) == 1:
        ((index, level),) = levels.items()
        return srd.spell_slots(index, level)
    caster_level = _caster_level(levels)
    if caster_level == 0:  # a warlock with a class that doesn't cast (or casts from a later level): pact slots
        return srd.spell_slots(PACT_CASTER, levels.get(PACT_CASTER, 0)) if levels.get(PACT_CASTER) else (0,) * 9
    return srd.spell_slots(SLOT_TABLE_CLASS, caster_level)


def pact_slots(srd: SRD, levels: Mapping[str, int]) -> tuple[int, ...]:
    """A warlock's pact slots kept apart from a multiclass table's (all zeros when there is no table)."""
    warlock = levels.get(PACT_CASTER, 0)
    if not warlock or len(levels) == 1 or _caster_level(levels) == 0:
        return (0,) * 9
    return srd.spell_slots(PACT_CASTER, warlock)


def slots_are_pact(sheet: Sheet) -> bool:
    """Whether the sheet's slots are pact slots (all of one level, back after a short rest): a warlock's,
    unless another class gives it slots of the multiclass table."""
    levels = levels_by_class(sheet)
    return PACT_CASTER in levels and _caster_level(levels) == 0


def _caster_level(levels: Mapping[str, int]) -> int:
    """The Multiclass Spellcaster table's level: full casters' levels and half the paladin's and ranger's."""
    return sum(n for c, n in levels.items() if c in FULL_CASTERS) + sum(
        n // 2 for c, n in levels.items() if c in HALF_CASTERS
    )
