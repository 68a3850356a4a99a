"""Places in the order the DM changes: moving a combatant to a position or an initiative, bringing back a
creature that held its turn, and rerolling everyone's initiative (now, or at the top of every round)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine import combat_rules as cr
from bot.engine.combat.fight import Fight
from bot.engine.combat.loading import Fights
from bot.engine.combat.order import reorder, reroll, roll_off
from bot.engine.combat.results import CombatRef, TrackerState
from bot.engine.sheet import Actor
from bot.errors import Forbidden, InvalidInput
from persistence.models import Combatant


class Placing:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights

    async def move(
        self, actor: Actor, combat: CombatRef, name: str, *, position: int | None = None, initiative: int | None = None
    ) -> TrackerState:
        """The DM moves a combatant (its whole group) to a place in the order (1 is first) or to an initiative.
        Whoever's turn it is keeps it."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "move combatants")
            if (position is None) == (initiative is None):
                raise InvalidInput("Give either a `position` in the order (1 is first) or an `initiative`.")
            members = fight.members(fight.find(name))
            current = fight.current()
            if initiative is not None:
                _to_initiative(self.fights, fight, members, initiative)
            else:
                assert position is not None
                place(fight, members, position - 1)
            reorder(fight, current)
            fight.combat.version += 1
            return self.fights.state(fight, for_dm=True)

    async def ready(self, actor: Actor, combat: CombatRef, name: str | None = None) -> TrackerState:
        """A creature that held its turn comes back in: it acts right after the current turn. A player brings
        back their own character; the DM anyone."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            row = _holder(fight, actor, name)
            current = fight.current()
            members = fight.members(row)
            for member in members:
                member.held = False
            if current is not None and current not in members:
                others = [r for r in fight.rows if r not in members]
                place(fight, members, others.index(current) + 1)
            reorder(fight, current)
            fight.combat.version += 1
            return self.fights.state(fight, for_dm=False)

    async def reroll(self, actor: Actor, combat: CombatRef, *, every_round: bool | None = None) -> TrackerState:
        """The DM rerolls everyone's initiative now; `every_round` turns rerolling at each new round on or off
        (then nothing is rolled now)."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "reroll initiative")
            if every_round is None:
                reroll(self.fights, fight)
            else:
                fight.combat.reroll_each_round = every_round
            fight.combat.version += 1
            return self.fights.state(fight, for_dm=True)


def place(fight: Fight, members: Sequence[Combatant], position: int) -> None:
    """Put `members` (one combatant, or a group in its order) at `position` of the order counted without
    them (0 is first); they take the initiative of the place."""
    slots = [cr.InitiativeSlot(r.id, r.initiative, r.dex, r.tiebreak) for r in fight.rows]
    by_id = {s.id: s for s in cr.place_at(slots, [m.id for m in members], position)}
    for row in fight.rows:
        slot = by_id[row.id]
        row.initiative, row.dex, row.tiebreak = slot.initiative, slot.dex, slot.tiebreak


def _to_initiative(fights: Fights, fight: Fight, members: Sequence[Combatant], initiative: int) -> None:
    if not -10 <= initiative <= 50:
        raise InvalidInput("Initiative runs from -10 to 50.")
    others = [r for r in fight.rows if r not in members]
    tiebreak = roll_off(
        fights.dice, Fight(fight.combat, others, fight.characters, fight.dm_id), initiative, members[0].dex
    )
    for member in members:
        member.initiative, member.tiebreak = initiative, tiebreak


def _holder(fight: Fight, actor: Actor, name: str | None) -> Combatant:
    if name is not None:
        row = fight.find(name)
    else:
        mine = [r for r in fight.rows if r.held and r.kind == "character" and r.owner_id == actor.user_id]
        if not mine:
            raise InvalidInput("None of your characters is holding a turn; `/combat delay` holds yours.")
        row = mine[0]
    if not fight.is_dm(actor) and (row.kind != "character" or row.owner_id != actor.user_id):
        raise Forbidden(f"Only {row.name}'s player (or the DM) brings {row.name} back in.")
    if not row.held:
        raise InvalidInput(f"{row.name} isn't holding a turn.")
    return row
