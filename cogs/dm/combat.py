"""`/dm-combat ...`: the DM's tools for this channel's fight, a command of its own beside `/dm` (Discord caps
one command with all its subcommands at 8,000 characters of names and descriptions; `/dm` with its fight
tools outgrew it). start, add, act, remove and end are here; the tracker tools (cogs/dm/tracker.py) and the
monsters' (cogs/dm/monsters.py) are mixins whose callbacks `combat_group()` puts into the same group.

Thin like every cog: one engine call, a reply, then the fight's one tracker message is edited."""

from __future__ import annotations

from typing import Literal

from discord import Interaction, app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.casting import CAST_ACTION, spell_of_action
from bot.engine.casting import target_names as casting_targets
from bot.engine.combat import CombatService, Overrides, TrackerState
from bot.engine.homebrew import HomebrewService, names_for
from bot.engine.table import TableService
from bot.errors import GameError
from bot.ui import cast_views
from bot.ui import combat_views as fights
from bot.ui.fit import choices
from cogs.common import actor_of, here
from cogs.dm.monsters import MonsterTools
from cogs.dm.tracker import TrackerTools, combat_group


class DMCombatCog(TrackerTools, MonsterTools, commands.Cog):
    group = combat_group()

    def __init__(
        self, fight: CombatService, board: fights.TrackerBoard, table: TableService, homebrew: HomebrewService | None
    ) -> None:
        self.fight = fight
        self.board = board  # the fights' tracker messages, shared with the combat cog
        self.table = table
        self.homebrew = homebrew  # the DM's own monsters, offered by `/dm-combat add`
        super().__init__()

    async def show_tracker(self, interaction: Interaction[DMBot], state: TrackerState | None) -> None:
        """Edit the fight's one tracker message."""
        await fights.show_quietly(self.board, interaction.client, state)

    async def monster_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        srd = [Choice(name=n, value=i) for i, n in self.fight.srd.search("monster", current, limit=25)]
        if self.homebrew is None:
            return srd
        try:  # the DM's own monsters first, marked as homebrew
            entries = await self.homebrew.list(actor_of(interaction), "monster")
        except GameError:
            return srd
        own = [Choice(name=label, value=value) for value, label in names_for(entries, "monster", current)]
        return (own + srd)[:25]

    async def combatant_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            names = await self.fight.target_names(here(interaction), current)
        except GameError:
            return []
        return choices(names)

    async def action_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            monster = str(interaction.namespace.monster or "")
            names = await self.fight.action_names(here(interaction), monster, current)
            names += await self.fight.monster_spells(here(interaction), monster, current.removeprefix(CAST_ACTION))
        except GameError:
            return []
        return choices(names[:25])

    @group.command(name="start")
    async def combat_start(self, interaction: Interaction[DMBot]) -> None:
        """Start a fight in this channel; players then `/combat join`."""
        actor = actor_of(interaction)
        state = await self.fight.start(actor, await self.table.campaign_id(actor), interaction.channel_id or 0)
        await interaction.response.send_message("⚔️ A fight begins! Players: `/combat join`.")
        await self.show_tracker(interaction, state)

    @group.command(name="add")
    @app_commands.describe(
        monster="An SRD monster (empty: a generic combatant of your own)",
        count="How many (1-20)",
        name="A name instead of the SRD's (a generic combatant's name)",
        hp="Average hit points, or rolled from the hit dice",
        hit_points="Hit points instead",
        ac="AC instead",
        initiative="A fixed initiative (15) or a modifier to roll with (+2)",
        group="They share one initiative and act as one entry (a pack of wolves)",
        attacks="A generic one's attacks: `Rope +4 1d4; Stones DC 12 dex 2d6 half`",
        threshold="A damage threshold: a hit doing less does nothing (an object's)",
    )
    @app_commands.autocomplete(monster=monster_autocomplete)
    async def combat_add(
        self,
        interaction: Interaction[DMBot],
        monster: Range[str, 1, 100] | None = None,
        count: Range[int, 1, 20] = 1,
        name: Range[str, 1, 64] | None = None,
        hp: Literal["average", "rolled"] = "average",
        hit_points: Range[int, 1, 10_000] | None = None,
        ac: Range[int, 1, 50] | None = None,
        initiative: Range[str, 1, 3] | None = None,
        group: bool = False,
        attacks: Range[str, 1, 300] | None = None,
        threshold: Range[int, 1, 10_000] | None = None,
    ) -> None:
        """Add SRD monsters (AC, HP and actions from the stat block, or yours) or a generic combatant."""
        changes = Overrides(hit_points, ac, initiative, group, threshold)
        await self.add_combatants(interaction, monster, count, name, hp, changes, attacks)

    @group.command(name="act")
    @app_commands.describe(
        monster="The monster in the fight",
        action="One of its actions or legendary actions, or `Cast <spell>` for one of its spells",
        target="Whom it attacks; several separated by commas (an area's saves, a routine's attacks in turn)",
        advantage="Advantage on its attack rolls",
        disadvantage="Disadvantage on its attack rolls (cancels Pack Tactics when its allies are far off)",
    )
    @app_commands.autocomplete(
        monster=combatant_autocomplete, action=action_autocomplete, target=MonsterTools.targets_autocomplete
    )
    async def combat_act(
        self,
        interaction: Interaction[DMBot],
        monster: Range[str, 1, 64],
        action: Range[str, 1, 100],
        target: Range[str, 1, 300],
        advantage: bool = False,
        disadvantage: bool = False,
    ) -> None:
        """Run a monster's action or spell at one target or several: the engine rolls hits, damage, saves."""
        spell = spell_of_action(action)
        if spell is not None:  # a Mage's Fireball: its slots, its DC, the targets' saves
            report = await self.fight.cast(
                actor_of(interaction), here(interaction), spell, targets=casting_targets(target), caster=monster
            )
            await interaction.response.send_message(embed=cast_views.cast_embed(report, for_dm=True))
            await self.show_tracker(interaction, report.state)
            return
        turn = await self.fight.monster_act(
            actor_of(interaction),
            here(interaction),
            monster,
            action,
            target,
            advantage=advantage,
            disadvantage=disadvantage,
        )
        await interaction.response.send_message(embeds=fights.monster_turn_embeds(turn))
        await self.show_tracker(interaction, turn.state)

    @group.command(name="remove")
    @app_commands.describe(name="The combatant to take out of the fight")
    @app_commands.autocomplete(name=combatant_autocomplete)
    async def combat_remove(self, interaction: Interaction[DMBot], name: Range[str, 1, 64]) -> None:
        """Take a combatant out of the fight (it fled, or joined by mistake)."""
        state = await self.fight.remove(actor_of(interaction), here(interaction), name)
        await interaction.response.send_message(f"🚪 {name} leaves the fight.", ephemeral=True)
        await self.show_tracker(interaction, state)

    @group.command(name="end")
    async def combat_end(self, interaction: Interaction[DMBot]) -> None:
        """End the fight: the defeated monsters' XP (by CR) is split among the surviving party."""
        ended = await self.fight.end(actor_of(interaction), here(interaction))
        await interaction.response.send_message(embed=fights.end_embed(ended))
        await self.show_tracker(interaction, ended.state)
