"""`/spell list|learn|forget|prepare|book`: the spells a character has, by its class's SRD rules.

Thin: the rules live in `bot.engine.spells`, the unit of work in `bot.engine.spellbook`; autocomplete
offers only what the character may pick (learnable, forgettable, preparable or prepared spells).
"""

from __future__ import annotations

import discord
from discord import Interaction, app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.app import DMBot
from bot.engine.characters import CharacterRef
from bot.engine.spellbook import SpellService
from bot.ui import spell_views as views
from cogs.common import actor_of


def ref_of(interaction: Interaction[DMBot]) -> CharacterRef:
    """The character the command is typed for: its `name:` option when given, else the active one."""
    name = getattr(interaction.namespace, "name", None)
    return CharacterRef(name=name if isinstance(name, str) and name else None)


class SpellCog(commands.GroupCog, group_name="spell", group_description="Your character's spells"):
    def __init__(self, spells: SpellService) -> None:
        self.spells = spells
        super().__init__()

    async def _choices(self, interaction: Interaction[DMBot], purpose: str, current: str) -> list[Choice[str]]:
        pairs = await self.spells.choices(actor_of(interaction), purpose, current, ref_of(interaction))
        return [Choice(name=label[:100], value=value[:100]) for value, label in pairs[:25]]

    async def learn_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return await self._choices(interaction, "learn", current)

    async def forget_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return await self._choices(interaction, "forget", current)

    async def prepare_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        remove = bool(getattr(interaction.namespace, "remove", False))
        return await self._choices(interaction, "unprepare" if remove else "prepare", current)

    async def name_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        names = await self.spells.characters.names(actor_of(interaction), current)
        return [Choice(name=n, value=n) for n in names[:25]]

    @app_commands.command(name="list")
    @app_commands.describe(name="Which character (default: your active one)", player="Someone else's character")
    @app_commands.autocomplete(name=name_autocomplete)
    async def list_(
        self, interaction: Interaction[DMBot], name: str | None = None, player: discord.User | None = None
    ) -> None:
        """Your cantrips, spells known or prepared, spell save DC and spell attack."""
        ref = CharacterRef(name=name, owner_id=player.id if player else None)
        sheet = await self.spells.show(actor_of(interaction), ref)
        await interaction.response.send_message(embed=views.spell_sheet_embed(sheet))

    @app_commands.command(name="learn")
    @app_commands.describe(spell="A cantrip or spell your class may learn now", name="Which character")
    @app_commands.autocomplete(spell=learn_autocomplete, name=name_autocomplete)
    async def learn(self, interaction: Interaction[DMBot], spell: str, name: str | None = None) -> None:
        """Learn a cantrip or spell (wizards: write it in the spellbook; copying past the free ones costs gold)."""
        change = await self.spells.learn(actor_of(interaction), CharacterRef(name=name), spell)
        await interaction.response.send_message(embed=views.change_embed(change), ephemeral=True)

    @app_commands.command(name="forget")
    @app_commands.describe(spell="A cantrip or spell you have", name="Which character")
    @app_commands.autocomplete(spell=forget_autocomplete, name=name_autocomplete)
    async def forget(self, interaction: Interaction[DMBot], spell: str, name: str | None = None) -> None:
        """Forget a cantrip or spell (to learn another in its place)."""
        change = await self.spells.forget(actor_of(interaction), CharacterRef(name=name), spell)
        await interaction.response.send_message(embed=views.change_embed(change), ephemeral=True)

    @app_commands.command(name="prepare")
    @app_commands.describe(
        spell="A spell from your class list (wizards: your spellbook)",
        remove="Unprepare it instead",
        name="Which character",
    )
    @app_commands.autocomplete(spell=prepare_autocomplete, name=name_autocomplete)
    async def prepare(
        self, interaction: Interaction[DMBot], spell: str, remove: bool = False, name: str | None = None
    ) -> None:
        """Prepare a spell (cleric, druid, paladin, wizard); changes wait for a long rest once the list is full."""
        change = await self.spells.prepare(actor_of(interaction), CharacterRef(name=name), spell, remove=remove)
        await interaction.response.send_message(embed=views.change_embed(change), ephemeral=True)

    @app_commands.command(name="book")
    @app_commands.describe(name="Which character (default: your active one)")
    @app_commands.autocomplete(name=name_autocomplete)
    async def book(self, interaction: Interaction[DMBot], name: str | None = None) -> None:
        """A wizard's spellbook, with the prepared spells marked."""
        sheet = await self.spells.show(actor_of(interaction), CharacterRef(name=name))
        if sheet.allowance.style != "spellbook":
            await interaction.response.send_message(
                "Only wizards keep a spellbook; `/spell list` shows your spells.", ephemeral=True
            )
            return
        await interaction.response.send_message(embed=views.spell_sheet_embed(sheet, book=True), ephemeral=True)


async def setup(bot: DMBot) -> None:
    await bot.add_cog(SpellCog(SpellService(bot.services.characters)))
