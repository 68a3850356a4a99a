"""What one round of the narrator's tool calls is made of: the round's view of the campaign, what the turn has spent
of its bounds, each call's result and the engine actions it reports. Plain values, shared by the executor
(`bot.engine.tools`), the story tools (`bot.engine.story_tools`) and the turn loop (`bot.engine.turns`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.campaign_info import CampaignInfo
from bot.engine.checks import CheckResult
from bot.engine.sheet import Actor
from bot.narrator import ProposedCall
from persistence.models import Campaign, Character


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


class Refused(Exception):
    """A call the rules do not allow; the message goes back to the model."""


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
    actors: frozenset[int] = frozenset()  # a round's other players: each may be the subject of their own check

    def may_affect(self, row: Character) -> bool:
        return self.is_dm or row.owner_id == self.actor.user_id or row.owner_id in self.actors


Handler = Callable[[Round, dict[str, Any]], Awaitable[CallResult]]


def refusal(call: ProposedCall, reason: str) -> CallResult:
    """A call not applied: the reason goes back to the model as the tool's result, and to the footer."""
    return CallResult(call.id, {"ok": False, "error": reason}, EngineAction("refused", call.name, reason))


def npc_key(name: str) -> str:
    return " ".join(name.split()).casefold()
