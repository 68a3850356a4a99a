"""One `/narrate` turn: the loop that asks the narrator, applies its tool calls and streams the story.

A turn: wait for the campaign (turns resolve one at a time, in arrival order: a bounded queue in this
process and a lease on the campaign row across processes, `bot.engine.leases`) → assemble the budgeted prompt →
at most `max_tool_rounds` rounds of narrator call → validate each proposed call against the
campaign → apply the valid ones in one transaction per round (`bot.engine.tools`; each change an event of the turn)
→ send the results back as `role: "tool"` messages → stream the narration to the sink.

The narrator never changes state. A call that breaks the schema or the rules is refused and the
reason goes back to the model; the turn goes on. Changes above the campaign's approval bound wait
for the DM. When the model fails mid-turn (or the guild's daily budget runs out), the changes the
turn made are undone through `events.revert_turn` (the path `/dm retcon` uses) and the offline
narrator plays the turn again: there is never a half-applied turn.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import events as log
from bot.engine import levelling, party
from bot.engine.campaign_info import CampaignInfo, fight_of, info_of
from bot.engine.campaigns import CampaignService
from bot.engine.combat import undo as fight_undo
from bot.engine.decided_turn import (
    DecisionModes,
    checked_names,
    context_window,
    engine_check,
    play_two_phase,
    structured,
    thinking_while,
    with_rolled,
)
from bot.engine.leases import BUSY, CampaignQueue, LeaseBusy, Leases
from bot.engine.memory import MemoryReader, NpcNote, Prompt, PromptBudget, PromptInputs, clean_action, party_line
from bot.engine.narrators import NarratorPool
from bot.engine.safety import HeldBack, check_action, rules_of
from bot.engine.sheet import Actor, to_sheet
from bot.engine.tool_calls import CallResult, EngineAction, TurnTally, refusal
from bot.engine.tools import ToolExecutor
from bot.engine.usage import UsageService
from bot.errors import InvalidInput, NotFound
from bot.narrator import (
    NARRATOR_TOOLS,
    Narrator,
    NarratorUnavailable,
    ProposedCall,
    TextDelta,
    ToolCallsProposed,
    ToolSpec,
    Usage,
    assistant_message,
    estimate_tokens,
    validate_arguments,
)
from bot.narrator.offline import round_closer, without_closer
from persistence.db import Database
from persistence.models import Campaign, CampaignTurn, PendingChange
from persistence.repositories import (
    CampaignRepository,
    PartyRepository,
    PendingRepository,
    Reads,
    TurnRepository,
)

log_ = structlog.get_logger(__name__)

ROUND_TEXT = re.compile(r"Round (\d+), in this order:")  # how a round's turn begins (rounds.combined_action)
SILENT_NARRATION = "*The narrator falls silent; the engine's results are below.*"


# --- plain values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnConfig:
    max_tool_rounds: int = 3
    max_calls_per_round: int = 8
    summary_every: int = 20
    turn_timeout: float = 120.0
    decision_mode: str = "tools"  # auto | json_schema | text: two phases (bot.engine.decided_turn); tools: one loop


@dataclass(frozen=True)
class RoundEntry:
    """One player's part of a round (`bot.engine.rounds`): what their character does, or a pass."""

    user_id: int
    player_name: str
    character_id: int
    character_name: str
    action: str
    passed: bool = False


@dataclass(frozen=True)
class TurnTicket:
    """A validated request for a turn (from `prepare`, before the reply is deferred).

    A round's ticket carries the actions of the round in the order the story resolves them (`round`); its
    `action` is all of them as one text, and its `actor` the player who goes first."""

    campaign_id: int
    campaign_name: str
    actor: Actor
    player_name: str
    action: str
    is_dm: bool
    character_id: int | None
    character_name: str | None
    pace: str = "turns"  # the campaign's pace when the ticket was made (rounds: `/narrate` joins the open round)
    round: tuple[RoundEntry, ...] = ()
    passed: tuple[str, ...] = ()  # the characters who sat the round out
    round_number: int = 0

    def acts(self) -> tuple[tuple[str, str | None], ...]:
        """(action, acting character) of each act this ticket resolves, in order."""
        if self.round:
            return tuple((entry.action, entry.character_name) for entry in self.round)
        return ((self.action, self.character_name),)

    def actors(self) -> frozenset[int]:
        """The players whose characters act in it (each may be the subject of their own check)."""
        return frozenset(entry.user_id for entry in self.round)

    def one_of(self, entry: RoundEntry) -> TurnTicket:
        """The ticket of one act of a round, as if its player had taken a turn alone (the offline narrator's way)."""
        actor = replace(self.actor, user_id=entry.user_id)
        return replace(
            self,
            actor=actor,
            player_name=entry.player_name,
            action=entry.action,
            character_id=entry.character_id,
            character_name=entry.character_name,
            round=(),
            passed=(),
        )


@dataclass(frozen=True)
class TurnOutcome:
    turn_id: int
    number: int
    campaign_name: str
    character: str | None
    narration: str
    actions: tuple[EngineAction, ...]
    narrator: str
    model: str
    fallback_reason: str | None = None
    prompt_tokens: int = 0
    round_number: int = 0  # the round it told (a campaign played in rounds), else 0


@dataclass(frozen=True)
class PendingInfo:
    id: int
    summary: str
    requested_by: int
    turn_id: int | None


@dataclass(frozen=True)
class RetconReport:
    campaign_name: str
    turn_number: int
    undone: tuple[str, ...]
    fight_action: str | None = None  # the fight action undone instead of a turn (it was newer)
    combat_id: int | None = None  # its fight, whose tracker shows the state restored
    round_number: int = 0  # the turn told a round (bot.engine.rounds)


class NarrationSink(Protocol):
    """Where a turn's narration goes as it is written (the Discord reply, a test, the benchmark)."""

    async def status(self, text: str) -> None: ...

    async def text(self, delta: str) -> None: ...

    async def reset(self, note: str) -> None: ...

    async def finish(self, outcome: TurnOutcome) -> None: ...


# --- the turn engine -----------------------------------------------------------------------------


@dataclass
class _State:
    ticket: TurnTicket
    turn_id: int
    number: int
    info: CampaignInfo
    prompt: Prompt
    tally: TurnTally = field(default_factory=TurnTally)


@dataclass(frozen=True)
class _Played:
    narration: str
    actions: list[EngineAction]
    narrator: str
    model: str
    fallback: str | None = None  # why the offline narrator answered instead


def fallback_note(reason: str) -> str:
    return f"🔌 The offline narrator answered this turn: {reason}."


def _reason(error: BaseException) -> str:
    if isinstance(error, NarratorUnavailable):
        known = {
            "slow start": "the model had not begun to answer in time (NARRATOR_FIRST_TOKEN_SECONDS)",
            "timeout": "the model took too long to finish (TURN_TIMEOUT_SECONDS / OPENAI_TIMEOUT_SECONDS)",
            "rate limited": "the model is rate limited",
            "server error": "the model's server failed",
            "circuit open": "the model failed repeatedly and is resting",
            "connection dropped": "the model's connection dropped mid-answer",
            "unreachable": "the model cannot be reached",
            "garbage": "the model sent an unreadable answer",
            "rejected": "the model refused the request",
        }
        return known.get(error.reason, error.reason)
    return "the model took too long"


class TurnEngine:
    def __init__(
        self,
        db: Database,
        campaigns: CampaignService,
        executor: ToolExecutor,
        memory: MemoryReader,
        prompt: PromptBudget,
        usage: UsageService,
        narrators: NarratorPool,
        config: TurnConfig,
        leases: Leases | None = None,
    ) -> None:
        self.db = db
        self.reads = Reads(db)
        self.campaigns = campaigns
        self.executor = executor
        self.memory = memory
        self.prompt = prompt
        self.usage = usage
        self.narrators = narrators
        self.config = config
        self.leases = leases or Leases(db)
        self.locks = CampaignQueue(self.leases.config.queue)
        self.stats = executor.stats
        self.modes = DecisionModes(config.decision_mode)

    # Before the reply is deferred: cheap checks only ----------------------------------------

    async def prepare(self, actor: Actor, action: str, player_name: str) -> TurnTicket:
        text = clean_action(action)
        if not text:
            raise InvalidInput("Say what your character does. Example: `/narrate action:I search the altar for traps`")
        async with self.reads.session() as session:
            campaign = await CampaignRepository(session).in_channel(actor.channel_id or 0)
            if campaign is None:
                raise NotFound("There is no campaign in this channel. A DM starts one with `/campaign create`.")
            character = await PartyRepository(session).of_player(campaign.id, actor.user_id)
        is_dm = actor.user_id == campaign.dm_id
        if character is None and not is_dm:
            raise NotFound(f"You have no character in {campaign.name}. `/campaign join` links your active character.")
        if campaign.status == "paused":
            raise InvalidInput(f"{campaign.name} is paused by its DM; the story waits until `/dm resume`.")
        if self.locks.full(campaign.id):
            raise LeaseBusy(BUSY["turn"])
        who = character.name if character else "The DM"
        info = info_of(campaign, self.campaigns.defaults)
        check_action(info.safety, text, dm_id=campaign.dm_id, who=who, campaign=campaign.name)  # a line: never narrated
        return TurnTicket(
            campaign.id,
            campaign.name,
            actor,
            player_name[:80] or "a player",
            text,
            is_dm,
            character.id if character else None,
            character.name if character else None,
            pace=info.settings.pace,
        )

    # The turn -------------------------------------------------------------------------------

    async def run(self, ticket: TurnTicket, sink: NarrationSink) -> TurnOutcome:
        async def waiting() -> None:
            await sink.status("⏳ Another turn is being resolved here; yours is next in line.")

        async with self._exclusive(ticket.campaign_id, waiting):
            outcome = await self._resolve(ticket, sink)
        await sink.finish(outcome)
        return outcome

    @asynccontextmanager
    async def _exclusive(
        self, campaign_id: int, on_wait: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[None]:
        """The campaign's turn for this block: first in this process's queue, then the lease on the campaign
        row (another process's turn may hold it); neither holds a database connection while waiting or working."""
        async with self.locks.hold(campaign_id, BUSY["turn"], on_wait), self.leases.hold(campaign_id, "turn"):
            yield

    async def _resolve(self, ticket: TurnTicket, sink: NarrationSink) -> TurnOutcome:
        await self._recover(ticket)
        info, prompt = await self.build_prompt(ticket)
        state = await self._open(ticket, info, prompt)
        try:
            played = await self._attempt(state, sink)
        except Exception:
            await self._undo(state, "the turn failed", keep=frozenset())
            raise
        return await self._close(state, played)

    async def _attempt(self, state: _State, sink: NarrationSink) -> _Played:
        narrator = self.narrators.for_model(state.info.settings.model)
        try:
            async with asyncio.timeout(self.config.turn_timeout):
                return await self._play(state, narrator, sink)
        except (NarratorUnavailable, TimeoutError) as error:
            reason = _reason(error)
            log_.warning("turn falls back to the offline narrator", turn_id=state.turn_id, reason=reason)
            await self._undo(state, f"fallback: {reason}", keep=frozenset({"action"}))
            await sink.reset(fallback_note(reason))
            state.tally = TurnTally()
            played = await self._play(state, self.narrators.offline, sink)
            return replace(played, fallback=reason)

    async def build_prompt(self, ticket: TurnTicket) -> tuple[CampaignInfo, Prompt]:
        """The budgeted prompt the turn would send now (the benchmark measures it too)."""
        async with self.reads.session() as session:
            row = await CampaignRepository(session).get(ticket.campaign_id)
            if row is None:
                raise NotFound("This campaign no longer exists.")
            info = info_of(row, self.campaigns.defaults)
            fight = await fight_of(session, row.id)
        narrator = self.narrators.for_model(info.settings.model)
        window = await context_window(narrator)
        rows = await self.memory.read(info.id, ticket.action, info.scene.npcs, to_sheet)
        players = {entry.user_id: entry.player_name for entry in ticket.round} or {
            ticket.actor.user_id: ticket.player_name
        }
        party = tuple(party_line(s, self.stats(s), players.get(s.owner_id, "another player")) for s in rows.party)
        npcs = rows.npcs + tuple(NpcNote(n) for n in info.scene.npcs if n not in {x.name for x in rows.npcs})
        inputs = PromptInputs(
            campaign_name=info.name,
            tone=info.tone,
            setting=info.setting,
            persona=info.settings.persona,
            content_rating=info.settings.content_rating,
            lines=info.safety.lines,
            veils=info.safety.veils,
            canon=rows.canon,
            action=ticket.action,
            player_name=ticket.player_name,
            acting_character=ticket.character_name,
            round_of=tuple(entry.character_name for entry in ticket.round),
            summary=info.summary,
            location=info.scene.location,
            scene_description=info.scene.description,
            npcs=npcs,
            in_combat=fight is not None,
            enemies=fight.names() if fight else (),
            party=party,
            recent=rows.recent,
            recalled=rows.recalled,
            secret_canon=rows.secret_canon,
            secrets=rows.secrets if ticket.is_dm or info.settings.secrets_on_player_turns else (),
        )
        return info, self.prompt.assemble(inputs, tools=not self._two_phase(narrator), window=window)

    async def _open(self, ticket: TurnTicket, info: CampaignInfo, prompt: Prompt) -> _State:
        async with self.db.transaction() as session:
            campaign = await self._campaign(session, ticket.campaign_id)
            campaign.turn_count = (campaign.turn_count or 0) + 1
            turn = CampaignTurn(
                campaign_id=campaign.id,
                number=campaign.turn_count,
                user_id=ticket.actor.user_id,
                character_id=ticket.character_id,
                action=ticket.action,
                status="running",
            )
            await TurnRepository(session).create(turn)
            acts: list[tuple[int, int | None, str, str]] = [
                (e.user_id, e.character_id, e.character_name, e.action) for e in ticket.round
            ] or [(ticket.actor.user_id, ticket.character_id, ticket.character_name or "The DM", ticket.action)]
            for user_id, character_id, who, action in acts:
                log.record(
                    session,
                    campaign,
                    "action",
                    f"{who}: {rules_of(info.safety).faded(action)}",  # a veiled deed is told as a fade
                    actor_id=user_id,
                    character_id=character_id,
                    turn_id=turn.id,
                )
            return _State(ticket, turn.id, turn.number, info, prompt)

    def _two_phase(self, narrator: Narrator) -> bool:
        return structured(narrator) and self.modes.mode(narrator) != "tools"

    async def _play(self, state: _State, narrator: Narrator, sink: NarrationSink) -> _Played:
        if state.ticket.round and narrator.name == "offline":
            return await self._play_acts(state, narrator, sink)
        if self._two_phase(narrator):
            done = await play_two_phase(self, state, narrator, sink, self.modes, asyncio.get_running_loop().time)
            if not done.narration:
                await sink.text(SILENT_NARRATION)
            return _Played(done.narration or SILENT_NARRATION, done.actions, narrator.name, done.model)
        async with thinking_while(sink, narrator, asyncio.get_running_loop().time) as shown:
            return await self._loop(state, narrator, shown)

    async def _play_acts(self, state: _State, narrator: Narrator, sink: NarrationSink) -> _Played:
        """A round told by the offline narrator: each act as its own paragraph, in order, then who held back."""
        texts: list[str] = []
        actions: list[EngineAction] = []
        for entry in state.ticket.round:
            alone = state.ticket.one_of(entry)
            _, prompt = await self.build_prompt(alone)
            part = _State(alone, state.turn_id, state.number, state.info, prompt, state.tally)
            kept = _Kept(sink)  # fast: told whole, without its own "what next?" (the round asks once)
            played = await self._loop(part, narrator, kept)
            texts.append(without_closer(kept.body or played.narration))
            actions += played.actions
        if state.ticket.passed:
            texts.append(held_back(state.ticket.passed))
        texts.append(round_closer([entry.character_name for entry in state.ticket.round]))
        narration = "\n\n".join(text for text in texts if text)
        await sink.text(narration)
        return _Played(narration, actions, narrator.name, narrator.model)

    async def _engine_checks(self, state: _State, narrator: Narrator) -> list[CallResult]:
        """The checks the engine's own classification calls for, rolled before a model's one-loop turn (a model
        that asks for none must not decide the outcome itself); the offline narrator proposes its own."""
        if narrator.name == "offline":
            return []
        calls: list[ProposedCall] = []
        for index, (action, acting) in enumerate(state.ticket.acts()):
            seed = f"{state.turn_id}-{index}" if state.ticket.round else f"{state.turn_id}"
            if (extra := engine_check(action, acting, calls, seed)) is not None:
                calls.append(extra)
        return await self._execute(state, calls) if calls else []

    async def _loop(self, state: _State, narrator: Narrator, sink: NarrationSink) -> _Played:
        messages = list(state.prompt.messages)
        rolled = await self._engine_checks(state, narrator)
        actions: list[EngineAction] = [action for result in rolled for action in result.actions]
        if rolled:
            messages = with_rolled(messages, rolled)
        checked = {name.casefold(): result for result in rolled for name in checked_names(result)}
        texts: list[str] = []
        model = narrator.model
        for round_no in range(self.config.max_tool_rounds + 1):
            offer = list(NARRATOR_TOOLS) if round_no < self.config.max_tool_rounds else []
            await self._allow(state, narrator, messages)
            shown = HeldBack(
                rules_of(state.info.safety), sink
            )  # a sentence at a time, checked against the safety tools
            text, calls, usage = await self._call(narrator, messages, offer, shown, after=any(t.strip() for t in texts))
            if usage is not None:
                model = usage.model
                await self._record(state, narrator, usage)
            texts.append(text)
            if not calls or not offer:
                break
            again = {c.id for c in calls if c.name == "request_check" and _subject(c).casefold() in checked}
            fresh = iter(await self._execute(state, [c for c in calls if c.id not in again]))
            results = [
                already_rolled(checked[_subject(c).casefold()], c) if c.id in again else next(fresh) for c in calls
            ]
            actions += [a for c, r in zip(calls, results, strict=True) if c.id not in again for a in r.actions]
            messages.append(assistant_message(text, calls))
            messages += [{"role": "tool", "tool_call_id": r.call_id, "content": json.dumps(r.payload)} for r in results]
        narration = "\n\n".join(t.strip() for t in texts if t.strip())
        if not narration:
            narration = SILENT_NARRATION
            await sink.text(narration)
        return _Played(narration, actions, narrator.name, model)

    async def _call(
        self,
        narrator: Narrator,
        messages: list[dict[str, Any]],
        offer: list[ToolSpec],
        sink: HeldBack,
        *,
        after: bool,
    ) -> tuple[str, list[ProposedCall], Usage | None]:
        parts: list[str] = []
        calls: list[ProposedCall] = []
        usage: Usage | None = None
        async for event in narrator.stream(messages, offer):
            if isinstance(event, TextDelta) and event.text:
                if after and not parts:
                    await sink.text("\n\n")
                parts.append(event.text)
                await sink.text(event.text)
            elif isinstance(event, ToolCallsProposed):
                calls = event.calls
            elif isinstance(event, Usage):
                usage = event
        shown = await sink.close()  # the reply as the players saw it: veils faded, a line's reply withdrawn
        return (shown if parts else ""), calls, usage

    async def _execute(self, state: _State, calls: list[ProposedCall]) -> list[CallResult]:
        allowed = calls[: self.config.max_calls_per_round]
        results = await self.executor.execute(
            state.ticket.campaign_id,
            allowed,
            actor=state.ticket.actor,
            is_dm=state.ticket.is_dm,
            turn_id=state.turn_id,
            tally=state.tally,
            actors=state.ticket.actors(),
        )
        too_many = f"At most {self.config.max_calls_per_round} tool calls at once."
        return results + [refusal(call, too_many) for call in calls[len(allowed) :]]

    async def _allow(
        self, state: _State, narrator: Narrator, messages: list[dict[str, Any]], *, tools: bool = True
    ) -> None:
        """The guild's daily token budget, checked before every model call (a two-phase call sends no tools)."""
        if narrator.name == "offline":
            return
        upcoming = estimate_tokens(messages) + (self.prompt.tools_tokens if tools else 0)
        allowance = await self.usage.allowance(state.ticket.actor.guild_id or 0, upcoming)
        if not allowance.allowed:
            raise NarratorUnavailable(allowance.reason)

    async def _record(self, state: _State, narrator: Narrator, usage: Usage) -> None:
        if narrator.name == "offline":
            return  # no model, no cost: the usage table is about LLM calls
        await self.usage.record(
            state.ticket.actor.guild_id or 0,
            usage,
            narrator=narrator.name,
            campaign_id=state.ticket.campaign_id,
            turn_id=state.turn_id,
        )

    async def _close(self, state: _State, played: _Played) -> TurnOutcome:
        async with self.db.transaction() as session:
            campaign = await self._campaign(session, state.ticket.campaign_id)
            turn = await TurnRepository(session).get(state.turn_id)
            assert turn is not None
            turn.status, turn.narrator, turn.fallback_reason = "done", played.narrator[:32], played.fallback
            turn.finished_at = utcnow()
            log.record(
                session,
                campaign,
                "narration",
                played.narration,
                actor_id=state.ticket.actor.user_id,
                turn_id=state.turn_id,
                data={"narrator": played.narrator, "model": played.model},
            )
            await log.refresh_summary(session, campaign, every=self.config.summary_every)
        return TurnOutcome(
            state.turn_id,
            state.number,
            state.info.name,
            state.ticket.character_name or (", ".join(e.character_name for e in state.ticket.round) or None),
            played.narration,
            tuple(played.actions),
            played.narrator,
            played.model,
            played.fallback,
            state.prompt.tokens,
            state.ticket.round_number,
        )

    async def _undo(self, state: _State, reason: str, *, keep: frozenset[str]) -> None:
        async with self.db.transaction() as session:
            campaign = await self._campaign(session, state.ticket.campaign_id)
            turn = await TurnRepository(session).get(state.turn_id)
            if turn is None:
                return
            await log.revert_turn(session, campaign, turn, by=state.ticket.actor.user_id, reason=reason, keep=keep)
            turn.status = "running" if keep else "retconned"

    async def _recover(self, ticket: TurnTicket) -> None:
        """A turn left running (the process died mid-turn) is undone before the next one starts."""
        async with self.reads.session() as session:
            stale = await TurnRepository(session).running(ticket.campaign_id)
        if not stale:
            return
        async with self.db.transaction() as session:
            campaign = await self._campaign(session, ticket.campaign_id)
            for turn in await TurnRepository(session).running(ticket.campaign_id):
                await log.revert_turn(session, campaign, turn, by=ticket.actor.user_id, reason="interrupted")

    @staticmethod
    async def _campaign(session: AsyncSession, campaign_id: int) -> Campaign:
        campaign = await CampaignRepository(session).get(campaign_id, lock=True)
        if campaign is None:
            raise NotFound("This campaign no longer exists.")
        return campaign

    # The DM's controls ----------------------------------------------------------------------

    async def retcon(self, actor: Actor) -> RetconReport:
        """Undo the last turn: revert its state changes from the log and mark its events retconned."""
        info = await self.campaigns.require_dm(actor)
        async with self._exclusive(info.id), self.db.transaction() as session:
            campaign = await self._campaign(session, info.id)
            turn = await TurnRepository(session).last_done(info.id)
            fight = await fight_undo.last_fight_event(session, info.id)
            if fight is not None and (turn is None or fight.id > await log.last_event_of(session, turn)):
                undone = await fight_undo.undo_last(session, fight)  # a fight action is the newest: it goes
                combat_id = int((fight.data or {}).get("combat_id") or 0) or None
                return RetconReport(info.name, 0, tuple(undone), fight_action=fight.text, combat_id=combat_id)
            if turn is None:
                raise InvalidInput("There is no turn to undo here yet.")
            report = await log.revert_turn(session, campaign, turn, by=actor.user_id, reason="retcon by the DM")
            told = ROUND_TEXT.match(turn.action or "")
            return RetconReport(info.name, turn.number, tuple(report.lines), round_number=int(told[1]) if told else 0)

    async def pending(self, actor: Actor) -> list[PendingInfo]:
        info = await self.campaigns.require_dm(actor)
        async with self.reads.session() as session:
            rows = await PendingRepository(session).waiting(info.id)
            return [PendingInfo(r.id, r.summary, r.requested_by, r.turn_id) for r in rows]

    async def approve(self, actor: Actor, pending_id: int | None = None) -> tuple[PendingInfo, list[EngineAction]]:
        """Apply a waiting change as the narrator proposed it, checked against the rules again."""
        info = await self.campaigns.require_dm(actor)
        async with self._exclusive(info.id), self.db.transaction() as session:
            row = await self._pending(session, info.id, pending_id)
            if row.tool == levelling.JOIN_TOOL:  # not a narrator's tool call: a join above the allowed level
                name = await party.approve_join(session, row)
                row.status, row.resolved_by, row.resolved_at = "approved", actor.user_id, utcnow()
                joined = EngineAction("join", name, f"joins the party at level {row.arguments.get('level')}")
                return PendingInfo(row.id, row.summary, row.requested_by, row.turn_id), [joined]
            round_ = await self.executor.open_round(
                session, info.id, actor=actor, is_dm=True, turn_id=row.turn_id, tally=TurnTally(), approved=True
            )
            call = ProposedCall(f"pending_{row.id}", row.tool, dict(row.arguments), None, json.dumps(row.arguments))
            result = await self.executor.one(round_, validate_arguments(call))
            if result.action.kind == "refused":
                raise InvalidInput(f"Change #{row.id} cannot apply any more: {result.action.detail}")
            row.status, row.resolved_by, row.resolved_at = "approved", actor.user_id, utcnow()
            log.record(
                session,
                round_.campaign,
                "approved",
                f"The DM approved: {row.summary}",
                actor_id=actor.user_id,
                turn_id=row.turn_id,
                data={"pending": row.id},
            )
            done = PendingInfo(row.id, row.summary, row.requested_by, row.turn_id)
        for check in result.checks:
            await self.executor.checks.record(actor, check)
        return done, result.actions

    async def deny(self, actor: Actor, pending_id: int | None = None) -> PendingInfo:
        info = await self.campaigns.require_dm(actor)
        async with self.db.transaction() as session:
            campaign = await self._campaign(session, info.id)
            row = await self._pending(session, info.id, pending_id)
            row.status, row.resolved_by, row.resolved_at = "denied", actor.user_id, utcnow()
            log.record(
                session,
                campaign,
                "denied",
                f"The DM denied: {row.summary}",
                actor_id=actor.user_id,
                turn_id=row.turn_id,
                data={"pending": row.id},
            )
            return PendingInfo(row.id, row.summary, row.requested_by, row.turn_id)

    @staticmethod
    async def _pending(session: AsyncSession, campaign_id: int, pending_id: int | None) -> PendingChange:
        repo = PendingRepository(session)
        if pending_id is None:
            waiting = await repo.waiting(campaign_id)
            if not waiting:
                raise InvalidInput("Nothing is waiting for your approval.")
            pending_id = waiting[0].id
        row = await repo.get(campaign_id, pending_id, lock=True)
        if row is None or row.status != "pending":
            raise NotFound(f"No change #{pending_id} is waiting here; `/dm approve` without a number takes the oldest.")
        return row


def utcnow() -> datetime:
    return datetime.now(UTC)


def held_back(names: Sequence[str]) -> str:
    """The round's last line for those who passed."""
    who = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    return f"{who} {'hold' if len(names) > 1 else 'holds'} back this round."


class _Kept:
    """A sink that keeps the text and passes everything else on (one act of a round, told once it is whole)."""

    def __init__(self, sink: NarrationSink) -> None:
        self.sink = sink
        self.body = ""

    async def text(self, delta: str) -> None:
        self.body += delta

    async def reset(self, note: str) -> None:
        self.body = ""
        await self.sink.reset(note)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sink, name)


def already_rolled(result: CallResult, call: ProposedCall) -> CallResult:
    """The answer to a model's check for a character the engine rolled for already: that roll, once more."""
    payload = {**result.payload, "note": "The engine rolled this check for the action already; narrate it."}
    return replace(result, call_id=call.id, payload=payload)


def _subject(call: ProposedCall) -> str:
    return str((call.arguments or {}).get("character") or "")
