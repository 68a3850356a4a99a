"""Text that came from users, made safe to show: no live mentions, no broken markdown."""

from __future__ import annotations

import discord

ZERO_WIDTH = "\u200b"


def safe(text: str, *, limit: int | None = None) -> str:
    """Escape markdown and mentions, and bound the length (with an ellipsis)."""
    cleaned = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: max(0, limit - 1)] + "…"
    return cleaned
