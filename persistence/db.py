"""The database handle: one async engine, and one transaction per unit of work."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

FAIL_FAST_SECONDS = 1.5
# Connections for hot reads and log appends (`fetchrow`, `copy_rows`): a quarter of the process's share,
# two at least, taken out of the overflow first. A hot read that finds them all busy goes to the main pool.
HOT_SHARE, HOT_MIN = 4, 2
BEFORE_COMMIT = "before_commit"  # session.info key: hooks to run at the end of a successful transaction


class Database:
    """Owns the engine; `transaction()` is the unit of work every engine call runs in."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int | None = None, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo}
        overflow = pool_size if max_overflow is None else max_overflow
        # Only where the budget leaves the main pool two connections or more (the settings' minimum).
        hot = max(HOT_MIN, (pool_size + overflow) // HOT_SHARE)
        self.hot_size = hot if not self.is_sqlite and pool_size + overflow >= 2 + hot else 0
        self._hot: asyncio.Future[asyncpg.Pool] | None = None
        if not self.is_sqlite:
            # No pre-ping: it costs a round trip per checkout. A connection that died with the server
            # fails one statement, and SQLAlchemy then invalidates the whole pool and reconnects.
            taken_from_overflow = min(overflow, self.hot_size)
            overflow -= taken_from_overflow
            pool_size -= self.hot_size - taken_from_overflow
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

    @property
    def has_hot_reads(self) -> bool:
        return self.hot_size > 0

    @property
    def hot_saturated(self) -> bool:
        """Every hot connection is busy: a read would queue behind them (the main pool may have one free)."""
        hot = self._hot
        if hot is None or not hot.done() or hot.cancelled() or hot.exception() is not None:
            return False
        pool = hot.result()
        return pool.get_idle_size() == 0 and pool.get_size() >= self.hot_size

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        """One row of a hot read, on asyncpg directly (Postgres only: see `has_hot_reads`).

        An indexed one-row select through SQLAlchemy costs ~0.6 ms of this process's CPU (most of it
        the pool checkout and the execution machinery); asyncpg's own pool and its prepared statement
        cache ~0.05 ms. The hot path of `/character show` and `/check` is one such read per command.
        """
        pool = await self._hot_pool()
        return await pool.fetchrow(query, *args, timeout=FAIL_FAST_SECONDS + 0.5)

    async def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Append rows in one COPY on asyncpg directly (Postgres only): a log's batch in one round trip,
        without the BEGIN, INSERT and COMMIT (and ~1 ms of CPU) of an ORM insert. All or nothing."""
        pool = await self._hot_pool()
        async with pool.acquire(timeout=FAIL_FAST_SECONDS) as connection:
            await connection.copy_records_to_table(
                table, records=rows, columns=list(columns), timeout=FAIL_FAST_SECONDS + 0.5
            )

    async def _hot_pool(self) -> asyncpg.Pool:
        if self._hot is None:
            self._hot = asyncio.ensure_future(self._open_hot_pool())
        try:
            return await asyncio.shield(self._hot)
        except BaseException:
            if self._hot.done():
                self._hot = None  # an outage at startup: the next read tries again
            raise

    async def _open_hot_pool(self) -> asyncpg.Pool:
        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        pool = await asyncpg.create_pool(dsn, min_size=0, max_size=self.hot_size, timeout=FAIL_FAST_SECONDS)
        assert pool is not None
        return pool

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
        hot, self._hot = self._hot, None
        if hot is not None and hot.done() and not hot.cancelled() and hot.exception() is None:
            await hot.result().close()
        elif hot is not None:
            hot.cancel()
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
