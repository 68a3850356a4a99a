"""`/homebrew add|monster|list|show|remove|export`: a DM's monsters, items, spells and feats (docs/HOMEBREW.md)."""

from __future__ import annotations

import io
from typing import Literal

import discord
from discord import Interaction, app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.app import DMBot
from bot.engine.homebrew import MAX_FILE_BYTES, Entry, HomebrewService, Kind, describe
from bot.engine.homebrew_form import MonsterForm
from bot.errors import GameError, InvalidInput
from bot.ui import homebrew_views
from bot.ui.fit import choices, fit_embed, fit_lines
from bot.ui.text import safe
from cogs.common import actor_of

HOMEBREW_COLOUR = discord.Colour.purple()


class HomebrewCog(commands.GroupCog, group_name="homebrew", group_description="A DM's own monsters, items, spells"):
    def __init__(self, homebrew: HomebrewService) -> None:
        self.homebrew = homebrew
        super().__init__()

    async def name_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            entries = await self.homebrew.list(actor_of(interaction))
        except GameError:
            return []
        needle = current.casefold()
        found = [e for e in entries if needle in e.name.casefold()]
        return choices((e.name for e in found), (f"{e.name} ({e.kind}, {e.scope} homebrew)" for e in found))

    @app_commands.command(name="add")
    @app_commands.describe(
        file="A JSON file: one entry, a list, or a /homebrew export bundle (docs/HOMEBREW.md)",
        scope="This channel's campaign (its DM) or the whole server (Manage Server)",
    )
    async def add(
        self,
        interaction: Interaction[DMBot],
        file: discord.Attachment,
        scope: Literal["campaign", "server"] = "campaign",
    ) -> None:
        """Add homebrew from a JSON file: monsters fight in the tracker with their own actions."""
        if file.size > MAX_FILE_BYTES:
            raise InvalidInput(
                f"`{file.filename}` is {file.size:,} bytes; a homebrew file is at most {MAX_FILE_BYTES:,}."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        manages = bool(interaction.permissions.manage_guild)
        added = await self.homebrew.add(actor_of(interaction), await file.read(), scope, manages_server=manages)
        lines = [f"{e.kind}: **{safe(e.name)}**" for e in added]
        embed = discord.Embed(
            title=f"🧪 {len(added)} homebrew added to this {scope}",
            description=fit_lines(lines, 3500),
            colour=HOMEBREW_COLOUR,
        )
        await interaction.followup.send(embed=fit_embed(embed), ephemeral=True)

    @app_commands.command(name="monster")
    @app_commands.describe(scope="This channel's campaign (its DM) or the whole server (Manage Server)")
    async def monster(self, interaction: Interaction[DMBot], scope: Literal["campaign", "server"] = "campaign") -> None:
        """Type a monster into a form (AC, hit dice, CR, scores, actions) instead of attaching a file."""
        actor, manages = actor_of(interaction), bool(interaction.permissions.manage_guild)

        async def save(form: MonsterForm) -> Entry:
            return await self.homebrew.add_monster_form(actor, form, scope, manages_server=manages)

        await interaction.response.send_modal(homebrew_views.MonsterModal(actor.user_id, save))

    @app_commands.command(name="list")
    @app_commands.describe(kind="Only monsters, items, spells or feats")
    async def list_(self, interaction: Interaction[DMBot], kind: Kind | None = None) -> None:
        """The homebrew of this channel's campaign and of this server."""
        entries = await self.homebrew.list(actor_of(interaction), kind)
        lines = [f"{e.kind}: **{safe(e.name)}** ({e.scope})" for e in entries] or ["No homebrew here yet."]
        embed = discord.Embed(title="🧪 Homebrew", description=fit_lines(lines, 3500), colour=HOMEBREW_COLOUR)
        await interaction.response.send_message(embed=fit_embed(embed), ephemeral=True)

    @app_commands.command(name="show")
    @app_commands.autocomplete(name=name_autocomplete)
    async def show(self, interaction: Interaction[DMBot], name: str) -> None:
        """One homebrew entry's numbers."""
        entry = await self.homebrew.find(actor_of(interaction), name)
        embed = discord.Embed(
            title=f"🧪 {safe(entry.name)}",
            description="\n".join(safe(line) for line in describe(entry)),
            colour=HOMEBREW_COLOUR,
        )
        await interaction.response.send_message(embed=fit_embed(embed), ephemeral=True)

    @app_commands.command(name="remove")
    @app_commands.autocomplete(name=name_autocomplete)
    async def remove(self, interaction: Interaction[DMBot], name: str) -> None:
        """Remove a homebrew entry (fights it is in keep their copy until they end)."""
        manages = bool(interaction.permissions.manage_guild)
        entry = await self.homebrew.remove(actor_of(interaction), name, manages_server=manages)
        await interaction.response.send_message(f"🗑️ Removed the {entry.kind} {safe(entry.name)}.", ephemeral=True)

    @app_commands.command(name="export")
    @app_commands.describe(scope="This channel's campaign or the whole server")
    async def export(self, interaction: Interaction[DMBot], scope: Literal["campaign", "server"] = "campaign") -> None:
        """Download this campaign's (or server's) homebrew as one file; /homebrew add it on another server."""
        data = await self.homebrew.export(actor_of(interaction), scope)
        await interaction.response.send_message(
            "🧪 Every entry of this " + scope + ": `/homebrew add` this file on another server.",
            file=discord.File(io.BytesIO(data), filename=f"homebrew-{scope}.json"),
            ephemeral=True,
        )


async def setup(bot: DMBot) -> None:
    await bot.add_cog(HomebrewCog(bot.services.homebrew))
