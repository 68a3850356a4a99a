"""`/dm-combat sunlight`, and the several-targets autocomplete of `/dm-combat act`: monsters as written, the
DM's side. Like cogs/dm/tracker.py, these callbacks live on a mixin that `DMCog` inherits and `combat_group()`
puts into `/dm-combat`.

Legendary actions go through `/dm-combat act` (its action autocomplete offers them) and a monster's
opportunity attack through `/combat opportunity attacker:...`: the `/dm` command stays within Discord's
8,000 characters a command (names and descriptions of all its subcommands and options together)."""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.app import DMBot
from bot.engine.combat import CombatService
from bot.errors import GameError
from bot.ui import combat_views as fights
from bot.ui import targets as several
from bot.ui.fit import choices
from cogs.common import actor_of, here


class MonsterTools(commands.Cog):
    """Callbacks of `/dm-combat sunlight` and a shared autocomplete; `DMCog` inherits them (see TrackerTools)."""

    fight: CombatService
    board: fights.TrackerBoard

    async def targets_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        """The fight's combatants for the last name typed after the commas."""
        _, last, _ = several.last_piece(current)
        try:
            names = await self.fight.target_names(here(interaction), last)
        except GameError:
            return []
        return choices(several.completions(current, names))

    @app_commands.describe(on="In sunlight or not")
    async def combat_sunlight(self, interaction: Interaction[DMBot], on: bool) -> None:
        """The fight is in sunlight (Sunlight Sensitivity) or not."""
        state = await self.fight.set_sunlight(actor_of(interaction), here(interaction), on)
        text = "☀️ The fight is in sunlight." if on else "🌑 The fight is out of the sunlight."
        await interaction.response.send_message(text)
        await fights.show_quietly(self.board, interaction.client, state)
