"""Sheets read for a reply (`/character show`, `/check`, ...): one round trip, and a per-process cache.

A cached sheet is never trusted: every read asks Postgres for the row's stamp (id, version, and the
columns that change without a version bump), a select of a few small columns, and uses the cached
sheet only if the stamp still matches; otherwise (or with nothing cached) it reads the whole row in
one Core select. So a change made by any process (another shard) is seen by the next read here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from sqlalchemy import Row

from bot.engine.sheet import Sheet, to_sheet
from persistence.repositories import CharacterRows, Reads, StampRow, character_stamp

# Sheets kept per process (least recently used dropped first): a few KB each.
CACHE_SIZE = 2048

Lookup = tuple[int, int, str | None]
T = TypeVar("T")  # guild, owner, name key (None: the active character)


@dataclass(frozen=True, slots=True)
class Stamp:
    id: int
    version: int
    created_at: Any  # compared, never read

    @classmethod
    def of(cls, row: Row[Any] | StampRow) -> Stamp:
        return cls(row.id, row.version, row.created_at)


@dataclass(frozen=True, slots=True)
class Cached:
    stamp: Stamp
    sheet: Sheet


class SheetReads:
    """`find` a character's sheet by owner and name (or the active one)."""

    def __init__(self, reads: Reads, *, size: int = CACHE_SIZE) -> None:
        self.reads = reads
        self.size = size
        self._cache: OrderedDict[Lookup, Cached] = OrderedDict()

    def __len__(self) -> int:
        return len(self._cache)

    async def find(self, guild_id: int, owner_id: int, name_key: str | None) -> Sheet | None:
        lookup = (guild_id, owner_id, name_key)
        cached = self._cache.get(lookup)
        if cached is not None:
            stamp = await character_stamp(self.reads, guild_id, owner_id, name_key)
            if stamp is None:
                self._cache.pop(lookup, None)
                return None
            if Stamp.of(stamp) == cached.stamp:
                return self._refreshed(lookup, cached, stamp)
        async with self.reads.connection() as connection:
            row = await CharacterRows(connection).sheet_row(guild_id, owner_id, name_key)
        if row is None:
            self._cache.pop(lookup, None)
            return None
        sheet = to_sheet(row)
        self._keep(lookup, Cached(Stamp.of(row), sheet))
        return sheet

    def _refreshed(self, lookup: Lookup, cached: Cached, stamp: StampRow) -> Sheet:
        """The cached sheet, with the columns that change without a version bump as they are now."""
        sheet = cached.sheet
        if (sheet.active, sheet.campaign_id) != (stamp.active, stamp.campaign_id):
            sheet = replace(sheet, active=stamp.active, campaign_id=stamp.campaign_id)
            cached = Cached(cached.stamp, sheet)
        self._keep(lookup, cached)
        return sheet

    def _keep(self, lookup: Lookup, cached: Cached) -> None:
        self._cache[lookup] = cached
        self._cache.move_to_end(lookup)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)


class Derived(Generic[T]):
    """What a pure function of a sheet makes of it (its numbers, its embed), made once per sheet object.

    A cache hit hands out the very Sheet it handed out before (a new version is a new object), so the
    numbers and the embed are not composed again for every `/check` and `/character show`. Keyed by
    identity, holding the sheet itself, so an id is never mistaken for a later object's.
    """

    def __init__(self, make: Callable[[Sheet], T], *, size: int = CACHE_SIZE) -> None:
        self.make = make
        self.size = size
        self._made: OrderedDict[int, tuple[Sheet, T]] = OrderedDict()

    def __call__(self, sheet: Sheet) -> T:
        made = self._made.get(id(sheet))
        if made is not None and made[0] is sheet:
            return made[1]
        value = self.make(sheet)
        self._made[id(sheet)] = (sheet, value)
        while len(self._made) > self.size:
            self._made.popitem(last=False)
        return value
