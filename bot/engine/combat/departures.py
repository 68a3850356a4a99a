"""A character that leaves a campaign (by `/campaign leave`, a DM's kick, or joining another campaign) leaves
that campaign's running fight too: otherwise the campaign's DM could still hurt it through the fight, and it
could still act in a table it no longer plays at.

Called inside the campaign change's own transaction: `lock_campaign_fight` right after the campaign row is
locked (campaign, then fight, then characters: the order every change follows), `leave_fight` once the
character is known."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import effects
from persistence.models import Combat, Combatant
from persistence.repositories import CombatRepository, PartyRepository


async def lock_campaign_fight(session: AsyncSession, campaign_id: int) -> Combat | None:
    """The campaign's running fight, its row locked, or None."""
    return await CombatRepository(session).active_for_campaign(campaign_id, lock=True)


async def leave_fight(session: AsyncSession, combat: Combat | None, character_id: int) -> bool:
    """Take the character out of the fight; the turn order closes up (if it was the character's turn, the
    next in order has it). Whether it was in the fight."""
    if combat is None:
        return False
    repo = CombatRepository(session)
    rows = list(await repo.combatants(combat.id))
    leaving = [r for r in rows if r.character_id == character_id]
    if not leaving:
        return False
    index = min(combat.turn_index, len(rows) - 1)
    current = rows[index] if combat.round else None
    earlier = sum(1 for n, r in enumerate(rows) if r in leaving and n < index)
    for row in leaving:
        await _carry_out(session, rows, row)
        await repo.delete_combatant(row)
    rows = [r for r in rows if r not in leaving]
    for position, row in enumerate(rows):
        row.position = position
    if current is not None and current in rows:
        combat.turn_index = rows.index(current)
    elif current is not None:  # it was the leaver's turn: the next in order has it (the first, in a new round)
        combat.turn_index = index - earlier
        if combat.turn_index >= len(rows):
            combat.turn_index = 0
            combat.round += 1
    combat.version += 1
    return True


async def _carry_out(session: AsyncSession, rows: Sequence[Combatant], leaving: Combatant) -> None:
    """Its spells go with it onto its sheet, as when a fight ends (`saves.carry_out`): what a monster of the
    fight holds up stays behind."""
    monsters = {r.name_key for r in rows if r.kind != "character"}
    lasting = [
        e for e in effects.load(leaving.effects) if e.rounds and e.caster not in monsters and e.name != effects.LETHARGY
    ]
    character = await PartyRepository(session).by_id(leaving.character_id) if leaving.character_id else None
    if not lasting or character is None:
        return
    kept = [e for e in effects.load(character.effects) if e.key not in {n.key for n in lasting}]
    character.effects = effects.dump([*kept, *lasting])
    character.version += 1
