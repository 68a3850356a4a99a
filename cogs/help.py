"""`/help [topic]` and the welcome posted when dmbot joins a server; the embeds are `bot/ui/help_views.py`'s."""

from __future__ import annotations

import discord
import structlog
from discord import Interaction, app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot import discord_limits as limits
from bot import help_catalog as catalog
from bot.app import DMBot
from bot.ui.help_views import overview_embed, topic_embed, welcome_embed

log = structlog.get_logger(__name__)


def topic_choices(current: str) -> list[Choice[str]]:
    """Topics first, then commands, that contain what the user typed so far."""
    needle = current.strip().lower().removeprefix("/")
    names = [*catalog.topics(), *(e.command for e in catalog.CATALOG)]
    return [Choice(name=n, value=n) for n in names if needle in n][: limits.AUTOCOMPLETE_CHOICES]


def welcome_channel(guild: discord.Guild) -> discord.TextChannel | None:
    """The system channel, if the bot may post an embed there."""
    channel = guild.system_channel
    if channel is None:
        return None
    allowed = channel.permissions_for(guild.me)
    return channel if allowed.send_messages and allowed.embed_links else None


class HelpCog(commands.Cog):
    async def topic_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return topic_choices(current)

    @app_commands.command(name="help")
    @app_commands.describe(topic="player, dm, admin, dice, characters, checks, or a command")
    @app_commands.autocomplete(topic=topic_autocomplete)
    async def help(self, interaction: Interaction[DMBot], topic: str | None = None) -> None:
        """What dmbot can do: commands for players, DMs and admins, each with an example."""
        embed = topic_embed(topic) if topic else overview_embed()
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        channel = welcome_channel(guild)
        if channel is None:
            log.info("joined a server; no system channel we may post in", guild_id=guild.id)
            return
        try:
            await channel.send(embed=welcome_embed(), allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException:  # a welcome is a courtesy: never let it break anything
            log.warning("could not post the welcome", guild_id=guild.id, channel_id=channel.id)


async def setup(bot: DMBot) -> None:
    await bot.add_cog(HelpCog())
