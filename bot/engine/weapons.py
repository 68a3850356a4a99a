"""Holding and using weapons by the SRD: hands, versatile grips, ammunition and thrown weapons.

- A two-handed weapon needs both hands: it cannot be equipped or attacked with while a shield is worn, and a
  shield cannot be put on while a two-handed weapon is equipped.
- A versatile weapon deals its two-handed die when the other hand is free (no shield, no other weapon
  equipped) unless the player says `two_handed:false`.
- An attack with an ammunition weapon spends one piece (refused when there is none); a thrown weapon leaves the
  inventory. In a fight both are counted on the combatant (`spent`); when the fight ends, half the ammunition
  (rounded down) is recovered and every thrown weapon is picked up again (automatic: what a table does once the
  dust settles). Outside a fight nothing counts them: a shot outside a fight is spent for good.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.data.srd import SRD, Weapon
from bot.engine import items
from bot.engine.sheet import Item, Sheet, add_item, hand_free
from bot.engine.wording import counted
from bot.errors import InvalidInput

AMMUNITION = {
    "longbow": "arrow",
    "shortbow": "arrow",
    "crossbow-light": "crossbow-bolt",
    "crossbow-hand": "crossbow-bolt",
    "crossbow-heavy": "crossbow-bolt",
    "sling": "sling-bullet",
    "blowgun": "blowgun-needle",
}


def _equipped(sheet: Sheet, srd: SRD) -> tuple[bool, list[Weapon]]:
    """Whether a shield is worn, and the weapons marked equipped."""
    armor, weapons = srd.lookup("armor"), srd.lookup("weapon")
    shield = any(i.equipped and i.item in armor and srd.armor(i.item).category == "shield" for i in sheet.inventory)
    held = [srd.weapon(i.item) for i in sheet.inventory if i.equipped and i.item in weapons]
    return shield, held


def grip(sheet: Sheet, srd: SRD, weapon: Weapon, two_handed: bool | None) -> bool:
    """Whether the attack is made two-handed (`two_handed` None: decided by what the other hand holds)."""
    shield, _ = _equipped(sheet, srd)
    if weapon.has("two-handed"):
        if shield:
            raise InvalidInput(
                f"{weapon.name} needs both hands and {sheet.name} holds a shield: unequip it first "
                "(`/character inventory action:unequip item:Shield`)."
            )
        return True
    if not weapon.has("versatile"):
        return False
    if two_handed and shield:
        raise InvalidInput(f"{sheet.name} holds a shield: {weapon.name} can only be wielded in one hand.")
    if two_handed is None:
        return hand_free(sheet, srd, weapon)
    return two_handed


def check_equip(sheet: Sheet, srd: SRD, index: str) -> None:
    """Equipping: a two-handed weapon and a shield never together."""
    shield, held = _equipped(sheet, srd)
    if index in srd.lookup("weapon") and srd.weapon(index).has("two-handed") and shield:
        raise InvalidInput(f"{srd.weapon(index).name} needs both hands: unequip the shield first.")
    if index in srd.lookup("armor") and srd.armor(index).category == "shield":
        two = [w.name for w in held if w.has("two-handed")]
        if two:
            raise InvalidInput(f"{sheet.name} holds {two[0]} in both hands: unequip it before the shield.")


@dataclass(frozen=True)
class Spent:
    sheet: Sheet
    ammunition: str | None = None  # the SRD index of the piece spent
    thrown: str | None = None  # the weapon thrown
    note: str = ""  # "19 crossbow bolts left"


def spend(sheet: Sheet, srd: SRD, weapon_index: str, *, thrown: bool) -> Spent:
    """One piece of ammunition for an ammunition weapon, or the weapon itself when thrown."""
    if weapon_index not in srd.lookup("weapon"):
        if thrown:
            raise InvalidInput("Only a weapon with the thrown property can be thrown.")
        return Spent(sheet)
    weapon = srd.weapon(weapon_index)
    if thrown:
        if not weapon.has("thrown"):
            raise InvalidInput(f"{weapon.name} isn't a thrown weapon (daggers, handaxes, javelins and spears are).")
        after = replace(sheet, inventory=items.removed(sheet.inventory, weapon.index, 1))
        return Spent(after, thrown=weapon.index, note=f"{weapon.name} thrown: it is picked up when the fight ends")
    ammo = AMMUNITION.get(weapon.index)
    if ammo is None:
        return Spent(sheet)
    held = sheet.carried(ammo)
    if held is None or held.quantity < 1:
        name = srd.item(ammo).name
        raise InvalidInput(
            f"{sheet.name} has no {name.lower()}s left for the {weapon.name}. "
            f"Buy or find some: `/character inventory action:add item:{name} quantity:20`."
        )
    after = replace(sheet, inventory=items.removed(sheet.inventory, ammo, 1))
    name = srd.item(ammo).name.lower()
    return Spent(after, ammunition=ammo, note=f"{counted(held.quantity - 1, name)} left")


def counted_spent(spent: Mapping[str, Any] | None, done: Spent) -> dict[str, Any]:
    """The combatant's tally after this attack."""
    tally: dict[str, dict[str, int]] = {k: dict(v) for k, v in (spent or {}).items()}
    for kind, index in (("ammunition", done.ammunition), ("thrown", done.thrown)):
        if index:
            tally.setdefault(kind, {})[index] = tally.get(kind, {}).get(index, 0) + 1
    return tally


def recovered(sheet: Sheet, srd: SRD, spent: Mapping[str, Any] | None) -> tuple[Sheet, tuple[str, ...]]:
    """After the fight: half the spent ammunition (rounded down) and every thrown weapon back in the pack."""
    inventory = sheet.inventory
    lines: list[str] = []
    for kind, share in (("ammunition", 2), ("thrown", 1)):
        for index, count in ((spent or {}).get(kind) or {}).items():
            back = int(count) // share
            if back:
                entry = srd.item(index)
                inventory = add_item(inventory, Item(entry.index, entry.name, back))
                lines.append(f"{sheet.name} recovers {back} × {entry.name}")
    return replace(sheet, inventory=inventory), tuple(lines)
