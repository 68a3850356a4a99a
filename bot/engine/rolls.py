"""Free rolls (`/roll`): roll with the engine's dice, then keep a record in the roll log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.engine.dice import Advantage, Dice, RollOutcome, dice_in, split_label
from bot.engine.sheet import Actor
from bot.engine.text import visible
from bot.errors import InvalidInput
from persistence.db import Database
from persistence.roll_log import RollLogWriter

MAX_LABEL_LENGTH = 100
MAX_TIMES = 25  # one embed holds 25 rolls with their breakdowns
MAX_DC = 1000
# Dice in one `/roll` over all its times: rolling blocks the event loop, ~15 ms per 1,000 dice here, so a
# batch of 25 rolls of 1,000 dice (430 ms) would stall every other player's command.
MAX_BATCH_DICE = 2000


# A roll this small costs the bot nothing worth a refusal: `/roll` rolls it while the rate limit is
# checked. A larger one (10d6, a dozen terms, several times) waits for the limit first, so a limited
# player cannot make the bot roll big batches it will only refuse to show.
_MANY_DICE = re.compile(r"\d{2,}\s*d", re.IGNORECASE)
CHEAP_ROLL_LENGTH = 40


def cheap_to_roll(expression: str, times: int) -> bool:
    return times == 1 and len(expression) <= CHEAP_ROLL_LENGTH and _MANY_DICE.search(expression) is None


class RollService:
    def __init__(self, db: Database, dice: Dice) -> None:
        self.db = db
        self.dice = dice
        self.log = RollLogWriter(db)

    def roll(
        self, expression: str, *, advantage: bool = False, disadvantage: bool = False, label: str | None = None
    ) -> RollOutcome:
        clean_label = _label(label)
        return self.dice.roll(expression, advantage=Advantage.from_flags(advantage, disadvantage), label=clean_label)

    def roll_batch(
        self,
        expression: str,
        *,
        times: int = 1,
        dc: int | None = None,
        advantage: bool = False,
        disadvantage: bool = False,
        label: str | None = None,
    ) -> RollBatch:
        """`/roll`: the expression as typed (`1D20+5 stealth`: the trailing words are the label unless one
        is given), rolled `times` times, each judged against `dc` when there is one."""
        _check_times(times)
        _check_dc(dc)
        dice, typed_label = split_label(expression)
        _check_batch_size(dice, times)
        clean_label = _label(label) if label is not None else _label(typed_label)
        adv = Advantage.from_flags(advantage, disadvantage)
        rolls = tuple(self.dice.roll(dice, advantage=adv, label=clean_label) for _ in range(times))
        return RollBatch(rolls, dc)

    async def record(self, actor: Actor, outcome: RollOutcome) -> None:
        """Queue the roll for the log; it is written in a batch shortly after, never delaying a reply."""
        self.log.submit(self.entry(actor, outcome))

    @staticmethod
    def entry(actor: Actor, outcome: RollOutcome) -> dict[str, Any]:
        """The roll log's row for one roll."""
        return {
            "guild_id": actor.guild_id,
            "channel_id": actor.channel_id,
            "user_id": actor.user_id,
            "expression": outcome.expression[:200],
            "label": (outcome.label or "")[:100] or None,
            "total": outcome.total,
            "breakdown": outcome.full_breakdown or outcome.breakdown,
        }

    async def record_batch(self, actor: Actor, batch: RollBatch) -> None:
        for outcome in batch.rolls:
            await self.record(actor, outcome)

    async def flush(self) -> None:
        """Wait until every queued roll is in the database."""
        await self.log.flush()

    async def aclose(self) -> None:
        await self.log.aclose()


@dataclass(frozen=True)
class RollBatch:
    """One `/roll`: its rolls in order, and the DC (or AC) each is judged against, if any."""

    rolls: tuple[RollOutcome, ...]
    dc: int | None = None

    @property
    def single(self) -> bool:
        """A plain roll, shown as it always was."""
        return len(self.rolls) == 1 and self.dc is None

    def passed(self, outcome: RollOutcome) -> bool:
        """Meeting the DC passes, as in the SRD ("equals or exceeds")."""
        return self.dc is not None and outcome.total >= self.dc

    @property
    def passes(self) -> int:
        return sum(self.passed(r) for r in self.rolls)


def _check_times(times: int) -> None:
    if not 1 <= times <= MAX_TIMES:
        raise InvalidInput(
            f"`times` is how often to roll, from 1 to {MAX_TIMES} (you asked for {times:,}). "
            "Example: `/roll 4d6kh3 times:6`"
        )


def _check_batch_size(dice: str, times: int) -> None:
    if times > 1 and (count := dice_in(dice)) * times > MAX_BATCH_DICE:
        most = MAX_BATCH_DICE // max(count, 1)
        advice = f"at most {most} times at once" if most > 1 else "once at a time"
        raise InvalidInput(
            f"{times} rolls of `{dice[:60].replace('`', 'ˋ')}` are {count * times:,} dice; one /roll rolls at most "
            f"{MAX_BATCH_DICE:,}, so roll it {advice}. Example: `/roll 4d6kh3 times:6`"
        )


def _check_dc(dc: int | None) -> None:
    if dc is not None and abs(dc) > MAX_DC:
        raise InvalidInput(
            f"A DC (or AC) is between -{MAX_DC:,} and {MAX_DC:,}; yours is {dc:,}. "
            "Example: `/roll 1d20+5 times:3 dc:13`"
        )


def _label(label: str | None) -> str | None:
    if label is None:
        return None
    # visible(): a NUL in one label used to fail the roll log's whole batch (every player's rolls in it)
    text = " ".join(visible(label).split())
    if len(text) > MAX_LABEL_LENGTH:
        raise InvalidInput(
            f"A label is at most {MAX_LABEL_LENGTH} characters (yours has {len(text):,}). "
            "Example: `/roll 1d20+5 label:Perception`"
        )
    return text or None
