"""What every cog asks of an interaction: who is acting, and which fight a command means."""

from __future__ import annotations

from discord import Interaction

from bot.app import DMBot
from bot.engine.combat import InChannel
from bot.engine.sheet import Actor


def actor_of(interaction: Interaction[DMBot]) -> Actor:
    """The user, server and channel of a command: what the engine checks permissions and logs rolls against."""
    return Actor(user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id)


def here(interaction: Interaction[DMBot]) -> InChannel:
    """The fight of the channel the command came from (found inside the engine's transaction)."""
    return InChannel(interaction.channel_id or 0)
