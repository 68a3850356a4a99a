"""Monster traits applied inside a fight (the rules themselves are `bot.engine.monster_traits`): Pack Tactics
and Sunlight Sensitivity on an attack roll, Parry against a melee hit, Legendary Resistance and Magic
Resistance on a save, and a damage threshold, Undead Fortitude and the damage that stops regeneration when a
monster is hurt. Attacks call these small hooks; each returns what it changed and a note for the reply."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.data.srd import Monster
from bot.engine import combat_rules as cr
from bot.engine import monster_traits as traits
from bot.engine import rules
from bot.engine.combat import custom, resources
from bot.engine.combat.fight import Creature, Fight
from bot.engine.combat.results import SaveRoll
from bot.engine.dice import Dice, RollOutcome
from persistence.models import Combatant


@dataclass(frozen=True)
class Guarded:
    """A monster's damage after its traits: the total that counts, and the HP it keeps (Undead Fortitude)."""

    total: int
    keep_at: int | None = None  # drop to this HP instead of dying
    notes: tuple[str, ...] = ()
    rolls: tuple[RollOutcome, ...] = ()


class Guard(Protocol):
    def __call__(self, fight: Fight, row: Combatant, parts: Sequence[cr.DamageTaken], *, critical: bool) -> Guarded: ...


class CombatTraits:
    def __init__(self, dice: Dice, monster_of: Callable[[Combatant], Monster]) -> None:
        self.dice = dice
        self.monster_of = monster_of

    def attack_edges(self, fight: Fight, attacker: Creature) -> tuple[list[str], list[str]]:
        """(advantage, disadvantage) reasons its traits give a monster's attack roll."""
        adv: list[str] = []
        dis: list[str] = []
        if attacker.monster is None:
            return adv, dis
        if traits.pack_tactics(attacker.monster, len(self._allies(fight, attacker.row))):
            adv.append(traits.PACK_TACTICS)
        if traits.sunlight_disadvantage(attacker.monster, fight.combat.sunlight):
            dis.append(traits.SUNLIGHT_SENSITIVITY)
        return adv, dis

    def _allies(self, fight: Fight, row: Combatant) -> list[Combatant]:
        """The monster's allies that count for Pack Tactics: other living SRD monsters, not incapacitated."""
        found = []
        for other in fight.rows:
            if other is row or other.kind != "monster" or other.dead or custom.is_generic(other):
                continue
            names = {str(c.get("name")) for c in other.conditions or []}
            if names & {"incapacitated", "paralyzed", "petrified", "stunned", "unconscious"}:
                continue
            found.append(other)
        return found

    def parry(self, target: Creature, resolution: cr.AttackResolution, total: int, *, melee: bool) -> str | None:
        """Parry: the first melee hit that its AC bonus turns into a miss spends its reaction (a natural 20
        hits whatever the AC). None: no parry."""
        monster = target.monster
        if monster is None or not monster.parry or not melee or not resolution.hit or resolution.critical:
            return None
        if resources.reaction_spent(target.row) or total >= target.ac + monster.parry:
            return None
        resources.put(target.row, reaction=True)
        return f"{target.name} parries: +{monster.parry} AC makes it {target.ac + monster.parry}, a miss."

    def save_edges(self, target: Creature, *, spell: bool) -> bool:
        """Advantage on this save from Magic Resistance (against spells)."""
        return spell and traits.save_advantage_against_spells(target.monster)

    def legendary_resistance(self, target: Creature, save: SaveRoll) -> SaveRoll:
        """A failed save becomes a success while Legendary Resistance lasts (the engine spends it on the first
        failures, as the SRD's monsters are played: see docs/DM_GUIDE.md)."""
        monster = target.monster
        if monster is None or save.success or not monster.legendary_resistance:
            return save
        left = resources.resistance_left(target.row, monster)
        if left <= 0:
            return save
        resources.put(target.row, resistance=left - 1)
        note = f"Legendary Resistance: {target.name} succeeds instead ({left - 1} left today)."
        return replace(save, success=True, note=note)

    def guard(self, fight: Fight, row: Combatant, parts: Sequence[cr.DamageTaken], *, critical: bool) -> Guarded:
        """A monster's damage through its threshold, its regeneration's weak spots and Undead Fortitude."""
        total = sum(p.amount for p in parts)
        notes: list[str] = []
        limit = resources.threshold(row)
        if traits.below_threshold(total, limit):
            return Guarded(0, None, (f"{row.name} ignores {total} damage: below its damage threshold {limit}.",))
        if row.kind != "monster" or custom.is_generic(row):
            return Guarded(total)
        monster = self.monster_of(row)
        if traits.stops_regeneration(monster, [(p.damage_type, p.amount) for p in parts]):
            resources.put(row, regen_stopped=True)
        hp = row.hp or 0
        if traits.dies_only_at_its_turn(monster) and total >= hp:
            note = f"{row.name} is down at 0 HP: it dies only if it starts its turn there and doesn't regenerate."
            return Guarded(total, 0, (note,))
        dc = traits.undead_fortitude_dc(monster, total, [p.damage_type for p in parts], critical=critical)
        if dc is None or total < hp or hp <= 0:
            return Guarded(total, None, tuple(notes))
        bonus = monster.saving_throws.get("con", monster.modifier("con"))
        roll = self.dice.roll(f"1d20{rules.signed(bonus)}", label=f"{row.name}: Undead Fortitude")
        if roll.total >= dc:
            notes.append(f"Undead Fortitude: {row.name} makes the DC {dc} Constitution save ({roll.total}): 1 HP.")
            return Guarded(total, 1, tuple(notes), (roll,))
        notes.append(f"Undead Fortitude: {row.name} fails the DC {dc} Constitution save ({roll.total}).")
        return Guarded(total, None, tuple(notes), (roll,))
