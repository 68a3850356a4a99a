"""Answering an interaction exactly once, whatever state it is in."""

from __future__ import annotations

from typing import Any

import discord


async def reply(interaction: discord.Interaction[Any], content: str | None = None, *, ephemeral: bool = False,
                **kwargs: Any) -> None:
    """Send the first response, or a followup when the interaction was already answered or deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(content=content or discord.utils.MISSING, ephemeral=ephemeral, **kwargs)
    else:
        await interaction.response.send_message(content=content, ephemeral=ephemeral, **kwargs)


def error_embed(message: str) -> discord.Embed:
    return discord.Embed(description=f"⚠️ {message}", colour=discord.Colour.dark_red())
