"""Homebrew by the DM: monsters, items, spells and feats of a campaign or a server, in the documented JSON
shapes of docs/HOMEBREW.md, validated with JSON Schema and by the dice engine, with errors that name the
field. A homebrew monster becomes a `bot.data.srd.Monster` (index `hb-<id>`), so the combat engine runs its
actions exactly as it runs the SRD's; `HomebrewMonsters` is the cache the combat engine consults.

Scope: `campaign` (the channel's campaign; its DM adds them) or `server` (members with Manage Server).
A campaign's entry wins over the server's of the same name. A bundle (`/homebrew export`) carries every
entry of a scope and imports on another server as it is.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD, Feat, Monster, Spell, cr_label, parse_cr
from bot.engine.dice import Dice
from bot.engine.homebrew_form import MonsterForm, monster_from_form
from bot.engine.monster_traits import LEGENDARY_RESISTANCE
from bot.engine.sheet import Actor, Item, clean_name
from bot.errors import Forbidden, GameError, InvalidInput, NotFound
from persistence.db import Database
from persistence.errors import Conflict
from persistence.homebrew import HomebrewRepository
from persistence.models import HomebrewEntry
from persistence.repositories import Reads

Kind = Literal["monster", "item", "spell", "feat"]
Scope = Literal["campaign", "server"]
KINDS: tuple[Kind, ...] = ("monster", "item", "spell", "feat")
PREFIX = "hb-"  # a homebrew monster's index in a fight: `hb-<id>`, never an SRD index
# A homebrew spell's index on a sheet, `homebrew-<name>`, and an item's, `homebrew:<name>`: by name, so that a
# DM who replaces an entry (remove, add again) keeps what the characters already have.
SPELL_PREFIX = "homebrew-"
FEAT_PREFIX = "homebrew-feat-"  # a homebrew feat's index on a sheet: `homebrew-feat-<id>`
ITEM_PREFIX = "homebrew:"
BUNDLE = "dmbot-homebrew"
MAX_FILE_BYTES = 500_000
MAX_PER_SCOPE = 200
CACHE_SIZE = 500
ABILITIES = ("str", "dex", "con", "int", "wis", "cha")
DAMAGE_TYPES = (
    "acid", "bludgeoning", "cold", "fire", "force", "lightning", "necrotic", "piercing", "poison", "psychic",
    "radiant", "slashing", "thunder",
)  # fmt: skip

_NAME = {"type": "string", "minLength": 1, "maxLength": 64}
_TEXT = {"type": "string", "maxLength": 1000}
_DICE = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": r"^[0-9dD+\- ]+$"}
_TEXTS = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 500}, "maxItems": 20}
_DAMAGE = {
    "type": "array",
    "maxItems": 4,
    "items": {
        "type": "object",
        "properties": {"dice": _DICE, "type": {"enum": list(DAMAGE_TYPES)}},
        "required": ["dice", "type"],
        "additionalProperties": False,
    },
}
_SAVE = {
    "type": "object",
    "properties": {
        "ability": {"enum": list(ABILITIES)},
        "dc": {"type": "integer", "minimum": 1, "maximum": 30},
        "success": {"enum": ["none", "half"]},
    },
    "required": ["ability", "dc"],
    "additionalProperties": False,
}
_BY_ABILITY = {
    "type": "object",
    "properties": {a: {"type": "integer", "minimum": -5, "maximum": 20} for a in ABILITIES},
    "additionalProperties": False,
}
_COMMON = {"kind": {"enum": list(KINDS)}, "name": _NAME, "description": _TEXT}
_LEGENDARY = {  # a legendary action the engine runs: one of the monster's actions, or its own save and damage
    "type": "object",
    "properties": {
        "name": _NAME,
        "cost": {"type": "integer", "minimum": 1, "maximum": 3},
        "uses": {"type": "string", "minLength": 1, "maxLength": 64},
        "save": _SAVE,
        "damage": _DAMAGE,
        "description": {"type": "string", "maxLength": 500},
    },
    "required": ["name"],
    "additionalProperties": False,
}
# Traits the combat engine applies, by their SRD names (bot.engine.monster_traits): a homebrew trait line that
# starts with one of these ("Pack Tactics: ...") works as the SRD's does.
AUTOMATED_TRAITS = (
    "Pack Tactics", "Nimble Escape", "Sunlight Sensitivity", "Undead Fortitude", "Magic Resistance",
    "Magic Weapons",
)  # fmt: skip

SCHEMAS: dict[str, dict[str, Any]] = {
    "monster": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "name", "ac", "hp_dice", "abilities", "cr", "actions"],
        "properties": {
            **_COMMON,
            "size": {"enum": ["Tiny", "Small", "Medium", "Large", "Huge", "Gargantuan"]},
            "type": {"type": "string", "maxLength": 40},
            "alignment": {"type": "string", "maxLength": 40},
            "ac": {"type": "integer", "minimum": 1, "maximum": 30},
            "hp_dice": _DICE,
            "speed": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 200}},
            "abilities": {
                "type": "object",
                "properties": {a: {"type": "integer", "minimum": 1, "maximum": 30} for a in ABILITIES},
                "required": list(ABILITIES),
                "additionalProperties": False,
            },
            "saves": _BY_ABILITY,
            "skills": {"type": "object", "additionalProperties": {"type": "integer", "minimum": -5, "maximum": 20}},
            "resistances": {"type": "array", "items": {"enum": list(DAMAGE_TYPES)}},
            "immunities": {"type": "array", "items": {"enum": list(DAMAGE_TYPES)}},
            "vulnerabilities": {"type": "array", "items": {"enum": list(DAMAGE_TYPES)}},
            "condition_immunities": {"type": "array", "items": {"type": "string", "maxLength": 20}},
            "senses": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 1000}},
            "languages": {"type": "string", "maxLength": 200},
            "cr": {"type": "string", "pattern": r"^(0|1/8|1/4|1/2|[1-9]|[12][0-9]|30)$"},
            "traits": _TEXTS,
            "legendary_actions": {
                "type": "array",
                "maxItems": 10,
                "items": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 500}, _LEGENDARY]},
            },
            "legendary_per_round": {"type": "integer", "minimum": 1, "maximum": 5},
            "legendary_resistance": {"type": "integer", "minimum": 1, "maximum": 5},
            "regeneration": {
                "type": "object",
                "properties": {
                    "hp": {"type": "integer", "minimum": 1, "maximum": 100},
                    "stopped_by": {"type": "array", "items": {"enum": list(DAMAGE_TYPES)}, "maxItems": 13},
                    "needs_hp": {"type": "boolean"},
                },
                "required": ["hp"],
                "additionalProperties": False,
            },
            "actions": {
                "type": "array",
                "minItems": 1,
                "maxItems": 10,
                "items": {
                    "type": "object",
                    "properties": {
                        "name": _NAME,
                        "attack_bonus": {"type": "integer", "minimum": -5, "maximum": 30},
                        "damage": _DAMAGE,
                        "save": _SAVE,
                        "recharge": {"type": "integer", "minimum": 2, "maximum": 6},
                        "per_day": {"type": "integer", "minimum": 1, "maximum": 10},
                        "per_rest": {"type": "boolean"},
                        "multiattack": {
                            "type": "array",
                            "maxItems": 5,
                            "items": {
                                "type": "object",
                                "properties": {
                                    "action": _NAME,
                                    "count": {"type": "integer", "minimum": 1, "maximum": 10},
                                },
                                "required": ["action", "count"],
                                "additionalProperties": False,
                            },
                        },
                    },
                    "required": ["name"],
                    "additionalProperties": False,
                },
            },
        },
    },
    "item": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "name", "category"],
        "properties": {
            **_COMMON,
            "category": {"enum": ["weapon", "armor", "wondrous"]},
            "damage": _DAMAGE,
            "attack_bonus": {"type": "integer", "minimum": 0, "maximum": 5},
            "properties": {"type": "array", "items": {"type": "string", "maxLength": 30}, "maxItems": 10},
            "armor_class": {"type": "integer", "minimum": 0, "maximum": 30},
            "armor_type": {"enum": ["light", "medium", "heavy", "shield"]},
            "rarity": {"enum": ["common", "uncommon", "rare", "very rare", "legendary", "artifact"]},
            "attunement": {"type": "boolean"},
            "weight": {"type": "number", "minimum": 0, "maximum": 10_000},
            "cost_gp": {"type": "number", "minimum": 0, "maximum": 10_000_000},
        },
    },
    "spell": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "name", "level", "school"],
        "properties": {
            **_COMMON,
            "level": {"type": "integer", "minimum": 0, "maximum": 9},
            "school": {
                "enum": [
                    "abjuration",
                    "conjuration",
                    "divination",
                    "enchantment",
                    "evocation",
                    "illusion",
                    "necromancy",
                    "transmutation",
                ]
            },
            "casting_time": {"type": "string", "maxLength": 40},
            "range": {"type": "string", "maxLength": 40},
            "duration": {"type": "string", "maxLength": 40},
            "concentration": {"type": "boolean"},
            "classes": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 12},
            "damage": _DAMAGE,
            "save": _SAVE,
            "attack": {"enum": ["melee", "ranged"]},
        },
    },
    "feat": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "name", "description"],
        "properties": {**_COMMON, "prerequisite": {"type": "string", "maxLength": 100}},
    },
}


@dataclass(frozen=True)
class Entry:
    """One stored homebrew entry."""

    id: int
    kind: Kind
    name: str
    scope: Scope
    data: Mapping[str, Any]


# --- Validation -----------------------------------------------------------------------------------


def validate(data: Any, dice: Dice, where: str = "") -> dict[str, Any]:
    """One entry checked against its kind's schema and the dice engine; the error names the field."""
    at = f"{where}: " if where else ""
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        raise InvalidInput(f'{at}each entry needs `"kind"`: one of {", ".join(KINDS)}. See docs/HOMEBREW.md.')
    errors = sorted(jsonschema.Draft202012Validator(SCHEMAS[data["kind"]]).iter_errors(data), key=lambda e: e.path)
    if errors:
        first = errors[0]
        path = "/".join(str(p) for p in first.absolute_path)
        if first.validator == "required":  # "'ac' is a required property" → "needs `ac`"
            missing = str(first.message).split("'")[1] if "'" in first.message else "a field"
            problem = f"needs `{path + '/' if path else ''}{missing}`"
        else:
            problem = f"`{path or 'the entry'}` {first.message[:160]}"
        raise InvalidInput(f"{at}{data['kind']} `{str(data.get('name'))[:64]}` {problem}. See docs/HOMEBREW.md.")
    for expression in _dice_of(data):
        try:
            dice.roll(expression.replace(" ", ""))
        except GameError as error:
            raise InvalidInput(f"{at}{data['name']}: `{expression}` is not dice: {error.message}") from None
    if data["kind"] == "monster":
        _check_monster(data, at)
    return {**data, "name": clean_name(data["name"])}


def _dice_of(data: Mapping[str, Any]) -> Iterable[str]:
    if "hp_dice" in data:
        yield data["hp_dice"]
    for part in data.get("damage", ()):
        yield part["dice"]
    for action in data.get("actions", ()):
        for part in action.get("damage", ()):
            yield part["dice"]
    for legendary in data.get("legendary_actions", ()):
        for part in legendary.get("damage", ()) if isinstance(legendary, dict) else ():
            yield part["dice"]


def _check_monster(data: Mapping[str, Any], at: str) -> None:
    names = {a["name"].casefold() for a in data["actions"]}
    for legendary in data.get("legendary_actions", ()):
        if isinstance(legendary, dict) and legendary.get("uses", "").casefold() not in names | {""}:
            raise InvalidInput(
                f"{at}{data['name']}: the legendary action `{legendary['name']}` uses `{legendary['uses']}`, "
                "which is not one of its actions."
            )
    for action in data["actions"]:
        if sum(1 for k in ("recharge", "per_day", "per_rest") if action.get(k)) > 1:
            raise InvalidInput(
                f"{at}{data['name']}: the action `{action['name']}` has one limit at most: `recharge`, "
                "`per_day` or `per_rest`."
            )
        steps = action.get("multiattack")
        if steps:
            missing = [s["action"] for s in steps if s["action"].casefold() not in names]
            if missing:
                raise InvalidInput(
                    f"{at}{data['name']}: Multiattack names {', '.join(missing)}, which it doesn't have."
                )
        elif "attack_bonus" not in action and "save" not in action:
            raise InvalidInput(
                f"{at}{data['name']}: the action `{action['name']}` needs an `attack_bonus` or a `save` "
                "(or a `multiattack` list) for the engine to run it."
            )
        elif not action.get("damage"):
            raise InvalidInput(f"{at}{data['name']}: the action `{action['name']}` needs `damage`.")


def entries_of_file(raw: bytes, dice: Dice) -> list[dict[str, Any]]:
    """A file's entries: one entry, a list of them, or a bundle from `/homebrew export`."""
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(f"That file is {len(raw):,} bytes; a homebrew file is at most {MAX_FILE_BYTES:,}.")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidInput("That file is not JSON. See docs/HOMEBREW.md for the shapes dmbot reads.") from None
    if isinstance(data, dict) and data.get("format") == BUNDLE:
        data = data.get("entries")
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > MAX_PER_SCOPE:
        raise InvalidInput(f"A homebrew file holds 1 to {MAX_PER_SCOPE} entries.")
    return [validate(item, dice, f"entry {n}" if len(items) > 1 else "") for n, item in enumerate(items, 1)]


# --- As SRD-shaped data ---------------------------------------------------------------------------


def proficiency_for_cr(cr: float) -> int:
    return 2 + max(0, (int(max(cr, 1)) - 1) // 4)


def average_of(dice_text: str) -> int:
    total = 0.0
    for sign, count, sides, const_sign, const in re.findall(r"([+-]?)(\d*)d(\d+)|([+-]?)(\d+)", dice_text.lower()):
        if sides:
            total += (-1 if sign == "-" else 1) * int(count or 1) * (int(sides) + 1) / 2
        else:
            total += (-1 if const_sign == "-" else 1) * int(const)
    return max(1, int(total))


def to_monster(index: str, data: Mapping[str, Any], srd: SRD) -> Monster:
    """The homebrew monster as the SRD's model: the combat engine needs nothing else."""
    cr = parse_cr(data["cr"])
    actions = []
    for action in data["actions"]:
        entry: dict[str, Any] = {"name": action["name"]}
        if action.get("multiattack"):
            entry["multiattack"] = True
            entry["multiattack_count"] = sum(s["count"] for s in action["multiattack"])
            entry["multiattack_options"] = [
                [{"action": s["action"], "count": s["count"], "type": "melee"} for s in action["multiattack"]]
            ]
        if "attack_bonus" in action:
            entry["attack_bonus"] = action["attack_bonus"]
        if "save" in action:
            save = action["save"]
            entry["dc"] = {"ability": save["ability"], "value": save["dc"], "success": save.get("success", "none")}
        entry["damage"] = _damage(action)
        usage = _usage(action)
        if usage is not None:
            entry["usage"] = usage
        actions.append(entry)
    legendary = [_legendary(a) for a in data.get("legendary_actions", ()) if isinstance(a, dict)]
    traits = [_trait(t) for t in data.get("traits", ())]
    if data.get("legendary_resistance"):
        traits.append(LEGENDARY_RESISTANCE)
    if data.get("regeneration"):
        traits.append("Regeneration")
    hp_dice = data["hp_dice"].replace(" ", "").lower()
    return Monster.model_validate(
        {
            "index": index,
            "name": data["name"],
            "size": data.get("size", "Medium"),
            "type": data.get("type", "homebrew"),
            "alignment": data.get("alignment", "unaligned"),
            "cr": cr,
            "xp": srd.xp_for_cr(cr),
            "armor_class": [{"value": data["ac"], "type": "natural"}],
            "hp": average_of(hp_dice),
            "hit_dice": hp_dice.split("+")[0].split("-")[0],
            "hp_roll": hp_dice,
            "speed": data.get("speed", {"walk": 30}),
            "abilities": data["abilities"],
            "saving_throws": data.get("saves", {}),
            "skills": data.get("skills", {}),
            "damage_resistances": data.get("resistances", []),
            "damage_immunities": data.get("immunities", []),
            "damage_vulnerabilities": data.get("vulnerabilities", []),
            "condition_immunities": data.get("condition_immunities", []),
            "senses": data.get("senses", {}),
            "languages": data.get("languages", ""),
            "proficiency_bonus": proficiency_for_cr(cr),
            "special_abilities": traits,
            "actions": actions,
            "legendary_actions": [_legendary_line(a) for a in data.get("legendary_actions", ())],
            "legendary": legendary,
            "legendary_per_round": data.get("legendary_per_round", 3) if legendary else 0,
            "legendary_resistance": data.get("legendary_resistance", 0),
            "regeneration": data.get("regeneration"),
        }
    )


def _damage(part_of: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"dice": d["dice"].replace(" ", ""), "type": d["type"]} for d in part_of.get("damage", ())]


def _usage(action: Mapping[str, Any]) -> dict[str, Any] | None:
    """Recharge 5–6, 3/Day or once a rest, in the SRD data's shape (bot.engine.combat.resources)."""
    if action.get("recharge"):
        return {"type": "recharge on roll", "dice": "1d6", "min_value": action["recharge"]}
    if action.get("per_day"):
        return {"type": "per day", "times": action["per_day"]}
    if action.get("per_rest"):
        return {"type": "recharge after rest", "rest_types": ["short", "long"]}
    return None


def _legendary(action: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": action["name"], "cost": action.get("cost", 1), "damage": _damage(action)}
    if action.get("uses"):
        entry["uses"] = [action["uses"]]
    if action.get("save"):
        save = action["save"]
        entry["dc"] = {"ability": save["ability"], "value": save["dc"], "success": save.get("success", "none")}
    return entry


def _legendary_line(action: str | Mapping[str, Any]) -> str:
    if isinstance(action, str):
        return action
    cost = action.get("cost", 1)
    line = action["name"] + (f" (Costs {cost} Actions)" if cost > 1 else "")
    return f"{line}: {action['description']}" if action.get("description") else line


def _trait(text: str) -> str:
    """A trait line; one named like a trait the engine applies ("Pack Tactics: ...") becomes that name."""
    name = re.split(r"[:.(]", text, maxsplit=1)[0].strip()
    return next((t for t in AUTOMATED_TRAITS if t.casefold() == name.casefold()), text)


class HomebrewMonsters:
    """Homebrew monsters by their fight index (`hb-<id>`), for the combat engine's synchronous lookups.

    An entry never changes once stored (a DM replaces one by removing it and adding it again, which gives a
    new id), so what is cached is never stale; `warm` loads the ones a fight needs in its transaction.
    """

    def __init__(self, srd: SRD) -> None:
        self.srd = srd
        self._cache: OrderedDict[str, Monster] = OrderedDict()

    def __contains__(self, index: object) -> bool:
        return index in self._cache

    def get(self, index: str) -> Monster:
        self._cache.move_to_end(index)
        return self._cache[index]

    def put(self, entry_id: int, data: Mapping[str, Any]) -> str:
        index = f"{PREFIX}{entry_id}"
        self._cache[index] = to_monster(index, data, self.srd)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return index

    async def warm(self, session: AsyncSession, indexes: Iterable[str | None]) -> None:
        wanted = {int(i[len(PREFIX) :]) for i in indexes if i and i.startswith(PREFIX) and i not in self._cache}
        for row in await HomebrewRepository(session).by_ids(sorted(wanted)):
            self.put(row.id, row.data)

    async def key_for(self, session: AsyncSession, actor: Actor, name: str) -> str:
        """A homebrew monster's index when one of the actor's campaign or server is called `name`."""
        if name.startswith(PREFIX) or actor.guild_id is None:
            return name
        campaign = await HomebrewRepository(session).campaign_in(actor.channel_id or 0)
        found = await HomebrewRepository(session).named(actor.guild_id, campaign, "monster", name.casefold()[:256])
        if found is None:
            return name
        return self.put(found.id, found.data)


def to_spell(data: Mapping[str, Any], srd: SRD) -> Spell:
    """The homebrew spell as the SRD's model: `/spell` and `/cast` use it as they use the SRD's. A caster's
    own save DC and attack bonus apply (a file's `save.dc` is for the DM's reading); the first damage part is
    the spell's damage, at every slot level."""
    level = data["level"]
    damage = data.get("damage") or []
    dice = damage[0]["dice"].replace(" ", "").lower() if damage else None
    save = data.get("save")
    classes = tuple(
        c.index for c in srd.data.classes if c.name.casefold() in {n.casefold() for n in data.get("classes", ())}
    )
    if dice and (save or data.get("attack")):
        automation = "full"
    else:
        automation = "partial" if dice else "noted"
    return Spell.model_validate(
        {
            "index": SPELL_PREFIX + "-".join(data["name"].casefold().split()),
            "name": data["name"],
            "level": level,
            "school": data["school"],
            "classes": classes,
            "range": data.get("range", "Self"),
            "components": ("V", "S"),
            "concentration": bool(data.get("concentration")),
            "casting_time": data.get("casting_time", "1 action"),
            "duration": data.get("duration", "Instantaneous"),
            "attack_type": data.get("attack"),
            "damage_type": damage[0]["type"] if damage else None,
            "damage_at_slot_level": {level: dice} if dice and level else {},
            "damage_at_character_level": {1: dice} if dice and not level else {},
            "save": {"ability": save["ability"], "success": save.get("success", "none")} if save else None,
            "automation": automation,
        }
    )


def spell_label(spell: Spell) -> str:
    """An autocomplete label: "Fire Bolt (cantrip)", "Mud Grasp (level 1, homebrew)"."""
    level = "cantrip" if spell.level == 0 else f"level {spell.level}"
    return f"{spell.name} ({level}{', homebrew' if spell.index.startswith(SPELL_PREFIX) else ''})"


async def srd_with_spells(session: AsyncSession, srd: SRD, actor: Actor) -> SRD:
    """The SRD with the homebrew spells of the actor's server and (in its channel) campaign: the one the spell
    engine reads for `/spell` and `/cast`. A campaign's spell wins over the server's of the same name."""
    if actor.guild_id is None:
        return srd
    repo = HomebrewRepository(session)
    campaign = await repo.campaign_in(actor.channel_id or 0)
    rows = sorted(await repo.visible(actor.guild_id, campaign, "spell"), key=lambda r: r.campaign_id is None)
    spells: dict[str, Spell] = {}
    for row in rows:
        spell = to_spell(row.data, srd)
        spells.setdefault(spell.index, spell)
    return srd.with_spells(spells.values())


async def srd_with_feats(session: AsyncSession, srd: SRD, actor: Actor) -> SRD:
    """The SRD with the homebrew feats of the actor's server and (in its channel) campaign, offered at an
    Ability Score Improvement beside the SRD's. A homebrew prerequisite is prose: the DM judges it."""
    if actor.guild_id is None:
        return srd
    repo = HomebrewRepository(session)
    campaign = await repo.campaign_in(actor.channel_id or 0)
    rows = await repo.visible(actor.guild_id, campaign, "feat")
    feats = (Feat(index=FEAT_PREFIX + str(e.id), name=e.name) for e in feats_of(_entry(r) for r in rows))
    return srd.with_feats(feats)


def to_item(data: Mapping[str, Any], quantity: int = 1) -> Item:
    """The homebrew item as a sheet carries it: its numbers in `details`, read by the sheet's rules as a DM's
    custom item's are (bot.engine.sheet: a weapon's attack line, armour's AC, a wondrous item's AC bonus)."""
    details: dict[str, Any] = {
        "homebrew": True,
        "category": data["category"],
        "description": data.get("description", ""),
        "weight": data.get("weight", 0),
        "value_gp": data.get("cost_gp", 0),
    }
    for key in ("rarity", "attunement", "attack_bonus"):
        if data.get(key):
            details[key] = data[key]
    damage = [{"dice": d["dice"].replace(" ", "").lower(), "type": d["type"]} for d in data.get("damage", ())]
    if data["category"] == "weapon" and damage:
        details["weapon"] = {**damage[0], "extra": damage[1:], "properties": list(data.get("properties", ()))}
    armor_class = data.get("armor_class")
    if data["category"] == "armor" and (armor_class or data.get("armor_type") == "shield"):
        kind = data.get("armor_type", "light")
        details["armor"] = {"base": armor_class if armor_class is not None else 2, "type": kind}
    elif data["category"] == "wondrous" and armor_class:
        details["ac_bonus"] = armor_class  # a ring or cloak of protection: what it adds while worn
    name = clean_name(data["name"])
    return Item(ITEM_PREFIX + name.casefold(), name, quantity, details=details)


async def item_named(session: AsyncSession, actor: Actor, name: str, quantity: int = 1) -> Item | None:
    """A homebrew item of the actor's campaign or server called `name`, as a sheet carries it (`/dm award`)."""
    if actor.guild_id is None:
        return None
    repo = HomebrewRepository(session)
    campaign = await repo.campaign_in(actor.channel_id or 0)
    found = await repo.named(actor.guild_id, campaign, "item", " ".join(name.split()).casefold()[:256])
    return to_item(found.data, quantity) if found is not None else None


async def item_choices(session: AsyncSession, actor: Actor, text: str) -> list[tuple[str, str]]:
    """Autocomplete pairs (value, label) of the actor's campaign's and server's homebrew items."""
    if actor.guild_id is None:
        return []
    repo = HomebrewRepository(session)
    campaign = await repo.campaign_in(actor.channel_id or 0)
    return names_for([_entry(r) for r in await repo.visible(actor.guild_id, campaign, "item")], "item", text)


def feats_of(entries: Iterable[Entry]) -> list[Entry]:
    """The feats among entries, a campaign's before the server's of the same name."""
    chosen: dict[str, Entry] = {}
    for entry in sorted((e for e in entries if e.kind == "feat"), key=lambda e: e.scope != "campaign"):
        chosen.setdefault(entry.name.casefold(), entry)
    return sorted(chosen.values(), key=lambda e: e.name.casefold())


# --- The service ----------------------------------------------------------------------------------


class HomebrewService:
    def __init__(self, db: Database, srd: SRD, dice: Dice, monsters: HomebrewMonsters) -> None:
        self.db, self.srd, self.dice, self.monsters = db, srd, dice, monsters
        self.reads = Reads(db)  # autocomplete lists homebrew on every keystroke: no BEGIN/COMMIT round trips

    async def add(self, actor: Actor, raw: bytes, scope: Scope, *, manages_server: bool) -> list[Entry]:
        return await self.add_entries(actor, entries_of_file(raw, self.dice), scope, manages_server=manages_server)

    async def add_monster_form(self, actor: Actor, form: MonsterForm, scope: Scope, *, manages_server: bool) -> Entry:
        """A monster typed into `/homebrew monster`'s form, checked like a file's."""
        entry = validate(monster_from_form(form), self.dice)
        [added] = await self.add_entries(actor, [entry], scope, manages_server=manages_server)
        return added

    async def add_entries(
        self, actor: Actor, entries: Sequence[Mapping[str, Any]], scope: Scope, *, manages_server: bool
    ) -> list[Entry]:
        async with self.db.transaction() as session:
            repo = HomebrewRepository(session)
            campaign = await self._scope(session, actor, scope, manages_server)
            guild = actor.guild_id or 0
            if await repo.count(guild, campaign) + len(entries) > MAX_PER_SCOPE:
                raise InvalidInput(f"A {scope} keeps at most {MAX_PER_SCOPE} homebrew entries; remove some first.")
            rows = [
                HomebrewEntry(
                    guild_id=guild,
                    campaign_id=campaign,
                    scope_key=_scope_key(campaign),
                    kind=e["kind"],
                    name=e["name"],
                    name_key=e["name"].casefold(),
                    data=dict(e),
                    created_by=actor.user_id,
                )
                for e in entries
            ]
            try:
                await repo.insert(rows)
            except Conflict:
                raise InvalidInput(
                    "One of these names is taken by homebrew of the same kind here; `/homebrew remove` it first."
                ) from None
            return [_entry(r) for r in rows]

    async def list(self, actor: Actor, kind: Kind | None = None) -> list[Entry]:
        async with self.reads.session() as session:
            repo = HomebrewRepository(session)
            campaign = await repo.campaign_in(actor.channel_id or 0)
            return [_entry(r) for r in await repo.visible(actor.guild_id or 0, campaign, kind)]

    async def find(self, actor: Actor, name: str, kind: Kind | None = None) -> Entry:
        found = [e for e in await self.list(actor, kind) if e.name.casefold() == name.strip().casefold()]
        if not found:
            raise NotFound(f"There is no homebrew called “{name[:64]}” here. `/homebrew list` shows them.")
        return min(found, key=lambda e: e.scope != "campaign")  # the campaign's wins

    async def remove(self, actor: Actor, name: str, *, manages_server: bool) -> Entry:
        entry = await self.find(actor, name)
        async with self.db.transaction() as session:
            await self._scope(session, actor, entry.scope, manages_server)
            await HomebrewRepository(session).delete(entry.id)
        return entry

    async def export(self, actor: Actor, scope: Scope) -> bytes:
        entries = [e for e in await self.list(actor) if e.scope == scope]
        if not entries:
            raise NotFound(f"This {scope} has no homebrew to export yet.")
        bundle = {"format": BUNDLE, "version": 1, "entries": [dict(e.data) for e in entries]}
        return (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode()

    async def feats_for(self, guild_id: int, campaign_id: int | None = None) -> Sequence[Entry]:
        """The homebrew feats a character of this server (and campaign) may take: the server's, and the
        campaign's, which win over the server's of the same name. For the ASI/feat choice at level-up and
        the sheet; each `Entry.data` has `name`, `description` and perhaps `prerequisite`."""
        async with self.reads.session() as session:
            rows = await HomebrewRepository(session).visible(guild_id, campaign_id, "feat")
        return feats_of(_entry(r) for r in rows)

    def monster_of(self, entry: Entry) -> Monster:
        return to_monster(f"{PREFIX}{entry.id}", entry.data, self.srd)

    async def _scope(self, session: AsyncSession, actor: Actor, scope: Scope, manages_server: bool) -> int | None:
        """The campaign id (campaign scope, its DM only) or None (server scope, Manage Server only)."""
        repo = HomebrewRepository(session)
        if actor.guild_id is None:
            raise InvalidInput("Homebrew lives on a server; use this command in one.")
        if scope == "server":
            if not manages_server:
                raise Forbidden("Only members with Manage Server change the server's homebrew; use `scope:campaign`.")
            return None
        campaign = await repo.campaign_row(actor.channel_id or 0)
        if campaign is None:
            raise InvalidInput("There is no campaign in this channel: run this in its channel, or use `scope:server`.")
        if campaign.dm_id != actor.user_id:
            raise Forbidden("Only this campaign's DM changes its homebrew.")
        return campaign.id


def _scope_key(campaign: int | None) -> str:
    return f"campaign:{campaign}" if campaign is not None else "server"


def _entry(row: HomebrewEntry) -> Entry:
    scope: Scope = "campaign" if row.campaign_id is not None else "server"
    return Entry(row.id, row.kind, row.name, scope, dict(row.data))  # type: ignore[arg-type]


def describe(entry: Entry) -> list[str]:
    """The numbers of an entry, one line each, for `/homebrew show`."""
    d = entry.data
    lines = [f"{entry.kind.capitalize()} · {entry.scope} homebrew"]
    if entry.kind == "monster":
        lines.append(f"AC {d['ac']} · HP {average_of(d['hp_dice'])} ({d['hp_dice']}) · CR {cr_label(d['cr'])}")
        lines.append(" ".join(f"{a.upper()} {d['abilities'][a]}" for a in ABILITIES))
        lines += [f"Trait: {t}" for t in d.get("traits", ())]
        for action in d["actions"]:
            lines.append(f"{action['name']}: {_action_text(action)}")
        lines += [f"Legendary: {_legendary_line(t)}" for t in d.get("legendary_actions", ())]
        if d.get("legendary_resistance"):
            lines.append(f"Legendary Resistance ({d['legendary_resistance']}/Day)")
        if d.get("regeneration"):
            regen = d["regeneration"]
            stops = f", not after {' or '.join(regen['stopped_by'])} damage" if regen.get("stopped_by") else ""
            lines.append(f"Regeneration: {regen['hp']} HP at the start of its turn{stops}")
    elif entry.kind == "item":
        parts = [d["category"], d.get("rarity", "")]
        if d.get("damage"):
            parts.append(" + ".join(f"{p['dice']} {p['type']}" for p in d["damage"]))
        if "attack_bonus" in d:
            parts.append(f"+{d['attack_bonus']} to hit")
        if "armor_class" in d:
            parts.append(f"AC {d['armor_class']}")
        lines.append(" · ".join(p for p in parts if p))
    elif entry.kind == "spell":
        lines.append(f"level {d['level']} {d['school']}" + (" (concentration)" if d.get("concentration") else ""))
    if d.get("description"):
        lines.append(str(d["description"]))
    return lines


def _action_text(action: Mapping[str, Any]) -> str:
    limit = (
        f" (Recharge {action['recharge']}–6)" if action.get("recharge") and action["recharge"] < 6 else
        " (Recharge 6)" if action.get("recharge") else
        f" ({action['per_day']}/Day)" if action.get("per_day") else
        " (once a rest)" if action.get("per_rest") else ""
    )  # fmt: skip
    return _action_numbers(action) + limit


def _action_numbers(action: Mapping[str, Any]) -> str:
    if action.get("multiattack"):
        return "Multiattack: " + ", ".join(f"{s['action']} ×{s['count']}" for s in action["multiattack"])
    damage = " + ".join(f"{p['dice']} {p['type']}" for p in action.get("damage", ()))
    if "attack_bonus" in action:
        return f"{action['attack_bonus']:+d} to hit, {damage}"
    save = action["save"]
    return f"DC {save['dc']} {save['ability'].upper()} save ({save.get('success', 'none')} on a success), {damage}"


def names_for(entries: Sequence[Entry], kind: Kind, text: str) -> list[tuple[str, str]]:
    """Autocomplete pairs (value, label): homebrew marked as such."""
    needle = text.casefold()
    return [(e.name, f"{e.name} (homebrew)") for e in entries if e.kind == kind and needle in e.name.casefold()][:25]
