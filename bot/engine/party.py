"""Who plays in a campaign: linking a character to its party (one character per player per campaign), and
the DM's approval of a join that waited (a character above the level the campaign allows it, see
`bot.engine.levelling`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import events as log
from bot.engine import levelling
from bot.engine.combat.departures import leave_fight, lock_campaign_fight
from bot.engine.integrity import check_name_free_in_party
from bot.errors import InvalidInput
from persistence.models import Campaign, Character, PendingChange
from persistence.repositories import PartyRepository


class JoinWaits(InvalidInput):
    """A join that waits for the DM (its pending change is stored); the player reads why."""


async def link(session: AsyncSession, campaign: Campaign, row: Character, user_id: int) -> None:
    """Put the character in the party; it replaces the player's previous character there (which leaves the
    campaign's fight). Names are unique in a party; a character moving from another campaign leaves its fight."""
    party = PartyRepository(session)
    previous = await party.of_player(campaign.id, user_id, lock=True)
    check_name_free_in_party(await party.members(campaign.id), row, previous, campaign.name)
    if previous is not None:
        previous.campaign_id = None
        await leave_fight(session, await lock_campaign_fight(session, campaign.id), previous.id)
    moved_from = row.campaign_id
    if moved_from is not None:  # out of the other campaign's fight as well
        await leave_fight(session, await lock_campaign_fight(session, moved_from), row.id)
    row.campaign_id = campaign.id
    note = f" (replacing {previous.name})" if previous is not None else ""
    log.record(
        session,
        campaign,
        "join",
        f"{row.name} joins the party{note}.",
        actor_id=user_id,
        character_id=row.id,
        data={"previous": previous.id if previous else None, "moved_from": moved_from},
    )


async def approve_join(session: AsyncSession, pending: PendingChange) -> str:
    """The DM approved a join above the allowed level: link the character and allow it its level here."""
    campaign = await session.get(Campaign, pending.campaign_id, with_for_update={"key_share": True})
    row = await PartyRepository(session).by_id(int(pending.arguments["character_id"]), lock=True)
    if campaign is None or row is None or row.owner_id != pending.requested_by:
        raise InvalidInput("That character is gone, or no longer its player's.")
    if row.campaign_id == campaign.id:
        raise InvalidInput(f"{row.name} already plays in {campaign.name}.")
    levelling.grant(campaign, row.id, row.level)
    await link(session, campaign, row, pending.requested_by)
    return row.name
