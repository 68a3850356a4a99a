"""`/narrate action`: one turn of the story. Checked, deferred at once, then streamed into the reply."""

from __future__ import annotations

import time

from discord import AllowedMentions, HTTPException, Interaction, app_commands
from discord.app_commands import Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.memory import MAX_ACTION_CHARS
from bot.engine.safety import LineCrossed
from bot.engine.sheet import Actor
from bot.engine.turns import TurnEngine
from bot.ui.narration import DiscordNarration

DM_NOTE_EVERY = 60.0  # seconds between two notes to the DM about one player crossing one line


class NarrationCog(commands.Cog):
    def __init__(self, turns: TurnEngine, *, interval: float) -> None:
        self.turns = turns
        self.interval = interval  # least seconds between two edits of the streaming reply
        self.told: dict[tuple[int, int, str], float] = {}  # (DM, player, line) → when the DM was last told

    @app_commands.command(name="narrate")
    @app_commands.describe(action="What your character does, e.g. I search the altar for traps")
    @app_commands.guild_only()
    async def narrate(self, interaction: Interaction[DMBot], action: Range[str, 1, MAX_ACTION_CHARS]) -> None:
        """Play a turn: the DM (AI or offline) narrates, the engine rolls and keeps the state."""
        actor = Actor(user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id)
        try:
            ticket = await self.turns.prepare(actor, action, interaction.user.display_name)  # bad input: not deferred
        except LineCrossed as crossed:  # the player gets the private note first; then the DM hears of it
            await interaction.response.send_message(crossed.message, ephemeral=True)
            if self._worth_telling(crossed, interaction.user.id):
                await tell_dm(interaction, crossed)
            return
        await interaction.response.defer(thinking=True)
        await self.turns.run(ticket, DiscordNarration(interaction, interval=self.interval))

    def _worth_telling(self, crossed: LineCrossed, player: int) -> bool:
        """Once a minute per player and line: a player trying again must not flood the DM's inbox."""
        key, now = (crossed.dm_id, player, crossed.line), time.monotonic()
        if now - self.told.get(key, -DM_NOTE_EVERY) < DM_NOTE_EVERY:
            return False
        self.told = {k: t for k, t in self.told.items() if now - t < DM_NOTE_EVERY}
        self.told[key] = now
        return True


async def tell_dm(interaction: Interaction[DMBot], crossed: LineCrossed) -> None:
    """A direct message to the campaign's DM (unless the DM crossed it): a closed DM inbox is not an error."""
    if crossed.dm_id == interaction.user.id:
        return
    try:
        dm = interaction.client.get_user(crossed.dm_id) or await interaction.client.fetch_user(crossed.dm_id)
        await dm.send(crossed.dm_note, allowed_mentions=AllowedMentions.none())
    except HTTPException:
        return


async def setup(bot: DMBot) -> None:
    settings = bot.services.settings
    await bot.add_cog(NarrationCog(bot.services.campaign.turns, interval=settings.narration_edit_interval_seconds))
