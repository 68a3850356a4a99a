"""Who may resolve a campaign's turn (or build its export) right now, across every bot process.

A lease on the campaign row (`persistence.leases`) instead of a lock held on a connection: it is taken,
renewed and released in short transactions on the ordinary pool, so a narration that thinks for two
minutes holds no connection, and a thousand waiting turns hold none either. A process that dies keeps
its lease only until the expiry: the owner renews it every third of the time-to-live while it works.

In one process, turns of one campaign also queue on an asyncio lock in arrival order (`CampaignQueue`),
with a bounded queue: past it a turn is refused at once with a clear reply instead of waiting for minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from bot.errors import InvalidInput
from persistence import leases
from persistence.db import Database
from persistence.leases import LeaseKind

log_ = structlog.get_logger(__name__)

BUSY = {
    "turn": "⏳ Another turn is being resolved in this campaign; try yours again in a moment.",
    "export": "📦 An export of this campaign is already running; wait for its files, then ask again if need be.",
}


class LeaseBusy(InvalidInput):
    """The work is someone else's right now (another turn, another export)."""


@dataclass(frozen=True)
class LeaseConfig:
    ttl: float = 30.0  # seconds a lease lasts unless renewed: how long a crashed process blocks its campaign
    wait: float = 30.0  # seconds a turn waits for another process's lease before it is refused
    poll: float = 0.25  # seconds between two tries while waiting
    queue: int = 5  # turns of one campaign that may wait in this process behind the one running


def process_tag() -> str:
    """This process among all that share the database: host, pid and a random part (pids repeat)."""
    return f"{os.uname().nodename[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    def __init__(
        self,
        db: Database,
        config: LeaseConfig | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        tag: str | None = None,
    ) -> None:
        self.db = db
        self.config = config or LeaseConfig()
        self.clock = clock
        self.tag = tag or process_tag()

    @asynccontextmanager
    async def hold(self, campaign_id: int, kind: LeaseKind, *, wait: float | None = None) -> AsyncIterator[str]:
        """Hold the campaign's lease of this kind for the block (renewed while it runs, released after);
        `LeaseBusy` when another owner keeps it past `wait` seconds."""
        owner = f"{self.tag}:{uuid.uuid4().hex[:6]}"[:64]
        deadline = time.monotonic() + (self.config.wait if wait is None else wait)
        while not await self._take(campaign_id, kind, owner):
            if time.monotonic() >= deadline:
                raise LeaseBusy(BUSY[kind])
            await asyncio.sleep(self.config.poll)
        keeper = asyncio.create_task(self._keep(campaign_id, kind, owner))
        try:
            yield owner
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
            # Released even when the block was cancelled: otherwise the campaign waits for the expiry.
            await asyncio.shield(self._release(campaign_id, kind, owner))

    async def _take(self, campaign_id: int, kind: LeaseKind, owner: str) -> bool:
        now = self.clock()
        async with self.db.transaction() as session:
            return await leases.take(
                session, campaign_id, kind, owner, now=now, until=now + timedelta(seconds=self.config.ttl)
            )

    async def _keep(self, campaign_id: int, kind: LeaseKind, owner: str) -> None:
        while True:
            await asyncio.sleep(self.config.ttl / 3)
            try:
                async with self.db.transaction() as session:
                    until = self.clock() + timedelta(seconds=self.config.ttl)
                    kept = await leases.renew(session, campaign_id, kind, owner, until=until)
            except Exception:  # a database hiccup: try again at the next beat, the lease has time left
                log_.warning("lease renewal failed", campaign_id=campaign_id, kind=kind, exc_info=True)
                continue
            if not kept:
                log_.error("lease lost while working (expired and taken)", campaign_id=campaign_id, kind=kind)
                return

    async def _release(self, campaign_id: int, kind: LeaseKind, owner: str) -> None:
        try:
            async with self.db.transaction() as session:
                await leases.release(session, campaign_id, kind, owner)
        except Exception:  # the expiry frees it
            log_.warning("lease release failed; it expires by itself", campaign_id=campaign_id, exc_info=True)


class CampaignQueue:
    """One FIFO lock per campaign in this process, with at most `limit` waiting behind the holder."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    def busy(self, key: int) -> bool:
        lock = self._locks.get(key)
        return lock is not None and lock.locked()

    def full(self, key: int) -> bool:
        """Whether one more would be refused now (checked before a reply is deferred, so the refusal is private)."""
        return self._users.get(key, 0) > self.limit

    @asynccontextmanager
    async def hold(
        self, key: int, refusal: str, on_wait: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[None]:
        """The campaign's place for the block, in arrival order; `LeaseBusy(refusal)` when the queue is full.
        `on_wait` (telling the player they wait) runs only when someone is ahead, after the place is taken."""
        if self._users.get(key, 0) > self.limit:  # the holder and `limit` waiting
            raise LeaseBusy(refusal)
        lock = self._locks.setdefault(key, asyncio.Lock())
        ahead = key in self._users  # someone holds the place or waits for it
        self._users[key] = self._users.get(key, 0) + 1
        place = asyncio.ensure_future(lock.acquire())  # queued now, so telling the player cannot reorder turns
        try:
            try:
                if ahead and on_wait is not None:
                    await on_wait()
                await place
            except BaseException:
                place.cancel()
                if place.done() and not place.cancelled():
                    lock.release()
                raise
            try:
                yield
            finally:
                lock.release()
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]
