"""Edits of one message coalesced: the latest state wins, one edit in flight, a minimum interval between.

Discord allows about 5 edits of one message per 5 seconds and answers more with 429s, which discord.py
then waits out; a busy fight or a fast narrator would queue edits behind them, each one showing a state
already stale. Here a caller hands in the edit it wants and returns at once: while an edit of the same
message is in flight or the interval has not passed, a newer edit replaces the waiting one, so the
message is edited at most once per interval and always to the newest state, and no reply waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

import discord
import structlog

log = structlog.get_logger(__name__)

Edit = Callable[[], Awaitable[None]]
Clock = Callable[[], float]


@dataclass
class _Lane:
    waiting: Edit | None = None  # the newest edit not yet started
    last_started: float = float("-inf")
    task: asyncio.Task[None] | None = None
    hurry: asyncio.Event = field(default_factory=asyncio.Event)  # set: the waiting edit skips the interval


class EditCoalescer:
    """Per key (one message, or one thing drawn as one message): latest wins, one in flight, `interval` apart."""

    def __init__(self, *, interval: float, name: str = "edit", clock: Clock = time.monotonic) -> None:
        self.interval = interval
        self.name = name
        self.clock = clock
        self.started = 0  # edits run, over all keys: what the tests measure
        self._lanes: dict[Hashable, _Lane] = {}

    def submit(self, key: Hashable, edit: Edit, *, at_once: bool = False) -> None:
        """Run `edit` as soon as the key's interval allows, unless a newer edit of the key comes first.

        `at_once`: the last edit of a message (a narration's end) goes when the edit in flight is done,
        without waiting out the interval; one such edit on top of the pace stays within Discord's limit.
        """
        lane = self._lanes.setdefault(key, _Lane())
        lane.waiting = edit
        if at_once:
            lane.hurry.set()
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(self._drain(key, lane), name=f"{self.name}-{key}")

    async def settle(self, key: Hashable) -> None:
        """Wait until every edit handed in for `key` so far has run (or failed, logged)."""
        lane = self._lanes.get(key)
        while lane is not None and lane.task is not None and not lane.task.done():
            await asyncio.shield(lane.task)

    def forget(self, key: Hashable) -> None:
        """Drop an idle key (a fight that ended); a key with edits still to run keeps them."""
        if not self.busy(key):
            self._lanes.pop(key, None)

    def cancel_all(self) -> None:
        """At shutdown: drop what waits and stop what runs (nothing to edit once the bot is gone)."""
        for lane in self._lanes.values():
            lane.waiting = None
            if lane.task is not None:
                lane.task.cancel()
        self._lanes.clear()

    def busy(self, key: Hashable) -> bool:
        lane = self._lanes.get(key)
        return lane is not None and lane.task is not None and not lane.task.done()

    async def _drain(self, key: Hashable, lane: _Lane) -> None:
        while lane.waiting is not None:
            await self._pause(lane)
            edit, lane.waiting = lane.waiting, None
            if edit is None:
                continue
            lane.last_started = self.clock()
            self.started += 1
            await self._run(key, edit)

    async def _pause(self, lane: _Lane) -> None:
        delay = lane.last_started + self.interval - self.clock()
        if delay > 0 and not lane.hurry.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lane.hurry.wait(), delay)
        lane.hurry.clear()

    async def _run(self, key: Hashable, edit: Edit) -> None:
        try:
            await edit()
        except (discord.HTTPException, OSError):  # the next edit carries the newest state again
            log.warning("a coalesced edit failed", what=self.name, key=str(key), exc_info=True)
        except Exception:  # a bug: no caller awaits this task, so the log is where it shows
            log.exception("a coalesced edit raised", what=self.name, key=str(key))
