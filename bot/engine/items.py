"""Items a character carries beyond the mundane SRD equipment: SRD magic items (awarded, carried, used,
attuned) and the DM's own custom items. Every item on a sheet is an `Item`; what it *is* comes from here.

- `resolve` finds what a name means: SRD equipment first, then an SRD magic item. Players add only these;
  custom items come from the campaign's DM (`custom_item`), so a player cannot invent a +5 sword.
- Potions of healing heal by their SRD dice (`HEALING_POTIONS`), through the one HP rule (`hit_points`):
  drinking one at 0 HP wakes the character.
- Attunement (SRD): only items that require it, at most three at a time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.data.srd import SRD, MagicItem
from bot.engine import hit_points
from bot.engine.dice import RollOutcome
from bot.engine.sheet import Item, Sheet, magic_text
from bot.engine.text import prose, visible
from bot.errors import InvalidInput, NotFound

MAX_ATTUNED = 3
MAX_AC_BONUS = 5
DAMAGE = re.compile(r"([1-9]d(?:4|6|8|10|12)) ([a-z]+)")
MAX_CUSTOM_NAME = 64
MAX_CUSTOM_DESCRIPTION = 500
CUSTOM_PREFIX = "custom:"  # a custom item's index: its own namespace, never an SRD index

# The SRD's potions of healing (the family entry is the common potion).
HEALING_POTIONS = {
    "potion-of-healing": "2d4+2",
    "potion-of-healing-common": "2d4+2",
    "potion-of-healing-greater": "4d4+4",
    "potion-of-healing-superior": "8d4+8",
    "potion-of-healing-supreme": "10d4+20",
}


@dataclass(frozen=True)
class Resolved:
    index: str
    name: str
    magic: MagicItem | None = None
    details: Mapping[str, Any] | None = None  # a magic weapon's or armour's numbers (`plus_item`)


PLUS = re.compile(r"\+([1-3]) (.+)|(.+?),? \+([1-3])")  # "+1 longsword", "Longsword, +1", "shield +2"


def plus_item(srd: SRD, key: str) -> Resolved | None:
    """A +1, +2 or +3 weapon, armour or shield of the SRD's (Weapon, +1 / Armor, +1 on a base item): its index
    `<variant>:<base>` and its numbers as a DM's item's (the weapon's dice, the armour's AC, the bonus), so the
    sheet counts them as it counts those."""
    found = PLUS.fullmatch(" ".join(key.split()).casefold())
    if found is None:
        return None
    plus, base_name = (found.group(1), found.group(2)) if found.group(1) else (found.group(4), found.group(3))
    try:
        base = srd.item(base_name)
    except KeyError:
        return None
    details: dict[str, Any]
    if base.index in srd.lookup("weapon") and srd.weapon(base.index).damage_dice:
        weapon = srd.weapon(base.index)
        spec = {"dice": weapon.damage_dice, "type": weapon.damage_type, "properties": list(weapon.properties)}
        variant, details = f"weapon-{plus}", {"weapon": spec, "attack_bonus": int(plus)}
    elif base.index in srd.lookup("armor"):
        armor = srd.armor(base.index)
        variant = f"armor-{plus}"
        details = {"armor": {"type": armor.category, "base": armor.base_ac}, "ac_bonus": int(plus)}
    else:
        return None
    magic = srd.magic_item(variant)
    details |= {"magic": variant, "base": base.index, "rarity": magic.rarity.lower()}
    return Resolved(f"{variant}:{base.index}", f"{base.name}, +{plus}", magic, details)


def resolve(srd: SRD, key: str) -> Resolved:
    """An SRD item by index or name: equipment first, then magic items. Unknown names are refused with
    names to try (magic ones among them)."""
    try:
        entry = srd.item(key)
        return Resolved(entry.index, entry.name)
    except KeyError:
        pass
    plus = plus_item(srd, key)
    if plus is not None:
        return plus
    try:
        magic = srd.magic_item(key)
    except KeyError:
        magic = None
    if magic is not None:
        if magic.variants:  # a family ("Potion of Healing", "Armor, +1"): its plain member, or say which
            first = srd.magic_item(magic.variants[0])
            if first.name != magic.name:
                names = ", ".join(srd.magic_item(v).name for v in magic.variants)
                raise InvalidInput(f"{magic.name} comes in several kinds; say which: {names}.")
            magic = first
        return Resolved(magic.index, magic.name, magic)
    close = [n for _, n in srd.search("item", key[:3], limit=4)] + [
        n for _, n in srd.search("magic_item", key, limit=4)
    ]
    hint = f" Try one of: {', '.join(dict.fromkeys(close))}." if close else ""
    raise NotFound(f"“{key[:64]}” is not an SRD item or magic item.{hint}")


def magic_of(srd: SRD, item: Item) -> MagicItem | None:
    index = item.item.split(":")[0]  # a +1 weapon's `weapon-1:longsword`
    if item.item.startswith(CUSTOM_PREFIX) or index not in srd.lookup("magic_item"):
        return None
    return srd.magic_item(index)


def find(sheet: Sheet, key: str) -> Item:
    """A carried item by index or (any case) name."""
    wanted = " ".join(key.split()).casefold()
    for item in sheet.inventory:
        if wanted in (item.item.casefold(), item.name.casefold()):
            return item
    raise InvalidInput(f"{sheet.name} isn't carrying “{key[:64]}”. `/character inventory action:list` shows it all.")


# --- Using an item -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Used:
    sheet: Sheet
    item: str
    roll: RollOutcome | None
    healed: int
    woke: bool  # drank it at 0 HP and got up


def use(sheet: Sheet, key: str, roll: Any) -> Used:
    """Drink a potion of healing (the one kind of item the engine knows how to use); it is used up."""
    item = find(sheet, key)
    dice = HEALING_POTIONS.get(item.item)
    if dice is None:
        raise InvalidInput(
            f"{item.name} has no use the engine can roll; describe what you do with it to your DM "
            "(potions of healing are drunk with `/character use-item`)."
        )
    outcome: RollOutcome = roll(dice, f"{item.name}")
    before = sheet.hp_current
    healed = hit_points.healed(sheet, outcome.total)  # refuses the dead; from 0 HP it wakes
    new = replace(healed, inventory=removed(healed.inventory, item.item, 1))
    return Used(new, item.name, outcome, new.hp_current - max(0, before), before <= 0 < new.hp_current)


def removed(inventory: tuple[Item, ...], index: str, quantity: int) -> tuple[Item, ...]:
    return tuple(
        replace(i, quantity=i.quantity - quantity) if i.item == index else i
        for i in inventory
        if i.item != index or i.quantity > quantity
    )


# --- Attunement --------------------------------------------------------------------------------------


def attune(srd: SRD, sheet: Sheet, key: str, *, on: bool) -> tuple[tuple[Item, ...], str]:
    item = find(sheet, key)
    magic = magic_of(srd, item)
    if not on:
        if not item.attuned:
            raise InvalidInput(f"{sheet.name} isn't attuned to {item.name}.")
        return _with(sheet, item, attuned=False), f"{sheet.name} ends their attunement to {item.name}."
    needs = magic.attunement if magic is not None else bool((item.details or {}).get("attunement"))
    if not needs:
        raise InvalidInput(f"{item.name} doesn't require attunement: it works as carried.")
    if item.attuned:
        raise InvalidInput(f"{sheet.name} is already attuned to {item.name}.")
    attuned = [i.name for i in sheet.inventory if i.attuned]
    if len(attuned) >= MAX_ATTUNED:
        raise InvalidInput(
            f"{sheet.name} is attuned to {MAX_ATTUNED} items already ({', '.join(attuned)}), the SRD's most; "
            "end one first with `action:unattune`."
        )
    return _with(sheet, item, attuned=True), f"{sheet.name} attunes to {item.name} (a short rest spent with it)."


def _with(sheet: Sheet, item: Item, **changes: Any) -> tuple[Item, ...]:
    return tuple(replace(i, **changes) if i.item == item.item else i for i in sheet.inventory)


# --- The DM's custom items ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomSpec:
    """What the DM says of a custom item."""

    name: str
    description: str = ""
    weight: float = 0
    value_gp: float = 0
    damage: str | None = None  # a weapon: "1d8 slashing"
    ac_bonus: int = 0  # armour or a ward: added to AC while equipped


def custom_item(srd: SRD, spec: CustomSpec) -> Item:
    """A custom item as the DM describes it (a weapon with `damage` such as "1d8 slashing"; armour or a ward with
    `ac_bonus`, added to AC while equipped); it stacks with others of the same name."""
    description, weight, value_gp, damage, ac_bonus = (
        spec.description,
        spec.weight,
        spec.value_gp,
        spec.damage,
        spec.ac_bonus,
    )
    clean = " ".join(visible(spec.name).split())
    if not clean or len(clean) > MAX_CUSTOM_NAME:
        raise InvalidInput(f"A custom item needs a name of 1 to {MAX_CUSTOM_NAME} characters.")
    text = prose(description).strip()
    if len(text) > MAX_CUSTOM_DESCRIPTION:
        raise InvalidInput(f"A custom item's description is at most {MAX_CUSTOM_DESCRIPTION} characters.")
    if not 0 <= weight <= 10_000 or not 0 <= value_gp <= 10_000_000:
        raise InvalidInput("A custom item weighs 0 to 10,000 lb and is worth 0 to 10,000,000 gp.")
    details: dict[str, Any] = {"description": text, "weight": weight, "value_gp": value_gp}
    if damage:
        details["weapon"] = _weapon_stats(srd, damage)
    if ac_bonus:
        if not 1 <= ac_bonus <= MAX_AC_BONUS:
            raise InvalidInput(f"A custom item adds 1 to {MAX_AC_BONUS} to AC.")
        details["ac_bonus"] = ac_bonus
    return Item(CUSTOM_PREFIX + clean.casefold(), clean, 1, details=details)


def _weapon_stats(srd: SRD, damage: str) -> dict[str, str]:
    found = DAMAGE.fullmatch(damage.strip().casefold())
    types = [t.index for t in srd.data.damage_types]
    if found is None or found.group(2) not in types:
        raise InvalidInput(
            f"A custom weapon's damage is dice and a type, e.g. `1d8 slashing` (types: {', '.join(types)})."
        )
    return {"dice": found.group(1), "type": found.group(2)}


def _numbers(details: Mapping[str, Any]) -> list[str]:
    """A DM's item's rules: its weapon, armour, AC bonus and attunement."""
    parts = []
    weapon = details.get("weapon")
    if weapon:
        extra = "".join(f" + {e['dice']} {e['type']}" for e in weapon.get("extra", ()))
        bonus = f", +{details['attack_bonus']} to hit and damage" if details.get("attack_bonus") else ""
        parts.append(f"weapon, {weapon['dice']} {weapon['type']}{extra}{bonus}")
    armor = details.get("armor")
    if armor:
        kind = armor["type"]
        parts.append(f"shield, +{armor['base']} AC" if kind == "shield" else f"{kind} armour, AC {armor['base']}")
    if details.get("ac_bonus"):
        parts.append(f"+{details['ac_bonus']} AC when equipped")
    if details.get("attunement"):
        parts.append("requires attunement")
    return parts


def _needs_text(magic: MagicItem) -> str:
    needs = magic.bonus.needs if magic.bonus else None
    when = {"armor": "worn", "weapon": "equipped", "unarmored": "with no armour and no shield"}.get(needs or "")
    if magic.attunement:
        when = "attuned" + (f", {when}" if when else "")
    return f" ({when})" if when else ""


def describe(srd: SRD, item: Item) -> str:
    """One line of the full inventory list: name, count, and what matters about it."""
    parts = [item.name + (f" ×{item.quantity}" if item.quantity > 1 else "")]
    if item.equipped:
        parts.append("equipped")
    if item.attuned:
        parts.append("attuned")
    magic = magic_of(srd, item)
    if magic is not None:
        parts.append(f"{magic.rarity.lower()} magic item" + (", requires attunement" if magic.attunement else ""))
        if magic.bonus is not None and not item.details:
            parts.append(magic_text(magic.bonus) + _needs_text(magic))
    if item.item in HEALING_POTIONS:
        parts.append(f"heals {HEALING_POTIONS[item.item]}")
    if item.details:
        details = item.details
        homebrew = bool(details.get("homebrew"))
        value, weight = details.get("value_gp"), details.get("weight")
        worth = f"{value:g} gp, {weight:g} lb" if value is not None and weight is not None else "custom"
        if homebrew:  # what it is and its numbers first: a long inventory line is cut short
            kind = {"armor": "armour", "wondrous": "wondrous item"}.get(details.get("category", ""), "weapon")
            parts.append(" ".join(p for p in (details.get("rarity", ""), "homebrew", kind) if p))
        elif not details.get("magic"):
            parts.append(worth)
        parts += _numbers(details)
        if homebrew:
            parts.append(worth)
        if item.details.get("description"):
            parts.append(str(item.details["description"]))
    return " · ".join(parts)
