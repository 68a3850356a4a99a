"""Free rolls (`/roll`): roll with the engine's dice, then keep a record in the roll log."""

from __future__ import annotations

from bot.engine.dice import Advantage, Dice, RollOutcome
from bot.engine.sheet import Actor
from bot.engine.text import visible
from bot.errors import InvalidInput
from persistence.db import Database
from persistence.roll_log import RollLogWriter

MAX_LABEL_LENGTH = 100


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

    async def record(self, actor: Actor, outcome: RollOutcome) -> None:
        """Queue the roll for the log; it is written in a batch shortly after, never delaying a reply."""
        self.log.submit(
            {
                "guild_id": actor.guild_id,
                "channel_id": actor.channel_id,
                "user_id": actor.user_id,
                "expression": outcome.expression[:200],
                "label": outcome.label,
                "total": outcome.total,
                "breakdown": outcome.full_breakdown or outcome.breakdown,
            }
        )

    async def flush(self) -> None:
        """Wait until every queued roll is in the database."""
        await self.log.flush()

    async def aclose(self) -> None:
        await self.log.aclose()


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
