"""`/dm-combat prev|skip|move|reroll|lair|effect` (and `sunlight`, from cogs/dm/monsters.py): the DM's
initiative-tracker tools, and the generic side of
`/dm-combat add`. `DMCombatCog`'s group is made by `combat_group()`, fresh for each load of the cog, with
these commands in it; so `/dm-combat ...` stays one group, and one cog (cogs/dm/combat.py).

Thin like every cog: one engine call, a reply, then the fight's one tracker message is edited."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal

from discord import Interaction, app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.combat import CombatService, CustomParts, GenericSpec, MonstersAdded, Overrides
from bot.engine.effects import PRESETS, Edge
from bot.errors import GameError
from bot.ui import combat_views as fights
from bot.ui import dm_views
from bot.ui import tracker_views as views
from cogs.common import actor_of, here
from cogs.dm.monsters import MonsterTools

Roll = Literal["attack", "save", "check", "attacked"]


def combat_group() -> app_commands.Group:
    """`/dm-combat`, with the tracker tools in it (DMCog adds start, add, act, remove and end)."""
    group = app_commands.Group(name="dm-combat", description="The DM's tools for this channel's fight", guild_only=True)
    tools, monsters = TrackerTools, MonsterTools
    for name, callback in (
        ("prev", tools.combat_prev),
        ("skip", tools.combat_skip),
        ("move", tools.combat_move),
        ("reroll", tools.combat_reroll),
        ("lair", tools.combat_lair),
        ("effect", tools.combat_effect),
        ("sunlight", monsters.combat_sunlight),
    ):
        group.add_command(_command(name, callback))
    return group


def _command(name: str, callback: Callable[..., Any]) -> app_commands.Command[Any, ..., None]:
    description = (inspect.getdoc(callback) or name).split("\n")[0][:100]
    return app_commands.Command(name=name, description=description, callback=callback)


class TrackerTools(commands.Cog):
    """The tracker tools' callbacks. `DMCog` inherits them, so each runs with the cog as `self` (discord.py
    binds a group's commands to the cog that holds the group). Never added to the bot on its own."""

    fight: CombatService
    board: fights.TrackerBoard

    async def fighter_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            names = await self.fight.target_names(here(interaction), current)
        except GameError:
            return []
        return [Choice(name=n, value=n) for n in names]

    async def effect_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        names = [e.name for e in PRESETS.values()] + ["concentration"]
        return [Choice(name=n, value=n) for n in names if current.casefold() in n.casefold()]

    async def add_combatants(
        self,
        interaction: Interaction[DMBot],
        monster: str | None,
        count: int,
        name: str | None,
        hp: Literal["average", "rolled"],
        changes: Overrides,
        attacks: str | None,
    ) -> None:
        """`/dm-combat add`: SRD monsters (with the DM's overrides), or a generic combatant when no monster."""
        actor, combat = actor_of(interaction), here(interaction)
        added: MonstersAdded
        if monster:
            added = await self.fight.add_monsters(actor, combat, monster, count, name, hp, changes)
        else:  # the engine checks for the DM first, then that the generic combatant is complete
            spec = GenericSpec(
                name or "", changes.hp, changes.ac, changes.initiative, attacks, count, changes.group, changes.threshold
            )
            added = await self.fight.add_generic(actor, combat, spec)
        await interaction.response.send_message(
            embed=dm_views.generated_embed(f"👹 {added.monster} joins", views.added_lines(added)), ephemeral=True
        )
        await fights.show_quietly(self.board, interaction.client, added.state)

    async def combat_prev(self, interaction: Interaction[DMBot]) -> None:
        """Go back one turn (a turn ended by mistake); nothing that happened is undone."""
        change = await self.fight.previous_turn(actor_of(interaction), here(interaction))
        content, mentions = fights.turn_message(change, interaction.user.id)
        await interaction.response.send_message("⏪ Back one turn.\n" + content, allowed_mentions=mentions)
        await fights.show_quietly(self.board, interaction.client, change.state)

    @app_commands.describe(rest_of_round="Skip everyone left this round: the next round starts")
    async def combat_skip(self, interaction: Interaction[DMBot], rest_of_round: bool = False) -> None:
        """Skip the current turn (nothing of it counts down), or the rest of the round."""
        change = await self.fight.skip(actor_of(interaction), here(interaction), rest_of_round=rest_of_round)
        content, mentions = fights.turn_message(change, interaction.user.id)
        await interaction.response.send_message("⏭️ Skipped.\n" + content, allowed_mentions=mentions)
        await fights.show_quietly(self.board, interaction.client, change.state)

    @app_commands.describe(
        name="The combatant (a group moves together)",
        initiative="Its new initiative",
        position="Its place in the order (1 is first)",
    )
    @app_commands.autocomplete(name=fighter_autocomplete)
    async def combat_move(
        self,
        interaction: Interaction[DMBot],
        name: Range[str, 1, 64],
        position: Range[int, 1, 40] | None = None,
        initiative: Range[int, -10, 50] | None = None,
    ) -> None:
        """Move a combatant to a place in the order or to an initiative; whoever's turn it is keeps it."""
        state = await self.fight.move(
            actor_of(interaction), here(interaction), name, position=position, initiative=initiative
        )
        await interaction.response.send_message(views.order_text(state, headline=f"↕️ {name} moves."), ephemeral=True)
        await fights.show_quietly(self.board, interaction.client, state)

    @app_commands.describe(every_round="Reroll at the start of every round from now on (true), or stop (false)")
    async def combat_reroll(self, interaction: Interaction[DMBot], every_round: bool | None = None) -> None:
        """Reroll everyone's initiative now, or turn rerolling every round on or off."""
        state = await self.fight.reroll(actor_of(interaction), here(interaction), every_round=every_round)
        headline = (
            "🎲 Initiative is rerolled."
            if every_round is None
            else f"🎲 Rerolling every round: {'on' if every_round else 'off'}."
        )
        await interaction.response.send_message(views.order_text(state, headline=headline))
        await fights.show_quietly(self.board, interaction.client, state)

    async def combat_lair(self, interaction: Interaction[DMBot]) -> None:
        """Add the Lair Actions entry: it takes a turn on initiative 20, losing ties."""
        added = await self.fight.add_lair(actor_of(interaction), here(interaction))
        await interaction.response.send_message(
            "🏰 Lair Actions act on initiative 20 (losing ties); run them on its turn and end it with `/combat next`.",
            ephemeral=True,
        )
        await fights.show_quietly(self.board, interaction.client, added.state)

    @app_commands.describe(
        do="Add or remove",
        target="Who it is on",
        effect="A preset (Bless, Bane, Shield...) or your name with modifiers; remove `concentration` ends it all",
        rounds="How many rounds (empty: a preset's usual, else until removed)",
        concentration="The caster concentrating on it (its rounds count on the caster's turns)",
        attack="Added to attack rolls, e.g. 1d4 or -2",
        save="Added to saving throws",
        check="Added to ability checks",
        damage="Extra damage on hits, e.g. 1d6",
        ac="Added to AC",
        resist="A damage type it resists",
        advantage="Advantage on these rolls",
        disadvantage="Disadvantage on these rolls",
    )
    @app_commands.autocomplete(
        target=fighter_autocomplete, effect=effect_autocomplete, concentration=fighter_autocomplete
    )
    async def combat_effect(
        self,
        interaction: Interaction[DMBot],
        do: Literal["add", "remove"],
        target: Range[str, 1, 64],
        effect: Range[str, 1, 40],
        rounds: Range[int, 1, 1000] | None = None,
        concentration: Range[str, 1, 64] | None = None,
        attack: Range[str, 1, 12] | None = None,
        save: Range[str, 1, 12] | None = None,
        check: Range[str, 1, 12] | None = None,
        damage: Range[str, 1, 12] | None = None,
        ac: Range[int, -10, 10] = 0,
        resist: Range[str, 1, 20] | None = None,
        advantage: Roll | None = None,
        disadvantage: Roll | None = None,
    ) -> None:
        """Put a timed effect on a combatant (a preset or your own modifiers), or take one off."""
        actor, combat = actor_of(interaction), here(interaction)
        if do == "remove":
            change = await self.fight.remove_effect(actor, combat, target, effect)
        else:
            parts = CustomParts(
                attack, save, check, damage, ac, (resist,) if resist else (), _edges(advantage, disadvantage)
            )
            change = await self.fight.add_effect(
                actor, combat, target, effect, rounds=rounds, concentration=concentration, parts=parts
            )
        await interaction.response.send_message(views.effect_text(change))
        await fights.show_quietly(self.board, interaction.client, change.state)


def _edges(advantage: Roll | None, disadvantage: Roll | None) -> dict[str, Edge]:
    edges: dict[str, Edge] = {}
    if advantage:
        edges[advantage] = "advantage"
    if disadvantage:
        edges[disadvantage] = "disadvantage"
    return edges
