"""One level more, by the SRD 5.1: which class gains it (a new one by the multiclassing rules), the HP,
slots, features and the choices it asks (`bot.engine.choices`). Pure: the character service stores it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.data.srd import SRD, CharacterClass
from bot.engine import choices, class_levels, rules, spells
from bot.engine.choices import Ask
from bot.engine.sheet import Sheet, with_magic_hp
from bot.errors import InvalidInput


@dataclass(frozen=True)
class Plan:
    """What the next level of `sheet` in `klass` asks, before anything is chosen or stored."""

    sheet: Sheet
    klass: CharacterClass
    class_level: int
    new_class: bool
    asks: tuple[Ask, ...]
    suggested: Mapping[str, tuple[str, ...]]  # what Confirm takes when the player changes nothing


def plan(srd: SRD, sheet: Sheet, class_key: str | None = None) -> Plan:
    """The next level's plan; a new class must meet the multiclassing prerequisites."""
    if sheet.level >= rules.MAX_LEVEL:
        raise InvalidInput(f"{sheet.name} is level {rules.MAX_LEVEL}, the highest level there is.")
    klass = srd.klass(class_key) if class_key else srd.klass(sheet.class_index)
    levels = class_levels.levels_by_class(sheet)
    new_class = klass.index not in levels
    if new_class:
        class_levels.check_prerequisites(srd, sheet, klass)
    class_level = levels.get(klass.index, 0) + 1
    asked = choices.asks(srd, sheet, klass.index, class_level)
    return Plan(sheet, klass, class_level, new_class, asked, suggest(sheet, asked))


def suggest(sheet: Sheet, asked: Sequence[Ask]) -> dict[str, tuple[str, ...]]:
    """A legal pick for every choice: the first options; an ASI the class's main score (see below)."""
    picks: dict[str, tuple[str, ...]] = {}
    for ask in asked:
        if ask.key == "asi":
            picks[ask.key] = _suggested_asi(sheet, ask)
        else:
            picks[ask.key] = tuple(v for v, _ in ask.options[: ask.low])
    return picks


def _suggested_asi(sheet: Sheet, ask: Ask) -> tuple[str, ...]:
    """+2 to the first score the class wants most that can take it, else +1 to the first two."""
    scores = sheet.scores
    order = rules.ABILITY_PRIORITY.get(sheet.class_index, rules.ABILITIES)
    offered = {v for v, _ in ask.options}
    by_score = [a for a in order if a in offered]
    for ability in by_score:
        if scores[ability] <= choices.ASI_CAP - 2:
            return (ability,)
    if len(by_score) >= 2:
        return tuple(by_score[:2])
    return tuple(by_score[:1]) or (ask.options[0][0],)


def apply(
    srd: SRD, chosen: Plan, die_value: int, picks: Mapping[str, Sequence[str]] | None = None
) -> tuple[Sheet, int]:
    """The sheet one level up and the HP it gained (the choices' HP included)."""
    sheet, klass, class_level = chosen.sheet, chosen.klass, chosen.class_level
    con_mod = rules.modifier(sheet.scores["con"])
    gain = rules.hp_gain(die_value, con_mod, per_level_bonus=choices.hp_per_level(srd, sheet, klass.index))
    levels = {**class_levels.levels_by_class(sheet), klass.index: class_level}
    slots = class_levels.spell_slots(srd, levels)
    features = (*klass.level(class_level).features, *_subclass_features(srd, sheet, klass.index, class_level))
    new = replace(
        sheet,
        level=sheet.level + 1,
        class_levels=levels if len(levels) > 1 else {},
        levelup_allowed=False,
        hp_max=sheet.hp_max + gain,
        hp_current=sheet.hp_current + gain,
        slots_max=slots,
        slots_current=_grow_slots(sheet.slots_current, sheet.slots_max, slots),
        features=tuple(dict.fromkeys((*sheet.features, *features))),
        spells=spells.after_long_rest(sheet.spells),  # a new level may change the prepared list
    )
    if chosen.new_class:
        new = replace(new, proficiencies=class_levels.added_proficiencies(srd, new, klass))
    made = chosen.suggested if picks is None else picks
    new = _con_hp(sheet, choices.apply(srd, new, chosen.asks, made, class_level))
    new = with_magic_hp(sheet, new, srd)  # an attuned Amulet of Health's Constitution counts for the new level too
    return new, new.hp_max - sheet.hp_max


def _con_hp(before: Sheet, after: Sheet) -> Sheet:
    """A Constitution modifier that rises (an ASI, Primal Champion) raises the HP maximum by as much for
    every level, the new one included (SRD); the new level's die was counted with the old modifier."""
    gain = (rules.modifier(after.scores["con"]) - rules.modifier(before.scores["con"])) * after.level
    return replace(after, hp_max=after.hp_max + gain, hp_current=after.hp_current + gain)


def _subclass_features(srd: SRD, sheet: Sheet, class_index: str, class_level: int) -> tuple[str, ...]:
    subclass = sheet.subclass if class_index == sheet.class_index else None
    subclass = subclass or (sheet.choices.get("subclasses") or {}).get(class_index)
    if not subclass:
        return ()
    return tuple(f for row in srd.subclass(subclass).features if row.level == class_level for f in row.features)


def _grow_slots(current: Sequence[int], old_max: Sequence[int], new_max: Sequence[int]) -> tuple[int, ...]:
    """New slots from a level arrive unspent; spent ones stay spent."""
    old = list(old_max) + [0] * (9 - len(old_max))
    cur = list(current) + [0] * (9 - len(current))
    return tuple(min(n, c + max(0, n - o)) for c, o, n in zip(cur, old, new_max, strict=False))
