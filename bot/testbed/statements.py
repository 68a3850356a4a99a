"""Counting the database round trips a command makes: each statement, and each BEGIN, COMMIT or ROLLBACK.

SQLAlchemy's engine events see every statement the bot's engine sends (the ORM's and Core's alike) and the
transaction boundaries, each of which asyncpg sends as a round trip of its own. Each round trip is noted
with the name of the asyncio task that made it, so the tracker's coalesced edits (tasks named
`tracker-edit-...`) can be told apart from the command that caused them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class Trip:
    task: str
    what: str  # "BEGIN", "COMMIT", "ROLLBACK" or the statement's first words


class RoundTrips:
    """The round trips since `start()`."""

    def __init__(self) -> None:
        self.trips: list[Trip] = []

    def start(self) -> None:
        self.trips.clear()

    def of_commands(self, background: tuple[str, ...] = ("tracker-edit", "roll-log-writer")) -> list[str]:
        """What the commands sent, without the background tasks: the tracker's coalesced edits and the
        batched roll log."""
        return [t.what for t in self.trips if not t.task.startswith(background)]

    def statement(self, _conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        self._note(" ".join(sql.split()[:6]))

    def begin(self, conn: Connection) -> None:
        self._boundary(conn, "BEGIN")

    def commit(self, conn: Connection) -> None:
        self._boundary(conn, "COMMIT")

    def rollback(self, conn: Connection) -> None:
        self._boundary(conn, "ROLLBACK")

    def _boundary(self, conn: Connection, what: str) -> None:
        # An autocommit connection (the engine's one-query reads) sends no BEGIN, COMMIT or ROLLBACK.
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            self._note(what)

    def _note(self, what: str) -> None:
        task = asyncio.current_task()
        self.trips.append(Trip(task.get_name() if task else "", what))


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[RoundTrips]:
    """Count the round trips `engine` makes while the block runs (restart with `trips.start()`)."""
    trips = RoundTrips()
    sync = engine.sync_engine
    hooks = (
        ("before_cursor_execute", trips.statement),
        ("begin", trips.begin),
        ("commit", trips.commit),
        ("rollback", trips.rollback),
    )
    for name, hook in hooks:
        event.listen(sync, name, hook)
    try:
        yield trips
    finally:
        for name, hook in hooks:
            event.remove(sync, name, hook)
