"""Monster traits of the SRD that change a fight, as pure rules (the combat package applies them).

Our fights are theatre of the mind: there is no map, so the traits that speak of distance are read as a
table usually rules them, and each reading is written down here (and in docs/DM_GUIDE.md):

- Pack Tactics: advantage when another ally of the monster stands in the fight: a living SRD monster (not a
  generic combatant, not the Lair Actions entry) that is not incapacitated. The DM who places the ally
  elsewhere gives the wolf `disadvantage` to cancel it, as the SRD cancels any advantage.
- Nimble Escape: the creature leaves reach as a bonus action's Disengage, so an opportunity attack against it
  on its own turn is refused.
- Sunlight Sensitivity: disadvantage on its attack rolls while the fight is in sunlight (`/dm-combat
  sunlight`, a flag of the fight).
- Undead Fortitude: damage that drops it to 0 HP calls for a Constitution save, DC 5 + the damage taken;
  on a success it drops to 1 HP instead. Not against radiant damage or a critical hit.
- Regeneration: its hit points at the start of its turn, unless damage of a type named in the data hit it
  since its last turn (a troll's acid or fire), or it is at 0 HP when the trait needs 1, or in sunlight when
  the trait says so. A troll (whose trait works at 0 HP) at 0 HP is down, not dead: it dies only if it
  starts its turn at 0 HP and doesn't regenerate.
- Magic Resistance: advantage on saving throws against spells (`save_advantage_against_spells`, for the
  spell helper to call).
- A damage threshold (an object's, set by the DM): damage below it in one hit is ignored entirely.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.data.srd import Monster

PACK_TACTICS = "Pack Tactics"
NIMBLE_ESCAPE = "Nimble Escape"
SUNLIGHT_SENSITIVITY = "Sunlight Sensitivity"
UNDEAD_FORTITUDE = "Undead Fortitude"
MAGIC_RESISTANCE = "Magic Resistance"
LEGENDARY_RESISTANCE = "Legendary Resistance"


def has(monster: Monster | None, trait: str) -> bool:
    return monster is not None and trait in monster.special_abilities


def pack_tactics(monster: Monster | None, allies_standing: int) -> bool:
    """Advantage on its attack: it has Pack Tactics and at least one ally stands (see the module's reading)."""
    return has(monster, PACK_TACTICS) and allies_standing > 0


def sunlight_disadvantage(monster: Monster | None, sunlight: bool) -> bool:
    return sunlight and has(monster, SUNLIGHT_SENSITIVITY)


def escapes_nimbly(monster: Monster | None) -> bool:
    return has(monster, NIMBLE_ESCAPE)


def save_advantage_against_spells(monster: Monster | None) -> bool:
    """Magic Resistance: the hook a spell's save calls (advantage against spells and magical effects)."""
    return has(monster, MAGIC_RESISTANCE)


def undead_fortitude_dc(
    monster: Monster | None, damage: int, damage_types: Sequence[str | None], *, critical: bool
) -> int | None:
    """The DC of the Constitution save that keeps it at 1 HP, or None when the trait doesn't apply."""
    if not has(monster, UNDEAD_FORTITUDE) or critical or "radiant" in damage_types:
        return None
    return 5 + damage


def regenerated(monster: Monster | None, hp: int, hp_max: int, *, stopped: bool, sunlight: bool) -> int:
    """Hit points it regains at the start of its turn (0: none, or the trait doesn't work now)."""
    trait = monster.regeneration if monster is not None else None
    if trait is None or stopped or (trait.needs_hp and hp < 1) or (trait.not_in_sunlight and sunlight):
        return 0
    return max(0, min(trait.hp, hp_max - hp))


def dies_only_at_its_turn(monster: Monster | None) -> bool:
    """A troll: at 0 HP it dies only if it starts its turn there and doesn't regenerate (its regeneration
    works at 0 HP). One whose trait needs 1 HP (a vampire, an oni) dies at 0 like any monster."""
    trait = monster.regeneration if monster is not None else None
    return trait is not None and not trait.needs_hp


def stops_regeneration(monster: Monster | None, damage_types: Sequence[tuple[str | None, int]]) -> bool:
    """Whether this damage (type, amount taken) stops its regeneration on its next turn."""
    trait = monster.regeneration if monster is not None else None
    if trait is None:
        return False
    return any(kind in trait.stopped_by and amount > 0 for kind, amount in damage_types)


def below_threshold(total: int, threshold: int) -> bool:
    """A damage threshold: a hit whose damage is below it does nothing; at or above it, all of it counts."""
    return threshold > 0 and 0 < total < threshold
