#!/usr/bin/env python3
"""Derive dmbot's compact, facts-only SRD 5.1 data set from the 5e-bits/5e-database JSON.

Why a script: the bot must run from its own data (a user's checkout has no ../shared), and the
SRD README forbids copying the long ``desc`` texts.  This script keeps only names, numbers, dice
and enums, keyed by the SRD ``index`` slugs, and writes one deterministic file
(``bot/data/srd.json``: sorted keys, lists sorted by index, no whitespace) so that re-running it
gives byte-identical output and a diff shows exactly what changed upstream.

Usage: ``python scripts/derive_srd.py [--source DIR] [--out FILE]``.

A few tables the SRD 5.1 prints are absent from the JSON and are written here by hand (see the
``HAND_*`` constants and their comments); the hand-written condition effects are a structured
summary of the SRD's Appendix PH-A "Conditions", not a copy of its text.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "srd" / "2014"
DEFAULT_OUT = REPO / "bot" / "data" / "srd.json"
SCHEMA_VERSION = 1

Json = dict[str, Any]

# --- Hand-written tables -------------------------------------------------------------------------

# SRD 5.1 "Beyond 1st Level" -> "Character Advancement" table (XP needed for levels 1..20).
# Not present in the 5e-bits JSON (neither Levels nor Rules/Rule-Sections carry it).
# fmt: off
HAND_XP_BY_LEVEL = [
    0, 300, 900, 2700, 6500, 14000, 23000, 34000, 48000, 64000,
    85000, 100000, 120000, 140000, 165000, 195000, 225000, 265000, 305000, 355000,
]

# SRD 5.1 "Monsters" -> "Challenge" -> "Experience Points by Challenge Rating" table.
# The JSON only has per-monster xp (and no monster of CR 18 or 25-29), so the full table is
# written here; derive() checks every monster against it (see fix_monster_xp).
# CR 0 is "0 or 10" in the SRD: 10 here; 0 only for creatures with no effective attacks.
HAND_XP_BY_CR: dict[str, int] = {
    "0": 10, "1/8": 25, "1/4": 50, "1/2": 100, "1": 200, "2": 450, "3": 700, "4": 1100,
    "5": 1800, "6": 2300, "7": 2900, "8": 3900, "9": 5000, "10": 5900, "11": 7200, "12": 8400,
    "13": 10000, "14": 11500, "15": 13000, "16": 15000, "17": 18000, "18": 20000, "19": 22000,
    "20": 25000, "21": 33000, "22": 41000, "23": 50000, "24": 62000, "25": 75000, "26": 90000,
    "27": 105000, "28": 120000, "29": 135000, "30": 155000,
}

# Encounter-building tables ("XP Thresholds by Character Level" and "Encounter Multipliers").
# NOTE: these are NOT in the JSON, and not in the SRD 5.1 either: they are the standard 5e
# (2014) Dungeon Master's Guide values ("Creating a Combat Encounter").  They are numbers only
# (easy, medium, hard, deadly per character), added because the encounter builder needs them.
HAND_ENCOUNTER_THRESHOLDS = [
    (25, 50, 75, 100), (50, 100, 150, 200), (75, 150, 225, 400), (125, 250, 375, 500),
    (250, 500, 750, 1100), (300, 600, 900, 1400), (350, 750, 1100, 1700), (450, 900, 1400, 2100),
    (550, 1100, 1600, 2400), (600, 1200, 1900, 2800), (800, 1600, 2400, 3600),
    (1000, 2000, 3000, 4500), (1100, 2200, 3400, 5100), (1250, 2500, 3800, 5700),
    (1400, 2800, 4300, 6400), (1600, 3200, 4800, 7200), (2000, 3900, 5900, 8800),
    (2100, 4200, 6300, 9500), (2400, 4900, 7300, 10900), (2800, 5700, 8500, 12700),
]
# (min monsters, max monsters or None, multiplier); party-size shifts use the ladder below.
HAND_ENCOUNTER_MULTIPLIERS = [
    (1, 1, 1.0), (2, 2, 1.5), (3, 6, 2.0), (7, 10, 2.5), (11, 14, 3.0), (15, None, 4.0),
]
# Fewer than 3 PCs: one step up; 6 or more PCs: one step down (0.5 below 1, 5 above 4).
HAND_MULTIPLIER_LADDER = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0]
# fmt: on

_STR_DEX = ["str", "dex"]
# Mechanical effects of each condition on rolls (SRD 5.1 Appendix PH-A), summarised by hand in a
# fixed schema so the rules engine can apply them without parsing prose.
HAND_CONDITION_EFFECTS: dict[str, Json] = {
    "blinded": {"attack": "disadvantage", "attacked_by": "advantage", "auto_fail_checks": ["sight"]},
    "charmed": {"cannot_attack_source": True, "source_social_advantage": True},
    "deafened": {"auto_fail_checks": ["hearing"]},
    "exhaustion": {
        "note": "Cumulative levels; a long rest with food and drink removes one level.",
        "levels": [
            "disadvantage on ability checks",
            "speed halved",
            "disadvantage on attack rolls and saving throws",
            "hit point maximum halved",
            "speed reduced to 0",
            "death",
        ],
    },
    "frightened": {
        "attack": "disadvantage",
        "ability_check": "disadvantage",
        "while_source_visible": True,
        "cannot_approach_source": True,
    },
    "grappled": {"speed_zero": True},
    "incapacitated": {"incapacitated": True},
    "invisible": {"attack": "advantage", "attacked_by": "disadvantage"},
    "paralyzed": {
        "incapacitated": True,
        "speed_zero": True,
        "cannot_speak": True,
        "auto_fail_saves": _STR_DEX,
        "attacked_by": "advantage",
        "crit_within_5ft": True,
        "implies": ["incapacitated"],
    },
    "petrified": {
        "incapacitated": True,
        "speed_zero": True,
        "cannot_speak": True,
        "auto_fail_saves": _STR_DEX,
        "attacked_by": "advantage",
        "resist_all_damage": True,
        "immune": ["poison", "disease"],
        "implies": ["incapacitated"],
    },
    "poisoned": {"attack": "disadvantage", "ability_check": "disadvantage"},
    "prone": {
        "attack": "disadvantage",
        "attacked_by_within_5ft": "advantage",
        "attacked_by_beyond_5ft": "disadvantage",
        "crawl_only": True,
    },
    "restrained": {
        "speed_zero": True,
        "attack": "disadvantage",
        "attacked_by": "advantage",
        "save_disadvantage": ["dex"],
    },
    "stunned": {
        "incapacitated": True,
        "speed_zero": True,
        "auto_fail_saves": _STR_DEX,
        "attacked_by": "advantage",
        "implies": ["incapacitated"],
    },
    "unconscious": {
        "incapacitated": True,
        "speed_zero": True,
        "cannot_speak": True,
        "auto_fail_saves": _STR_DEX,
        "attacked_by": "advantage",
        "crit_within_5ft": True,
        "implies": ["incapacitated", "prone"],
    },
}

# --- Generic helpers -----------------------------------------------------------------------------


def load(source: Path, name: str) -> list[Json]:
    """Read one ``5e-SRD-<name>.json`` list."""
    with (source / f"5e-SRD-{name}.json").open(encoding="utf-8") as fh:
        data: list[Json] = json.load(fh)
    return data


def compact(value: Any) -> Any:
    """Drop None, empty lists and empty dicts recursively: the loader's defaults restore them."""
    if isinstance(value, dict):
        out = {k: compact(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def refs(items: Iterable[Json]) -> list[str]:
    """Index slugs of a list of API references."""
    return [item["index"] for item in items]


def by_index(rows: Iterable[Json]) -> list[Json]:
    """Sort derived rows by their index so the output order never depends on the source's."""
    return sorted(rows, key=lambda row: row["index"])


def feet(text: str | int | bool) -> int:
    """'30 ft.' -> 30 (a trailing note such as '(blind beyond this radius)' is dropped)."""
    if isinstance(text, bool):
        return 0
    if isinstance(text, int):
        return text
    match = re.match(r"\s*(\d+)", text)
    if match is None:
        raise ValueError(f"no distance in {text!r}")
    return int(match.group(1))


def cr_label(cr: float) -> str:
    """0.125 -> '1/8': the key form of the CR->XP table."""
    return {0.125: "1/8", 0.25: "1/4", 0.5: "1/2"}.get(cr, str(int(cr)))


def cost(raw: Json | None) -> Json | None:
    """Keep a price as quantity + coin unit."""
    return None if raw is None else {"quantity": raw["quantity"], "unit": raw["unit"]}


# --- Choices ---------------------------------------------------------------------------------------


def option(raw: Json) -> Json:
    """One option of a choice in the project's simple form (see bot.data.srd.ChoiceOption)."""
    kind = raw["option_type"]
    if kind == "reference":
        return {"item": raw["item"]["index"], "count": 1}
    if kind == "counted_reference":
        prereqs = [p["proficiency"]["index"] for p in raw.get("prerequisites", [])]
        return {"item": raw["of"]["index"], "count": raw["count"], "requires_proficiency": prereqs}
    if kind == "multiple":
        return {"all_of": [option(item) for item in raw["items"]]}
    if kind == "choice":
        return {"choice": choice(raw["choice"])}
    if kind == "ability_bonus":
        return {"item": raw["ability_score"]["index"], "count": raw["bonus"]}
    raise ValueError(f"unsupported option type {kind!r}")


def choice(raw: Json) -> Json:
    """A 'choose N from ...' set: explicit options, an equipment category, or any of a resource."""
    source = raw["from"]
    kind = source["option_set_type"]
    out: Json = {"choose": raw["choose"]}
    if kind == "options_array":
        out["options"] = [option(o) for o in source["options"]]
    elif kind == "equipment_category":
        out["category"] = source["equipment_category"]["index"]
    elif kind == "resource_list":
        out["any_of"] = source["resource_list_url"].rstrip("/").rsplit("/", 1)[-1]
    else:
        raise ValueError(f"unsupported option set {kind!r}")
    return out


# --- Proficiencies ---------------------------------------------------------------------------------

PROF_GROUPS = {
    "Armor": "armor",
    "Weapons": "weapons",
    "Skills": "skills",
    "Saving Throws": "saving_throws",
    "Artisan's Tools": "tools",
    "Musical Instruments": "tools",
    "Gaming Sets": "tools",
    "Other": "tools",
    "Vehicles": "tools",
}


def prof_groups(source: Path) -> dict[str, str]:
    """Proficiency index -> group (armor/weapons/skills/saving_throws/tools)."""
    return {p["index"]: PROF_GROUPS[p["type"]] for p in load(source, "Proficiencies")}


def derive_proficiencies(source: Path) -> list[Json]:
    """Proficiency slugs (as used by races/classes) with their group and what they refer to.

    E.g. 'longswords' -> group weapons, reference 'longsword' (an equipment index), or
    'martial-weapons' -> reference 'martial-weapons' (an equipment category).
    """
    rows = []
    for p in load(source, "Proficiencies"):
        ref = p.get("reference", {})
        kind = ref.get("url", "").split("/")[3] if ref else None
        rows.append(
            {
                "index": p["index"],
                "name": p["name"],
                "group": PROF_GROUPS[p["type"]],
                "reference": ref.get("index"),
                "reference_kind": kind,
            }
        )
    return by_index(rows)


def split_profs(indexes: Iterable[str], groups: dict[str, str]) -> Json:
    """Group proficiency indexes; skills lose their 'skill-' prefix to become skill indexes."""
    out: dict[str, list[str]] = {"armor": [], "weapons": [], "skills": [], "tools": []}
    for idx in indexes:
        group = groups[idx]
        if group == "skills":
            out["skills"].append(idx.removeprefix("skill-"))
        elif group != "saving_throws":
            out[group].append(idx)
    return out


def skill_choice(choices: list[Json]) -> Json | None:
    """The first proficiency choice made only of skills, as {choose, options: [skill indexes]}."""
    for raw in choices:
        opts = raw["from"].get("options", [])
        items = [o.get("item", {}).get("index", "") for o in opts]
        if items and all(i.startswith("skill-") for i in items):
            return {"choose": raw["choose"], "options": [i.removeprefix("skill-") for i in items]}
    return None


def language_choice(raw: Json | None) -> Json | None:
    """Language options in choice form (explicit list or 'any')."""
    return None if raw is None else choice(raw)


# --- Sections ----------------------------------------------------------------------------------------


def derive_traits(source: Path, groups: dict[str, str]) -> dict[str, Json]:
    """Per trait: its proficiencies, proficiency choices and language choice (for races)."""
    out: dict[str, Json] = {}
    for t in load(source, "Traits"):
        out[t["index"]] = {
            "name": t["name"],
            "profs": refs(t["proficiencies"]),
            "prof_choice": choice(t["proficiency_choices"]) if "proficiency_choices" in t else None,
            "lang_choice": language_choice(t.get("language_options")),
        }
    return out


def race_like(raw: Json, trait_refs: list[Json], traits: dict[str, Json], groups: dict[str, str]) -> Json:
    """Fields shared by races and subraces: ability bonuses, traits and trait-given proficiencies."""
    my_traits = [traits[t["index"]] for t in trait_refs]
    profs = [p for t in my_traits for p in t["profs"]]
    lang_choices = [t["lang_choice"] for t in my_traits if t["lang_choice"]]
    return {
        "index": raw["index"],
        "name": raw["name"],
        "ability_bonuses": {b["ability_score"]["index"]: b["bonus"] for b in raw["ability_bonuses"]},
        "traits": [t["name"] for t in my_traits],
        "proficiencies": split_profs(profs, groups),
        "proficiency_choices": [t["prof_choice"] for t in my_traits if t["prof_choice"]],
        "language_choice": lang_choices[0] if lang_choices else None,
    }


def derive_races(source: Path, traits: dict[str, Json], groups: dict[str, str]) -> list[Json]:
    """Races: speed, size, languages and choices, plus the shared race fields."""
    rows = []
    for r in load(source, "Races"):
        row = race_like(r, r["traits"], traits, groups)
        own = language_choice(r.get("language_options"))
        row.update(
            speed=r["speed"],
            size=r["size"],
            languages=refs(r["languages"]),
            language_choice=own or row["language_choice"],
            ability_bonus_choice=choice(r["ability_bonus_options"]) if "ability_bonus_options" in r else None,
            subraces=refs(r["subraces"]),
        )
        rows.append(row)
    return by_index(rows)


def derive_subraces(source: Path, traits: dict[str, Json], groups: dict[str, str]) -> list[Json]:
    """Subraces: the race they refine plus the shared race fields."""
    rows = []
    for s in load(source, "Subraces"):
        row = race_like(s, s["racial_traits"], traits, groups)
        row["race"] = s["race"]["index"]
        rows.append(row)
    return by_index(rows)


def derive_draconic_ancestries(source: Path) -> list[Json]:
    """Dragonborn ancestry options: damage type and breath weapon shape/save."""
    rows = []
    for t in load(source, "Traits"):
        spec = t.get("trait_specific", {})
        if "breath_weapon" not in spec:
            continue
        breath = spec["breath_weapon"]
        rows.append(
            {
                "index": t["index"],
                "name": t["name"],
                "damage_type": spec["damage_type"]["index"],
                "area": {"type": breath["area_of_effect"]["type"], "size": breath["area_of_effect"]["size"]},
                "save": breath["dc"]["dc_type"]["index"],
                "damage_at_character_level": breath["damage"][0]["damage_at_character_level"],
            }
        )
    return by_index(rows)


def class_level(raw: Json) -> Json:
    """One class level row: proficiency bonus, features, slots, known counts, class specifics."""
    casting = raw.get("spellcasting", {})
    slots = [casting.get(f"spell_slots_level_{n}", 0) for n in range(1, 10)]
    return {
        "level": raw["level"],
        "prof_bonus": raw["prof_bonus"],
        "ability_score_bonuses": raw.get("ability_score_bonuses", 0),
        "features": [f["name"] for f in raw["features"]],
        "spell_slots": slots if casting else [],
        "cantrips_known": casting.get("cantrips_known"),
        "spells_known": casting.get("spells_known"),
        "class_specific": raw.get("class_specific", {}),
    }


def derive_classes(source: Path, groups: dict[str, str]) -> list[Json]:
    """Classes with their 20 level rows and subclass names."""
    levels = [lv for lv in load(source, "Levels") if "subclass" not in lv]
    rows = []
    for c in load(source, "Classes"):
        mine = sorted((lv for lv in levels if lv["class"]["index"] == c["index"]), key=lambda lv: lv["level"])
        casting = c.get("spellcasting")
        rows.append(
            {
                "index": c["index"],
                "name": c["name"],
                "hit_die": c["hit_die"],
                "saving_throws": refs(c["saving_throws"]),
                "proficiencies": split_profs(refs(c["proficiencies"]), groups),
                "skill_choice": skill_choice(c["proficiency_choices"]),
                "proficiency_choices": [choice(p) for p in c["proficiency_choices"]],
                "spellcasting_ability": casting["spellcasting_ability"]["index"] if casting else None,
                "spellcasting_level": casting["level"] if casting else None,
                "starting_equipment": [
                    {"item": e["equipment"]["index"], "quantity": e["quantity"]} for e in c["starting_equipment"]
                ],
                "starting_equipment_options": [choice(o) for o in c["starting_equipment_options"]],
                "levels": [class_level(lv) for lv in mine],
                "subclasses": refs(c["subclasses"]),
                "multiclassing": multiclassing(c["multi_classing"], groups),
            }
        )
    return by_index(rows)


def multiclassing(raw: Json, groups: dict[str, str]) -> Json:
    """What a character needs to take the class as a second one, and the proficiencies it then gains."""
    options = raw.get("prerequisite_options")
    needs = options["from"]["options"] if options else raw.get("prerequisites", [])
    skill = next((c for c in raw.get("proficiency_choices", []) if c["choose"]), None)
    skill_options = [o["item"]["index"] for o in skill["from"]["options"]] if skill else []
    return {
        "requires": {p["ability_score"]["index"]: p["minimum_score"] for p in needs},
        "requires_any": options is not None,  # fighter: Strength 13 OR Dexterity 13
        "proficiencies": split_profs(refs(raw["proficiencies"]), groups),
        "skill_choose": skill["choose"] if skill else 0,
        "skill_options": [o.removeprefix("skill-") for o in skill_options],
    }


def derive_feature_options(source: Path) -> list[Json]:
    """Class features that ask the player to choose (fighting style, expertise, favoured enemy, pact boon...)."""
    features = {f["index"]: f for f in load(source, "Features")}
    rows = []
    for f in features.values():
        specific = f.get("feature_specific") or {}
        choice, options = feature_choice(specific, features)
        if choice is None:
            continue
        rows.append(
            {
                "index": f["index"],
                "name": f["name"],
                "class_index": f["class"]["index"],
                "subclass": f["subclass"]["index"] if f.get("subclass") else None,
                "level": f["level"],
                "choose": choice,
                "options": options,
            }
        )
    return by_index(rows)


def feature_choice(specific: Json, features: dict[str, Json]) -> tuple[int | None, list[Json]]:
    """(how many to choose, the options) of one feature's `feature_specific` block."""
    if "invocations" in specific:  # how many a warlock knows is the class table's `invocations_known`
        return 0, [invocation(ref, features) for ref in specific["invocations"]]
    for key in ("subfeature_options", "expertise_options", "enemy_type_options", "terrain_type_options"):
        block = specific.get(key)
        if block is None:
            continue
        options = block["from"]["options"]
        if (
            options and isinstance(options[0], dict) and options[0]["option_type"] == "choice"
        ):  # rogue 1: two skills, or one and thieves' tools
            return options[0]["choice"]["choose"], [option_entry(o) for o in options[0]["choice"]["from"]["options"]]
        return block["choose"], [option_entry(o) for o in options]
    return None, []


def option_entry(option: Json | str) -> Json:
    if isinstance(option, str):
        return {"index": option, "name": option.capitalize()}
    item = option["item"]
    return {"index": item["index"].removeprefix("skill-"), "name": item["name"].split(": ", 1)[-1]}


def invocation(ref: Json, features: dict[str, Json]) -> Json:
    """An eldritch invocation with what it needs: a warlock level, a pact boon or the Eldritch Blast cantrip."""
    needs = features[ref["index"]].get("prerequisites", [])
    level = next((p["level"] for p in needs if p["type"] == "level"), 1)
    feature = next((p["feature"].rsplit("/", 1)[1] for p in needs if p["type"] == "feature"), None)
    spell = next((p["spell"].rsplit("/", 1)[1] for p in needs if p["type"] == "spell"), None)
    return {
        "index": ref["index"],
        "name": ref["name"].split(": ", 1)[-1],
        "level": level,
        "feature": feature,
        "spell": spell,
    }


def derive_subclasses(source: Path) -> list[Json]:
    """Subclasses: class, flavour name and feature names by level."""
    levels = [lv for lv in load(source, "Levels") if "subclass" in lv]
    rows = []
    for s in load(source, "Subclasses"):
        mine = sorted((lv for lv in levels if lv["subclass"]["index"] == s["index"]), key=lambda lv: lv["level"])
        rows.append(
            {
                "index": s["index"],
                "name": s["name"],
                "class_index": s["class"]["index"],
                "flavor": s["subclass_flavor"],
                "features": [{"level": lv["level"], "features": [f["name"] for f in lv["features"]]} for lv in mine],
                "spells": [subclass_spell(sp) for sp in s.get("spells", [])],
            }
        )
    return by_index(rows)


def subclass_spell(raw: Json) -> Json:
    """A domain/oath/patron spell, the class level that grants it ('cleric-3' -> 3) and any feature it needs."""
    levels = [int(p["index"].rsplit("-", 1)[1]) for p in raw["prerequisites"] if p["type"] == "level"]
    features = [p["index"] for p in raw["prerequisites"] if p["type"] == "feature"]  # a land druid's terrain
    feature = features[0] if features else None
    return {"spell": raw["spell"]["index"], "level": min(levels, default=1), "feature": feature}


def derive_rules(source: Path) -> list[Json]:
    """SRD rule sections by name, with their chapter and subheadings (names only, never the text)."""
    sections = {r["index"]: r for r in load(source, "Rule-Sections")}
    rows = []
    for rule in load(source, "Rules"):
        for ref in rule["subsections"]:
            lines = sections[ref["index"]]["desc"].splitlines()
            headings = [line.lstrip("#").strip() for line in lines if line.startswith("##")]
            kept = [h for h in dict.fromkeys(headings) if h.casefold() != ref["name"].casefold()]
            rows.append({"index": ref["index"], "name": ref["name"], "chapter": rule["name"], "headings": kept})
    return by_index(rows)


def derive_backgrounds(source: Path, groups: dict[str, str]) -> list[Json]:
    """Backgrounds: proficiencies, languages, starting equipment and gold, feature name."""
    rows = []
    for b in load(source, "Backgrounds"):
        profs = split_profs(refs(b["starting_proficiencies"]), groups)
        rows.append(
            {
                "index": b["index"],
                "name": b["name"],
                "skill_proficiencies": profs["skills"],
                "tool_proficiencies": profs["tools"],
                "languages": refs(b.get("languages", [])),
                "language_choice": language_choice(b.get("language_options")),
                "starting_equipment": [
                    {"item": e["equipment"]["index"], "quantity": e["quantity"]} for e in b["starting_equipment"]
                ],
                "starting_equipment_options": [choice(o) for o in b.get("starting_equipment_options", [])],
                "starting_gold": cost(b.get("starting_gold")),
                "feature": b["feature"]["name"],
            }
        )
    return by_index(rows)


def derive_weapon(e: Json) -> Json:
    """A weapon's combat facts."""
    damage = e.get("damage")
    two = e.get("two_handed_damage")
    throw = e.get("throw_range", {})
    return {
        "index": e["index"],
        "name": e["name"],
        "category": e["weapon_category"].lower(),
        "range_type": e["weapon_range"].lower(),
        "damage_dice": damage["damage_dice"] if damage else None,
        "damage_type": damage["damage_type"]["index"] if damage else None,
        "two_handed_dice": two["damage_dice"] if two else None,
        "properties": refs(e["properties"]),
        "range_normal": e["range"]["normal"],
        "range_long": e["range"].get("long"),
        "throw_normal": throw.get("normal"),
        "throw_long": throw.get("long"),
        "cost": cost(e.get("cost")),
        "weight": e.get("weight"),
    }


def derive_armor(e: Json) -> Json:
    """An armour's AC facts."""
    ac = e["armor_class"]
    return {
        "index": e["index"],
        "name": e["name"],
        "category": e["armor_category"].lower(),
        "base_ac": ac["base"],
        "dex_bonus": ac["dex_bonus"],
        "max_dex_bonus": ac.get("max_bonus"),
        "str_minimum": e["str_minimum"],
        "stealth_disadvantage": e["stealth_disadvantage"],
        "cost": cost(e.get("cost")),
        "weight": e.get("weight"),
    }


def derive_gear(e: Json) -> Json:
    """Any other item: category, sub-category, price, weight, bundle size, pack contents."""
    sub = e.get("gear_category", {}).get("index") or e.get("tool_category") or e.get("vehicle_category")
    speed = e.get("speed")
    return {
        "index": e["index"],
        "name": e["name"],
        "category": e["equipment_category"]["index"],
        "subcategory": sub,
        "cost": cost(e.get("cost")),
        "weight": e.get("weight"),
        "quantity": e.get("quantity"),
        "contents": [{"item": c["item"]["index"], "quantity": c["quantity"]} for c in e.get("contents", [])],
        "speed": {"quantity": speed["quantity"], "unit": speed["unit"]} if speed else None,
        "capacity": e.get("capacity"),
    }


def derive_equipment(source: Path) -> tuple[list[Json], list[Json], list[Json]]:
    """Split the equipment list into weapons, armour and other gear."""
    weapons, armor, gear = [], [], []
    for e in load(source, "Equipment"):
        if "weapon_category" in e:
            weapons.append(derive_weapon(e))
        elif "armor_category" in e:
            armor.append(derive_armor(e))
        else:
            gear.append(derive_gear(e))
    return by_index(weapons), by_index(armor), by_index(gear)


def derive_magic_items(source: Path) -> list[Json]:
    """Magic items: rarity, category, attunement flag (from the item's type line) and variants."""
    rows = []
    for m in load(source, "Magic-Items"):
        type_line = m["desc"][0].lower() if m.get("desc") else ""
        rows.append(
            {
                "index": m["index"],
                "name": m["name"],
                "rarity": m["rarity"]["name"],
                "category": m["equipment_category"]["index"],
                "attunement": "requires attunement" in type_line,
                "variant": m["variant"],
                "variants": refs(m["variants"]),
                **({"bonus": bonus} if (bonus := magic_bonus(m)) else {}),
            }
        )
    return by_index(rows)


_ABILITY_WORDS = {
    "strength": "str",
    "dexterity": "dex",
    "constitution": "con",
    "intelligence": "int",
    "wisdom": "wis",
    "charisma": "cha",
}
# The SRD's sentences of plain numbers, and what each gives: (pattern, bonus fields, what the bonus needs).
_MAGIC_BONUSES: list[tuple[re.Pattern[str], tuple[str, ...], str | None]] = [
    (re.compile(r"\+(\d) bonus to ac and saving throws while (?:you wear|wearing)"), ("ac", "saves"), None),
    (re.compile(r"\+(\d) bonus to ability checks and saving throws"), ("checks", "saves"), None),
    (re.compile(r"\+(\d) bonus to ac if you are wearing no armor and using no shield"), ("ac",), "unarmored"),
    (re.compile(r"\+(\d) bonus to ac while wearing this armor"), ("ac",), "armor"),
    (re.compile(r"\+(\d) bonus to ac while this [a-z ]+ orbits your head"), ("ac",), None),
    (re.compile(r"\+(\d) bonus to attack and damage rolls made with this magic"), ("attack", "damage"), "weapon"),
]  # fmt: skip
_SCORE_SETS = [
    re.compile(r"your (strength|dexterity|constitution|intelligence|wisdom|charisma) score is (\d+) while"),
    re.compile(r"your (strength) score changes to (?:a )?(\d+)"),
]


def magic_bonus(item: Json) -> Json | None:
    """A magic item's plain numbers from its text ("a +1 bonus to AC and saving throws while you wear", "your
    Constitution score is 19"); None when it has none the engine applies. A family (Ioun Stone) has none: its
    text tells every member's, and a character holds a member."""
    if item["variants"]:
        return None
    text = " ".join(" ".join(item.get("desc", [])).lower().split())
    bonus: Json = {}
    for pattern, fields, needs in _MAGIC_BONUSES:
        found = pattern.search(text)
        if found:
            bonus |= dict.fromkeys(fields, int(found.group(1)))
            if needs:
                bonus["needs"] = needs
    scores = {_ABILITY_WORDS[f.group(1)]: int(f.group(2)) for p in _SCORE_SETS for f in [p.search(text)] if f}
    if scores:
        bonus["scores"] = scores
    return bonus or None


def derive_conditions(source: Path) -> list[Json]:
    """Condition names joined with the hand-written effects table (every SRD condition must have one)."""
    rows = []
    for c in load(source, "Conditions"):
        rows.append({"index": c["index"], "name": c["name"], "effects": HAND_CONDITION_EFFECTS[c["index"]]})
    missing = set(HAND_CONDITION_EFFECTS) - {r["index"] for r in rows}
    if missing:
        raise ValueError(f"effects for unknown conditions: {sorted(missing)}")
    return by_index(rows)


def name_list(source: Path, name: str, extra: Callable[[Json], Json] | None = None) -> list[Json]:
    """A simple {index, name} list, optionally with extra fields."""
    return by_index({"index": r["index"], "name": r["name"], **(extra(r) if extra else {})} for r in load(source, name))


# --- Monsters ------------------------------------------------------------------------------------

_WEAPON_QUALIFIERS = [
    ("that aren't adamantine", "nonmagical-non-adamantine"),
    ("that aren't silvered", "nonmagical-non-silvered"),
    ("from nonmagical", "nonmagical"),
    ("from magic weapons wielded by good creatures", "magic-weapons-wielded-by-good"),
]


def damage_entry(text: str) -> Json:
    """Normalise one resistance/immunity/vulnerability entry to {types, qualifier}.

    Plain entries ('fire') have no qualifier; 'bludgeoning, piercing, and slashing from
    nonmagical weapons that aren't silvered' becomes types [b, p, s] with qualifier
    'nonmagical-non-silvered'; 'damage from spells' becomes types [] (all) with 'spells'.
    """
    if text == "damage from spells":
        return {"types": [], "qualifier": "spells"}
    for needle, qualifier in _WEAPON_QUALIFIERS:
        if needle in text:
            head = text.split(" from ", 1)[0]
            types = re.findall(r"[a-z]+", head.replace(" and ", " "))
            return {"types": types, "qualifier": qualifier}
    return {"types": [text], "qualifier": None}


def split_damage(entries: list[str]) -> tuple[list[str], list[Json]]:
    """Plain damage types and qualified (conditional) entries, kept apart."""
    plain: list[str] = []
    special: list[Json] = []
    for text in entries:
        entry = damage_entry(text)
        if entry["qualifier"] is None:
            plain.extend(entry["types"])
        else:
            special.append(entry)
    return plain, special


def dc(raw: Json | None) -> Json | None:
    """A monster save DC: ability, value, what a success does."""
    if raw is None:
        return None
    return {"ability": raw["dc_type"]["index"], "value": raw["dc_value"], "success": raw["success_type"]}


def damage_rolls(raw: list[Json]) -> tuple[list[Json], list[Json]]:
    """Fixed damage rolls, and the 'choose one of' rolls (e.g. a djinni's lightning or thunder)."""
    fixed: list[Json] = []
    one_of: list[Json] = []
    for d in raw:
        if "choose" in d:
            one_of.extend(roll(o) for o in d["from"]["options"])
        else:
            fixed.append(roll(d))
    return fixed, one_of


def roll(d: Json) -> Json:
    """One damage roll: dice, type, optional own save."""
    return {"dice": d["damage_dice"], "type": d["damage_type"]["index"], "dc": dc(d.get("dc"))}


def usage(raw: Json | None) -> Json | None:
    """Limited use: per day, recharge on a roll, or after a rest."""
    if raw is None:
        return None
    return {
        "type": raw["type"],
        "times": raw.get("times"),
        "dice": raw.get("dice"),
        "min_value": raw.get("min_value"),
        "rest_types": raw.get("rest_types", []),
    }


def multiattack_step(raw: Json) -> Json:
    """One step of a multiattack routine; count None means variable (a hydra's 'Number of Heads')."""
    count = raw["count"]
    number = int(count) if isinstance(count, int) or str(count).isdigit() else None
    return {"action": raw["action_name"], "count": number, "type": raw["type"]}


def multiattack_options(a: Json) -> list[list[Json]]:
    """Each alternative routine of a multiattack as a list of steps."""
    if a.get("multiattack_type") == "actions":
        return [[multiattack_step(s) for s in a.get("actions", [])]]
    if a.get("multiattack_type") == "action_options":
        out = []
        for o in a["action_options"]["from"]["options"]:
            items = o["items"] if o["option_type"] == "multiple" else [o]
            out.append([multiattack_step(s) for s in items])
        return out
    return []


def attack_count(routines: list[list[Json]]) -> int | None:
    """Most attacks any routine makes (steps that are abilities or spells do not count)."""
    counts = [sum(s["count"] or 0 for s in r if s["type"] in ("melee", "ranged")) for r in routines]
    return max(counts) if counts and max(counts) > 0 else None


def action_option(o: Json) -> Json:
    """One alternative inside an action (breath weapons, a sphinx's roars)."""
    fixed, _ = damage_rolls(o.get("damage", []))
    return {"name": o["name"], "dc": dc(o.get("dc")), "damage": fixed}


def action(a: Json) -> Json:
    """A monster action's numbers: attack bonus, damage, save DC, limited use, multiattack."""
    fixed, one_of = damage_rolls(a.get("damage", []))
    routines = multiattack_options(a)
    alts = a.get("options", {}).get("from", {}).get("options", []) + a.get("attacks", [])
    return {
        "name": a["name"],
        "attack_bonus": a.get("attack_bonus"),
        "damage": fixed,
        "damage_one_of": one_of,
        "dc": fix_success(dc(a.get("dc")), a),
        "usage": usage(a.get("usage")),
        "multiattack": bool(routines) or a["name"].lower().startswith("multiattack"),
        "multiattack_count": attack_count(routines),
        "multiattack_options": routines,
        "options": [action_option(o) for o in alts],
    }


def armor_class(raw: Json) -> Json:
    """An AC entry: value, kind (natural/dex/armor/spell/condition) and what grants it."""
    return {
        "value": raw["value"],
        "type": raw["type"],
        "armor": refs(raw.get("armor", [])),
        "spell": raw["spell"]["index"] if "spell" in raw else None,
        "condition": raw["condition"]["index"] if "condition" in raw else None,
    }


ABILITIES = ["str", "dex", "con", "int", "wis", "cha"]
_ABILITY_FIELDS = ["strength", "dexterity", "constitution", "intelligence", "wisdom", "charisma"]


def derive_monster(m: Json) -> Json:
    """One stat block without its prose."""
    saves = {
        p["proficiency"]["index"].removeprefix("saving-throw-"): p["value"]
        for p in m["proficiencies"]
        if p["proficiency"]["index"].startswith("saving-throw-")
    }
    skills = {
        p["proficiency"]["index"].removeprefix("skill-"): p["value"]
        for p in m["proficiencies"]
        if p["proficiency"]["index"].startswith("skill-")
    }
    vuln, vuln_q = split_damage(m["damage_vulnerabilities"])
    res, res_q = split_damage(m["damage_resistances"])
    imm, imm_q = split_damage(m["damage_immunities"])
    speed = {k: feet(v) for k, v in m["speed"].items() if k != "hover"}
    return {
        "index": m["index"],
        "name": m["name"],
        "size": m["size"],
        "type": m["type"],
        "subtype": m.get("subtype"),
        "alignment": m["alignment"],
        "cr": float(m["challenge_rating"]),
        "xp": m["xp"],
        "armor_class": [armor_class(ac) for ac in m["armor_class"]],
        "hp": m["hit_points"],
        "hit_dice": m["hit_dice"],
        "hp_roll": m["hit_points_roll"],
        "speed": speed,
        "hover": bool(m["speed"].get("hover", False)),
        "abilities": {ab: m[field] for ab, field in zip(ABILITIES, _ABILITY_FIELDS, strict=True)},
        "saving_throws": saves,
        "skills": skills,
        "damage_vulnerabilities": vuln,
        "damage_resistances": res,
        "damage_immunities": imm,
        "damage_vulnerabilities_special": vuln_q,
        "damage_resistances_special": res_q,
        "damage_immunities_special": imm_q,
        "condition_immunities": refs(m["condition_immunities"]),
        "senses": {k: feet(v) for k, v in m["senses"].items()},
        "languages": m["languages"],
        "proficiency_bonus": m["proficiency_bonus"],
        "special_abilities": [s["name"] for s in m.get("special_abilities", [])],
        "actions": [action(a) for a in m.get("actions", [])],
        "reactions": [r["name"] for r in m.get("reactions", [])],
        "legendary_actions": [a["name"] for a in m.get("legendary_actions", [])],
        **monster_traits(m),
        "spellcasting": monster_spellcasting(m),
    }


def monster_spellcasting(m: Json) -> Json | None:
    """A stat block's spellcasting numbers (a Mage's slots, a Deva's innate spells by uses per day).

    A slot caster (Mage, Priest, Lich) is preferred when a block also has innate spells. The attack bonus is
    the source's `modifier` when given, else DC - 8 (SRD: DC = 8 + proficiency + ability modifier, the attack
    bonus proficiency + ability modifier)."""
    found = [a["spellcasting"] for a in m.get("special_abilities", []) if "spellcasting" in a]
    if not found:
        return None
    sc = next((f for f in found if f.get("slots")), found[0])
    dc = sc.get("dc")
    attack = sc.get("modifier") if sc.get("modifier") else (dc - 8 if dc else None)
    innate = {}
    for spell in sc["spells"]:
        usage = spell.get("usage") or {}
        if usage:
            innate[spell["url"].rsplit("/", 1)[-1]] = usage.get("times") or 0  # 0: at will
    return {
        "ability": sc["ability"]["index"],
        "dc": dc,
        "attack_bonus": attack,
        "level": sc.get("level"),
        "slots": {int(k): v for k, v in (sc.get("slots") or {}).items()},
        "spells": sorted(spell["url"].rsplit("/", 1)[-1] for spell in sc["spells"]),
        "uses_per_day": innate,
    }


# --- Monster traits that change fights (numbers read from the SRD's sentences; no text is kept) ---------

# Every legendary creature of SRD 5.1 "can take 3 legendary actions" (the sentence is not in the JSON).
HAND_LEGENDARY_PER_ROUND = 3
_COSTS = re.compile(r"\(Costs (\d+) Actions\)")
_REGAINS = re.compile(r"regains (\d+) hit points at the start of its turn")
_STOPPED = re.compile(r"takes ([a-z]+)(?: or ([a-z]+))? damage")
_PARRY = re.compile(r"adds (\d+) to its AC against one melee attack")


def monster_traits(m: Json) -> Json:
    """Legendary actions (cost, the monster's own actions they use, their save), legendary resistance per
    day, regeneration (HP a turn, the damage types that stop it) and Parry's AC bonus."""
    specials = {s["name"]: s for s in m.get("special_abilities", [])}
    legendary = [legendary_action(a, m.get("actions", [])) for a in m.get("legendary_actions", [])]
    resistance = specials.get("Legendary Resistance", {}).get("usage") or {}
    parry = next((_PARRY.search(r["desc"]) for r in m.get("reactions", []) if r["name"] == "Parry"), None)
    return {
        "legendary": legendary,
        "legendary_per_round": HAND_LEGENDARY_PER_ROUND if legendary else 0,
        "legendary_resistance": resistance.get("times", 0),
        "regeneration": regeneration(specials.get("Regeneration")),
        "parry": int(parry.group(1)) if parry else 0,
    }


def legendary_action(raw: Json, actions: list[Json]) -> Json:
    """A legendary action: its cost, which of the monster's actions it makes ("makes a tail attack": Tail),
    and its own save and damage when it has them (a dragon's Wing Attack)."""
    cost = _COSTS.search(raw["name"])
    text = raw.get("desc", "").casefold()
    uses = [a["name"] for a in actions if not a.get("multiattack_type") and _names_action(text, a["name"])]
    fixed, _ = damage_rolls(raw.get("damage", []))
    return {
        "name": _COSTS.sub("", raw["name"]).strip(),
        "cost": int(cost.group(1)) if cost else 1,
        "uses": uses,
        "dc": fix_success(dc(raw.get("dc")), raw),
        "damage": fixed,
    }


def _names_action(text: str, name: str) -> bool:
    key = name.casefold()
    return re.search(rf"\b(?:makes one |makes an? |uses (?:its )?|with its ){re.escape(key)}\b", text) is not None or (
        re.search(rf"\b{re.escape(key)} attack\b", text) is not None
    )


def regeneration(raw: Json | None) -> Json | None:
    """HP regained at the start of its turn, the damage types that stop it for a turn, and its conditions."""
    if raw is None:
        return None
    found = _REGAINS.search(raw["desc"])
    if found is None:
        return None
    stopped = _STOPPED.search(raw["desc"])
    return {
        "hp": int(found.group(1)),
        "stopped_by": [t for t in (stopped.groups() if stopped else ()) if t],
        "needs_hp": "at least 1 hit" in raw["desc"],
        "not_in_sunlight": "sunlight" in raw["desc"],
    }


def fix_success(save: Json | None, raw: Json) -> Json | None:
    """The source marks a few saves "none" whose sentence gives half damage on a success (an adult red
    dragon's Fire Breath): the sentence is the SRD's rule."""
    if save is not None and save["success"] != "half" and "half as much damage" in raw.get("desc", ""):
        return {**save, "success": "half"}
    return save


def fix_monster_xp(monsters: list[Json]) -> list[str]:
    """Make each monster's XP agree with the SRD CR table; return what was corrected.

    XP is a function of CR in 5e, and the source has a few transcription slips (e.g. a CR 1/4
    dretch with 25 XP where the SRD prints 50).  CR 0 creatures may legitimately have 0 XP.
    """
    fixed = []
    for m in monsters:
        expected = HAND_XP_BY_CR[cr_label(m["cr"])]
        if m["xp"] != expected and not (m["cr"] == 0 and m["xp"] == 0):
            fixed.append(f"{m['index']}: CR {cr_label(m['cr'])} xp {m['xp']} -> {expected}")
            m["xp"] = expected
    return fixed


# --- Spells -------------------------------------------------------------------------------------


# Spells whose effect changes numbers for a while (a bonus die, AC, advantage ...) rather than
# dealing damage: `bot.engine.spell_effects` builds each as a timed effect (bot.engine.effects), so they
# are "full"; a test checks that the two lists agree. (The issue also names Hex: it is not in the SRD 5.1.)
HAND_TIMED_EFFECT_SPELLS = frozenset(
    {
        "bless",
        "bane",
        "shield",
        "shield-of-faith",
        "mage-armor",
        "guidance",
        "resistance",
        "hunters-mark",
        "faerie-fire",
        "haste",
        "slow",
        "aid",
        "heroism",
        "protection-from-evil-and-good",
        "sanctuary",
        "invisibility",
        "blur",
        "mirror-image",
        "greater-invisibility",
        "barkskin",
    }
)
# Spells the engine resolves by rules of their own (`bot.engine.combat.spellcasting`): Color Spray's pool
# of hit points (as Sleep's), the power words by the target's hit points, and the spells that undo
# (Spare the Dying stabilises, Revivify brings back, Lesser Restoration ends a condition).
HAND_RULED_SPELLS = frozenset(
    {"color-spray", "power-word-stun", "power-word-kill", "spare-the-dying", "revivify", "lesser-restoration"}
)
CONDITION_NAMES = (
    "blinded",
    "charmed",
    "deafened",
    "frightened",
    "grappled",
    "incapacitated",
    "invisible",
    "paralyzed",
    "petrified",
    "poisoned",
    "prone",
    "restrained",
    "stunned",
    "unconscious",
)
_CONDITION_ALT = "|".join(CONDITION_NAMES)
# "... or be paralyzed", "falls prone", "becomes blinded or deafened": a condition the spell imposes.
_IMPOSED = re.compile(
    rf"\b(?:be|is|are|becomes?|falls?|knocked|remains?)\s+(?:\w+\s+)?"
    rf"((?:{_CONDITION_ALT})(?:\s*(?:,|or|and)\s*(?:{_CONDITION_ALT}))*)\b",
    re.IGNORECASE,
)
_GP = re.compile(r"([\d,]+)\s*gp", re.IGNORECASE)


def imposed_conditions(s: Json) -> list[str]:
    """Condition indexes the spell's text says a creature becomes (a fact read from the prose, not copied)."""
    text = " ".join([*s["desc"], *s.get("higher_level", [])])
    found = {c for match in _IMPOSED.finditer(text) for c in CONDITION_NAMES if re.search(rf"\b{c}\b", match[1], re.I)}
    return sorted(found)


def material_cost(s: Json) -> Json | None:
    """The highest gold value the material component names, and whether the spell consumes it."""
    text = s.get("material") or ""
    values = [int(v.replace(",", "")) for v in _GP.findall(text)]
    if not values:
        return None
    return {"gp": max(values), "consumed": "consume" in text.lower()}


def automation(spell: Json) -> str:
    """How much of a spell the engine can resolve from the data (see bot.data.srd.Automation).

    full: damage or healing dice, a saving throw rolled per target against the caster's DC (with the
    conditions it imposes), or one of the timed-effect spells `bot.engine.spell_effects` applies;
    partial: a spell attack or a condition without numbers to compute; noted: the rest (an area alone,
    such as Detect Magic's sphere, is only where a utility works).
    """
    if spell["index"] in HAND_TIMED_EFFECT_SPELLS | HAND_RULED_SPELLS:
        return "full"
    if spell["damage_at_slot_level"] or spell["damage_at_character_level"] or spell["heal_at_slot_level"]:
        return "full"
    if spell["save"]:
        return "full"
    if spell["attack_type"] or spell["conditions"]:
        return "partial"
    return "noted"


def derive_spell(s: Json) -> Json:
    """A spell's mechanics without its description or material text."""
    damage = s.get("damage", {})
    save = s.get("dc")
    area = s.get("area_of_effect")
    row = {
        "index": s["index"],
        "name": s["name"],
        "level": s["level"],
        "school": s["school"]["index"],
        "classes": sorted(refs(s["classes"])),
        "subclasses": sorted(refs(s["subclasses"])),
        "range": s["range"],
        "components": s["components"],
        "ritual": s["ritual"],
        "concentration": s["concentration"],
        "casting_time": s["casting_time"],
        "duration": s["duration"],
        "attack_type": s.get("attack_type"),
        "damage_type": damage.get("damage_type", {}).get("index"),
        "damage_at_slot_level": damage.get("damage_at_slot_level", {}),
        "damage_at_character_level": damage.get("damage_at_character_level", {}),
        "save": {"ability": save["dc_type"]["index"], "success": save["dc_success"]} if save else None,
        "area": {"type": area["type"], "size": area["size"]} if area else None,
        "heal_at_slot_level": s.get("heal_at_slot_level", {}),
        "conditions": imposed_conditions(s),
        "material_cost": material_cost(s),
    }
    row["automation"] = automation(row)
    return row


# --- Tables --------------------------------------------------------------------------------------


def proficiency_by_level(classes: list[Json]) -> list[int]:
    """Proficiency bonus for levels 1..20, checked to agree across all classes."""
    table: dict[int, set[int]] = {}
    for c in classes:
        for lv in c["levels"]:
            table.setdefault(lv["level"], set()).add(lv["prof_bonus"])
    if sorted(table) != list(range(1, 21)) or any(len(v) != 1 for v in table.values()):
        raise ValueError(f"inconsistent proficiency bonus table: {table}")
    return [next(iter(table[level])) for level in range(1, 21)]


def tables(classes: list[Json]) -> Json:
    """Level, CR and encounter tables (see the HAND_* comments for which are hand-written)."""
    return {
        "proficiency_bonus_by_level": proficiency_by_level(classes),
        "xp_by_level": HAND_XP_BY_LEVEL,
        "xp_by_cr": HAND_XP_BY_CR,
        "encounter_thresholds": [
            {"level": lvl, "easy": e, "medium": m, "hard": h, "deadly": d}
            for lvl, (e, m, h, d) in enumerate(HAND_ENCOUNTER_THRESHOLDS, start=1)
        ],
        "encounter_multipliers": [
            {"min": lo, "max": hi, "multiplier": mult} for lo, hi, mult in HAND_ENCOUNTER_MULTIPLIERS
        ],
        "multiplier_ladder": HAND_MULTIPLIER_LADDER,
    }


META = {
    "schema_version": SCHEMA_VERSION,
    "source": "5e-bits/5e-database, 2014 English SRD JSON (MIT)",
    "attribution": (
        'This work includes material taken from the System Reference Document 5.1 ("SRD 5.1") by '
        "Wizards of the Coast LLC, available at https://dnd.wizards.com/resources/systems-reference-document. "
        "The SRD 5.1 is licensed under the Creative Commons Attribution 4.0 International License."
    ),
    "hand_written": [
        "tables.xp_by_level (SRD 5.1 Character Advancement)",
        "tables.xp_by_cr (SRD 5.1 Experience Points by Challenge Rating)",
        "monsters[].xp where the source disagrees with the CR table (listed in meta.errata)",
        "tables.encounter_thresholds and encounter_multipliers (5e DMG; not part of SRD 5.1)",
        "conditions[].effects (structured summary of SRD 5.1 Conditions)",
        "spells[].automation: the timed-effect spells (bot.engine.spell_effects) and those resolved by rules "
        "of their own (Color Spray, the power words, Spare the Dying, Revivify, Lesser Restoration) are 'full'",
    ],
}


def derive(source: Path) -> tuple[Json, list[str]]:
    """Build the whole data set; also return warnings about source inconsistencies."""
    groups = prof_groups(source)
    traits = derive_traits(source, groups)
    classes = derive_classes(source, groups)
    weapons, armor, gear = derive_equipment(source)
    monsters = by_index(derive_monster(m) for m in load(source, "Monsters"))
    errata = fix_monster_xp(monsters)
    data = {
        "meta": {**META, "errata": errata},
        "ability_scores": name_list(
            source, "Ability-Scores", lambda r: {"full_name": r["full_name"], "skills": refs(r["skills"])}
        ),
        "alignments": name_list(source, "Alignments", lambda r: {"abbreviation": r["abbreviation"]}),
        "skills": name_list(source, "Skills", lambda r: {"ability": r["ability_score"]["index"]}),
        "languages": name_list(source, "Languages", lambda r: {"type": r["type"].lower(), "script": r.get("script")}),
        "damage_types": name_list(source, "Damage-Types"),
        "magic_schools": name_list(source, "Magic-Schools"),
        "weapon_properties": name_list(source, "Weapon-Properties"),
        "feats": name_list(
            source,
            "Feats",
            lambda r: {
                "prerequisites": {p["ability_score"]["index"]: p["minimum_score"] for p in r.get("prerequisites", [])}
            },
        ),
        "proficiencies": derive_proficiencies(source),
        "races": derive_races(source, traits, groups),
        "subraces": derive_subraces(source, traits, groups),
        "draconic_ancestries": derive_draconic_ancestries(source),
        "classes": classes,
        "subclasses": derive_subclasses(source),
        "feature_options": derive_feature_options(source),
        "backgrounds": derive_backgrounds(source, groups),
        "weapons": weapons,
        "armor": armor,
        "gear": gear,
        "equipment_categories": name_list(
            source, "Equipment-Categories", lambda r: {"equipment": sorted(refs(r["equipment"]))}
        ),
        "magic_items": derive_magic_items(source),
        "conditions": derive_conditions(source),
        "rules": derive_rules(source),
        "monsters": monsters,
        "spells": by_index(derive_spell(s) for s in load(source, "Spells")),
        "tables": tables(classes),
    }
    return compact(data), errata


def dumps(data: Json) -> str:
    """The one serialisation used for the committed file (deterministic, compact)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of 5e-SRD-*.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSON file")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"source folder not found: {args.source}", file=sys.stderr)
        return 2
    data, warnings = derive(args.source)
    text = dumps(data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    for warning in warnings:
        print(f"corrected: {warning}", file=sys.stderr)
    print(f"wrote {args.out} ({len(text.encode('utf-8'))} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
