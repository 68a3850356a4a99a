"""Build the narrator the settings ask for, once, at startup."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.narrator.base import Narrator
from bot.narrator.local_server import LocalNarrator
from bot.narrator.offline import OfflineNarrator
from bot.narrator.openai_narrator import OpenAINarrator

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["build_narrator", "fallback"]


def build_narrator(settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> Narrator:
    """The narrator ``NARRATOR`` names: a model the bot runs, an OpenAI-compatible API (with a key) or offline."""
    if settings.narrator == "local":
        return LocalNarrator.from_settings(settings)
    if settings.offline_narrator:
        return OfflineNarrator(clock=clock)
    return OpenAINarrator.from_settings(settings, clock=clock)


def fallback() -> Narrator:
    """The narrator to use when the model is unavailable: the offline one."""
    return OfflineNarrator()
