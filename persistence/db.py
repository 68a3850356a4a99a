"""The database handle: one async engine, and one transaction per unit of work."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

FAIL_FAST_SECONDS = 1.5
BEFORE_COMMIT = "before_commit"  # session.info key: hooks to run at the end of a successful transaction


class Database:
    """Owns the engine; `transaction()` is the unit of work every engine call runs in."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int | None = None, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            # No pre-ping: it costs a round trip per checkout. A connection that died with the server
            # fails one statement, and SQLAlchemy then invalidates the whole pool and reconnects.
            overflow = pool_size if max_overflow is None else max_overflow
            options.update(pool_size=pool_size, max_overflow=overflow, pool_recycle=1800)
            options["pool_timeout"] = FAIL_FAST_SECONDS
            # A command must answer within Discord's 3 s: fail fast when the server is away.
            options["connect_args"] = {"timeout": FAIL_FAST_SECONDS, "command_timeout": FAIL_FAST_SECONDS + 0.5}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # No connection is ever held for long: a campaign's turn is a lease on its row, taken and released in
        # short transactions (persistence/leases.py), so the pool bounds every connection the bot opens.

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        async with self._sessions() as session, session.begin():
            yield session
            for hook in session.info.pop(BEFORE_COMMIT, []):  # only when the body succeeded
                await hook(session)

    async def ping(self) -> float:
        """Round-trip a trivial query; returns the latency in seconds."""
        started = time.perf_counter()
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return time.perf_counter() - started

    def pool_usage(self) -> tuple[int, int]:
        """(connections in use, pool size), for the metrics."""
        pool = self.engine.pool
        checked_out = getattr(pool, "checkedout", lambda: 0)()
        size = getattr(pool, "size", lambda: 1)()
        return int(checked_out), int(size)

    async def dispose(self) -> None:
        await self.engine.dispose()


def before_commit(session: AsyncSession, hook: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Run `hook` in this transaction just before it commits (after everything else it did); not on a rollback."""
    session.info.setdefault(BEFORE_COMMIT, []).append(hook)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
