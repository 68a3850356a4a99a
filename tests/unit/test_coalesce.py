"""The edit coalescer: latest state wins, one edit in flight per key, a minimum interval between edits."""

from __future__ import annotations

import asyncio
import itertools
import time

import discord

from bot.ui.coalesce import Edit, EditCoalescer


class Screen:
    """A message that takes `latency` seconds per edit, recording what it showed and when."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.shown: list[tuple[float, int]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def edit_to(self, state: int) -> Edit:
        async def edit() -> None:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(self.latency)
            self.shown.append((time.monotonic(), state))
            self.in_flight -= 1

        return edit


async def test_a_burst_costs_two_edits_and_ends_on_the_newest_state() -> None:
    screen, edits = Screen(latency=0.01), EditCoalescer(interval=0.2)
    for state in range(50):
        edits.submit("tracker", screen.edit_to(state))
        await asyncio.sleep(0.001)
    await edits.settle("tracker")
    assert [state for _, state in screen.shown][-1] == 49
    assert len(screen.shown) <= 2 and edits.started == len(screen.shown)
    assert screen.most_in_flight == 1


async def test_edits_keep_the_interval_and_the_first_goes_at_once() -> None:
    screen, edits = Screen(), EditCoalescer(interval=0.1)
    began = time.monotonic()
    for state in range(6):
        edits.submit("m", screen.edit_to(state))
        await asyncio.sleep(0.06)
    await edits.settle("m")
    times = [at for at, _ in screen.shown]
    assert times[0] - began < 0.05
    assert all(later - earlier >= 0.095 for earlier, later in itertools.pairwise(times))
    assert screen.shown[-1][1] == 5


async def test_keys_do_not_wait_for_each_other() -> None:
    slow, fast, edits = Screen(latency=0.3), Screen(), EditCoalescer(interval=1.0)
    edits.submit("slow", slow.edit_to(1))
    edits.submit("fast", fast.edit_to(1))
    await edits.settle("fast")
    assert fast.shown and not slow.shown
    await edits.settle("slow")


async def test_a_failed_edit_is_logged_and_the_next_one_runs() -> None:
    screen, edits = Screen(), EditCoalescer(interval=0.01)

    async def refused() -> None:
        raise discord.DiscordServerError(_Response(), "down")  # type: ignore[arg-type]

    edits.submit("m", refused)
    await edits.settle("m")
    edits.submit("m", screen.edit_to(2))
    await edits.settle("m")
    assert [state for _, state in screen.shown] == [2]
    edits.forget("m")
    assert not edits.busy("m")


class _Response:
    status = 503
    reason = "Service Unavailable"


async def test_closing_cancels_what_waits() -> None:
    screen, edits = Screen(latency=0.05), EditCoalescer(interval=10.0)
    edits.submit("m", screen.edit_to(1))
    edits.submit("m", screen.edit_to(2))  # waits 10 s behind the first
    await asyncio.sleep(0.01)
    edits.cancel_all()
    await asyncio.sleep(0.1)
    assert screen.shown == [] and not edits.busy("m")


async def test_an_edit_at_once_skips_the_interval_but_not_the_edit_in_flight() -> None:
    screen, edits = Screen(latency=0.05), EditCoalescer(interval=10.0)
    edits.submit("m", screen.edit_to(1))
    await asyncio.sleep(0.01)
    edits.submit("m", screen.edit_to(2), at_once=True)  # the end of a narration
    assert screen.in_flight == 1
    began = time.monotonic()
    await edits.settle("m")
    assert [state for _, state in screen.shown] == [1, 2] and time.monotonic() - began < 1.0
    assert screen.most_in_flight == 1
