"""dmbot's own character file (`/character export`): every stored fact of a sheet as JSON, documented in
docs/CHARACTER_FORMAT.md, read back by `/character import` so that export → import → export is the same file.

Only the facts a sheet stores travel; derived numbers (AC, attack bonuses, save DCs) are recomputed by
the rules on import, and ids (owner, guild, campaign) stay on the server that made them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema

from bot.engine import effects as timed_effects
from bot.engine import rules
from bot.engine.sheet import (
    MAX_INVENTORY_ROWS,
    MAX_NAME_LENGTH,
    MAX_STACK,
    ActiveCondition,
    Counter,
    Item,
    Sheet,
    item_json,
    spells_of,
)
from bot.errors import InvalidInput

FORMAT = "dmbot-character"
VERSION = 1
MAX_LIST = 200  # features, spells, languages, custom entries: far beyond any real sheet
MAX_TEXT = 4000

_ABILITY_MAP = {
    "type": "object",
    "properties": {a: {"type": "integer", "minimum": 1, "maximum": 30} for a in rules.ABILITIES},
    "additionalProperties": False,
}
_BONUS_MAP = {
    "type": "object",
    "properties": {a: {"type": "integer", "minimum": -10, "maximum": 10} for a in rules.ABILITIES},
    "additionalProperties": False,
}
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100}, "maxItems": MAX_LIST}
_COUNT = {"type": "integer", "minimum": 0, "maximum": 100_000}
_CUSTOM_ITEM = {
    "type": "object",
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}, "quantity": _COUNT},
    "required": ["name", "quantity"],
    "additionalProperties": False,
}
_SHORT = {"type": "string", "maxLength": 64}
_DICE = {"type": "string", "maxLength": 40, "pattern": r"^[1-9]\d?d\d{1,3}([+-]\d{1,2}d\d{1,3}|[+-]\d{1,2})*$"}
_DAMAGE_PART = {
    "type": "object",
    "properties": {"dice": _DICE, "type": _SHORT},
    "required": ["dice", "type"],
    "additionalProperties": False,
}
# What a DM's item (`/dm award custom`, homebrew) says of itself: bot.engine.items reads these keys.
_ITEM_DETAILS = {
    "type": "object",
    "maxProperties": 20,
    "properties": {
        "description": {"type": "string", "maxLength": 1000},
        "weight": {"type": "number", "minimum": 0, "maximum": 10_000},
        "value_gp": {"type": "number", "minimum": 0, "maximum": 10_000_000},
        "weapon": {
            "type": "object",
            "properties": {
                "dice": _DICE,
                "type": _SHORT,
                "extra": {"type": "array", "items": _DAMAGE_PART, "maxItems": 4},
                "properties": {"type": "array", "items": _SHORT, "maxItems": 10},
            },
            "required": ["dice", "type"],
            "additionalProperties": False,
        },
        "ac_bonus": {"type": "integer", "minimum": 0, "maximum": 30},
        "attack_bonus": {"type": "integer", "minimum": 0, "maximum": 5},
        "armor": {
            "type": "object",
            "properties": {
                "base": {"type": "integer", "minimum": 0, "maximum": 30},
                "type": {"enum": ["light", "medium", "heavy", "shield"]},
            },
            "required": ["base", "type"],
            "additionalProperties": False,
        },
        "attunement": {"type": "boolean"},
        "homebrew": {"type": "boolean"},
        "rarity": _SHORT,
        "category": _SHORT,
    },
    "additionalProperties": False,
}
_BONUS = {"type": "string", "pattern": timed_effects.BONUS.pattern}
_EFFECT = {  # bot.engine.effects' JSON, with every number bounded
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": timed_effects.MAX_NAME},
        "bonuses": {"type": "object", "additionalProperties": _BONUS, "maxProperties": 8},
        "ac": {"type": "integer", "minimum": -10, "maximum": 10},
        "resistances": {"type": "array", "items": _SHORT, "maxItems": 13},
        "edges": {"type": "object", "additionalProperties": {"enum": ["advantage", "disadvantage"]}},
        "rounds": {"type": ["integer", "null"], "minimum": 0, "maximum": 100_000},
        "ticks_on": {"type": ["string", "null"], "maxLength": 256},
        "phase": {"enum": ["start", "end"]},
        "caster": {"type": ["string", "null"], "maxLength": 256},
        "conditions": {"type": "array", "items": _SHORT, "maxItems": 10},
        "save_ends": {"type": "array", "prefixItems": [_SHORT, {"type": "integer"}], "minItems": 2, "maxItems": 2},
        "ac_base": {"type": "integer", "minimum": 0, "maximum": 30},
        "against": {"type": "string", "maxLength": 256},
        "ends_on_damage": {"type": "boolean"},
        "ward_dc": {"type": "integer", "minimum": 0, "maximum": 30},
        "from_types": {"type": "array", "items": _SHORT, "maxItems": 14},
    },
    "required": ["name"],
    "additionalProperties": False,
}
# Fields a file from before they existed may lack (read as "", [] and {}); an export always writes the
# first two, and choices and class levels only when a character has some.
OPTIONAL = ("pronouns", "effects", "choices", "class_levels", "feature_spent", "counters")

# A multiclass import's classes, the sheet's own first (bot.engine.foundry_import.multiclass).
_CUSTOM_CLASS = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "index": {"type": "string", "maxLength": 64},
        "levels": {"type": "integer", "minimum": 1, "maximum": 20},
        "subclass": {"type": "string", "maxLength": 100},
    },
    "required": ["name", "levels"],
    "additionalProperties": False,
}

# The shape of the file; docs/CHARACTER_FORMAT.md describes each field (a test keeps the two in step).
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "format",
        "version",
        "name",
        "race",
        "subrace",
        "class",
        "subclass",
        "background",
        "level",
        "xp",
        "levelup_allowed",
        "scores",
        "hit_points",
        "proficiencies",
        "expertise",
        "languages",
        "features",
        "inventory",
        "coins",
        "spell_slots",
        "spells",
        "conditions",
        "notes",
        "backstory",
        "portrait_url",
        "custom",
    ],
    "additionalProperties": False,
    "properties": {
        "format": {"const": FORMAT},
        "version": {"const": VERSION},
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH * 2},
        "pronouns": {"type": "string", "maxLength": 24},
        "race": {"type": "string", "maxLength": 64},
        "subrace": {"type": ["string", "null"], "maxLength": 64},
        "class": {"type": "string", "maxLength": 64},
        "subclass": {"type": ["string", "null"], "maxLength": 64},
        "background": {"type": "string", "maxLength": 64},
        "level": {"type": "integer", "minimum": 1, "maximum": 20},
        "xp": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
        "levelup_allowed": {"type": "boolean"},
        "scores": {
            "type": "object",
            "properties": {"base": _ABILITY_MAP | {"required": list(rules.ABILITIES)}, "bonus": _BONUS_MAP},
            "required": ["base", "bonus"],
            "additionalProperties": False,
        },
        "hit_points": {
            "type": "object",
            "properties": {
                "max": {"type": "integer", "minimum": 1, "maximum": 1000},
                "current": {"type": "integer", "minimum": 0, "maximum": 1000},
                "temp": {"type": "integer", "minimum": 0, "maximum": 1000},
                "hit_dice_used": {"type": "integer", "minimum": 0, "maximum": 20},
                "death_successes": {"type": "integer", "minimum": 0, "maximum": 3},
                "death_failures": {"type": "integer", "minimum": 0, "maximum": 3},
            },
            "required": ["max", "current", "temp", "hit_dice_used", "death_successes", "death_failures"],
            "additionalProperties": False,
        },
        "proficiencies": {
            "type": "object",
            "properties": {g: _NAMES for g in ("saves", "skills", "armor", "weapons", "tools")},
            "additionalProperties": False,
        },
        "expertise": _NAMES,
        "languages": _NAMES,
        "features": _NAMES,
        "inventory": {
            "type": "array",
            "maxItems": MAX_INVENTORY_ROWS,
            "items": {
                "type": "object",
                "properties": {
                    "item": {"type": "string", "minLength": 1, "maxLength": 100},
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_STACK},
                    "equipped": {"type": "boolean"},
                    "attuned": {"type": "boolean"},
                    "details": _ITEM_DETAILS,
                },
                "required": ["item", "name", "quantity", "equipped"],
                "additionalProperties": False,
            },
        },
        "coins": {
            "type": "object",
            "properties": {c: {"type": "integer", "minimum": 0, "maximum": 10_000_000} for c in rules.COIN_VALUES_CP},
            "additionalProperties": False,
        },
        "spell_slots": {
            "type": "object",
            "properties": {
                "max": {"type": "array", "items": _COUNT, "maxItems": 9},
                "current": {"type": "array", "items": _COUNT, "maxItems": 9},
            },
            "required": ["max", "current"],
            "additionalProperties": False,
        },
        "spells": {
            "type": "object",
            "properties": {
                "cantrips": _NAMES,
                "known": _NAMES,
                "book": _NAMES,
                "prepared": _NAMES,
                "may_prepare": {"type": "boolean"},
            },
            "additionalProperties": False,
        },
        "conditions": {
            "type": "array",
            "maxItems": 20,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "maxLength": 64},
                    "rounds": {"type": ["integer", "null"], "minimum": 0, "maximum": 100_000},
                    "level": {"type": "integer", "minimum": 1, "maximum": 6},
                },
                "required": ["name", "rounds", "level"],
                "additionalProperties": False,
            },
        },
        "effects": {"type": "array", "items": _EFFECT, "maxItems": timed_effects.MAX_EFFECTS},
        "notes": {"type": "string", "maxLength": MAX_TEXT},
        "backstory": {"type": "string", "maxLength": MAX_TEXT},
        "portrait_url": {"type": ["string", "null"], "maxLength": 500},
        "custom": {
            "type": "object",
            "properties": {
                "source": {"type": "string", "maxLength": 100},
                "race": {"type": "string", "maxLength": 100},
                "background": {"type": "string", "maxLength": 100},
                "subclass": {"type": "string", "maxLength": 100},
                "features": _NAMES,
                "spells": _NAMES,
                "languages": _NAMES,
                "tools": _NAMES,
                "items": {"type": "array", "items": _CUSTOM_ITEM, "maxItems": MAX_LIST},
                "classes": {"type": "array", "items": _CUSTOM_CLASS, "maxItems": 12},
            },
            "additionalProperties": False,
        },
    },
}
# Written by bot.engine.choices and bot.engine.class_levels; optional, so files of before them still import.
SCHEMA["properties"]["choices"] = {"type": "object", "maxProperties": 40}
SCHEMA["properties"]["class_levels"] = {
    "type": "object",
    "maxProperties": 12,
    "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 20},
}
# Written by bot.engine.features (uses spent of a feature, a player's own counters); optional, as above.
SCHEMA["properties"]["feature_spent"] = {
    "type": "object",
    "maxProperties": MAX_LIST,
    "propertyNames": {"maxLength": 100},
    "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 1000},
}
SCHEMA["properties"]["counters"] = {
    "type": "array",
    "maxItems": MAX_LIST,
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 100},
            "maximum": {"type": "integer", "minimum": 0, "maximum": 1000},
            "reset": {"enum": ["short", "long", "never"]},
            "spent": {"type": "integer", "minimum": 0, "maximum": 1000},
        },
        "required": ["name", "maximum", "reset", "spent"],
        "additionalProperties": False,
    },
}
CUSTOM_SCHEMA: dict[str, Any] = SCHEMA["properties"]["custom"]


def to_export(sheet: Sheet) -> dict[str, Any]:
    """The sheet's stored facts in the file's shape (keys in the documented order)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": sheet.name,
        "pronouns": sheet.pronouns,
        "race": sheet.race,
        "subrace": sheet.subrace,
        "class": sheet.class_index,
        "subclass": sheet.subclass,
        "background": sheet.background,
        "level": sheet.level,
        "xp": sheet.xp,
        "levelup_allowed": sheet.levelup_allowed,
        "scores": {"base": dict(sheet.base_scores), "bonus": dict(sheet.bonus_scores)},
        "hit_points": {
            "max": sheet.hp_max,
            "current": sheet.hp_current,
            "temp": sheet.hp_temp,
            "hit_dice_used": sheet.hit_dice_used,
            "death_successes": sheet.death_successes,
            "death_failures": sheet.death_failures,
        },
        "proficiencies": {k: list(v) for k, v in sheet.proficiencies.items()},
        "expertise": list(sheet.expertise),
        "languages": list(sheet.languages),
        "features": list(sheet.features),
        "inventory": [item_json(i) for i in sheet.inventory],
        "coins": dict(sheet.coins),
        "spell_slots": {"max": list(sheet.slots_max), "current": list(sheet.slots_current)},
        "spells": {
            "cantrips": list(sheet.spells.cantrips),
            "known": list(sheet.spells.known),
            "book": list(sheet.spells.book),
            "prepared": list(sheet.spells.prepared),
            "may_prepare": sheet.spells.may_prepare,
        },
        "conditions": [{"name": c.name, "rounds": c.rounds, "level": c.level} for c in sheet.conditions],
        "effects": timed_effects.dump(sheet.effects),
        "notes": sheet.notes,
        "backstory": sheet.backstory,
        "portrait_url": sheet.portrait_url,
        "custom": dict(sheet.custom),
        **({"choices": dict(sheet.choices)} if sheet.choices else {}),  # written only when there are some,
        **({"class_levels": dict(sheet.class_levels)} if sheet.class_levels else {}),  # so older files match
        **({"feature_spent": dict(sheet.feature_spent)} if sheet.feature_spent else {}),
        **({"counters": [vars(c).copy() for c in sheet.counters]} if sheet.counters else {}),
    }


def export_bytes(sheet: Sheet) -> bytes:
    return (json.dumps(to_export(sheet), indent=2, ensure_ascii=False) + "\n").encode()


def validate(data: Any, schema: Mapping[str, Any] = SCHEMA, what: str = "A dmbot character file") -> None:
    """Refuse a file that is not in the documented shape, naming the first field that is wrong."""
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "the top level"
        raise InvalidInput(f"{what} is not valid at `{where}`: {first.message[:200]}. See docs/CHARACTER_FORMAT.md.")


def sheet_from_export(data: Mapping[str, Any], *, guild_id: int, owner_id: int) -> Sheet:
    """A not-yet-stored sheet with exactly the file's facts (the caller checks them against the SRD)."""
    validate(data)
    hp, slots = data["hit_points"], data["spell_slots"]
    return Sheet(
        id=0,
        guild_id=guild_id,
        owner_id=owner_id,
        campaign_id=None,
        name=data["name"],
        active=True,
        version=1,
        race=data["race"],
        subrace=data["subrace"],
        class_index=data["class"],
        background=data["background"],
        level=data["level"],
        xp=data["xp"],
        levelup_allowed=data["levelup_allowed"],
        base_scores=dict(data["scores"]["base"]),
        bonus_scores=dict(data["scores"]["bonus"]),
        hp_max=hp["max"],
        hp_current=hp["current"],
        hp_temp=hp["temp"],
        hit_dice_used=hp["hit_dice_used"],
        death_successes=hp["death_successes"],
        death_failures=hp["death_failures"],
        proficiencies={k: tuple(v) for k, v in data["proficiencies"].items()},
        expertise=tuple(data["expertise"]),
        languages=tuple(data["languages"]),
        features=tuple(data["features"]),
        inventory=tuple(Item(**entry) for entry in data["inventory"]),
        coins=dict(data["coins"]),
        slots_max=tuple(slots["max"]),
        slots_current=tuple(slots["current"]),
        conditions=tuple(ActiveCondition(**entry) for entry in data["conditions"]),
        notes=data["notes"],
        backstory=data["backstory"],
        portrait_url=data["portrait_url"],
        pronouns=data.get("pronouns", ""),
        spells=spells_of(data["spells"]),
        effects=timed_effects.load(data.get("effects")),
        subclass=data["subclass"],
        custom=dict(data["custom"]),
        choices=dict(data.get("choices", {})),
        class_levels=dict(data.get("class_levels", {})),
        feature_spent=dict(data.get("feature_spent", {})),
        counters=tuple(Counter(**entry) for entry in data.get("counters", ())),
    )
