"""`/admin usage|budget|dm-role|settings|stats`: the narrator's cost and budget, who may create campaigns,
the server's defaults and its numbers. Manage Server is passed to the engine, which checks it every call."""

from __future__ import annotations

from typing import Literal

import discord
from discord import Interaction, app_commands
from discord.app_commands import Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.admin import AdminService
from bot.engine.usage import MAX_BUDGET, UsageService
from bot.errors import Forbidden, InvalidInput
from bot.ui import campaign_views as views
from bot.ui import dm_views


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(commands.GroupCog, group_name="admin", group_description="Server settings of dmbot (Manage Server)"):
    def __init__(self, usage: UsageService, admin: AdminService, host_model: str, host_budget: int) -> None:
        self.usage = usage
        self.admin = admin
        self.host_model = host_model
        self.host_budget = host_budget
        super().__init__()

    @app_commands.command(name="dm-role")
    @app_commands.describe(role="Members with this role may create campaigns (when `require_dm_role` is on)")
    async def dm_role(self, interaction: Interaction[DMBot], role: discord.Role) -> None:
        """Set the DM role: who may create campaigns when the admins require it."""
        await self.admin.set_dm_role(interaction.guild_id, interaction.permissions.manage_guild, role.id)
        await interaction.response.send_message(
            f"🎲 DM role set: {role.mention}. `/admin settings require_dm_role:true` limits campaign creation to it.",
            ephemeral=True,
        )

    @app_commands.command(name="settings")
    @app_commands.describe(
        require_dm_role="Only members with the DM role create campaigns",
        narrator_model="The default model",
        content_rating="New campaigns' content rating",
        daily_tokens="LLM tokens a day (UTC)",
    )
    async def settings(
        self,
        interaction: Interaction[DMBot],
        require_dm_role: bool | None = None,
        narrator_model: Range[str, 1, 100] | None = None,
        content_rating: Literal["family", "teen", "mature"] | None = None,
        daily_tokens: Range[int, 0, MAX_BUDGET] | None = None,
    ) -> None:
        """Show or change this server's defaults."""
        changes = {
            "require_dm_role": require_dm_role,
            "narrator_model": narrator_model,
            "content_rating": content_rating,
            "daily_token_budget": daily_tokens,
        }
        manage = interaction.permissions.manage_guild
        if all(v is None for v in changes.values()):
            defaults = await self.admin.defaults(interaction.guild_id, manage)
        else:
            defaults = await self.admin.update(interaction.guild_id, manage, changes)
        embed = dm_views.defaults_embed(defaults, self.host_model, self.host_budget)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="stats")
    async def stats(self, interaction: Interaction[DMBot]) -> None:
        """Campaigns, characters, turns and tokens today on this server."""
        stats = await self.admin.stats(interaction.guild_id, interaction.permissions.manage_guild)
        name = interaction.guild.name if interaction.guild else "this server"
        await interaction.response.send_message(embed=dm_views.stats_embed(stats, name), ephemeral=True)

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
        await interaction.response.send_message(
            f"💰 Daily budget set: {text}.", ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


def _admin_guild(interaction: Interaction[DMBot]) -> int:
    """The server, once the caller is known to manage it: default permissions only hide commands,
    and a server can grant them to anyone, so the permission is checked on every call."""
    if interaction.guild_id is None:
        raise InvalidInput("Use the admin commands in a server.")
    if not interaction.permissions.manage_guild:
        raise Forbidden("Only members with the Manage Server permission can use `/admin`.")
    return interaction.guild_id


async def setup(bot: DMBot) -> None:
    services = bot.services
    await bot.add_cog(
        AdminCog(
            services.campaign.usage,
            services.admin,
            services.settings.openai_model,
            services.settings.daily_token_budget,
        )
    )
