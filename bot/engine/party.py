"""Who plays in a campaign: linking a character to its party (one character per player per campaign), and
the DM's approval of a join that waited (a character above the level the campaign allows it, see
`bot.engine.levelling`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import events as log
from bot.engine import levelling
from bot.errors import InvalidInput
from persistence.models import Campaign, Character, PendingChange
from persistence.repositories import PartyRepository


class JoinWaits(InvalidInput):
    """A join that waits for the DM (its pending change is stored); the player reads why."""


async def link(session: AsyncSession, campaign: Campaign, row: Character, user_id: int) -> None:
    """Put the character in the party; it replaces the player's previous character there."""
    party = PartyRepository(session)
    previous = await party.of_player(campaign.id, user_id, lock=True)
    if previous is not None:
        previous.campaign_id = None
    moved_from = row.campaign_id
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
    campaign = await session.get(Campaign, pending.campaign_id, with_for_update=True)
    row = await PartyRepository(session).by_id(int(pending.arguments["character_id"]), lock=True)
    if campaign is None or row is None or row.owner_id != pending.requested_by:
        raise InvalidInput("That character is gone, or no longer its player's.")
    if row.campaign_id == campaign.id:
        raise InvalidInput(f"{row.name} already plays in {campaign.name}.")
    levelling.grant(campaign, row.id, row.level)
    await link(session, campaign, row, pending.requested_by)
    return row.name
