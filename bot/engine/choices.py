"""The choices a level gives, by the SRD 5.1: what a new level (or the creation draft) asks the player,
checked and applied to the sheet. No Discord, no storage.

- the subclass at the class's level (the SRD has one per class: Berserker, Lore, Life, ...);
- Ability Score Improvement: +2 to one score or +1 to two (20 at most), or a feat (Grappler) instead;
- the features that ask for a pick (fighting style, expertise, favoured enemy and terrain, eldritch
  invocations, pact boon, a land druid's land, a draconic sorcerer's ancestor, Hunter's options);
- a dragonborn's ancestry (breath weapon and resistance) at creation;
- a second class's skill (bard, ranger, rogue).

What was chosen is kept in `Sheet.choices` (subclass in `Sheet.subclass`, expertise in `Sheet.expertise`);
`bot.engine.sheet` reads it for the numbers it changes (AC, attacks), this module for HP.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from bot.data.srd import SRD, FeatureChoice
from bot.engine import class_levels, rules
from bot.engine.sheet import Sheet
from bot.errors import InvalidInput

ASI_FEATURE = "Ability Score Improvement"
FEAT_PREFIX = "feat:"
FEAT_LINE = "Feat: "  # a feat taken, on the sheet's feature list
ASI_CAP = 20  # an Ability Score Improvement raises no score past 20
# Feature index (or its start) -> the key its choice is kept under in Sheet.choices.
KEY_OF_FEATURE: tuple[tuple[str, str], ...] = (
    ("fighter-fighting-style", "fighting_style"),
    ("additional-fighting-style", "fighting_style"),
    ("paladin-fighting-style", "fighting_style"),
    ("ranger-fighting-style", "fighting_style"),
    ("bard-expertise", "expertise"),
    ("rogue-expertise", "expertise"),
    ("favored-enemy", "favored_enemy"),
    ("natural-explorer", "favored_terrain"),
    ("eldritch-invocations", "invocations"),
    ("pact-boon", "pact_boon"),
    ("circle-of-the-land", "druid_land"),
    ("dragon-ancestor", "draconic_ancestry"),
    ("metamagic", "metamagic"),
)
# Keys holding one value (the rest hold lists: a fighter can have two styles, a ranger three terrains).
SINGLE_KEYS = frozenset({"pact_boon", "druid_land", "draconic_ancestry", "dragonborn_ancestry"})
DRACONIC_RESILIENCE = ("sorcerer", "draconic")  # +1 HP per sorcerer level, unarmoured AC 13 + Dex


@dataclass(frozen=True)
class Ask:
    """One choice a level asks for: pick `low`..`high` of `options` (value, label)."""

    key: str
    label: str
    low: int
    high: int
    options: tuple[tuple[str, str], ...]
    feature: str = ""  # the SRD feature it comes from, for the sheet's feature list


# --- What a level asks ----------------------------------------------------------------------------


def subclass_level(srd: SRD, class_index: str) -> int:
    """The class level at which the SRD's subclass is chosen (cleric 1, wizard 2, fighter 3, ...)."""
    levels = [level.level for s in srd.klass(class_index).subclasses for level in srd.subclass(s).features]
    return min(levels, default=3)


def asks(srd: SRD, sheet: Sheet, class_index: str, class_level: int) -> tuple[Ask, ...]:
    """What reaching `class_level` in `class_index` asks of `sheet` (the sheet before the level)."""
    klass = srd.klass(class_index)
    found: list[Ask] = []
    subclass = sheet.subclass if class_index == sheet.class_index else _other_subclass(sheet, class_index)
    # at its level, or later for a character made before levels asked for one (its features come with it)
    if class_level >= subclass_level(srd, class_index) and klass.subclasses and subclass is None:
        options = tuple((s, srd.subclass(s).name) for s in klass.subclasses)
        flavour = srd.subclass(klass.subclasses[0]).flavor
        found.append(Ask("subclass", flavour, 1, 1, options))
        subclass = klass.subclasses[0] if len(klass.subclasses) == 1 else None
    if class_level == 1 and class_index not in class_levels.levels_by_class(sheet):
        found.extend(_multiclass_skill(srd, sheet, class_index))
    for feature in srd.data.feature_options:
        if feature.class_index == class_index and feature.level == class_level:
            if feature.subclass is None or feature.subclass == subclass:
                ask = _feature_ask(srd, sheet, feature, class_level)
                if ask is not None:
                    found.append(ask)
    if ASI_FEATURE in klass.level(class_level).features:
        found.append(_asi_ask(srd, sheet))
    return tuple(found)


def creation_asks(srd: SRD, sheet: Sheet) -> tuple[Ask, ...]:
    """A level-1 character's choices: its class's level-1 ones (expertise is the draft's own) and a
    dragonborn's ancestry."""
    found = [a for a in asks(srd, sheet, sheet.class_index, 1) if a.key != "expertise"]
    if sheet.race == "dragonborn":
        options = tuple(
            (_slug(a.index.removeprefix("draconic-ancestry-")), _ancestry_label(a)) for a in _ancestries(srd)
        )
        found.insert(0, Ask("dragonborn_ancestry", "Draconic ancestry", 1, 1, options, "Draconic Ancestry"))
    return tuple(found)


def draft_sheet(srd: SRD, *, race: str, class_index: str, proficiencies: Mapping[str, Sequence[str]]) -> Sheet:
    """A stand-in level-1 sheet for asking a creation draft's choices (nothing of it is stored)."""
    scores = dict.fromkeys(rules.ABILITIES, 10)
    return Sheet(
        id=0, guild_id=0, owner_id=0, campaign_id=None, name="", active=False, version=0, race=race, subrace=None,
        class_index=class_index, background="", level=1, xp=0, levelup_allowed=False, base_scores=scores,
        bonus_scores={}, hp_max=1, hp_current=1, hp_temp=0, hit_dice_used=0, death_successes=0, death_failures=0,
        proficiencies={k: tuple(v) for k, v in proficiencies.items()}, expertise=(), languages=(), features=(),
        inventory=(), coins={}, slots_max=(), slots_current=(), conditions=(),
    )  # fmt: skip


def _other_subclass(sheet: Sheet, class_index: str) -> str | None:
    """A second class's subclass, kept in the choices (the first class's is Sheet.subclass)."""
    return (sheet.choices.get("subclasses") or {}).get(class_index)


def _multiclass_skill(srd: SRD, sheet: Sheet, class_index: str) -> list[Ask]:
    multi = srd.klass(class_index).multiclassing
    have = set(sheet.proficiencies.get("skills", ()))
    options = tuple((s, _title(s)) for s in multi.skill_options if s not in have)
    if not multi.skill_choose or not options:
        return []
    return [Ask("multiclass_skill", f"{srd.klass(class_index).name} skill", 1, multi.skill_choose, options)]


def _feature_ask(srd: SRD, sheet: Sheet, feature: FeatureChoice, class_level: int) -> Ask | None:
    key = key_of(feature.index)
    taken = set(_as_list(sheet.choices.get(key)))
    if key == "expertise":
        proficient = set(sheet.proficiencies.get("skills", ())) | set(sheet.proficiencies.get("tools", ()))
        options = tuple(
            (o.index, o.name) for o in feature.options if o.index in proficient and o.index not in sheet.expertise
        )
    elif key == "invocations":
        return _invocations_ask(srd, sheet, feature, class_level)
    else:
        options = tuple((_value(o.name), _label(o.name)) for o in feature.options if _value(o.name) not in taken)
    count = min(feature.choose, len(options))
    if count == 0:
        return None
    return Ask(key, _label(feature.name), count, count, options, feature.name)


def _invocations_ask(srd: SRD, sheet: Sheet, feature: FeatureChoice, class_level: int) -> Ask | None:
    """Invocations the warlock table adds at this level, among those whose prerequisites the sheet meets."""
    klass = srd.klass("warlock")
    before = int(klass.level(class_level - 1).class_specific.get("invocations_known", 0)) if class_level > 1 else 0
    count = int(klass.level(class_level).class_specific.get("invocations_known", 0)) - before
    return _invocation_pick(srd, sheet, feature, class_level, count)


def _invocation_pick(srd: SRD, sheet: Sheet, feature: FeatureChoice, level: int, count: int) -> Ask | None:
    taken = set(_as_list(sheet.choices.get("invocations")))
    boon = sheet.choices.get("pact_boon")
    options = tuple(
        (_value(o.name), o.name)
        for o in feature.options
        if o.level <= level
        and (o.feature is None or o.feature == boon)
        and (o.spell is None or o.spell in sheet.spells.cantrips or o.spell in sheet.spells.known)
        and _value(o.name) not in taken
    )
    count = min(count, len(options))
    if count <= 0:
        return None
    return Ask("invocations", f"Eldritch invocations ({count})", count, count, options, "Eldritch Invocations")


def _asi_ask(srd: SRD, sheet: Sheet) -> Ask:
    """One ability for +2, two for +1 each, or a feat: a select of 1 or 2 values."""
    scores = sheet.scores
    options = [(a, f"{rules.ABILITY_NAMES[a]} {scores[a]}") for a in rules.ABILITIES if scores[a] < ASI_CAP]
    feats = set(_as_list(sheet.choices.get("feats")))
    for feat in srd.feats():
        if feat.index not in feats and all(scores[a] >= n for a, n in feat.prerequisites.items()):
            options.append((FEAT_PREFIX + feat.index, f"Feat: {feat.name}"))
    return Ask("asi", "Ability Score Improvement: one score +2, two +1, or a feat", 1, 2, tuple(options), ASI_FEATURE)


# --- Applying them --------------------------------------------------------------------------------


def apply(srd: SRD, sheet: Sheet, asked: Sequence[Ask], picks: Mapping[str, Sequence[str]], level: int) -> Sheet:
    """`sheet` with every asked choice made: each checked against its options (the whole set or nothing)."""
    for ask in asked:
        chosen = tuple(dict.fromkeys(picks.get(ask.key, ())))
        _check(ask, chosen)
        sheet = _made(srd, sheet, ask, chosen, level)
    extra = set(picks) - {a.key for a in asked}
    if extra:
        raise InvalidInput(f"This level asks no {', '.join(sorted(extra))}.")
    return sheet


def describe(sheet: Sheet, ask: Ask, picked: Sequence[str]) -> str:
    """The picks as the player reads them: an ASI as its new scores ('Strength 16 → 17, Constitution 15 → 16')."""
    labels = dict(ask.options)
    if ask.key != "asi" or not picked or picked[0].startswith(FEAT_PREFIX):
        return ", ".join(labels.get(v, v) for v in picked) or "—"
    step = 2 if len(picked) == 1 else 1
    scores = sheet.scores
    return ", ".join(f"{rules.ABILITY_NAMES[a]} {scores[a]} → {scores[a] + step}" for a in picked if a in scores)


def _check(ask: Ask, chosen: Sequence[str]) -> None:
    values = {v for v, _ in ask.options}
    bad = [c for c in chosen if c not in values]
    if bad:
        names = ", ".join(label for _, label in ask.options[:25])
        raise InvalidInput(f"{', '.join(bad)} isn't one of the {ask.label} options: {names}.")
    if not ask.low <= len(chosen) <= ask.high:
        many = str(ask.low) if ask.low == ask.high else f"{ask.low} or {ask.high}"
        raise InvalidInput(f"Choose {many} for {ask.label} (you chose {len(chosen)}).")
    if ask.key == "asi" and any(c.startswith(FEAT_PREFIX) for c in chosen) and len(chosen) > 1:
        raise InvalidInput("A feat takes the whole Ability Score Improvement: choose the feat alone.")


def _made(srd: SRD, sheet: Sheet, ask: Ask, chosen: Sequence[str], level: int) -> Sheet:
    labels = dict(ask.options)
    if ask.key == "subclass":
        return _with_subclass(srd, sheet, chosen[0])
    if ask.key == "asi":
        return _improve(srd, sheet, chosen, level)
    if ask.key == "expertise":
        return replace(sheet, expertise=(*sheet.expertise, *chosen))
    if ask.key == "multiclass_skill":
        skills = tuple(sorted({*sheet.proficiencies.get("skills", ()), *chosen}))
        return replace(sheet, proficiencies={**sheet.proficiencies, "skills": skills})
    kept: Any = chosen[0] if ask.key in SINGLE_KEYS else [*_as_list(sheet.choices.get(ask.key)), *chosen]
    named = tuple(f"{ask.feature}: {labels[c]}" for c in chosen) if ask.feature else ()
    return replace(
        sheet,
        choices={**sheet.choices, ask.key: kept},
        features=tuple(dict.fromkeys((*sheet.features, *named))),
    )


def _with_subclass(srd: SRD, sheet: Sheet, index: str) -> Sheet:
    """The subclass, its features of the levels reached, and Draconic Resilience's HP for the levels so far."""
    sub = srd.subclass(index)
    class_level = class_levels.level_in(sheet, sub.class_index)
    features = [f for row in sub.features if row.level <= class_level for f in row.features]
    new = replace(sheet, features=tuple(dict.fromkeys((*sheet.features, *features))))
    if sub.class_index == sheet.class_index:
        new = replace(new, subclass=index)
    else:
        new = replace(
            new,
            choices={**new.choices, "subclasses": {**(new.choices.get("subclasses") or {}), sub.class_index: index}},
        )
    if (sub.class_index, index) == DRACONIC_RESILIENCE:
        new = replace(new, hp_max=new.hp_max + class_level, hp_current=new.hp_current + class_level)
    return new


def _improve(srd: SRD, sheet: Sheet, chosen: Sequence[str], level: int) -> Sheet:
    if chosen[0].startswith(FEAT_PREFIX):
        feat = srd.feat(chosen[0].removeprefix(FEAT_PREFIX))
        feats = [*_as_list(sheet.choices.get("feats")), feat.index]
        return replace(
            sheet,
            choices={**sheet.choices, "feats": feats},
            features=tuple(dict.fromkeys((*sheet.features, f"{FEAT_LINE}{feat.name}"))),
        )
    step = 2 if len(chosen) == 1 else 1
    scores = sheet.scores
    over = [rules.ABILITY_NAMES[a] for a in chosen if scores[a] + step > ASI_CAP]
    if over:
        raise InvalidInput(f"{', '.join(over)} would pass {ASI_CAP}; choose two scores for +1 each, or another.")
    bonus = dict(sheet.bonus_scores)
    for ability in chosen:
        bonus[ability] = bonus.get(ability, 0) + step
    improved = replace(sheet, bonus_scores=bonus)
    record = {"level": level, "scores": {a: step for a in chosen}}
    return replace(improved, choices={**sheet.choices, "asi": [*_as_list(sheet.choices.get("asi")), record]})


# --- HP by choices --------------------------------------------------------------------------------


def hp_per_level(srd: SRD, sheet: Sheet, class_index: str) -> int:
    """Extra HP a level in `class_index` gives: Dwarven Toughness, and Draconic Resilience for sorcerer levels."""
    subrace = srd.subrace(sheet.subrace) if sheet.subrace else None
    toughness = 1 if subrace is not None and "Dwarven Toughness" in subrace.traits else 0
    subclass = sheet.subclass if class_index == sheet.class_index else _other_subclass(sheet, class_index)
    return toughness + (1 if (class_index, subclass) == DRACONIC_RESILIENCE else 0)


# --- What the sheet shows -------------------------------------------------------------------------


def summary(srd: SRD, sheet: Sheet) -> list[str]:
    """One line per choice made, for the sheet: 'Fighting style: Archery', 'ASI (4): STR +2'."""
    lines = []
    if sheet.subclass:
        lines.append(f"{srd.subclass(sheet.subclass).flavor}: {srd.subclass(sheet.subclass).name}")
    for index, sub in (sheet.choices.get("subclasses") or {}).items():
        lines.append(f"{srd.klass(index).name}: {srd.subclass(sub).name}")
    names = option_names(srd)
    for key, value in sheet.choices.items():
        if key in ("asi", "subclasses"):
            continue
        shown = [names.get(str(v), _title(str(v))) for v in _as_list(value)]
        if key == "feats":  # by the feature list's "Feat: Grappler": a homebrew feat is in no SRD lookup here
            shown = [f.removeprefix(FEAT_LINE) for f in sheet.features if f.startswith(FEAT_LINE)]
        lines.append(f"{_title(key)}: {', '.join(shown)}")
    for record in _as_list(sheet.choices.get("asi")):
        raised = ", ".join(f"{a.upper()} +{n}" for a, n in record["scores"].items())
        lines.append(f"Ability Score Improvement (level {record['level']}): {raised}")
    return lines


def breath_weapon(srd: SRD, sheet: Sheet) -> str | None:
    """A dragonborn's breath weapon and resistance by its ancestry: 'Breath weapon: 2d6 fire, 15 ft cone
    (DEX save DC 12); resistance to fire'."""
    colour = sheet.choices.get("dragonborn_ancestry")
    if not colour:
        return None
    ancestry = srd.draconic_ancestry(f"draconic-ancestry-{colour}")
    dice = _step(ancestry.damage_at_character_level, sheet.level)
    dc = 8 + rules.modifier(sheet.scores["con"]) + rules.proficiency_bonus(sheet.level)
    area = f"{ancestry.area.size} ft {ancestry.area.type}"
    return (
        f"Breath weapon: {dice} {ancestry.damage_type}, {area} ({ancestry.save.upper()} save DC {dc}); "
        f"resistance to {ancestry.damage_type}"
    )


def resistances(srd: SRD, sheet: Sheet) -> tuple[str, ...]:
    """Damage types the choices resist (a dragonborn's ancestry)."""
    colour = sheet.choices.get("dragonborn_ancestry")
    return (srd.draconic_ancestry(f"draconic-ancestry-{colour}").damage_type,) if colour else ()


# --- Helpers --------------------------------------------------------------------------------------


@cache
def option_names(srd: SRD) -> dict[str, str]:
    """Stored values to the names the SRD gives them ('devils-sight' -> "Devil's Sight")."""
    return {_value(o.name): _label(o.name) for f in srd.data.feature_options for o in f.options}


def key_of(feature_index: str) -> str:
    return next((key for start, key in KEY_OF_FEATURE if feature_index.startswith(start)), feature_index)


def _value(name: str) -> str:
    """'Fighting Style: Archery' -> 'archery'; 'Dragon Ancestor: Red - Fire Damage' -> 'red'."""
    return _slug(_label(name).split(" - ")[0])


def _label(name: str) -> str:
    return name.split(": ", 1)[-1]


def _slug(text: str) -> str:
    """'Devil's Sight' -> 'devils-sight'."""
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’]", "", text.casefold())).strip("-")


def _title(slug: str) -> str:
    return str(slug).replace("_", " ").replace("-", " ").capitalize()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _ancestries(srd: SRD) -> list[Any]:
    return list(srd.lookup("draconic_ancestry"))


def _ancestry_label(ancestry: Any) -> str:
    colour = ancestry.index.removeprefix("draconic-ancestry-").capitalize()
    return f"{colour} ({ancestry.damage_type}, {ancestry.area.size} ft {ancestry.area.type})"


def _step(table: Mapping[int, str], level: int) -> str:
    reached = [lv for lv in table if lv <= level]
    return table[max(reached)] if reached else next(iter(table.values()))


def summary_of_change(srd: SRD, before: Sheet, after: Sheet) -> tuple[str, ...]:
    """The sheet's choice lines a change added (the level-up reply lists them)."""
    old = set(summary(srd, before))
    return tuple(line for line in summary(srd, after) if line not in old)
