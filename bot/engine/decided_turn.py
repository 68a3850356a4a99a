"""A two-phase turn: mechanics by contract, prose by stream.

1. The decision: the turn's prompt plus a short instruction, answered as one JSON object in
   `bot.narrator.decision`'s schema (through `response_format` where the server honours it, else read out of
   the text). Nothing of it reaches the player.
2. The engine: the proposed calls go through the same executor as native tool calls (schema, targets, bounds,
   who may affect whom). When the engine's own classification of the action (the offline narrator's rules) says
   it needs a check and the model asked for none, the engine asks for it: the narration never decides an
   outcome that was not rolled.
3. The prose: the same prompt (so a prefix-caching server reuses it) plus the engine's results, streamed to
   the player with no tool schemas offered.

Until the first word of prose the reply shows a line that the DM is thinking, updated while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from bot.engine.memory import RECORD_BEGIN, RECORD_END, neutral
from bot.engine.safety import HeldBack, rules_of
from bot.engine.tool_calls import CallResult, EngineAction
from bot.narrator import NARRATOR_TOOLS, Narrator, NarratorUnavailable, ProposedCall, TextDelta, ToolSpec, Usage
from bot.narrator.decision import (
    DecisionMode,
    decision_instruction,
    decision_response_format,
    parse_decision,
)
from bot.narrator.offline import choose_check, choose_dc

__all__ = [
    "DecisionModes",
    "DecisionStep",
    "Thinking",
    "TwoPhaseResult",
    "checked_names",
    "context_window",
    "decide",
    "engine_check",
    "play_two_phase",
    "results_message",
    "structured",
    "thinking_while",
    "with_rolled",
]

log = structlog.get_logger(__name__)

DECISION_TOKENS = 220  # two checks and a call or two fit; a grammar stops the object long before
THINKING_EVERY = 4.0  # seconds between two updates of the "thinking" line (edits are coalesced anyway)
ENGINE_REASON = "the engine's rules call for a check"
ROUND_NOTE = "\nThis is a round: each numbered action is its own character's, and a check is for the character acting."


class DecisionModes:
    """The decision mode per narrator model; `auto` starts at json_schema and learns from what the server does."""

    def __init__(self, setting: str) -> None:
        self.setting = setting
        self._learned: dict[str, DecisionMode] = {}

    def mode(self, narrator: Narrator) -> DecisionMode:
        if self.setting != "auto":
            return self.setting  # type: ignore[return-value]  # the settings allow only the modes
        return self._learned.get(narrator.model, "json_schema")

    def downgrade(self, narrator: Narrator, why: str) -> None:
        if self.setting == "auto" and self._learned.get(narrator.model) != "text":
            log.info("decisions fall back to text parsing", model=narrator.model, why=why)
            self._learned[narrator.model] = "text"


def structured(narrator: Narrator) -> bool:
    """Whether the narrator takes `response_format` (the OpenAI-compatible ones; not the offline rules)."""
    return bool(getattr(narrator, "structured", False))


def engine_check(action: str, acting: str | None, calls: Sequence[ProposedCall], seed: str) -> ProposedCall | None:
    """The check the engine's own classification asks for, unless a valid one for the acting character is there."""
    if acting is None or not (skill := choose_check(action)):
        return None
    for call in calls:
        character = (call.arguments or {}).get("character")
        if call.ok and call.name == "request_check" and str(character).casefold() == acting.casefold():
            return None
    arguments = {
        "character": acting,
        "skill_or_ability": skill,
        "dc": choose_dc(action, random.Random(seed)),
        "reason": f"{ENGINE_REASON}: {' '.join(action.split())}"[:200],
    }
    return ProposedCall(f"engine_{seed}", "request_check", arguments, None, "")


def _told(action: EngineAction) -> str:
    """A result as the story needs it: what happened and the total, not the dice's Markdown breakdown (a small
    model copies whatever it is shown)."""
    total = action.numbers.get("total")
    return f"{action.subject}: {action.detail}" + (f" (total {total})" if total is not None else "")


def checked_names(result: CallResult) -> list[str]:
    """The characters a result rolled a check for."""
    return [action.subject for action in result.actions if action.kind == "check"]


ROLLED_INSTRUCTION = (
    "The engine has already rolled this action's checks: they are the ENGINE RESULTS at the end of the campaign "
    "record, and they are final. Narrate them exactly as they are (a failed check fails, a success succeeds) and "
    "do not request these checks again."
)


def with_rolled(messages: Sequence[dict[str, Any]], results: Sequence[CallResult]) -> list[dict[str, Any]]:
    """A one-loop turn's engine checks, rolled before the model speaks. Their lines name characters (stored
    text, a player's to choose), so they go into the record, quoted data in a user message; the fixed words
    that tell the model what to do with them go into a system message."""
    lines = "\n".join(f"- {neutral(_told(action))}" for result in results for action in result.actions)
    rolled = f"ENGINE RESULTS already rolled for this action by the engine:\n{lines}\n{RECORD_END}"
    out = [dict(m) for m in messages]
    record = next(m for m in out if m["role"] == "user" and str(m["content"]).startswith(RECORD_BEGIN))
    record["content"] = str(record["content"]).removesuffix(RECORD_END) + rolled
    return [*out, {"role": "system", "content": ROLLED_INSTRUCTION}]


def results_message(results: Sequence[CallResult]) -> dict[str, Any]:
    """The engine's results and the story instruction: the tail of the prose call, after the shared prefix."""
    actions: list[EngineAction] = [action for result in results for action in result.actions]
    if actions:
        lines = "\n".join(f"- {neutral(_told(action))}" for action in actions)
        facts = f"ENGINE RESULTS of this turn, rolled and applied by the engine (final):\n{lines}"
    else:
        facts = "ENGINE RESULTS of this turn: nothing was rolled or changed."
    tell = (
        "STORY STEP. Now narrate this turn for the players: 2 to 5 sentences of prose. Tell the engine's results "
        "exactly as they are (a failed check fails, a success succeeds, refused changes did not happen) and use no "
        "number the engine did not give. No JSON, no tool calls, no lists. End by asking what the players do next."
    )
    return {"role": "system", "content": f"{facts}\n\n{tell}"}


@dataclass
class Thinking:
    """The "the DM is thinking" line, updated until the first word of prose (or the end of the turn)."""

    status: Callable[[str], Awaitable[None]]
    clock: Callable[[], float]
    every: float = THINKING_EVERY
    phase: str = "reads the scene"
    started: float = 0.0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def line(self) -> str:
        waited = self.clock() - self.started
        return f"🎲 The DM {self.phase}… ({waited:.0f} s)"

    async def _tick(self) -> None:
        while True:
            await self.status(self.line())
            await asyncio.sleep(self.every)

    async def start(self) -> None:
        self.started = self.clock()
        self._task = asyncio.create_task(self._tick(), name="dm-thinking")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @contextlib.asynccontextmanager
    async def shown(self) -> AsyncIterator[Thinking]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()


@dataclass
class DecisionStep:
    """One decision call: the JSON the model wrote, its calls, and what it cost."""

    text: str
    calls: list[ProposedCall]
    usage: Usage | None
    problem: str | None = None  # the answer was not a decision (the engine's classification still applies)


async def decide(
    narrator: Narrator,
    messages: list[dict[str, Any]],
    mode: DecisionMode,
    *,
    tools: Sequence[ToolSpec] = NARRATOR_TOOLS,
    prefix: str = "decision",
    several: bool = False,
) -> DecisionStep:
    """Ask for the decision; raises `NarratorUnavailable` like any model call (a refusal says "rejected").
    `several`: a round's actions, each its own character's."""
    instruction = decision_instruction(mode, tools) + (ROUND_NOTE if several else "")
    asked = [*messages, {"role": "system", "content": instruction}]
    response_format = decision_response_format(tools) if mode == "json_schema" else None
    parts: list[str] = []
    usage: Usage | None = None
    stream = narrator.stream(  # type: ignore[call-arg]  # structured narrators only (see `structured`)
        asked, [], max_tokens=DECISION_TOKENS, response_format=response_format, raw_text=True
    )
    async for event in stream:
        if isinstance(event, TextDelta):
            parts.append(event.text)
        elif isinstance(event, Usage):
            usage = event
    decision = parse_decision("".join(parts), tools, prefix=prefix)
    return DecisionStep(decision.raw, decision.calls, usage, decision.error)


class TurnHooks(Protocol):
    """What the turn loop lends a two-phase turn (`bot.engine.turns.TurnEngine`): budget, usage, execution, stream."""

    async def _allow(
        self, state: Any, narrator: Narrator, messages: list[dict[str, Any]], *, tools: bool = True
    ) -> None: ...

    async def _record(self, state: Any, narrator: Narrator, usage: Usage) -> None: ...

    async def _execute(self, state: Any, calls: list[ProposedCall]) -> list[CallResult]: ...

    async def _call(
        self,
        narrator: Narrator,
        messages: list[dict[str, Any]],
        offer: list[ToolSpec],
        sink: Any,
        *,
        after: bool,
    ) -> tuple[str, list[ProposedCall], Usage | None]: ...


@dataclass(frozen=True)
class TwoPhaseResult:
    narration: str
    actions: list[EngineAction]
    model: str
    decision: DecisionStep


class _FirstWords:
    """The sink, with the thinking line stopped at the first word of prose."""

    def __init__(self, sink: Any, thinking: Thinking) -> None:
        self.sink = sink
        self.thinking = thinking

    async def text(self, delta: str) -> None:
        await self.thinking.stop()
        await self.sink.text(delta)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sink, name)


async def play_two_phase(
    hooks: TurnHooks,
    state: Any,
    narrator: Narrator,
    sink: Any,
    modes: DecisionModes,
    clock: Callable[[], float],
) -> TwoPhaseResult:
    """Decide, roll, narrate (the module docstring); `state` is the turn loop's `_State`."""
    messages = list(state.prompt.messages)
    ticket = state.ticket
    thinking = Thinking(sink.status, clock)
    async with thinking.shown():
        step = await _decision(hooks, state, narrator, messages, modes)
        calls = list(step.calls)
        for index, (action, acting) in enumerate(ticket.acts()):  # a round: each act its own check
            seed = f"{state.turn_id}-{index}" if ticket.round else f"{state.turn_id}"
            if (extra := engine_check(action, acting, calls, seed)) is not None:
                calls.append(extra)
        thinking.phase = "rolls the dice" if calls else "sets the scene"
        results = await hooks._execute(state, calls) if calls else []
        actions = [action for result in results for action in result.actions]
        thinking.phase = "writes"
        prose = [*messages, results_message(results)]
        await hooks._allow(state, narrator, prose, tools=False)
        shown = HeldBack(rules_of(state.info.safety), _FirstWords(sink, thinking))  # checked against the lines
        text, _, usage = await hooks._call(narrator, prose, [], shown, after=False)
    if usage is not None:
        await hooks._record(state, narrator, usage)
    model = usage.model if usage is not None else narrator.model
    return TwoPhaseResult(text.strip(), actions, model, step)


async def _decision(
    hooks: TurnHooks, state: Any, narrator: Narrator, messages: list[dict[str, Any]], modes: DecisionModes
) -> DecisionStep:
    mode = modes.mode(narrator)
    await hooks._allow(state, narrator, messages, tools=False)
    try:
        step = await decide(narrator, messages, mode, several=bool(state.ticket.round))
    except NarratorUnavailable as error:
        if error.reason != "rejected" or modes.setting != "auto" or mode == "text":
            raise
        modes.downgrade(narrator, f"the server refused response_format ({error.detail[:120]})")
        step = await decide(narrator, messages, modes.mode(narrator), several=bool(state.ticket.round))
    if step.usage is not None:
        await hooks._record(state, narrator, step.usage)
    if step.problem is not None:
        log.info("no usable decision", mode=mode, problem=step.problem, text=step.text[:200])
        if mode == "json_schema":  # a server that ignores response_format answers in prose
            modes.downgrade(narrator, step.problem)
    return step


async def context_window(narrator: Narrator) -> int | None:
    """The narrator's context window when it knows one (the setting, or what its server reports)."""
    reader = getattr(narrator, "context_window", None)
    if reader is None:
        return None
    try:
        window = await reader()
    except NarratorUnavailable:  # the turn itself will find out, and fall back
        return None
    return window if isinstance(window, int) and window > 0 else None


@contextlib.asynccontextmanager
async def thinking_while(sink: Any, narrator: Narrator, clock: Callable[[], float]) -> AsyncIterator[Any]:
    """The one-loop turn's sink with the thinking line until the first word (none for the offline narrator)."""
    if narrator.name == "offline":
        yield sink
        return
    thinking = Thinking(sink.status, clock)
    async with thinking.shown():
        yield _FirstWords(sink, thinking)
