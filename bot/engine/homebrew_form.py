"""The form of `/homebrew monster`: a DM types a monster into five boxes instead of writing a file; the
result is the file shape of docs/HOMEBREW.md, validated by `bot.engine.homebrew` like a file's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.errors import InvalidInput

ABILITIES = ("str", "dex", "con", "int", "wis", "cha")


@dataclass(frozen=True)
class MonsterForm:
    """What the DM typed: a name; "AC hit-dice CR" (`15 8d8+16 3`); six scores; action lines; trait lines."""

    name: str
    numbers: str
    abilities: str
    actions: str
    traits: str = ""


FORM_HELP = (
    "Actions: one a line (or separated by `;`): `name +to-hit dice [type]`, or a save `name DC n ability dice "
    "[type] [half]`, ending with `recharge 5` or `2/day` if it has one, e.g. `Claws +5 2d6+3 slashing` and "
    "`Mire Breath DC 13 con 3d6 poison half recharge 5`."
)
_LIMIT = re.compile(r"\s+(?:recharge\s*(?P<recharge>[2-6])(?:\s*[-–]\s*6)?|(?P<per_day>\d{1,2})\s*/\s*day)$")


def monster_from_form(form: MonsterForm) -> dict[str, Any]:
    """The form as the file shape (validated after, like a file's)."""
    if not form.name.strip():
        raise InvalidInput("Give the monster a name, e.g. `Bog Hag`.")
    numbers = form.numbers.split()
    if len(numbers) != 3 or not numbers[0].isdigit():
        raise InvalidInput("Type the AC, the hit dice and the CR, e.g. `15 8d8+16 3` (or `13 2d6 1/4`).")
    scores = form.abilities.replace(",", " ").split()
    if len(scores) != 6 or not all(v.isdigit() for v in scores):
        raise InvalidInput("Type six ability scores in the order STR DEX CON INT WIS CHA, e.g. `16 12 14 13 14 15`.")
    actions = [_form_action(" ".join(line.split())) for line in re.split(r"[;\n]", form.actions) if line.strip()]
    if not actions:
        raise InvalidInput(f"A monster needs at least one action. {FORM_HELP}")
    return {
        "kind": "monster",
        "name": form.name,
        "ac": int(numbers[0]),
        "hp_dice": numbers[1],
        "cr": numbers[2],
        "abilities": dict(zip(ABILITIES, (int(v) for v in scores), strict=True)),
        "actions": actions,
        "traits": [t.strip()[:500] for t in form.traits.splitlines() if t.strip()][:20],
    }


_ATTACK = re.compile(r"^(?P<name>.{1,64}?)\s+(?P<bonus>[+-]\d{1,2})\s+(?P<dice>[0-9d+\-]+)(?:\s+(?P<type>[a-z]+))?$")
_SAVE = re.compile(
    r"^(?P<name>.{1,64}?)\s+dc\s*(?P<dc>\d{1,2})\s+(?P<ability>str|dex|con|int|wis|cha)\s+(?P<dice>[0-9d+\-]+)"
    r"(?:\s+(?!half$)(?P<type>[a-z]+))?(?:\s+(?P<half>half))?$"
)


def _form_action(line: str) -> dict[str, Any]:
    """One action line, with its Recharge 5–6 or 2/Day at the end (as a stat block writes it)."""
    limit = _LIMIT.search(line.casefold())
    if limit is None:
        return _plain_action(line)
    action = _plain_action(line[: limit.start()])
    if limit.group("recharge"):
        return {**action, "recharge": int(limit.group("recharge"))}
    return {**action, "per_day": int(limit.group("per_day"))}


def _plain_action(line: str) -> dict[str, Any]:
    folded = line.casefold()
    attack, save = _ATTACK.match(folded), _SAVE.match(folded)
    found = attack or save
    if found is None:
        raise InvalidInput(f"“{line[:60]}” isn't an action line. {FORM_HELP}")
    name = line[: len(found.group("name"))].strip()
    damage = [{"dice": found.group("dice"), "type": found.group("type") or "bludgeoning"}]
    if attack is not None:
        return {"name": name, "attack_bonus": int(attack.group("bonus")), "damage": damage}
    assert save is not None
    success = "half" if save.group("half") else "none"
    return {
        "name": name,
        "save": {"ability": save.group("ability"), "dc": int(save.group("dc")), "success": success},
        "damage": damage,
    }
