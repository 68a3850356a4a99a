"""`/dm-combat legendary|opportunity|sunlight`: monsters as written, the DM's side. Like cogs/dm/tracker.py,
these callbacks live on a mixin that `DMCog` inherits and `combat_group()` puts into `/dm-combat`.

Thin: one engine call, one reply with every target's report together, then the tracker message is edited."""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.combat import CombatService
from bot.errors import GameError
from bot.ui import combat_views as fights
from bot.ui import targets as several
from bot.ui.fit import choices
from cogs.common import actor_of, here

TARGETS = Range[str, 1, 300]  # `Tordek, Lia, Mara`: up to eight names of the fight


class MonsterTools(commands.Cog):
    """Callbacks of `/dm-combat legendary|opportunity|sunlight`; `DMCog` inherits them (see TrackerTools)."""

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

    async def legendary_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            names = await self.fight.legendary_names(here(interaction), str(interaction.namespace.monster or ""))
        except GameError:
            return []
        return choices(n for n in names if current.casefold() in n.casefold())

    async def one_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            return choices(await self.fight.target_names(here(interaction), current))
        except GameError:
            return []

    @app_commands.describe(
        monster="The legendary monster",
        action="One of its legendary actions (Tail Attack, Wing Attack...)",
        target="Its target; an area's targets separated by commas (`Tordek, Lia`)",
    )
    @app_commands.autocomplete(monster=one_autocomplete, action=legendary_autocomplete, target=targets_autocomplete)
    async def combat_legendary(
        self,
        interaction: Interaction[DMBot],
        monster: Range[str, 1, 64],
        action: Range[str, 1, 100],
        target: TARGETS | None = None,
    ) -> None:
        """Spend a legendary monster's legendary actions at the end of another creature's turn."""
        turn = await self.fight.legendary_act(actor_of(interaction), here(interaction), monster, action, target or "")
        await interaction.response.send_message(embeds=fights.monster_turn_embeds(turn))
        await fights.show_quietly(self.board, interaction.client, turn.state)

    @app_commands.describe(
        attacker="Who makes the attack (its reaction)",
        target="The creature leaving its reach on its turn",
        action="A monster's melee attack, or a character's melee weapon (default: a monster's first melee attack)",
    )
    @app_commands.autocomplete(attacker=one_autocomplete, target=one_autocomplete)
    async def combat_opportunity(
        self,
        interaction: Interaction[DMBot],
        attacker: Range[str, 1, 64],
        target: Range[str, 1, 64],
        action: Range[str, 1, 100] | None = None,
    ) -> None:
        """An opportunity attack: a creature leaves another's reach; its reaction makes one melee attack."""
        report = await self.fight.opportunity(
            actor_of(interaction), here(interaction), target, attacker=attacker, weapon=action
        )
        await interaction.response.send_message(embed=fights.attack_embed(report, title="↩️ Opportunity attack"))
        await fights.show_quietly(self.board, interaction.client, report.state)

    @app_commands.describe(on="In sunlight (true) or not (false)")
    async def combat_sunlight(self, interaction: Interaction[DMBot], on: bool) -> None:
        """The fight is in sunlight or not: Sunlight Sensitivity gives disadvantage, vampires don't regenerate."""
        state = await self.fight.set_sunlight(actor_of(interaction), here(interaction), on)
        text = "☀️ The fight is in sunlight." if on else "🌑 The fight is out of the sunlight."
        await interaction.response.send_message(text)
        await fights.show_quietly(self.board, interaction.client, state)
