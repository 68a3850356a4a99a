"""The narrator: an LLM (or the offline stand-in) that writes the story and proposes tool calls.

It never changes game state: it streams text and ``ProposedCall``s that the engine validates and
applies. No Discord, no SQL. Build one with ``build_narrator(settings)``; use ``fallback()`` when
the model raises ``NarratorUnavailable``.
"""

from bot.narrator.base import (
    Narrator,
    NarratorEvent,
    NarratorUnavailable,
    ProposedCall,
    TextDelta,
    ToolCallsProposed,
    ToolSpec,
    Usage,
    assistant_message,
    estimate_tokens,
)
from bot.narrator.breaker import CircuitBreaker
from bot.narrator.cost import PriceTable, estimate_cost
from bot.narrator.factory import build_narrator, fallback
from bot.narrator.offline import OfflineNarrator, SceneContext, context_block
from bot.narrator.openai_narrator import OpenAINarrator
from bot.narrator.tools import NARRATOR_TOOLS, parse_call, validate_arguments

__all__ = [
    "NARRATOR_TOOLS",
    "CircuitBreaker",
    "Narrator",
    "NarratorEvent",
    "NarratorUnavailable",
    "OfflineNarrator",
    "OpenAINarrator",
    "PriceTable",
    "ProposedCall",
    "SceneContext",
    "TextDelta",
    "ToolCallsProposed",
    "ToolSpec",
    "Usage",
    "assistant_message",
    "build_narrator",
    "context_block",
    "estimate_cost",
    "estimate_tokens",
    "fallback",
    "parse_call",
    "validate_arguments",
]
