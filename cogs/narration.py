"""`/narrate action`: one turn of the story. Checked, deferred at once, then streamed into the reply."""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.app_commands import Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.memory import MAX_ACTION_CHARS
from bot.engine.sheet import Actor
from bot.engine.turns import TurnEngine
from bot.ui.narration import DiscordNarration


class NarrationCog(commands.Cog):
    def __init__(self, turns: TurnEngine, *, interval: float) -> None:
        self.turns = turns
        self.interval = interval  # least seconds between two edits of the streaming reply

    @app_commands.command(name="narrate")
    @app_commands.describe(action="What your character does, e.g. I search the altar for traps")
    @app_commands.guild_only()
    async def narrate(self, interaction: Interaction[DMBot], action: Range[str, 1, MAX_ACTION_CHARS]) -> None:
        """Play a turn: the DM (AI or offline) narrates, the engine rolls and keeps the state."""
        actor = Actor(user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id)
        ticket = await self.turns.prepare(actor, action, interaction.user.display_name)  # bad input: nothing deferred
        await interaction.response.defer(thinking=True)
        await self.turns.run(ticket, DiscordNarration(interaction, interval=self.interval))


async def setup(bot: DMBot) -> None:
    settings = bot.services.settings
    await bot.add_cog(NarrationCog(bot.services.campaign.turns, interval=settings.narration_edit_interval_seconds))
