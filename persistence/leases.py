"""Leases on a campaign row: one owner at a time for a kind of work (a turn, an export), each step one short
statement, so nothing holds a connection or a lock while the work runs (a narration can take minutes).

A lease is free when it has no owner or its expiry has passed (its process died without releasing it);
the owner renews it while it works. Times come from the caller (the engine's clock, UTC), so every process
sharing the database must keep its clock in sync (NTP), as leases elsewhere assume.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from persistence.models import Campaign

LeaseKind = Literal["turn", "export"]

_COLUMNS: dict[str, tuple[InstrumentedAttribute[str | None], InstrumentedAttribute[datetime | None]]] = {
    "turn": (Campaign.turn_lease_owner, Campaign.turn_lease_until),
    "export": (Campaign.export_lease_owner, Campaign.export_lease_until),
}


async def take(
    session: AsyncSession, campaign_id: int, kind: LeaseKind, owner: str, *, now: datetime, until: datetime
) -> bool:
    """Whether `owner` holds the lease now (taken when free or expired, or renewed when already its own)."""
    who, expiry = _COLUMNS[kind]
    free = or_(who.is_(None), expiry.is_(None), expiry < now, who == owner)
    return await _set(session, campaign_id, free, {who: owner, expiry: until})


async def renew(session: AsyncSession, campaign_id: int, kind: LeaseKind, owner: str, *, until: datetime) -> bool:
    """Push the expiry on; False when the lease is no longer `owner`'s (it expired and was taken)."""
    who, expiry = _COLUMNS[kind]
    return await _set(session, campaign_id, who == owner, {expiry: until})


async def release(session: AsyncSession, campaign_id: int, kind: LeaseKind, owner: str) -> bool:
    who, expiry = _COLUMNS[kind]
    return await _set(session, campaign_id, who == owner, {who: None, expiry: None})


async def holder(session: AsyncSession, campaign_id: int, kind: LeaseKind) -> tuple[str | None, datetime | None]:
    who, expiry = _COLUMNS[kind]
    row = (await session.execute(select(who, expiry).where(Campaign.id == campaign_id))).one_or_none()
    return (row[0], row[1]) if row is not None else (None, None)


async def _set(session: AsyncSession, campaign_id: int, condition: object, values: dict[object, object]) -> bool:
    # `updated_at` kept as it was: a lease is bookkeeping, not a change of the campaign.
    statement = (
        update(Campaign)
        .where(Campaign.id == campaign_id, condition)  # type: ignore[arg-type]
        .values({**values, Campaign.updated_at: Campaign.updated_at})
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    assert isinstance(result, CursorResult)
    return bool(result.rowcount == 1)
