"""`/admin usage` and `/admin budget`: what the narrator costs this server, and its daily token budget."""

from __future__ import annotations

import discord
from discord import Interaction, app_commands
from discord.app_commands import Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.usage import MAX_BUDGET, UsageService
from bot.errors import Forbidden, InvalidInput
from bot.ui import campaign_views as views


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(commands.GroupCog, group_name="admin", group_description="Server settings of dmbot (Manage Server)"):
    def __init__(self, usage: UsageService) -> None:
        self.usage = usage
        super().__init__()

    @app_commands.command(name="usage")
    async def usage_(self, interaction: Interaction[DMBot]) -> None:
        """The narrator's tokens and estimated cost today and this month."""
        report = await self.usage.report(_admin_guild(interaction))
        name = interaction.guild.name if interaction.guild else "this server"
        await interaction.response.send_message(embed=views.usage_embed(report, name), ephemeral=True)

    @app_commands.command(name="budget")
    @app_commands.describe(tokens="LLM tokens a day for this server (UTC); 0: the offline narrator only")
    async def budget(self, interaction: Interaction[DMBot], tokens: Range[int, 0, MAX_BUDGET]) -> None:
        """Set this server's daily token budget for the AI narrator."""
        value = await self.usage.set_budget(_admin_guild(interaction), tokens)
        text = "the offline narrator tells every story" if value == 0 else f"{value:,} tokens a day"
        await interaction.response.send_message(f"💰 Daily budget set: {text}.", ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())  # fmt: skip


def _admin_guild(interaction: Interaction[DMBot]) -> int:
    """The server, once the caller is known to manage it: default permissions only hide commands,
    and a server can grant them to anyone, so the permission is checked on every call."""
    if interaction.guild_id is None:
        raise InvalidInput("Use the admin commands in a server.")
    if not interaction.permissions.manage_guild:
        raise Forbidden("Only members with the Manage Server permission can use `/admin`.")
    return interaction.guild_id


async def setup(bot: DMBot) -> None:
    await bot.add_cog(AdminCog(bot.services.campaign.usage))
