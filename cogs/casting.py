"""`/cast spell [level] [targets] [ritual]`: a spell from the active character's list, resolved by the
engine (slot, attack or saves, damage, healing, effects, concentration) in the channel's fight, or away
from one on the caster and its party. Thin: `CombatService.cast` / `cast_outside` do everything."""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine import casting
from bot.engine.combat import CombatService, NoFight
from bot.errors import GameError
from bot.ui import cast_views as views
from bot.ui.combat_views import TrackerBoard, show_quietly
from cogs.common import actor_of, here


class CastCog(commands.Cog):
    def __init__(self, combat: CombatService, board: TrackerBoard) -> None:
        self.combat = combat
        self.board = board

    async def spell_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        pairs = await self.combat.castable(actor_of(interaction), current)
        return [Choice(name=label[:100], value=value[:100]) for value, label in pairs]

    async def targets_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            names = await self.combat.target_names(here(interaction), "")
        except GameError:
            return []
        return [Choice(name=n[:100], value=n[:100]) for n in casting.completing(current, names)]

    @app_commands.command(name="cast")
    @app_commands.describe(
        spell="A spell your character may cast now",
        level="The slot level to spend (default: the spell's; higher upcasts)",
        targets="Who it lands on, commas between names (in a fight: from the combatants)",
        ritual="Cast it as a ritual: no slot, 10 minutes longer (bard, cleric, druid, wizard)",
    )
    @app_commands.autocomplete(spell=spell_autocomplete, targets=targets_autocomplete)
    async def cast(
        self,
        interaction: Interaction[DMBot],
        spell: Range[str, 1, 100],
        level: Range[int, 1, 9] | None = None,
        targets: Range[str, 1, 500] | None = None,
        ritual: bool = False,
    ) -> None:
        """Cast a spell: slots spent, attacks and saves rolled, damage, healing and effects applied."""
        names = casting.target_names(targets)
        actor = actor_of(interaction)
        try:
            report = await self.combat.cast(actor, here(interaction), spell, level=level, targets=names, ritual=ritual)
        except NoFight:
            report = await self.combat.cast_outside(actor, spell, level=level, targets=names, ritual=ritual)
        await interaction.response.send_message(embed=views.cast_embed(report))
        if report.in_fight:
            await show_quietly(self.board, interaction.client, report.state)


async def setup(bot: DMBot) -> None:
    await bot.add_cog(CastCog(bot.services.combat, bot.services.board))
