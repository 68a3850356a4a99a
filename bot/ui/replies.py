"""Answering an interaction exactly once, whatever state it is in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.ui.fit import fit_content, fit_embed, messages_of


async def reply(
    interaction: discord.Interaction[Any], content: str | None = None, *, ephemeral: bool = False, **kwargs: Any
) -> None:
    """Send the first response, or a followup when the interaction was already answered or deferred."""
    content = fit_content(content) if content else content
    if interaction.response.is_done():
        await interaction.followup.send(content=content or discord.utils.MISSING, ephemeral=ephemeral, **kwargs)
    else:
        await interaction.response.send_message(content=content, ephemeral=ephemeral, **kwargs)


def error_embed(message: str) -> discord.Embed:
    return fit_embed(discord.Embed(description=f"⚠️ {message}", colour=discord.Colour.dark_red()))


async def reply_embeds(
    interaction: discord.Interaction[Any], embeds: Sequence[discord.Embed], *, ephemeral: bool = False
) -> None:
    """Embeds as many messages as Discord's limits need: the reply first, then followups."""
    for batch in messages_of(embeds):
        await reply(interaction, embeds=batch, ephemeral=ephemeral)
