"""Turn order: initiative places for those who join, and ending a turn (conditions tick, the dead are skipped,
rounds are counted). Ending a turn compares the turn the caller saw with the stored one (compare-and-set), so
two `/combat next` at once advance once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import combat_rules as cr
from bot.engine import death, effects
from bot.engine.combat import custom, saves
from bot.engine.combat.fight import Fight, condition_json, timed
from bot.engine.combat.loading import Fights
from bot.engine.combat.results import CombatRef, TurnChange, TurnKey, TurnMoved
from bot.engine.dice import Dice, RollOutcome
from bot.engine.sheet import ActiveCondition, Actor, write_back
from bot.errors import Forbidden, InvalidInput
from persistence.errors import Conflict
from persistence.models import Combatant
from persistence.repositories import CombatRepository


class TurnOrder:
    def __init__(self, fights: Fights) -> None:
        self.fights = fights

    async def next_turn(self, actor: Actor, combat: CombatRef, *, expected: TurnKey | None = None) -> TurnChange:
        """End the current turn: by its player or the DM. Ticks conditions and effects, skips the dead and
        those holding their turn, counts rounds.

        `expected` is the turn the caller saw (by default the one found as the fight is locked, before waiting
        for the lock); if another `next` ended that turn first, this one raises `TurnMoved` instead of advancing
        again.
        """
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            current = fight.current()
            seen = expected if expected is not None else fight.seen_turn  # as the command found it
            if fight.turn_key() != seen:
                name = current.name if current else "nobody"
                raise TurnMoved(f"That turn already ended: it's {name}'s turn now (round {fight.combat.round}).")
            _check_may_end_turn(actor, fight, current)
            return self._logged(session, actor, self.advance(fight, current))

    async def skip(self, actor: Actor, combat: CombatRef, *, rest_of_round: bool = False) -> TurnChange:
        """The DM skips the current turn (nothing of it counts down), or the rest of the round."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "skip turns")
            if fight.current() is None:
                raise InvalidInput("The fight hasn't started: start round 1 with `/combat next`.")
            change = self.advance(fight, fight.current(), end_current=False, to_new_round=rest_of_round)
            return self._logged(session, actor, change)

    async def previous_turn(self, actor: Actor, combat: CombatRef) -> TurnChange:
        """The DM goes back one turn (a turn ended by mistake). Nothing is undone: only whose turn it is."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            self.fights.require_dm(actor, fight, "go back a turn")
            current = fight.current()
            back = cr.back_turn(fight.takers(), fight.combat.round, fight.combat.turn_index)
            fight.combat.round, fight.combat.turn_index = back.round, back.index
            return self.change(fight, current, back.new_round, (), ())

    async def delay(self, actor: Actor, combat: CombatRef) -> TurnChange:
        """The creature whose turn it is holds it (its player or the DM): it is passed over until it comes
        back in with `ready`. Nothing counts down for a turn not taken."""
        async with self.fights.db.transaction() as session:
            fight = await self.fights.open(session, combat)
            current = fight.current()
            _check_may_end_turn(actor, fight, current)
            if current is None:
                raise InvalidInput("The fight hasn't started: there is no turn to hold yet.")
            for row in fight.members(current):
                row.held = True
            return self._logged(session, actor, self.advance(fight, current, end_current=False))

    def advance(
        self, fight: Fight, current: Combatant | None, *, end_current: bool = True, to_new_round: bool = False
    ) -> TurnChange:
        """Move on to the next creature that takes a turn (or to the top of the next round)."""
        ending = fight.members(current) if current and end_current else []
        held = [line for row in ending for line in saves.end_of_turn_saves(fight, row)]  # Hold Person's save
        expired = _end_of_turn(fight, current) if current and end_current else []
        skipped: list[str] = []
        while True:
            advance = cr.advance_turn(fight.takers(), fight.combat.round, fight.combat.turn_index)
            skipped += [fight.rows[i].name for i in advance.skipped if not fight.alive(fight.rows[i])]
            fight.combat.round, fight.combat.turn_index = advance.round, advance.index
            if advance.new_round or not to_new_round:
                break
        if advance.new_round and fight.combat.reroll_each_round:
            reroll(self.fights, fight)
            fight.combat.turn_index = fight.takers().index(True)
        now = fight.rows[fight.combat.turn_index]
        notes: list[str] = []
        rolls: list[RollOutcome] = []
        for row in fight.members(now):
            expired += _tick(fight, row, "start")
            notes += self.fights.turn_start.begin(fight, row, rolls)  # reaction, legendary, recharge, regeneration
            saves.temporary_hp(fight, row)  # Heroism
        death_rolls = self._death_saves(fight, now)  # before the tracker's state is read, so it shows the save
        change = self.change(fight, current, advance.new_round, tuple(skipped), tuple(expired), tuple(held))
        return replace(change, notes=tuple(notes), rolls=tuple(rolls), death_saves=death_rolls)

    def _logged(self, session: AsyncSession, actor: Actor, change: TurnChange) -> TurnChange:
        """The dice the new turn's start rolled go to the roll log like every roll: recharges under the one who
        ended the turn, death saves under the dying character's player."""
        self.fights.log(session, actor, change.rolls)
        for save in change.death_saves:
            self.fights.log(session, replace(actor, user_id=save.owner_id), [save.outcome])
        return change

    def _death_saves(self, fight: Fight, now: Combatant) -> tuple[death.TurnDeathSave, ...]:
        """A dying character's turn starts with its death save (SRD: one a turn), rolled here."""
        rolled = []
        for row in fight.members(now):
            if row.kind == "character" and row.character_id in fight.characters:
                save = death.turn_start(fight.characters[row.character_id], self.fights.dice)
                if save is not None:
                    rolled.append(save)
        return tuple(rolled)

    def change(
        self,
        fight: Fight,
        previous: Combatant | None,
        new_round: bool,
        skipped: tuple[str, ...],
        expired: tuple[str, ...],
        saves_made: tuple[str, ...] = (),
    ) -> TurnChange:
        fight.combat.version += 1
        now = fight.rows[fight.combat.turn_index]
        state = self.fights.state(fight, for_dm=False)
        entry = next(e for e in state.entries if e.id == now.id)
        return TurnChange(
            state=state,
            previous=previous.name if previous else None,
            current=entry,
            round=fight.combat.round,
            new_round=new_round,
            skipped=skipped,
            expired=expired,
            ping_user_id=now.owner_id if now.kind == "character" else None,
            saves=saves_made,
        )


def _end_of_turn(fight: Fight, current: Combatant) -> list[str]:
    return [name for row in fight.members(current) for name in _tick(fight, row, "end")]


def _check_may_end_turn(actor: Actor, fight: Fight, current: Combatant | None) -> None:
    if fight.is_dm(actor):
        return
    if current is None:
        raise Forbidden("The DM starts round 1 with `/combat next` once everyone has joined.")
    if current.kind != "character" or current.owner_id != actor.user_id:
        raise Forbidden(f"It's {current.name}'s turn: only their player or the DM can end it.")


def _tick(fight: Fight, row: Combatant, phase: cr.Phase) -> list[str]:
    """Count down this creature's timed conditions, and every effect that ticks on its turn, at the start
    or end of its turn."""
    return _tick_conditions(fight, row, phase) + _tick_effects(fight, row.name_key, phase)


def _tick_effects(fight: Fight, creature: str, phase: cr.Phase) -> list[str]:
    expired: list[str] = []
    present = {r.name_key for r in fight.rows if fight.alive(r)}  # whose turns still come
    for row in fight.rows:
        before = effects.load(row.effects)
        kept, gone = effects.tick(before, creature, phase, holder=row.name_key, present=present)
        if gone:  # Haste ran out: lethargy through the creature's next turn
            kept = effects.with_lethargy(before, kept, row.name_key, own_turn=False)
        if kept != before:
            row.effects = effects.dump(kept)
        expired += [f"{row.name}: {name}" for name in gone]
    return expired


def _tick_conditions(fight: Fight, row: Combatant, phase: cr.Phase) -> list[str]:
    if row.kind == "monster":
        before = timed(row.conditions)
        kept, expired = cr.tick_conditions(before, phase)
        if list(kept) != before:  # a round off counts too, not only a condition that ran out
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


def reroll(fights: Fights, fight: Fight) -> None:
    """Everyone rolls initiative anew with their modifier (a group once for all); the current creature keeps
    its turn, and the new order runs from there."""
    current = fight.current()
    rolled: dict[str, tuple[int, int]] = {}
    for row in fight.rows:
        if custom.is_lair(row):
            continue  # the lair acts on initiative 20, whatever the dice say
        group = row.group_name.casefold() if row.group_name else None
        if group is None or group not in rolled:
            initiative = fights.dice.d20() + initiative_bonus(fights, fight, row)
            tiebreak = roll_off(fights.dice, fight, initiative, row.dex)
            rolled[group or f"#{row.id}"] = (initiative, tiebreak)
        row.initiative, row.tiebreak = rolled[group or f"#{row.id}"]
    reorder(fight, current)


def initiative_bonus(fights: Fights, fight: Fight, row: Combatant) -> int:
    if row.init_bonus is not None:
        return row.init_bonus
    if row.kind == "character" and row.character_id in fight.characters:
        return fights.characters.stats(fight.sheet(row)).initiative
    return (row.dex - 10) // 2


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
