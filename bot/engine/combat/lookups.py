"""SRD lookups for combat, with errors a player can act on (close names, the valid choices)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.data.srd import SRD, Condition, Monster, MonsterAction
from bot.errors import InvalidInput, NotFound


def monster(srd: SRD, key: str) -> Monster:
    try:
        return srd.monster(key)
    except KeyError:
        names = ", ".join(n for _, n in srd.search("monster", key[:3], limit=8))
        hint = f" Close: {names}." if names else ""
        raise NotFound(f"“{key[:64]}” is not an SRD monster.{hint}") from None


def action(monster: Monster, name: str) -> MonsterAction:
    try:
        return monster.action(name.strip())
    except KeyError:
        usable = ", ".join(usable_actions(monster))
        raise NotFound(f"{monster.name} has no action “{name[:40]}”. Its actions: {usable}.") from None


def usable_actions(monster: Monster) -> list[str]:
    """The SRD actions the engine can run for a monster: attacks, save actions and Multiattack."""
    return [a.name for a in monster.actions if a.attack_bonus is not None or a.multiattack or a.dc]


def condition(srd: SRD, key: str) -> Condition:
    try:
        return srd.condition(key)
    except KeyError:
        names = ", ".join(c.name.lower() for c in srd.data.conditions)
        raise NotFound(f"“{key[:40]}” is not an SRD condition. Conditions: {names}.") from None


def with_implied(srd: SRD, entries: Iterable[tuple[str, int]]) -> list[tuple[Condition, int]]:
    """Conditions by name and level, with the ones they imply (paralysed: incapacitated too)."""
    found: dict[str, tuple[Condition, int]] = {}
    for name, level in entries:
        entry = srd.condition(name)
        found[entry.index] = (entry, level)
        for implied in entry.effects.implies:
            found.setdefault(implied, (srd.condition(implied), 1))
    return list(found.values())


def damage_type(srd: SRD, text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return str(srd.lookup("damage_type").get(text).index)
    except KeyError:
        names = ", ".join(d.index for d in srd.data.damage_types)
        raise InvalidInput(f"“{text[:40]}” is not a damage type. Types: {names}.") from None
