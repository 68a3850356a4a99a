"""`/roll`: any dice expression (or a saved roll, `/alias`), on the engine's dice, once or many times."""

from __future__ import annotations

import structlog
from discord import Interaction, app_commands
from discord.ext import commands

from bot.app import LIMIT_OVERLAPS_READ, DMBot, admitted, admitted_now
from bot.engine.aliases import AliasService
from bot.engine.rolls import MAX_DC, MAX_TIMES, RollBatch, RollService, cheap_to_roll
from bot.engine.sheet import Actor
from bot.ui.embeds import rolls_embed
from bot.ui.text import safe
from cogs.common import actor_of

log = structlog.get_logger(__name__)


class DiceCog(commands.Cog):
    def __init__(self, rolls: RollService, aliases: AliasService) -> None:
        self.rolls = rolls
        self.aliases = aliases

    @app_commands.command(name="roll", extras={LIMIT_OVERLAPS_READ: True})
    @app_commands.describe(
        expression="Dice to roll, e.g. 1d20+5, 4d6kh3, 2d6e6, or a saved roll's name (/alias)",
        advantage="Roll the leading d20 twice and keep the higher",
        disadvantage="Roll the leading d20 twice and keep the lower",
        label="What the roll is for, e.g. Perception",
        private="Only you see the result",
        times=f"Roll it this many times (1-{MAX_TIMES}), e.g. 6 for ability scores",
        dc="Mark each roll pass or fail against this DC or AC",
    )
    async def roll(
        self,
        interaction: Interaction[DMBot],
        expression: str,
        advantage: bool = False,
        disadvantage: bool = False,
        label: str | None = None,
        private: bool = False,
        times: app_commands.Range[int, 1, MAX_TIMES] = 1,
        dc: app_commands.Range[int, -MAX_DC, MAX_DC] | None = None,
    ) -> None:
        """Roll dice: 1d20+5, 4d6kh3 (keep highest 3), 2d6e6 (explode), many times, against a DC."""
        actor = actor_of(interaction)
        # A small roll is rolled while the limit is checked (rolling changes nothing; the roll is logged
        # only once admitted); a big one waits for the limit first.
        if not cheap_to_roll(expression, times) and not await admitted_now(interaction):
            return
        batch = await admitted(interaction, self._rolled(actor, expression, times, dc, advantage, disadvantage, label))
        if batch is None:
            return
        await interaction.response.send_message(
            embed=rolls_embed(batch, safe(interaction.user.display_name)), ephemeral=private
        )
        try:
            await self.rolls.record_batch(actor, batch)
        except Exception:  # the player has the result; a lost log line must not turn into an error reply
            log.exception("could not write the roll log")

    async def _rolled(
        self,
        actor: Actor,
        expression: str,
        times: int,
        dc: int | None,
        advantage: bool,
        disadvantage: bool,
        label: str | None,
    ) -> RollBatch:
        saved = await self.aliases.expand(actor, expression)
        return self.rolls.roll_batch(
            saved.expression,
            times=times,
            dc=dc,
            advantage=advantage,
            disadvantage=disadvantage,
            label=label if label is not None else saved.label,
        )

    @roll.autocomplete("expression")
    async def expression_autocomplete(
        self, interaction: Interaction[DMBot], current: str
    ) -> list[app_commands.Choice[str]]:
        offers = await self.aliases.suggest(actor_of(interaction), current)
        return [app_commands.Choice(name=offer.shown, value=offer.value) for offer in offers]


async def setup(bot: DMBot) -> None:
    await bot.add_cog(DiceCog(bot.services.rolls, bot.services.aliases))
