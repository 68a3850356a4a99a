"""Combatants that aren't SRD stat blocks: a generic one the DM makes up ("Collapsing Bridge": a name, an
initiative or its modifier, HP, AC and optional attack lines as dice), and the "Lair Actions" entry that acts
on initiative 20, losing ties.

A generic combatant is stored like a monster without an SRD index; its attack lines are SRD-shaped actions
(kept as JSON), so attacks, saves, conditions and auto mode treat it exactly like a monster (`monster_of`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.data.srd import ArmorClass, DamageRoll, Monster, MonsterAction, SaveDC
from bot.engine.sheet import clean_name
from bot.errors import InvalidInput
from persistence.models import Combatant

GENERIC_INDEX = "generic"  # what `monster_of` names a generic combatant's stand-in stat block
LAIR_NAME = "Lair Actions"
LAIR_INITIATIVE = 20
MAX_LINES = 4
ABILITIES = ("str", "dex", "con", "int", "wis", "cha")
DICE = r"\d{1,2}d\d{1,3}(?:[+-]\d{1,3})?"
ATTACK_LINE = re.compile(
    rf"^(?P<name>[^;]{{1,40}}?)\s+(?P<bonus>[+-]\d{{1,2}})\s+(?P<dice>{DICE})(?:\s+(?P<type>[a-z]+))?$"
)
SAVE_LINE = re.compile(
    rf"^(?P<name>[^;]{{1,40}}?)\s+dc\s*(?P<dc>\d{{1,2}})\s+(?P<ability>{'|'.join(ABILITIES)})\s+(?P<dice>{DICE})"
    r"(?:\s+(?!half$)(?P<type>[a-z]+))?(?:\s+(?P<half>half))?$"
)
LINE_HELP = (
    "Write attack lines as `name +to-hit dice [type]`, or a save as `name DC n ability dice [type] [half]`, "
    "separated by `;`. Example: `Falling Stones DC 12 dex 2d6 bludgeoning half; Swinging Rope +4 1d4`."
)


def parse_attacks(text: str | None, damage_types: Sequence[str]) -> list[MonsterAction]:
    """The DM's attack lines as SRD-shaped actions."""
    if text is None or not text.strip():
        return []
    lines = [" ".join(line.split()) for line in text.split(";") if line.strip()]
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"A generic combatant has at most {MAX_LINES} attack lines.")
    return [_parse_line(line, damage_types) for line in lines]


def _parse_line(line: str, damage_types: Sequence[str]) -> MonsterAction:
    attack, save = ATTACK_LINE.match(line.casefold()), SAVE_LINE.match(line.casefold())
    found = attack or save
    if found is None:
        raise InvalidInput(f"“{line[:60]}” isn't an attack line. {LINE_HELP}")
    kind = found.group("type") or "bludgeoning"
    if kind not in damage_types:
        raise InvalidInput(f"“{kind[:20]}” is not a damage type. Types: {', '.join(damage_types)}.")
    name = clean_name(line[: len(found.group("name"))]).strip() or "Attack"
    if attack is not None:
        return MonsterAction(
            name=name,
            attack_bonus=int(attack.group("bonus")),
            damage=(DamageRoll(dice=attack.group("dice"), type=kind),),
        )
    assert save is not None
    dc = SaveDC(
        ability=save.group("ability"), value=int(save.group("dc")), success="half" if save.group("half") else "none"
    )
    return MonsterAction(name=name, dc=dc, damage=(DamageRoll(dice=save.group("dice"), type=kind),))


def initiative_of(text: str | None, roll_d20: int, default_bonus: int) -> tuple[int, int]:
    """(initiative, modifier) from the DM's `initiative`: "15" is fixed, "+2" / "-1" a modifier rolled with."""
    value = (text or "").replace(" ", "")
    if not value:
        return roll_d20 + default_bonus, default_bonus
    if not re.fullmatch(r"[+-]?\d{1,2}", value):
        raise InvalidInput("Initiative is a number (`15`: fixed) or a modifier (`+2`: rolled with a d20).")
    if value[0] in "+-":
        return roll_d20 + int(value), int(value)
    return int(value), default_bonus


def generic_monster(row: Combatant) -> Monster:
    """A stand-in stat block for a generic combatant: all abilities 10, no XP, its attack lines as actions."""
    actions = tuple(MonsterAction.model_validate(a) for a in row.attacks or ())
    return Monster(
        index=GENERIC_INDEX,
        name=row.name,
        size="Medium",
        type="object",
        alignment="unaligned",
        cr=0,
        xp=0,
        armor_class=(ArmorClass(value=row.ac, type="natural"),),
        hp=row.hp_max or 0,
        hit_dice="",
        hp_roll="",
        abilities=dict.fromkeys(ABILITIES, 10),
        proficiency_bonus=2,
        actions=actions,
    )


def actions_json(actions: Sequence[MonsterAction]) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json") for a in actions]


def is_generic(row: Combatant) -> bool:
    return row.kind == "monster" and row.monster_index is None


def is_lair(row: Combatant) -> bool:
    return is_generic(row) and row.name_key == LAIR_NAME.casefold()


def lair_fields() -> Mapping[str, Any]:
    """The "Lair Actions" entry: initiative 20, losing every tie (lowest Dexterity and roll-off), no HP to
    lose (it can't be attacked: its AC is out of reach and it has no hit points to speak of)."""
    return {"name": LAIR_NAME, "initiative": LAIR_INITIATIVE, "dex": -1, "tiebreak": -1, "hp": 1, "ac": 99}
