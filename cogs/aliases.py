"""`/alias add|list|remove`: saved rolls, a player's own or (with Manage Server) the server's."""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.ext import commands

from bot.app import DMBot
from bot.engine.aliases import AliasService
from bot.ui.alias_views import alias_list_embed, removed_message, saved_message
from cogs.common import actor_of

SERVER = "For everyone on this server (needs Manage Server)"


class AliasCog(commands.GroupCog, group_name="alias", group_description="Saved rolls for /roll"):
    def __init__(self, aliases: AliasService) -> None:
        self.aliases = aliases
        super().__init__()

    @app_commands.command(name="add")
    @app_commands.describe(
        name="What you will type to /roll it: letters, digits, - or _, e.g. greatsword",
        expression="The dice, e.g. 2d6+3[slashing]; {str}, {dex}... {prof} come from your active character",
        server=SERVER,
    )
    async def add(self, interaction: Interaction[DMBot], name: str, expression: str, server: bool = False) -> None:
        """Save a roll under a name (or change one): /roll expression:<name> rolls it."""
        saved = await self.aliases.add(
            actor_of(interaction), name, expression, server=server, manage=interaction.permissions.manage_guild
        )
        await interaction.response.send_message(saved_message(saved), ephemeral=True)

    @app_commands.command(name="list")
    async def list_(self, interaction: Interaction[DMBot]) -> None:
        """Your saved rolls, and this server's."""
        saved = await self.aliases.list_for(actor_of(interaction))
        embed = alias_list_embed(saved, in_server=interaction.guild_id is not None)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="remove")
    @app_commands.describe(name="The saved roll to remove", server=SERVER)
    async def remove(self, interaction: Interaction[DMBot], name: str, server: bool = False) -> None:
        """Remove one of your saved rolls (or, with server:true, one of this server's)."""
        removed = await self.aliases.remove(
            actor_of(interaction), name, server=server, manage=interaction.permissions.manage_guild
        )
        await interaction.response.send_message(removed_message(removed), ephemeral=True)

    @remove.autocomplete("name")
    async def name_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[app_commands.Choice[str]]:
        offers = await self.aliases.names(actor_of(interaction), current)
        return [app_commands.Choice(name=offer.shown, value=offer.value) for offer in offers]


async def setup(bot: DMBot) -> None:
    await bot.add_cog(AliasCog(bot.services.aliases))
