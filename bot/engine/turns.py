"""One `/narrate` turn, and the engine's side of every tool call the narrator proposes.

A turn: wait for the campaign (turns resolve one at a time, in arrival order: an asyncio lock
in this process and a Postgres advisory lock across processes) → assemble the budgeted prompt →
at most `max_tool_rounds` rounds of narrator call → validate each proposed call against the
campaign → apply the valid ones in one transaction per round (each change an event of the turn)
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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD
from bot.engine import events as log
from bot.engine import rules
from bot.engine.campaigns import Bounds, CampaignDefaults, CampaignInfo, CampaignService, info_of
from bot.engine.characters import (
    ActiveCondition,
    CharacterRef,
    Item,
    Sheet,
    add_item,
    clean_name,
    name_key,
    to_sheet,
    write_back,
)
from bot.engine.checks import CheckResult, CheckService
from bot.engine.dice import Dice
from bot.engine.memory import MemoryReader, NpcNote, Prompt, PromptBudget, PromptInputs, clean_action, party_line
from bot.engine.narrators import NarratorPool
from bot.engine.rolls import Actor
from bot.engine.usage import UsageMetrics, UsageService
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.narrator import (
    NARRATOR_TOOLS,
    Narrator,
    NarratorUnavailable,
    OfflineNarrator,
    OpenAINarrator,
    PriceTable,
    ProposedCall,
    TextDelta,
    ToolCallsProposed,
    ToolSpec,
    Usage,
    assistant_message,
    build_narrator,
    estimate_tokens,
    validate_arguments,
)
from persistence.db import Database
from persistence.models import Campaign, CampaignTurn, Character, Npc, PendingChange
from persistence.repositories import (
    CampaignRepository,
    NpcRepository,
    PartyRepository,
    PendingRepository,
    Reads,
    TurnRepository,
    campaign_turn_lock,
)

if TYPE_CHECKING:
    from bot.settings import Settings

log_ = structlog.get_logger(__name__)

MAX_CHECKS_PER_TURN = 6
MAX_NPCS_PER_TURN = 3
MAX_NPCS = 300
MAX_ENEMIES = 20
# Risky skills whose failure by 5 or more hurts, when the campaign allows it: (dice, type, what happens).
CONSEQUENCES: Mapping[str, tuple[str, str, str]] = {
    "athletics": ("1d6", "bludgeoning", "a bad fall"),
    "acrobatics": ("1d4", "bludgeoning", "a hard tumble"),
}
CONSEQUENCE_MARGIN = 5
SILENT_NARRATION = "*The narrator falls silent; the engine's results are below.*"


# --- plain values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnConfig:
    max_tool_rounds: int = 3
    max_calls_per_round: int = 8
    summary_every: int = 20
    turn_timeout: float = 120.0


@dataclass(frozen=True)
class TurnTicket:
    """A validated request for a turn (from `prepare`, before the reply is deferred)."""

    campaign_id: int
    campaign_name: str
    actor: Actor
    player_name: str
    action: str
    is_dm: bool
    character_id: int | None
    character_name: str | None


@dataclass(frozen=True)
class EngineAction:
    """Something the engine did (or refused) this turn: the footer's "what the dice said".

    `subject` and `detail` may hold names users typed (escape them to show); `dice` is the
    engine's Markdown breakdown of a roll; `numbers` are the values, for checking and tests.
    """

    kind: str  # check, consequence, damage, heal, condition, item, xp, npc, scene, combat, pending, refused
    subject: str
    detail: str
    dice: str = ""
    numbers: Mapping[str, int] = field(default_factory=dict)

    @property
    def line(self) -> str:
        return f"{self.subject}: {self.detail}" + (f" [{self.dice}]" if self.dice else "")


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


class NarrationSink(Protocol):
    """Where a turn's narration goes as it is written (the Discord reply, a test, the benchmark)."""

    async def status(self, text: str) -> None: ...

    async def text(self, delta: str) -> None: ...

    async def reset(self, note: str) -> None: ...

    async def finish(self, outcome: TurnOutcome) -> None: ...


class Refused(Exception):
    """A call the rules do not allow; the message goes back to the model."""


# --- locks ---------------------------------------------------------------------------------------


class CampaignLocks:
    """One FIFO lock per campaign in this process; entries go away when nobody holds or waits."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    def busy(self, key: int) -> bool:
        lock = self._locks.get(key)
        return lock is not None and lock.locked()

    @asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]


# --- pure rules for hit points -------------------------------------------------------------------


def damaged(sheet: Sheet, amount: int, hp_max: int) -> Sheet:
    """SRD damage: temporary HP first; at 0 HP unconscious; damage at 0 HP is a failed death save;
    what is left after reaching 0 that equals the hit point maximum kills outright."""
    absorbed = min(sheet.hp_temp, amount)
    rest = amount - absorbed
    if sheet.hp_current <= 0:
        failures = 3 if rest >= hp_max else min(3, sheet.death_failures + (1 if rest else 0))
        return replace(sheet, hp_temp=sheet.hp_temp - absorbed, death_failures=failures)
    hp = max(0, sheet.hp_current - rest)
    new = replace(sheet, hp_temp=sheet.hp_temp - absorbed, hp_current=hp)
    if hp == 0:
        failures = 3 if rest - sheet.hp_current >= hp_max else sheet.death_failures
        conditions = sheet.conditions
        if not any(c.name == "unconscious" for c in conditions):
            conditions = (*conditions, ActiveCondition("unconscious"))
        new = replace(new, death_failures=failures, conditions=conditions)
    return new


def healed(sheet: Sheet, amount: int, hp_max: int) -> Sheet:
    hp = rules.heal(sheet.hp_current, hp_max, amount)
    if sheet.hp_current > 0 or hp == 0:
        return replace(sheet, hp_current=hp)
    awake = tuple(c for c in sheet.conditions if c.name != "unconscious")
    return replace(sheet, hp_current=hp, conditions=awake, death_successes=0, death_failures=0)


# --- the tool executor ---------------------------------------------------------------------------


@dataclass
class TurnTally:
    """What a turn has spent of the campaign's per-turn bounds."""

    damage: int = 0
    heal: int = 0
    items: int = 0
    xp: dict[int, int] = field(default_factory=dict)  # per character
    checks: int = 0
    npcs: int = 0
    moves: int = 0


@dataclass
class CallResult:
    call_id: str
    payload: dict[str, Any]
    action: EngineAction
    checks: list[CheckResult] = field(default_factory=list)
    followups: list[EngineAction] = field(default_factory=list)  # what the engine did because of it

    @property
    def actions(self) -> list[EngineAction]:
        return [self.action, *self.followups]


@dataclass
class Round:
    """One transaction's view: the locked campaign and party, who acts, and the turn's tally."""

    session: AsyncSession
    campaign: Campaign
    info: CampaignInfo
    party: list[Character]
    actor: Actor
    is_dm: bool
    turn_id: int | None
    tally: TurnTally
    approved: bool = False  # the DM approved this call already

    def may_affect(self, row: Character) -> bool:
        return self.is_dm or row.owner_id == self.actor.user_id


Handler = Callable[[Round, dict[str, Any]], Awaitable[CallResult]]


class ToolExecutor:
    """Validates proposed calls against the campaign and applies them through the engine's rules.

    `handlers` maps a tool name to its implementation; another module (combat) may replace one.
    """

    def __init__(self, db: Database, checks: CheckService, dice: Dice, srd: SRD, defaults: CampaignDefaults) -> None:
        self.db = db
        self.defaults = defaults
        self.checks = checks
        self.stats = checks.characters.stats
        self.dice = dice
        self.srd = srd
        self.handlers: dict[str, Handler] = {
            "request_check": self._check, "apply_damage": self._damage, "heal": self._heal,
            "add_condition": self._add_condition, "remove_condition": self._remove_condition,
            "give_item": self._give_item, "take_item": self._take_item, "award_xp": self._award_xp,
            "introduce_npc": self._introduce_npc, "move_scene": self._move_scene, "start_combat": self._start_combat,
        }  # fmt: skip

    async def execute(
        self, campaign_id: int, calls: Sequence[ProposedCall], *, actor: Actor, is_dm: bool, turn_id: int | None,
        tally: TurnTally, tools: Sequence[ToolSpec] = NARRATOR_TOOLS,
    ) -> list[CallResult]:  # fmt: skip
        """Every call of one round, in one transaction."""
        async with self.db.transaction() as session:
            round_ = await self.open_round(session, campaign_id, actor=actor, is_dm=is_dm, turn_id=turn_id, tally=tally)
            results = [await self.one(round_, validate_arguments(call, tools)) for call in calls]
        for result in results:  # the roll log, once the round is committed
            for check in result.checks:
                await self.checks.record(actor, check)
        return results

    async def open_round(
        self, session: AsyncSession, campaign_id: int, *, actor: Actor, is_dm: bool, turn_id: int | None,
        tally: TurnTally, approved: bool = False,
    ) -> Round:  # fmt: skip
        """Lock the campaign row, then the party's rows: the order every campaign change follows."""
        campaign = await CampaignRepository(session).get(campaign_id, lock=True)
        if campaign is None:
            raise NotFound("This campaign no longer exists.")
        party = list(await PartyRepository(session).members(campaign_id, lock=True))
        info = info_of(campaign, self.defaults)
        return Round(session, campaign, info, party, actor, is_dm, turn_id, tally, approved)

    async def one(self, round_: Round, call: ProposedCall) -> CallResult:
        """One validated call: applied, waiting for the DM, or refused with the reason (never raises a rule)."""
        if not call.ok or call.arguments is None:
            return _refusal(call, call.error or "unusable arguments")
        handler = self.handlers.get(call.name)
        if handler is None:
            return _refusal(call, f"The engine cannot apply {call.name!r}.")
        try:
            async with round_.session.begin_nested():  # a refused call leaves nothing behind
                result = await handler(round_, call.arguments)
        except Refused as refused:
            return _refusal(call, str(refused))
        except (InvalidInput, NotFound, Forbidden) as error:
            return _refusal(call, error.message)
        result.call_id = call.id
        return result

    # Finding targets ------------------------------------------------------------------------

    def _member(self, round_: Round, name: str) -> Character:
        wanted = name_key(name) if name.strip() else ""
        rows = round_.party
        found = [r for r in rows if r.name_key == wanted] or [
            r for r in rows if r.name_key.split(" ")[0] == wanted.split(" ")[0] and wanted
        ]
        if len(found) == 1:
            return found[0]
        names = ", ".join(r.name for r in rows) or "nobody yet"
        if len(found) > 1:
            raise Refused(f"“{name}” could be {', '.join(r.name for r in found)}; use the full name.")
        raise Refused(f"There is no player character called “{name}” in this campaign. The party: {names}.")

    async def _target(self, round_: Round, name: str, tool: str) -> Character:
        try:
            row = self._member(round_, name)
        except Refused:
            npc = await NpcRepository(round_.session).by_key(round_.campaign.id, _key(name))
            if npc is not None:
                raise Refused(f"{npc.name} is an NPC; the engine tracks {tool} for player characters only. "
                              "Describe what happens to them in the story instead.") from None
            raise
        if not round_.may_affect(row):
            raise Refused(f"This is {_owner_turn(round_)}'s turn: it may change only their own character, "
                          f"not {row.name}. {row.name}'s player acts on their own turn; the DM can step in.")
        return row

    def _write(self, round_: Round, row: Character, new: Sheet, kind: str, text: str,
               extra: Mapping[str, Any]) -> None:  # fmt: skip
        before = to_sheet(row)
        write_back(row, new)
        data = {**log.change_of(before, new), **extra}
        log.record(round_.session, round_.campaign, kind, text, actor_id=round_.actor.user_id,
                   character_id=row.id, turn_id=round_.turn_id, data=data)  # fmt: skip

    def _waits(self, round_: Round, *, amount: int = 0, always: bool = False) -> bool:
        """Whether a change waits for the DM. What players gain (items, healing, XP, a condition lifted)
        always does, so a player who talks the model into a gift gets a request, not the gift; harm waits
        when it is above the campaign's approval bound. Auto-approve (or the DM acting) waits for nothing."""
        settings = round_.info.settings
        if round_.approved or round_.is_dm or settings.auto_approve:
            return False
        return always or amount > settings.approval_bound

    def _pend(self, round_: Round, tool: str, arguments: dict[str, Any], summary: str) -> CallResult:
        row = PendingChange(
            campaign_id=round_.campaign.id, turn_id=round_.turn_id, requested_by=round_.actor.user_id, tool=tool,
            arguments=arguments, summary=summary, status="pending",
        )  # fmt: skip
        PendingRepository(round_.session).add(row)
        log.record(round_.session, round_.campaign, "pending", f"Waiting for the DM: {summary}",
                   actor_id=round_.actor.user_id, turn_id=round_.turn_id, data={"tool": tool, "arguments": arguments})
        payload = {"ok": True, "pending": True, "message": f"Waiting for the DM's approval: {summary}. "
                   "It has NOT happened; do not narrate it as done."}  # fmt: skip
        return CallResult("", payload, EngineAction("pending", summary, "waits for the DM's approval (/dm approve)"))

    # The tools ------------------------------------------------------------------------------

    async def _check(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = self._member(round_, args["character"])
        if round_.tally.checks >= MAX_CHECKS_PER_TURN:
            raise Refused(f"At most {MAX_CHECKS_PER_TURN} checks a turn; narrate with the results you have.")
        round_.tally.checks += 1
        owner = Actor(row.owner_id, round_.campaign.guild_id, round_.campaign.channel_id)
        result = await self.checks.check(owner, args["skill_or_ability"], ref=CharacterRef(row.name, row.owner_id))
        dc = int(args["dc"])
        total = result.outcome.total if result.outcome else 0
        success = result.outcome is not None and total >= dc
        verdict = "success" if success else "failure"
        reason = args["reason"].replace("<<<", "").replace(">>>", "")  # the offline narrator quotes the action
        text = f"{row.name}: {result.label} {total} vs DC {dc}, {verdict} ({reason})"
        log.record(round_.session, round_.campaign, "check", text, actor_id=round_.actor.user_id,
                   character_id=row.id, turn_id=round_.turn_id,
                   data={"skill": args["skill_or_ability"], "dc": dc, "total": total, "success": success,
                         "breakdown": result.outcome.breakdown if result.outcome else "automatic failure"})  # fmt: skip
        check = {"character": row.name, "skill": args["skill_or_ability"], "label": result.label, "dc": dc,
                 "total": total, "success": success, "margin": total - dc, "reasons": list(result.reasons)}  # fmt: skip
        dice = result.outcome.breakdown if result.outcome else "automatic failure"
        action = EngineAction("check", row.name, f"{result.label} vs DC {dc}: {verdict}", dice,
                              {"total": total, "dc": dc, "success": int(success)})  # fmt: skip
        payload: dict[str, Any] = {"ok": True, "check": check}
        out = CallResult("", payload, action, [result])
        if not success:
            await self._consequence(round_, row, args["skill_or_ability"], total - dc, out)
        return out

    async def _consequence(self, round_: Round, row: Character, skill: str, margin: int, out: CallResult) -> None:
        """A risky check failed badly: the engine rolls the harm (within the turn's damage bound)."""
        rule = CONSEQUENCES.get(skill)
        allowed = round_.info.settings.consequences and round_.may_affect(row)
        if rule is None or not allowed or margin > -CONSEQUENCE_MARGIN:
            return
        dice, kind, what = rule
        room = round_.info.settings.bounds.damage - round_.tally.damage
        roll = self.dice.roll(dice, label=f"{row.name}: {what}")
        amount = min(roll.total, room)
        if amount <= 0:
            return
        round_.tally.damage += amount
        sheet = to_sheet(row)
        new = damaged(sheet, amount, self.stats(sheet).hp_max)
        text = f"{row.name} suffers {what}: {amount} {kind} damage (HP {sheet.hp_current} → {new.hp_current})"
        self._write(round_, row, new, "damage", text, {"amount": amount, "type": kind, "rule": "consequence",
                                                        "breakdown": roll.breakdown})  # fmt: skip
        out.payload["consequence"] = {"what": what, "damage": amount, "type": kind, "hp": new.hp_current}
        numbers = {"amount": amount, "hp_before": sheet.hp_current, "hp_after": new.hp_current}
        detail = f"{what}: {amount} {kind} damage, HP {sheet.hp_current} → {new.hp_current}"
        out.followups.append(EngineAction("consequence", row.name, detail, roll.breakdown, numbers))

    async def _damage(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "hit points")
        amount, bound = int(args["amount"]), round_.info.settings.bounds.damage
        if round_.tally.damage + amount > bound:
            raise Refused(f"{amount} damage would take this turn to {round_.tally.damage + amount}, above the "
                          f"campaign's bound of {bound} a turn.")
        round_.tally.damage += amount
        summary = f"{amount} {args['damage_type']} damage to {row.name} ({args['reason']})"
        if self._waits(round_, amount=amount):
            return self._pend(round_, "apply_damage", args, summary)
        sheet = to_sheet(row)
        if sheet.death_failures >= 3:
            raise Refused(f"{row.name} is dead already.")
        new = damaged(sheet, amount, self.stats(sheet).hp_max)
        text = f"{row.name} takes {amount} {args['damage_type']} damage (HP {sheet.hp_current} → {new.hp_current}): " \
               f"{args['reason']}"  # fmt: skip
        self._write(round_, row, new, "damage", text, {"amount": amount, "type": args["damage_type"]})
        payload = {"ok": True, "damage": {"target": row.name, "amount": amount, "type": args["damage_type"],
                   "hp_before": sheet.hp_current, "hp_after": new.hp_current, "unconscious": new.hp_current == 0}}
        action = EngineAction("damage", row.name, f"{amount} {args['damage_type']} damage, HP {sheet.hp_current} → "
                              f"{new.hp_current}", numbers={"amount": amount, "hp_before": sheet.hp_current,
                                                            "hp_after": new.hp_current})  # fmt: skip
        return CallResult("", payload, action)

    async def _heal(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "hit points")
        amount, bound = int(args["amount"]), round_.info.settings.bounds.heal
        if round_.tally.heal + amount > bound:
            raise Refused(f"{amount} healing would take this turn to {round_.tally.heal + amount}, above the "
                          f"campaign's bound of {bound} a turn.")
        round_.tally.heal += amount
        if self._waits(round_, always=True):
            return self._pend(round_, "heal", args, f"heal {row.name} by {amount}")
        sheet = to_sheet(row)
        if sheet.death_failures >= 3:
            raise Refused(f"{row.name} is dead; healing cannot help.")
        new = healed(sheet, amount, self.stats(sheet).hp_max)
        self._write(round_, row, new, "heal", f"{row.name} heals {new.hp_current - sheet.hp_current} "
                    f"(HP {sheet.hp_current} → {new.hp_current})", {"amount": amount})  # fmt: skip
        payload = {"ok": True, "heal": {"target": row.name, "hp_before": sheet.hp_current, "hp_after": new.hp_current}}
        action = EngineAction("heal", row.name, f"heals, HP {sheet.hp_current} → {new.hp_current}",
                              numbers={"hp_before": sheet.hp_current, "hp_after": new.hp_current})  # fmt: skip
        return CallResult("", payload, action)

    async def _add_condition(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "conditions")
        condition = self.srd.condition(args["condition"])
        sheet = to_sheet(row)
        held = next((c for c in sheet.conditions if c.name == condition.index), None)
        if held is not None and condition.index != "exhaustion":
            return CallResult("", {"ok": True, "note": f"{row.name} is already {condition.name.lower()}."},
                              EngineAction("condition", row.name, f"already {condition.name.lower()}"))  # fmt: skip
        level = min(6, held.level + 1) if held else 1
        added = ActiveCondition(condition.index, args.get("rounds"), level)
        new = replace(sheet, conditions=(*(c for c in sheet.conditions if c.name != condition.index), added))
        self._write(round_, row, new, "condition", f"{row.name} is now {condition.name.lower()}",
                    {"condition": condition.index, "added": True})  # fmt: skip
        return CallResult("", {"ok": True, "condition": {"target": row.name, "added": condition.index}},
                          EngineAction("condition", row.name, f"now {condition.name.lower()}"))  # fmt: skip

    async def _remove_condition(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "conditions")
        condition = self.srd.condition(args["condition"])
        sheet = to_sheet(row)
        kept = tuple(c for c in sheet.conditions if c.name != condition.index)
        if len(kept) == len(sheet.conditions):
            raise Refused(f"{row.name} isn't {condition.name.lower()}.")
        if self._waits(round_, always=True):
            return self._pend(round_, "remove_condition", args, f"end {row.name}'s {condition.name.lower()}")
        self._write(round_, row, replace(sheet, conditions=kept), "condition",
                    f"{row.name} is no longer {condition.name.lower()}", {"condition": condition.index})  # fmt: skip
        return CallResult("", {"ok": True, "condition": {"target": row.name, "removed": condition.index}},
                          EngineAction("condition", row.name, f"no longer {condition.name.lower()}"))  # fmt: skip

    def _item(self, text: str) -> tuple[str, str]:
        items = self.srd.lookup("item")
        cleaned = " ".join(text.split())
        if cleaned in items:
            entry = items.get(cleaned)
            return entry.index, entry.name
        head = cleaned.split("(")[0].strip()
        found = self.srd.search("item", cleaned, limit=3) or self.srd.search("item", head, limit=3)
        if found:
            return found[0]
        if cleaned in self.srd.lookup("magic_item"):
            raise Refused(f"{cleaned} is a magic item; only the DM hands those out.")
        raise Refused(f"“{cleaned[:60]}” is not an SRD item (coins, magic items and homebrew come from the DM).")

    async def _give_item(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "items")
        index, item_name = self._item(args["item"])
        quantity = self._count_items(round_, int(args["quantity"]))
        summary = f"give {quantity} × {item_name} to {row.name}"
        if self._waits(round_, always=True):
            return self._pend(round_, "give_item", args, summary)
        sheet = to_sheet(row)
        new = replace(sheet, inventory=add_item(sheet.inventory, Item(index, item_name, quantity)))
        self._write(round_, row, new, "item", f"{row.name} gains {quantity} × {item_name}",
                    {"item": index, "quantity": quantity})  # fmt: skip
        action = EngineAction("item", row.name, f"gains {quantity} × {item_name}", numbers={"quantity": quantity})
        return CallResult("", {"ok": True, "item": {"target": row.name, "item": item_name, "gained": quantity}}, action)

    async def _take_item(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "items")
        index, item_name = self._item(args["item"])
        sheet = to_sheet(row)
        held = sheet.carried(index)
        quantity = int(args["quantity"])
        if held is None or held.quantity < quantity:
            have = held.quantity if held else 0
            raise Refused(f"{row.name} carries {have} × {item_name}; cannot take {quantity}.")
        self._count_items(round_, quantity)
        if self._waits(round_, amount=quantity):
            return self._pend(round_, "take_item", args, f"take {quantity} × {item_name} from {row.name}")
        rest = held.quantity - quantity
        items = tuple(replace(i, quantity=rest) if i.item == index else i for i in sheet.inventory
                      if i.item != index or rest)  # fmt: skip
        self._write(round_, row, replace(sheet, inventory=items), "item", f"{row.name} loses {quantity} × {item_name}",
                    {"item": index, "quantity": -quantity})  # fmt: skip
        action = EngineAction("item", row.name, f"loses {quantity} × {item_name}", numbers={"quantity": quantity})
        return CallResult("", {"ok": True, "item": {"target": row.name, "item": item_name, "lost": quantity}}, action)

    def _count_items(self, round_: Round, quantity: int) -> int:
        bound = round_.info.settings.bounds.items
        if round_.tally.items + quantity > bound:
            raise Refused(f"{quantity} items would take this turn to {round_.tally.items + quantity}, above the "
                          f"campaign's bound of {bound} items a turn.")
        round_.tally.items += quantity
        return quantity

    async def _award_xp(self, round_: Round, args: dict[str, Any]) -> CallResult:
        targets = args["targets"]
        party_wide = targets == "party"
        rows = list(round_.party) if party_wide else [await self._target(round_, n, "XP") for n in targets]
        rows = list({r.id: r for r in rows}.values())
        if not rows:
            raise Refused("Nobody is in the party yet.")
        amount, bound = int(args["amount"]), round_.info.settings.bounds.xp
        for row in rows:
            if round_.tally.xp.get(row.id, 0) + amount > bound:
                raise Refused(f"{amount} XP would take {row.name} above the campaign's bound of {bound} XP a turn.")
        for row in rows:
            round_.tally.xp[row.id] = round_.tally.xp.get(row.id, 0) + amount
        names = ", ".join(r.name for r in rows)
        if self._waits(round_, always=True):
            return self._pend(round_, "award_xp", args, f"{amount} XP to {names}")
        for row in rows:
            sheet = to_sheet(row)
            text = f"{row.name} earns {amount} XP ({sheet.xp} → {sheet.xp + amount})"
            self._write(round_, row, replace(sheet, xp=sheet.xp + amount), "xp", text, {"amount": amount})
        return CallResult("", {"ok": True, "xp": {"targets": [r.name for r in rows], "amount": amount}},
                          EngineAction("xp", names, f"{amount} XP each", numbers={"amount": amount}))

    async def _introduce_npc(self, round_: Round, args: dict[str, Any]) -> CallResult:
        name = clean_name(args["name"])[:80]
        key = _key(name)
        if any(r.name_key == key for r in round_.party):
            raise Refused(f"{name} is a player character, not an NPC.")
        repo = NpcRepository(round_.session)
        scene = dict(round_.campaign.scene or {})
        present = list(scene.get("npcs") or [])
        existing = await repo.by_key(round_.campaign.id, key)
        if existing is not None:
            if existing.name not in present:
                round_.campaign.scene = {**scene, "npcs": [*present, existing.name]}
            return CallResult("", {"ok": True, "npc": {"name": existing.name, "known": True, "role": existing.role}},
                              EngineAction("npc", existing.name, "is here (already known)"))  # fmt: skip
        if round_.tally.npcs >= MAX_NPCS_PER_TURN or await repo.count(round_.campaign.id) >= MAX_NPCS:
            raise Refused("Too many new NPCs at once; bring back a known one instead.")
        round_.tally.npcs += 1
        repo.add(Npc(campaign_id=round_.campaign.id, name=name, name_key=key, role=args["role"][:80],
                     description=args["description"][:500], turn_id=round_.turn_id))  # fmt: skip
        round_.campaign.scene = {**scene, "npcs": [*present, name]}
        log.record(round_.session, round_.campaign, "npc", f"NPC {name} ({args['role']}): {args['description']}",
                   actor_id=round_.actor.user_id, turn_id=round_.turn_id,
                   data={"created": True, "name": name, "name_key": key})  # fmt: skip
        return CallResult("", {"ok": True, "npc": {"name": name, "known": False}},
                          EngineAction("npc", name, f"enters the story ({args['role']})"))

    async def _move_scene(self, round_: Round, args: dict[str, Any]) -> CallResult:
        before = dict(round_.campaign.scene or {})
        if before.get("in_combat"):
            raise Refused("The party is in combat; the scene cannot move until the fight ends.")
        if round_.tally.moves >= 1:
            raise Refused("The scene already moved this turn.")
        round_.tally.moves += 1
        after = {**before, "location": args["location"][:80], "description": args["description"][:500], "npcs": []}
        round_.campaign.scene = after
        log.record(round_.session, round_.campaign, "scene", f"Scene: {args['location']}. {args['description']}",
                   actor_id=round_.actor.user_id, turn_id=round_.turn_id, data={"before": before, "after": after})
        return CallResult("", {"ok": True, "scene": {"location": args["location"]}},
                          EngineAction("scene", args["location"], "the party moves here"))

    async def _start_combat(self, round_: Round, args: dict[str, Any]) -> CallResult:
        before = dict(round_.campaign.scene or {})
        if before.get("in_combat"):
            raise Refused("The party is already in combat.")
        enemies: list[dict[str, Any]] = []
        unknown: list[str] = []
        for entry in args["enemies"]:
            try:
                monster = self.srd.monster(entry["monster"])
                enemies.append({"monster": monster.name, "count": int(entry["count"])})
            except KeyError:
                unknown.append(entry["monster"])
        if unknown:
            raise Refused(f"Not SRD monsters: {', '.join(unknown)}. Use SRD names such as Goblin or Wolf.")
        if sum(int(e["count"]) for e in enemies) > MAX_ENEMIES:
            raise Refused(f"At most {MAX_ENEMIES} enemies in one fight.")
        round_.campaign.scene = {**before, "in_combat": True, "enemies": enemies}
        names = ", ".join(f"{e['count']} × {e['monster']}" for e in enemies)
        log.record(round_.session, round_.campaign, "combat", f"Combat starts against {names}.",
                   actor_id=round_.actor.user_id, turn_id=round_.turn_id,
                   data={"before": {"in_combat": False, "enemies": before.get("enemies", [])}, "enemies": enemies})
        result = {"ok": True, "combat": {"enemies": [{"name": e["monster"], "count": e["count"]} for e in enemies],
                                         "note": "The DM runs the fight; describe the opening moment only."}}
        return CallResult("", result, EngineAction("combat", names, "combat begins"))


def _refusal(call: ProposedCall, reason: str) -> CallResult:
    return CallResult(call.id, {"ok": False, "error": reason}, EngineAction("refused", call.name, reason))


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _owner_turn(round_: Round) -> str:
    return next((r.name for r in round_.party if r.owner_id == round_.actor.user_id), "this player")




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
        known = {"timeout": "the model took too long", "rate limited": "the model is rate limited",
                 "server error": "the model's server failed", "circuit open": "the model failed repeatedly and is "
                 "resting", "connection dropped": "the model's connection dropped mid-answer",
                 "unreachable": "the model cannot be reached", "garbage": "the model sent an unreadable answer",
                 "rejected": "the model refused the request"}  # fmt: skip
        return known.get(error.reason, error.reason)
    return "the model took too long"


class TurnEngine:
    def __init__(
        self, db: Database, campaigns: CampaignService, executor: ToolExecutor, memory: MemoryReader,
        prompt: PromptBudget, usage: UsageService, narrators: NarratorPool, config: TurnConfig,
    ) -> None:  # fmt: skip
        self.db = db
        self.reads = Reads(db)
        self.campaigns = campaigns
        self.executor = executor
        self.memory = memory
        self.prompt = prompt
        self.usage = usage
        self.narrators = narrators
        self.config = config
        self.locks = CampaignLocks()
        self.stats = executor.stats

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
        return TurnTicket(campaign.id, campaign.name, actor, player_name[:80] or "a player", text, is_dm,
                          character.id if character else None, character.name if character else None)  # fmt: skip

    # The turn -------------------------------------------------------------------------------

    async def run(self, ticket: TurnTicket, sink: NarrationSink) -> TurnOutcome:
        if self.locks.busy(ticket.campaign_id):
            await sink.status("⏳ Another turn is being resolved here; yours is next in line.")
        async with self._exclusive(ticket.campaign_id):
            outcome = await self._resolve(ticket, sink)
        await sink.finish(outcome)
        return outcome

    @asynccontextmanager
    async def _exclusive(self, campaign_id: int) -> AsyncIterator[None]:
        async with self.locks.hold(campaign_id), campaign_turn_lock(self.db, campaign_id):
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
        rows = await self.memory.read(info.id, ticket.action, info.scene.npcs, to_sheet)
        party = tuple(
            party_line(s, self.stats(s), ticket.player_name if s.owner_id == ticket.actor.user_id else "another player")
            for s in rows.party
        )
        npcs = rows.npcs + tuple(NpcNote(n) for n in info.scene.npcs if n not in {x.name for x in rows.npcs})
        inputs = PromptInputs(
            campaign_name=info.name, tone=info.tone, setting=info.setting, persona=info.settings.persona,
            content_rating=info.settings.content_rating, lines=info.safety.lines, veils=info.safety.veils,
            canon=rows.canon, action=ticket.action, player_name=ticket.player_name,
            acting_character=ticket.character_name, summary=info.summary, location=info.scene.location,
            scene_description=info.scene.description, npcs=npcs, in_combat=info.scene.in_combat,
            enemies=tuple(f"{c} × {m}" for m, c in info.scene.enemies), party=party, recent=rows.recent,
            recalled=rows.recalled,
        )  # fmt: skip
        return info, self.prompt.assemble(inputs)

    async def _open(self, ticket: TurnTicket, info: CampaignInfo, prompt: Prompt) -> _State:
        async with self.db.transaction() as session:
            campaign = await self._campaign(session, ticket.campaign_id)
            campaign.turn_count = (campaign.turn_count or 0) + 1
            turn = CampaignTurn(campaign_id=campaign.id, number=campaign.turn_count, user_id=ticket.actor.user_id,
                                character_id=ticket.character_id, action=ticket.action, status="running")  # fmt: skip
            TurnRepository(session).add(turn)
            await session.flush()
            who = ticket.character_name or "The DM"
            log.record(session, campaign, "action", f"{who}: {ticket.action}", actor_id=ticket.actor.user_id,
                       character_id=ticket.character_id, turn_id=turn.id)  # fmt: skip
            return _State(ticket, turn.id, turn.number, info, prompt)

    async def _play(self, state: _State, narrator: Narrator, sink: NarrationSink) -> _Played:
        messages = list(state.prompt.messages)
        actions: list[EngineAction] = []
        texts: list[str] = []
        model = narrator.model
        for round_no in range(self.config.max_tool_rounds + 1):
            offer = list(NARRATOR_TOOLS) if round_no < self.config.max_tool_rounds else []
            await self._allow(state, narrator, messages)
            text, calls, usage = await self._call(narrator, messages, offer, sink, after=any(t.strip() for t in texts))
            if usage is not None:
                model = usage.model
                await self._record(state, narrator, usage)
            texts.append(text)
            if not calls or not offer:
                break
            results = await self._execute(state, calls)
            actions += [action for result in results for action in result.actions]
            messages.append(assistant_message(text, calls))
            messages += [{"role": "tool", "tool_call_id": r.call_id, "content": json.dumps(r.payload)} for r in results]
        narration = "\n\n".join(t.strip() for t in texts if t.strip())
        if not narration:
            narration = SILENT_NARRATION
            await sink.text(narration)
        return _Played(narration, actions, narrator.name, model)

    async def _call(
        self, narrator: Narrator, messages: list[dict[str, Any]], offer: list[ToolSpec], sink: NarrationSink,
        *, after: bool,
    ) -> tuple[str, list[ProposedCall], Usage | None]:  # fmt: skip
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
        return "".join(parts), calls, usage

    async def _execute(self, state: _State, calls: list[ProposedCall]) -> list[CallResult]:
        allowed = calls[: self.config.max_calls_per_round]
        results = await self.executor.execute(
            state.ticket.campaign_id, allowed, actor=state.ticket.actor, is_dm=state.ticket.is_dm,
            turn_id=state.turn_id, tally=state.tally,
        )  # fmt: skip
        too_many = f"At most {self.config.max_calls_per_round} tool calls at once."
        return results + [_refusal(call, too_many) for call in calls[len(allowed) :]]

    async def _allow(self, state: _State, narrator: Narrator, messages: list[dict[str, Any]]) -> None:
        """The guild's daily token budget, checked before every model call."""
        if narrator.name == "offline":
            return
        upcoming = estimate_tokens(messages) + self.prompt.tools_tokens
        allowance = await self.usage.allowance(state.ticket.actor.guild_id or 0, upcoming)
        if not allowance.allowed:
            raise NarratorUnavailable(allowance.reason)

    async def _record(self, state: _State, narrator: Narrator, usage: Usage) -> None:
        if narrator.name == "offline":
            return  # no model, no cost: the usage table is about LLM calls
        await self.usage.record(state.ticket.actor.guild_id or 0, usage, narrator=narrator.name,
                                campaign_id=state.ticket.campaign_id, turn_id=state.turn_id)  # fmt: skip

    async def _close(self, state: _State, played: _Played) -> TurnOutcome:
        async with self.db.transaction() as session:
            campaign = await self._campaign(session, state.ticket.campaign_id)
            turn = await TurnRepository(session).get(state.turn_id)
            assert turn is not None
            turn.status, turn.narrator, turn.fallback_reason = "done", played.narrator[:32], played.fallback
            turn.finished_at = utcnow()
            log.record(session, campaign, "narration", played.narration, actor_id=state.ticket.actor.user_id,
                       turn_id=state.turn_id, data={"narrator": played.narrator, "model": played.model})  # fmt: skip
            await log.refresh_summary(session, campaign, every=self.config.summary_every)
        return TurnOutcome(
            state.turn_id, state.number, state.info.name, state.ticket.character_name, played.narration,
            tuple(played.actions), played.narrator, played.model, played.fallback, state.prompt.tokens,
        )  # fmt: skip

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
            if turn is None:
                raise InvalidInput("There is no turn to undo here yet.")
            report = await log.revert_turn(session, campaign, turn, by=actor.user_id, reason="retcon by the DM")
            return RetconReport(info.name, turn.number, tuple(report.lines))

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
            round_ = await self.executor.open_round(session, info.id, actor=actor, is_dm=True, turn_id=row.turn_id,
                                                    tally=TurnTally(), approved=True)  # fmt: skip
            call = ProposedCall(f"pending_{row.id}", row.tool, dict(row.arguments), None, json.dumps(row.arguments))
            result = await self.executor.one(round_, validate_arguments(call))
            if result.action.kind == "refused":
                raise InvalidInput(f"Change #{row.id} cannot apply any more: {result.action.detail}")
            row.status, row.resolved_by, row.resolved_at = "approved", actor.user_id, utcnow()
            log.record(session, round_.campaign, "approved", f"The DM approved: {row.summary}", actor_id=actor.user_id,
                       turn_id=row.turn_id, data={"pending": row.id})  # fmt: skip
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
            log.record(session, campaign, "denied", f"The DM denied: {row.summary}", actor_id=actor.user_id,
                       turn_id=row.turn_id, data={"pending": row.id})  # fmt: skip
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


# --- wiring --------------------------------------------------------------------------------------


@dataclass
class CampaignEngine:
    """The campaign side of the services, built once at startup."""

    campaigns: CampaignService
    usage: UsageService
    turns: TurnEngine

    async def aclose(self) -> None:
        await self.turns.narrators.aclose()


def build_campaign_engine(
    settings: Settings, db: Database, checks: CheckService, dice: Dice, *, metrics: UsageMetrics | None = None,
    narrator: Narrator | None = None,
) -> CampaignEngine:  # fmt: skip
    """Campaigns, usage and turns from the settings; `narrator` overrides the configured one (tests)."""
    defaults = CampaignDefaults(
        bounds=Bounds(settings.turn_max_damage, settings.turn_max_heal, settings.turn_max_xp, settings.turn_max_items),
        approval_bound=settings.approval_bound, summary_every=settings.summary_refresh_events,
        allowed_models=tuple(settings.narrator_models),
    )  # fmt: skip
    prompt = PromptBudget(settings.prompt_token_budget, NARRATOR_TOOLS)
    campaigns = CampaignService(db, checks.characters, prompt, defaults)
    checks.characters.campaign_dm = campaigns.dm_of
    usage = UsageService(db, prices=PriceTable(settings.narrator_prices), default_budget=settings.daily_token_budget,
                         metrics=metrics)  # fmt: skip
    default = narrator or build_narrator(settings)

    def per_model(model: str) -> Narrator:
        return OpenAINarrator.from_settings(settings.model_copy(update={"openai_model": model}))

    pool = NarratorPool(default, OfflineNarrator(), per_model)
    executor = ToolExecutor(db, checks, dice, checks.srd, defaults)
    config = TurnConfig(max_tool_rounds=settings.max_tool_rounds, summary_every=settings.summary_refresh_events,
                        turn_timeout=settings.turn_timeout_seconds)  # fmt: skip
    turns = TurnEngine(db, campaigns, executor, MemoryReader(db), prompt, usage, pool, config)
    return CampaignEngine(campaigns, usage, turns)
