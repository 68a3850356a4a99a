"""The tools offered to the model, as JSON schemas, and a checker for the calls that come back.

Names (skills, abilities, conditions, damage types) are SRD 5.1 index slugs, the keys that
``bot.data.srd`` looks up. The schemas use a small subset of JSON schema (object, string,
integer, array, null, enum, anyOf, required, additionalProperties, bounds), and
``validate_arguments`` checks exactly that subset, so no jsonschema dependency is needed.
The checker only guards the shape: whether "Mira" exists or holds a rope is the engine's call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.narrator.base import ProposedCall, ToolSpec

__all__ = [
    "ABILITIES",
    "CONDITIONS",
    "DAMAGE_TYPES",
    "NARRATOR_TOOLS",
    "SKILLS",
    "parse_call",
    "validate_arguments",
]

SKILLS = (
    "acrobatics",
    "animal-handling",
    "arcana",
    "athletics",
    "deception",
    "history",
    "insight",
    "intimidation",
    "investigation",
    "medicine",
    "nature",
    "perception",
    "performance",
    "persuasion",
    "religion",
    "sleight-of-hand",
    "stealth",
    "survival",
)
ABILITIES = ("str", "dex", "con", "int", "wis", "cha")
CONDITIONS = (
    "blinded",
    "charmed",
    "deafened",
    "exhaustion",
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
DAMAGE_TYPES = (
    "acid",
    "bludgeoning",
    "cold",
    "fire",
    "force",
    "lightning",
    "necrotic",
    "piercing",
    "poison",
    "psychic",
    "radiant",
    "slashing",
    "thunder",
)


def _text(description: str, max_length: int = 200) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "description": description}


def _int(description: str, minimum: int, maximum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum, "description": description}


def _enum(description: str, values: Sequence[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": description}


def _object(**properties: dict[str, Any]) -> dict[str, Any]:
    # Every field required and nothing else allowed: the model must say exactly what it means.
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _tool(name: str, description: str, /, **properties: dict[str, Any]) -> ToolSpec:
    return ToolSpec(name, description, _object(**properties))


_TARGET = _text("The character, NPC or monster affected, by name.", 80)
_CHARACTER = _text("The player character who makes the check, by name.", 80)
_REASON = _text("One short sentence: why, in the fiction.")
_ITEM = _text("The item, e.g. 'rope (50 feet)' or 'potion of healing'.", 80)

NARRATOR_TOOLS: list[ToolSpec] = [
    _tool(
        "request_check",
        "Ask the engine to roll an ability check when the outcome is uncertain. The engine rolls; narrate after.",
        character=_CHARACTER,
        skill_or_ability=_enum("An SRD skill, or an ability for a raw ability check.", SKILLS + ABILITIES),
        dc=_int("Difficulty class: 5 very easy, 10 easy, 15 medium, 20 hard, 25 very hard, 30 near impossible.", 1, 30),
        reason=_REASON,
    ),
    _tool(
        "apply_damage",
        "Propose damage to a creature outside combat (a trap, a fall).",
        target=_TARGET,
        amount=_int("Hit points of damage.", 1, 1000),
        damage_type=_enum("SRD damage type.", DAMAGE_TYPES),
        reason=_REASON,
    ),
    _tool("heal", "Propose restoring hit points.", target=_TARGET, amount=_int("Hit points restored.", 1, 1000)),
    _tool(
        "add_condition",
        "Propose an SRD condition on a creature.",
        target=_TARGET,
        condition=_enum("SRD condition.", CONDITIONS),
        rounds={**_int("Duration in rounds, or null until removed.", 1, 1000), "type": ["integer", "null"]},
    ),
    _tool(
        "remove_condition",
        "Propose ending a condition.",
        target=_TARGET,
        condition=_enum("SRD condition.", CONDITIONS),
    ),
    _tool(
        "give_item",
        "Propose adding an item to a character's inventory.",
        target=_TARGET,
        item=_ITEM,
        quantity=_int("How many.", 1, 100),
    ),
    _tool(
        "take_item",
        "Propose removing an item from a character's inventory.",
        target=_TARGET,
        item=_ITEM,
        quantity=_int("How many.", 1, 100),
    ),
    _tool(
        "award_xp",
        "Propose experience points for an accomplishment.",
        targets={
            "description": "Character names, or 'party' for everyone present.",
            "anyOf": [
                {"type": "array", "items": _text("A character name.", 80), "minItems": 1, "maxItems": 10},
                {"type": "string", "enum": ["party"]},
            ],
        },
        amount=_int("XP for each target.", 1, 100_000),
    ),
    _tool(
        "cast_spell",
        "A player character casts its own spell; the engine rolls.",
        caster=_text("The caster, by name.", 80),
        spell=_text("SRD spell name.", 80),
        level={**_int("Slot level, or null.", 1, 9), "type": ["integer", "null"]},
        targets={"type": "array", "maxItems": 12, "description": "Target names.", "items": _text("A name.", 80)},
    ),
    _tool(
        "use_feature",
        "A player character uses a class feature it has uses of (Rage, Second Wind, Ki...); the engine spends it.",
        character=_text("The character, by name.", 80),
        feature=_text("The feature, e.g. 'Rage', as the party block lists it.", 40),
        amount={
            **_int("Points of a pool (Ki, Lay on Hands), or null for one use.", 1, 100),
            "type": ["integer", "null"],
        },
    ),
    _tool(
        "introduce_npc",
        "Bring a new non-player character into the story.",
        name=_text("The NPC's name.", 80),
        role=_text("What they are, e.g. 'innkeeper' or 'cult fanatic'.", 80),
        description=_text("One or two sentences of appearance and manner.", 500),
    ),
    _tool(
        "move_scene",
        "Move the party to a new location.",
        location=_text("Short name of the place, e.g. 'the flooded crypt'.", 80),
        description=_text("One or two sentences describing it.", 500),
    ),
    _tool(
        "start_combat",
        "Start combat against SRD monsters; the engine rolls initiative.",
        enemies={
            "type": "array",
            "minItems": 1,
            "maxItems": 10,
            "description": "The opposing monsters.",
            "items": _object(monster=_text("SRD monster name, e.g. 'Goblin'.", 80), count=_int("How many.", 1, 20)),
        },
    ),
]


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "integer":  # JSON has no bool/int confusion; Python does
        return isinstance(value, int) and not isinstance(value, bool)
    types: dict[str, type] = {"string": str, "array": list, "object": dict, "null": type(None)}
    expected = types[kind]
    return isinstance(value, expected)


def _check(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """Every problem with ``value`` against ``schema``, as messages naming the field."""
    if "anyOf" in schema:
        options = [_check(value, option, path) for option in schema["anyOf"]]
        return [] if any(not errors for errors in options) else min(options, key=len)
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if not any(_type_ok(value, kind) for kind in kinds):
        return [f"{path} must be {' or '.join(kinds)}, got {json.dumps(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path} must be one of {', '.join(schema['enum'])}; got {json.dumps(value)}"]
    if isinstance(value, int) and not isinstance(value, bool) and "minimum" in schema:
        if not schema["minimum"] <= value <= schema["maximum"]:
            return [f"{path} must be from {schema['minimum']} to {schema['maximum']}, got {value}"]
    if isinstance(value, str) and "maxLength" in schema and not 1 <= len(value.strip()) <= schema["maxLength"]:
        return [f"{path} must be 1 to {schema['maxLength']} characters"]
    if isinstance(value, list):
        return _check_array(value, schema, path)
    if isinstance(value, dict):
        return _check_object(value, schema, path)
    return []


def _check_array(value: list[Any], schema: dict[str, Any], path: str) -> list[str]:
    low, high = schema.get("minItems", 0), schema.get("maxItems", 10**6)
    if not low <= len(value) <= high:
        return [f"{path} must have {low} to {high} entries"]
    return [error for i, item in enumerate(value) for error in _check(item, schema["items"], f"{path}[{i}]")]


def _check_object(value: dict[str, Any], schema: dict[str, Any], path: str) -> list[str]:
    properties: dict[str, Any] = schema["properties"]
    errors = [f"{path}.{key} is required".lstrip(".") for key in schema.get("required", []) if key not in value]
    errors += [f"{path}.{key} is not a field of this tool".lstrip(".") for key in value if key not in properties]
    for key, item in value.items():
        if key in properties:
            errors += _check(item, properties[key], f"{path}.{key}".lstrip("."))
    return errors


def validate_arguments(call: ProposedCall, tools: Sequence[ToolSpec] = NARRATOR_TOOLS) -> ProposedCall:
    """The call with ``error`` set when its tool is unknown or its arguments break the schema.

    The message is written for the model: it names every bad field and what would be accepted.
    """
    if call.error is not None:
        return call
    spec = next((tool for tool in tools if tool.name == call.name), None)
    if spec is None:
        offered = ", ".join(tool.name for tool in tools) or "none"
        return replace(call, error=f"Unknown tool {call.name!r}. Available tools: {offered}.")
    if call.arguments is None:
        return replace(call, error=f"{call.name}: arguments must be a JSON object.")
    errors = _check(call.arguments, spec.parameters, "")
    if not errors:
        return call
    return replace(call, error=f"{call.name}: {'; '.join(errors)}. Call it again with corrected arguments.")


def parse_call(call_id: str, name: str, raw_arguments: str, tools: Sequence[ToolSpec] = NARRATOR_TOOLS) -> ProposedCall:
    """Parse the model's argument text and validate it; never raises."""
    call = ProposedCall(call_id, name, None, None, raw_arguments)
    if not any(tool.name == name for tool in tools):
        return validate_arguments(call, tools)  # "unknown tool" helps more than a JSON complaint
    try:
        arguments = json.loads(raw_arguments.strip() or "{}")  # some servers send "" for no arguments
    except json.JSONDecodeError as exc:
        return replace(call, error=f"{name}: arguments are not valid JSON ({exc.msg} at character {exc.pos}).")
    except (ValueError, RecursionError):
        return replace(call, error=f"{name}: arguments are not valid JSON.")
    return validate_arguments(replace(call, arguments=arguments if isinstance(arguments, dict) else None), tools)
