"""`/feature use|list|add|remove`: a character's class features with uses (Rage, Ki, Action Surge...) and the
custom counters a player or DM keeps, as Avrae players know them from `!cc`."""

from __future__ import annotations

from typing import Literal

from discord import Interaction, app_commands
from discord.ext import commands

from bot.app import DMBot
from bot.engine.characters import CharacterService
from bot.engine.combat import CombatService
from bot.engine.features import uses
from bot.engine.features.service import FeatureService
from bot.ui import combat_views as fights
from bot.ui.feature_views import counter_added, feature_list_embed, feature_use_embed
from cogs.common import actor_of

Reset = Literal["short", "long", "never"]


class FeatureCog(commands.GroupCog, group_name="feature", group_description="Class features with uses, counters"):
    def __init__(self, features: FeatureService, characters: CharacterService, board: fights.TrackerBoard) -> None:
        self.features = features
        self.characters = characters
        self.board = board  # the fight's tracker, updated after a use in a fight
        super().__init__()

    @app_commands.command(name="use")
    @app_commands.describe(
        name="The feature (Rage, Action Surge, Ki...) or counter",
        amount="Points of a pool (Lay on Hands, Ki) or a counter to spend",
        target="Who it is for: a healed ally, an inspired one, a Wild Shape beast (wolf)",
    )
    async def use(
        self,
        interaction: Interaction[DMBot],
        name: str,
        amount: app_commands.Range[int, 1, 100] = 1,
        target: str | None = None,
    ) -> None:
        """Use a feature of your active character: in a fight it does what it does there."""
        used = await self.features.use(actor_of(interaction), interaction.channel_id, name, amount, target)
        await interaction.response.send_message(embed=feature_use_embed(used))
        await fights.show_quietly(self.board, interaction.client, used.state)

    @use.autocomplete("name")
    async def name_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[app_commands.Choice[str]]:
        names = await self.features.names(actor_of(interaction), current)
        return [app_commands.Choice(name=n, value=n) for n in names]

    @app_commands.command(name="list")
    async def list_(self, interaction: Interaction[DMBot]) -> None:
        """Your active character's features with uses and counters, and what is left of each."""
        sheet = await self.characters.get(actor_of(interaction))
        await interaction.response.send_message(embed=feature_list_embed(sheet), ephemeral=True)

    @app_commands.command(name="add")
    @app_commands.describe(
        name="The counter's name, e.g. Luck", maximum="Its uses", reset="When it comes back (default: long rest)"
    )
    async def add(
        self,
        interaction: Interaction[DMBot],
        name: str,
        maximum: app_commands.Range[int, 1, uses.MAX_COUNTER_VALUE],
        reset: Reset = "long",
    ) -> None:
        """Add a custom counter to your active character (uses the SRD data does not track)."""
        sheet = await self.features.add_counter(actor_of(interaction), name, maximum, reset)
        await interaction.response.send_message(counter_added(sheet), ephemeral=True)

    @app_commands.command(name="remove")
    @app_commands.describe(name="The counter to remove")
    async def remove(self, interaction: Interaction[DMBot], name: str) -> None:
        """Remove one of your active character's custom counters."""
        gone = await self.features.remove_counter(actor_of(interaction), name)
        await interaction.response.send_message(f"🗑️ Counter “{gone}” removed.", ephemeral=True)


async def setup(bot: DMBot) -> None:
    combat: CombatService = bot.services.combat
    await bot.add_cog(FeatureCog(combat.features, bot.services.characters, bot.services.board))
