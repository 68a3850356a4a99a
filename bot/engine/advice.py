"""Short questions to the campaign's narrator, answered with one tool call: which action a monster takes in
auto mode, what an NPC is like. The engine asks, validates the answer against the tool's schema, and uses it;
when the narrator is the offline one, fails, is slow, or answers anything unusable, the caller falls back to
its own choice (the tables, the engine's tactics). The engine still rolls everything.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import structlog

from bot.engine.narrators import NarratorPool
from bot.engine.usage import UsageService
from bot.narrator import NarratorUnavailable, ProposedCall, ToolCallsProposed, ToolSpec, Usage, estimate_tokens
from bot.narrator.tools import validate_arguments

__all__ = ["ADVICE_TIMEOUT", "Asker", "NarratorAdvice"]

log = structlog.get_logger(__name__)

ADVICE_TIMEOUT = 5.0  # seconds: a choice the table waits for, not a story
ADVICE_MAX_TOKENS = 300


@dataclass(frozen=True)
class Asker:
    """Whose narrator to ask and whom to bill: the campaign's guild, the campaign, its chosen model."""

    guild_id: int
    campaign_id: int | None
    model: str | None


class NarratorAdvice:
    def __init__(
        self, narrators: NarratorPool, usage: UsageService | None = None, *, timeout: float = ADVICE_TIMEOUT
    ) -> None:
        self.narrators = narrators
        self.usage = usage
        self.timeout = timeout

    async def ask(self, asker: Asker, system: str, question: str, tool: ToolSpec) -> dict[str, Any] | None:
        """The arguments of the narrator's one valid call of `tool`, or None (offline, failed, slow, invalid,
        over the guild's daily budget)."""
        narrator = self.narrators.for_model(asker.model)
        if narrator.name == "offline":
            return None
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": question},
        ]
        if self.usage is not None:
            upcoming = estimate_tokens(messages) + estimate_tokens(str(tool.to_openai()))
            allowance = await self.usage.allowance(asker.guild_id, upcoming)
            if not allowance.allowed:
                return None
        calls: list[ProposedCall] = []
        usage: Usage | None = None
        events = narrator.stream(messages, [tool], max_tokens=ADVICE_MAX_TOKENS)
        try:
            async with asyncio.timeout(self.timeout):
                async for event in events:
                    if isinstance(event, ToolCallsProposed):
                        calls = event.calls
                    elif isinstance(event, Usage):
                        usage = event
        except (NarratorUnavailable, TimeoutError) as error:
            log.info("narrator_advice_unavailable", tool=tool.name, error=str(error)[:200])
            return None
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()
        if usage is not None and self.usage is not None:
            await self.usage.record(asker.guild_id, usage, narrator=narrator.name, campaign_id=asker.campaign_id)
        chosen = next((validate_arguments(c, [tool]) for c in calls if c.name == tool.name), None)
        if chosen is None or not chosen.ok or chosen.arguments is None:
            log.info("narrator_advice_rejected", tool=tool.name, error=chosen.error if chosen else "no call")
            return None
        return chosen.arguments
