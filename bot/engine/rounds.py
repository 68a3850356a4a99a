"""Several players, one story: a campaign that plays in rounds (`/dm settings pace:rounds`).

Each party member acts (`/narrate`) or passes (`/pass`) once a round. The round closes when everyone has, when
an action or pass arrives after its time (`round_minutes` after its first action; the cog's timer closes it too
when nobody comes), or when the DM closes it (`/dm end-round`). Then ONE narration resolves every action in
order (`TurnEngine.run` with a round's ticket), each character's checks for that character; its undo is a turn's
(`/dm retcon`). The spotlight is shared: whoever went first in the last round does not go first again.

The open round lives on the campaign row (`campaigns.round_state`), changed under the campaign's row lock, so
two players acting at once (or two processes) never lose an action or close a round twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.engine.campaign_info import CampaignDefaults, info_of
from bot.engine.sheet import Actor
from bot.engine.turns import RoundEntry, TurnTicket, held_back
from bot.errors import InvalidInput, NotFound
from persistence.db import Database
from persistence.models import Campaign
from persistence.repositories import CampaignRepository, PartyRepository, Reads

__all__ = ["AlreadyActed", "RoundService", "RoundState", "RoundView", "combined_action", "spotlight"]

PASS_TEXT = "passes this round"


class AlreadyActed(InvalidInput):
    """A player who acted (or passed) waits for the round to resolve."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RoundState:
    """The campaign's round: its number, the entries so far (arrival order), when it opened, who led the last."""

    number: int = 1
    entries: tuple[RoundEntry, ...] = ()
    opened_at: datetime | None = None
    last_first: int | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> RoundState:
        data = data or {}
        opened = data.get("opened_at")
        entries = tuple(
            RoundEntry(
                int(e["user_id"]),
                str(e.get("player") or "a player"),
                int(e["character_id"]),
                str(e["character"]),
                str(e.get("action") or ""),
                bool(e.get("passed")),
            )
            for e in data.get("entries") or ()
        )
        return cls(
            number=int(data.get("number") or 1),
            entries=entries,
            opened_at=datetime.fromisoformat(opened) if opened else None,
            last_first=data.get("last_first"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "opened_at": self.opened_at.isoformat() if self.opened_at else None,
            "last_first": self.last_first,
            "entries": [
                {
                    "user_id": e.user_id,
                    "player": e.player_name,
                    "character_id": e.character_id,
                    "character": e.character_name,
                    "action": e.action,
                    "passed": e.passed,
                }
                for e in self.entries
            ],
        }

    def entry_of(self, user_id: int) -> RoundEntry | None:
        return next((e for e in self.entries if e.user_id == user_id), None)

    def closes_at(self, minutes: int) -> datetime | None:
        return self.opened_at + timedelta(minutes=minutes) if self.opened_at else None


def spotlight(entries: Sequence[RoundEntry], last_first: int | None) -> list[RoundEntry]:
    """The acts in arrival order, except that whoever went first last round does not go first again."""
    acting = [e for e in entries if not e.passed]
    if len(acting) > 1 and acting[0].user_id == last_first:
        acting = acting[1:] + acting[:1]
    return acting


def combined_action(number: int, acting: Sequence[RoundEntry], passed: Sequence[str]) -> str:
    """A round's actions as one text: the turn's action in the log and the prompt, numbered in order."""
    lines = [f"Round {number}, in this order:"]
    lines += [f"{index}. {e.character_name}: {e.action}" for index, e in enumerate(acting, 1)]
    if passed:
        lines.append(f"({held_back(passed)})")
    return "\n".join(lines)


@dataclass(frozen=True)
class RoundView:
    """What a player is told once their action or pass is in: who is ready, who is awaited, when it closes."""

    campaign_name: str
    number: int
    entry: RoundEntry | None
    ready: tuple[str, ...]
    waiting: tuple[str, ...]
    closes_at: datetime | None
    ticket: TurnTicket | None = None  # the round closed: narrate this now
    quiet: bool = False  # the round closed with everyone passing: nothing to narrate


@dataclass
class RoundService:
    db: Database
    defaults: CampaignDefaults
    clock: Callable[[], datetime] = field(default=utcnow)
    # One change of a campaign's round at a time in this process: SQLite has no row locks (Postgres's row lock
    # covers other processes), and two players pressing enter together must not both read the round unchanged.
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict, repr=False)

    def _lock(self, campaign_id: int) -> asyncio.Lock:
        return self._locks.setdefault(campaign_id, asyncio.Lock())

    async def submit(self, ticket: TurnTicket, *, passed: bool = False) -> RoundView:
        """The player's action (or pass) joins the open round; the round closes if it was the last one awaited or
        the round's time is up."""
        if ticket.character_id is None or ticket.character_name is None:
            raise InvalidInput("Only a party member acts in a round; as the DM, `/dm narrate` or `/dm end-round`.")
        async with self._lock(ticket.campaign_id):
            return await self._submit(ticket, passed)

    async def _submit(self, ticket: TurnTicket, passed: bool) -> RoundView:
        assert ticket.character_id is not None and ticket.character_name is not None
        now = self.clock()
        async with self.db.transaction() as session:
            campaign = await self._campaign(session, ticket.campaign_id)
            state = RoundState.of(campaign.round_state)
            minutes = info_of(campaign, self.defaults).settings.round_minutes
            if (mine := state.entry_of(ticket.actor.user_id)) is not None:
                raise AlreadyActed(self._waiting_note(state, mine, await self._waiting(session, campaign, state)))
            entry = RoundEntry(
                ticket.actor.user_id,
                ticket.player_name,
                ticket.character_id,
                ticket.character_name,
                PASS_TEXT if passed else ticket.action,
                passed,
            )
            state = replace(state, entries=(*state.entries, entry), opened_at=state.opened_at or now)
            waiting = await self._waiting(session, campaign, state)
            closes = state.closes_at(minutes)
            if waiting and closes is not None and now < closes:
                campaign.round_state = state.to_json()
                ready = tuple(e.character_name for e in state.entries)
                return RoundView(campaign.name, state.number, entry, ready, waiting, closes)
            return self._close(campaign, state, ticket.actor, entry=entry, absent=waiting)

    async def close(self, actor: Actor) -> RoundView:
        """The DM closes the open round now: whoever has not acted passes."""
        async with Reads(self.db).session() as session:
            here = await CampaignRepository(session).in_channel(actor.channel_id or 0)
        if here is None:
            raise NotFound("There is no campaign in this channel. A DM starts one with `/campaign create`.")
        if here.dm_id != actor.user_id:
            raise InvalidInput(f"Only the DM of {here.name} closes its rounds.")
        async with self._lock(here.id), self.db.transaction() as session:
            campaign = await self._campaign(session, here.id)
            state = RoundState.of(campaign.round_state)
            if not state.entries:
                raise InvalidInput(
                    f"No round is open in {campaign.name}: it opens with the first `/narrate` of a party member."
                )
            return self._close(campaign, state, actor, absent=await self._waiting(session, campaign, state))

    async def close_due(self, campaign_id: int) -> RoundView | None:
        """The timer's call: the round closes if its time is up (None: not open, or not yet)."""
        async with self._lock(campaign_id), self.db.transaction() as session:
            campaign = await CampaignRepository(session).get(campaign_id, lock=True)
            if campaign is None:
                return None
            state = RoundState.of(campaign.round_state)
            closes = state.closes_at(info_of(campaign, self.defaults).settings.round_minutes)
            if not state.entries or closes is None or self.clock() < closes:
                return None
            actor = Actor(campaign.dm_id, campaign.guild_id, campaign.channel_id)
            return self._close(campaign, state, actor, absent=await self._waiting(session, campaign, state))

    async def deadline(self, campaign_id: int) -> datetime | None:
        """When the open round closes by itself (None: no round open)."""
        async with Reads(self.db).session() as session:
            campaign = await CampaignRepository(session).get(campaign_id)
            if campaign is None:
                return None
            state = RoundState.of(campaign.round_state)
            return state.closes_at(info_of(campaign, self.defaults).settings.round_minutes) if state.entries else None

    async def open_rounds(self) -> list[tuple[int, int]]:
        """(campaign, channel) of every round open now: the timers a restarted bot sets again."""
        async with Reads(self.db).session() as session:
            rows = await CampaignRepository(session).with_rounds()
            return [(row.id, row.channel_id) for row in rows if RoundState.of(row.round_state).entries]

    # Inside the campaign's lock --------------------------------------------------------------

    def _close(
        self,
        campaign: Campaign,
        state: RoundState,
        closer: Actor,
        *,
        entry: RoundEntry | None = None,
        absent: Sequence[str] = (),
    ) -> RoundView:
        """The round closes: its ticket in spotlight order; who passed or never came holds back."""
        acting = spotlight(state.entries, state.last_first)
        passed = tuple(e.character_name for e in state.entries if e.passed) + tuple(absent)
        lead = acting[0].user_id if acting else state.last_first
        campaign.round_state = RoundState(state.number + 1, (), None, lead).to_json()
        ready = tuple(e.character_name for e in state.entries)
        if not acting:
            return RoundView(campaign.name, state.number, entry, ready, (), None, quiet=True)
        first = acting[0]
        ticket = TurnTicket(
            campaign.id,
            campaign.name,
            Actor(first.user_id, closer.guild_id, closer.channel_id),
            first.player_name,
            combined_action(state.number, acting, passed),
            False,
            None,
            None,
            pace="rounds",
            round=tuple(acting),
            passed=passed,
            round_number=state.number,
        )
        return RoundView(campaign.name, state.number, entry, ready, (), None, ticket=ticket)

    async def _waiting(self, session: Any, campaign: Campaign, state: RoundState) -> tuple[str, ...]:
        done = {e.user_id for e in state.entries}
        members = await PartyRepository(session).members(campaign.id)
        return tuple(m.name for m in members if m.owner_id not in done)

    @staticmethod
    def _waiting_note(state: RoundState, mine: RoundEntry, waiting: Sequence[str]) -> str:
        did = "passed" if mine.passed else f"acted (“{mine.action[:120]}”)"
        who = f"for {', '.join(waiting)}" if waiting else "for the DM"
        return (
            f"{mine.character_name} has {did} in round {state.number}: the story resolves the round when "
            f"everyone has acted or passed (waiting {who}), when its time is up, or when the DM closes it with "
            "`/dm end-round`."
        )

    @staticmethod
    async def _campaign(session: Any, campaign_id: int) -> Campaign:
        campaign = await CampaignRepository(session).get(campaign_id, lock=True)
        if campaign is None:
            raise NotFound("This campaign no longer exists.")
        return campaign
