"""Turn order: initiative places for those who join, and ending a turn (conditions tick, the dead are skipped,
rounds are counted). Ending a turn compares the turn the caller saw with the stored one (compare-and-set), so
two `/combat next` at once advance once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import combat_rules as cr
from bot.engine.combat.fight import Fight, condition_json, timed
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import CombatRef, TurnChange, TurnKey, TurnMoved
from bot.engine.dice import Dice
from bot.engine.sheet import ActiveCondition, Actor, write_back
from bot.errors import Forbidden, InvalidInput
from persistence.errors import Conflict
from persistence.models import Combatant
from persistence.repositories import CombatRepository


class TurnOrder:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights

    async def next_turn(self, actor: Actor, combat: CombatRef, *, expected: TurnKey | None = None) -> TurnChange:
        """End the current turn: by its player or the DM. Ticks conditions, skips the dead, counts rounds.

        `expected` is the turn the caller saw (read now when not given); if another `next` ended that turn
        first, this one raises `TurnMoved` instead of advancing again.
        """
        combat_id, now_key = await self.fights.turn_key(combat)
        seen = expected if expected is not None else now_key
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat_id)
            current = fight.current()
            if fight.turn_key() != seen:
                name = current.name if current else "nobody"
                raise TurnMoved(f"That turn already ended: it's {name}'s turn now (round {fight.combat.round}).")
            _check_may_end_turn(actor, fight, current)
            expired = _tick(fight, current, "end") if current else []
            advance = cr.advance_turn([fight.alive(r) for r in fight.rows], fight.combat.round,
                                      fight.combat.turn_index)  # fmt: skip
            fight.combat.round, fight.combat.turn_index = advance.round, advance.index
            now = fight.rows[advance.index]
            expired += _tick(fight, now, "start")
            fight.combat.version += 1
            state = self.fights.state(fight, for_dm=False)
            entry = next(e for e in state.entries if e.id == now.id)
            return TurnChange(
                state=state, previous=current.name if current else None, current=entry, round=advance.round,
                new_round=advance.new_round, skipped=tuple(fight.rows[i].name for i in advance.skipped),
                expired=tuple(expired), ping_user_id=now.owner_id if now.kind == "character" else None,
            )  # fmt: skip


def _check_may_end_turn(actor: Actor, fight: Fight, current: Combatant | None) -> None:
    if fight.is_dm(actor):
        return
    if current is None:
        raise Forbidden("The DM starts round 1 with `/combat next` once everyone has joined.")
    if current.kind != "character" or current.owner_id != actor.user_id:
        raise Forbidden(f"It's {current.name}'s turn: only their player or the DM can end it.")


def _tick(fight: Fight, row: Combatant, phase: cr.Phase) -> list[str]:
    """Count down this creature's timed conditions at the start or end of its turn."""
    if row.kind == "monster":
        kept, expired = cr.tick_conditions(timed(row.conditions), phase)
        if expired:
            row.conditions = [condition_json(c) for c in kept]
        return [f"{row.name}: {name}" for name in expired]
    if row.character_id not in fight.characters or phase != "end":
        return []  # a sheet's conditions carry no phase: they count down at the end of the turn
    sheet = fight.sheet(row)
    conditions = [cr.TimedCondition(c.name, c.rounds, "end", c.level) for c in sheet.conditions]
    kept, expired = cr.tick_conditions(conditions, "end")
    if expired or any(c.rounds is not None for c in kept):
        left = tuple(ActiveCondition(c.name, c.rounds, c.level) for c in kept)
        write_back(fight.characters[row.character_id], replace(sheet, conditions=left))
    return [f"{row.name}: {name}" for name in expired]


# --- Places in the order ----------------------------------------------------------------------------


def roll_off(dice: Dice, fight: Fight, initiative: int, dex: int) -> int:
    """The tiebreak of a newcomer against those with the same initiative and Dexterity."""
    slots = [cr.InitiativeSlot(r.id or 0, r.initiative, r.dex, r.tiebreak) for r in fight.rows]
    return cr.roll_off(dice.d20, cr.tied_rivals(initiative, dex, slots))


async def insert(session: AsyncSession, fight: Fight, rows: Sequence[Combatant]) -> None:
    """Add combatants and re-sort the order; the combatant whose turn it is keeps it."""
    current = fight.current()
    try:
        await CombatRepository(session).insert(*rows)
    except Conflict:
        raise InvalidInput("That combatant is already in this fight.") from None
    fight.rows.extend(rows)
    reorder(fight, current)
    fight.combat.version += 1


def reorder(fight: Fight, current: Combatant | None) -> None:
    slots = cr.initiative_order(cr.InitiativeSlot(r.id, r.initiative, r.dex, r.tiebreak) for r in fight.rows)
    by_id = {r.id: r for r in fight.rows}
    fight.rows = [by_id[s.id] for s in slots]
    for position, row in enumerate(fight.rows):
        row.position = position
    if current is not None:
        fight.combat.turn_index = fight.rows.index(current)
