"""The DM's own combatants: a generic one made up on the spot (an object, a hazard, a homebrew foe), several
of them as a group, and the "Lair Actions" entry on initiative 20.

The derived SRD data keeps no lair actions (the 5.1 JSON has none), so no monster brings its lair along:
the DM adds the entry when the fight is in a lair, and runs the lair's actions on its turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.combat import custom
from bot.engine.combat.fight import Fight
from bot.engine.combat.lifecycle import check_room, monster_names, share_initiative
from bot.engine.combat.loading import Fights
from bot.engine.combat.order import insert, roll_off
from bot.engine.combat.results import CombatRef, MonstersAdded, TrackerState
from bot.engine.sheet import Actor, clean_name
from bot.errors import InvalidInput
from persistence.models import Combatant


@dataclass(frozen=True)
class GenericSpec:
    """A generic combatant as the DM describes it (`initiative`: "15" fixed, "+2" a modifier rolled with)."""

    name: str
    hp: int | None
    ac: int | None
    initiative: str | None = None
    attacks: str | None = None
    count: int = 1
    group: bool = False
    threshold: int | None = None  # a damage threshold (an object's)


class Extras:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights

    async def add_generic(self, actor: Actor, combat: CombatRef, spec: GenericSpec) -> MonstersAdded:
        """A combatant with the DM's numbers; it attacks with its attack lines like a monster."""
        base = clean_name(spec.name) if spec.name.strip() else ""
        if base.casefold() == custom.LAIR_NAME.casefold():
            return await self.add_lair(actor, combat)
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "add combatants")
            hp, ac = _check_spec(base, spec)
            actions = custom.parse_attacks(spec.attacks, [d.index for d in self.fights.srd.data.damage_types])
            check_room(fight, spec.count)
            names = monster_names(base, spec.count, {r.name_key for r in fight.rows})
            added = [self._generic(fight, spec.initiative, n, hp, ac, custom.actions_json(actions)) for n in names]
            for row in added:
                row.resources = {"threshold": spec.threshold} if spec.threshold else None
            if spec.group:
                share_initiative(fight, added, base)
            await insert(session, fight, added)
            return MonstersAdded(
                self.fights.state(fight, for_dm=True),
                base,
                tuple(names),
                tuple(r.hp or 0 for r in added),
                tuple(r.initiative for r in added),
            )

    async def add_lair(self, actor: Actor, combat: CombatRef) -> MonstersAdded:
        """The "Lair Actions" entry: it takes a turn on initiative 20, after everyone tied with it."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "add lair actions")
            if any(r.name_key == custom.LAIR_NAME.casefold() for r in fight.rows):
                raise InvalidInput("This fight already has its Lair Actions entry.")
            check_room(fight, 1)
            fields = custom.lair_fields()
            row = self._row(
                fight, str(fields["name"]), int(fields["initiative"]), 0, int(fields["hp"]), int(fields["ac"]), []
            )
            row.dex, row.tiebreak = int(fields["dex"]), int(fields["tiebreak"])
            await insert(session, fight, [row])
            return MonstersAdded(
                self.fights.state(fight, for_dm=True), custom.LAIR_NAME, (row.name,), (0,), (row.initiative,)
            )

    async def set_sunlight(self, actor: Actor, combat: CombatRef, on: bool) -> TrackerState:
        """The fight is in sunlight (or not): Sunlight Sensitivity's disadvantage, a vampire's regeneration."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "set the light")
            fight.combat.sunlight = on
            fight.combat.version += 1
            return self.fights.state(fight, for_dm=True)

    def _generic(
        self, fight: Fight, wanted: str | None, name: str, hp: int, ac: int, attacks: list[dict[str, object]]
    ) -> Combatant:
        initiative, bonus = custom.initiative_of(wanted, self.fights.dice.d20(), 0)
        row = self._row(fight, name, initiative, bonus, hp, ac, attacks)
        row.tiebreak = roll_off(self.fights.dice, fight, initiative, row.dex)
        return row

    def _row(
        self, fight: Fight, name: str, initiative: int, bonus: int, hp: int, ac: int, attacks: list[dict[str, object]]
    ) -> Combatant:
        return Combatant(
            combat_id=fight.combat.id,
            kind="monster",
            character_id=None,
            owner_id=None,
            monster_index=None,
            name=name,
            name_key=name.casefold(),
            initiative=initiative,
            dex=10,
            tiebreak=0,
            position=0,
            hp=hp,
            hp_max=hp,
            ac=ac,
            conditions=[],
            dead=False,
            effects=[],
            held=False,
            init_bonus=bonus,
            attacks=attacks,
            created_at=self.fights.clock(),
        )


def _check_spec(name: str, spec: GenericSpec) -> tuple[int, int]:
    if not name or spec.hp is None or spec.ac is None:
        raise InvalidInput(
            "Name an SRD `monster`, or make a generic combatant with `name`, `hit_points` and `ac` "
            "(and optional `initiative` and `attacks`)."
        )
    if not 1 <= spec.hp <= 10_000 or not 1 <= spec.ac <= 50:
        raise InvalidInput("A generic combatant needs 1 to 10,000 HP and an AC from 1 to 50.")
    return spec.hp, spec.ac
