"""`/roll`: any dice expression, on the engine's dice."""

from __future__ import annotations

import structlog
from discord import Interaction, app_commands
from discord.ext import commands

from bot.app import DMBot
from bot.engine.rolls import RollService
from bot.ui.embeds import roll_embed
from bot.ui.text import safe
from cogs.common import actor_of

log = structlog.get_logger(__name__)


class DiceCog(commands.Cog):
    def __init__(self, rolls: RollService) -> None:
        self.rolls = rolls

    @app_commands.command(name="roll")
    @app_commands.describe(
        expression="Dice to roll, e.g. 1d20+5, 4d6kh3, 2d6e6, (1d4, 3)kh1",
        advantage="Roll the leading d20 twice and keep the higher",
        disadvantage="Roll the leading d20 twice and keep the lower",
        label="What the roll is for, e.g. Perception",
        private="Only you see the result",
    )
    async def roll(
        self,
        interaction: Interaction[DMBot],
        expression: str,
        advantage: bool = False,
        disadvantage: bool = False,
        label: str | None = None,
        private: bool = False,
    ) -> None:
        """Roll dice: 1d20+5, 4d6kh3 (keep highest 3), 2d6e6 (explode), with advantage or a label."""
        outcome = self.rolls.roll(expression, advantage=advantage, disadvantage=disadvantage, label=label)
        embed = roll_embed(outcome, safe(interaction.user.display_name))
        await interaction.response.send_message(embed=embed, ephemeral=private)
        try:
            await self.rolls.record(actor_of(interaction), outcome)
        except Exception:  # the player has the result; a lost log line must not turn into an error reply
            log.exception("could not write the roll log")


async def setup(bot: DMBot) -> None:
    await bot.add_cog(DiceCog(bot.services.rolls))
