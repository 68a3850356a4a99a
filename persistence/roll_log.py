"""The roll log, written behind the replies: rows are queued and inserted in batches.

A roll's reply never waits for the database, and one INSERT carries many rolls under load. A crash
loses at most the rows of the last `max_delay` seconds; the roll log records, it never decides.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import structlog
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from persistence.db import Database
from persistence.models import RollLog, utcnow

log = structlog.get_logger(__name__)
COLUMNS = tuple(c.name for c in RollLog.__table__.c if c.name != "id")
RETRY_DELAYS = (0.5, 1.0, 2.0)  # while the database restarts; then the batch is given up and counted
# The connection, not the data: retried. (asyncpg's, on Postgres; SQLAlchemy's, on SQLite.)
AWAY = (
    OperationalError,
    InterfaceError,
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
)
REFUSED = (DBAPIError, asyncpg.PostgresError)  # the data: each row on its own, to save what can be saved


class RollLogWriter:
    def __init__(self, db: Database, *, max_batch: int = 500, max_delay: float = 0.05) -> None:
        self.db = db
        self.max_batch = max_batch
        self.max_delay = max_delay
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, row: dict[str, Any]) -> None:
        """Queue one row (the columns of `RollLog`); returns at once."""
        row.setdefault("created_at", utcnow())
        self._idle.clear()
        self._queue.put_nowait(row)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="roll-log-writer")

    async def flush(self) -> None:
        """Wait until every queued row has been written (or given up on)."""
        await self._idle.wait()

    async def aclose(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _drain(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(self.max_delay)  # let a burst gather into one INSERT
            while not self._queue.empty() and len(batch) < self.max_batch:
                batch.append(self._queue.get_nowait())
            await self._write(batch)
            if self._queue.empty():
                self._idle.set()

    async def _write(self, batch: list[dict[str, Any]]) -> None:
        """One INSERT; while the database is away, retry with backoff; a bad row costs only itself."""
        for delay in (*RETRY_DELAYS, None):
            try:
                await self._insert(batch)
                return
            except AWAY as away:
                if delay is None:
                    log.error("could not write the roll log", rows_lost=len(batch), error=repr(away))
                    return
                await asyncio.sleep(delay)
            except REFUSED:  # the data, not the connection: save every row that can be saved
                await self._insert_one_by_one(batch)
                return

    async def _insert_one_by_one(self, batch: list[dict[str, Any]]) -> None:
        lost = 0
        for row in batch:
            try:
                await self._insert([row])
            except REFUSED:
                lost += 1
        if lost:
            log.error("roll log rows refused by the database", rows_lost=lost, rows_saved=len(batch) - lost)

    async def _insert(self, rows: list[dict[str, Any]]) -> None:
        if self.db.has_hot_reads:
            await self.db.copy_rows(RollLog.__tablename__, COLUMNS, [[row.get(c) for c in COLUMNS] for row in rows])
            return
        async with self.db.transaction() as session:
            await session.execute(insert(RollLog), rows)
