"""`/combat join|status|next`, and `/attack weapon target` while a fight runs in the channel.

Thin: find the fight in this channel, call one engine function, reply, then edit the fight's one tracker
message (through the `TrackerBoard`, which the DM commands share via `CombatCog.board`). Replies ping
no one except the player whose turn it is.
"""

from __future__ import annotations

from typing import cast

import discord
from discord import Interaction, app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.app import DMBot
from bot.engine.characters import CharacterRef
from bot.engine.combat import NO_FIGHT, CombatService, InChannel, TrackerState
from bot.engine.rolls import Actor
from bot.errors import GameError, NotFound
from bot.ui import combat_views as views
from bot.ui.fit import choices


def actor_of(interaction: Interaction[DMBot]) -> Actor:
    return Actor(user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id)


def here(interaction: Interaction[DMBot]) -> InChannel:
    """The fight of the channel the command came from (found inside the engine's transaction)."""
    return InChannel(interaction.channel_id or 0)


class CombatCog(commands.GroupCog, group_name="combat", group_description="The fight in this channel"):
    def __init__(self, combat: CombatService) -> None:
        self.combat = combat
        self.board = views.TrackerBoard(combat)  # one per bot: every command that changes a fight refreshes here
        super().__init__()

    async def cog_unload(self) -> None:
        self.board.edits.cancel_all()  # the bot is closing: its tracker edits have nowhere to go

    async def show(self, interaction: Interaction[DMBot], state: TrackerState | None) -> None:
        await views.show_quietly(self.board, interaction.client, state)

    async def name_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return choices(await interaction.client.services.characters.names(actor_of(interaction), current))

    @app_commands.command(name="join")
    @app_commands.describe(name="Which of your characters (default: your active one)")
    @app_commands.autocomplete(name=name_autocomplete)
    async def join(self, interaction: Interaction[DMBot], name: str | None = None, advantage: bool = False,
                   disadvantage: bool = False) -> None:  # fmt: skip
        """Join the fight in this channel: roll initiative from your sheet."""
        joined = await self.combat.join(actor_of(interaction), here(interaction), CharacterRef(name=name),
                                        advantage=advantage, disadvantage=disadvantage)  # fmt: skip
        await interaction.response.send_message(embed=views.joined_embed(joined))
        await self.show(interaction, joined.state)

    @app_commands.command(name="status")
    async def status(self, interaction: Interaction[DMBot]) -> None:
        """Show the fight: the order, whose turn it is, and how everyone is doing."""
        state = await self.combat.view(actor_of(interaction), here(interaction))
        await interaction.response.send_message(embed=views.tracker_embed(state), ephemeral=True)

    @app_commands.command(name="next")
    async def next_(self, interaction: Interaction[DMBot]) -> None:
        """End your turn (the DM can end anyone's): the next in initiative order is up."""
        change = await self.combat.next_turn(actor_of(interaction), here(interaction))
        content, mentions = views.turn_message(change)
        await interaction.response.send_message(content, allowed_mentions=mentions)
        await self.show(interaction, change.state)
        if change.current.kind == "monster":
            await self.auto_monsters(interaction, change.state.combat_id)

    async def auto_monsters(self, interaction: Interaction[DMBot], combat_id: int) -> None:
        """In the campaign's auto mode, monsters whose turn it is act (engine-chosen, engine-rolled)."""
        services = interaction.client.services
        auto = await services.table.auto_turns(combat_id, services.dice.rng)
        for turn, change in zip(auto.turns, auto.changes, strict=True):
            await interaction.followup.send(embeds=views.monster_turn_embeds(turn))
            content, mentions = views.turn_message(change)
            await interaction.followup.send(content, allowed_mentions=mentions)
            await self.show(interaction, change.state)

    # Used by `/attack` (cogs/characters.py) ------------------------------------------------------

    async def attack_in_fight(
        self, interaction: Interaction[DMBot], weapon: str, target: str, *, advantage: bool, disadvantage: bool,
        two_handed: bool,
    ) -> bool:  # fmt: skip
        """`/attack weapon target` inside a fight: against the target's AC, damage applied. False: no fight here."""
        try:
            report = await self.combat.player_attack(actor_of(interaction), here(interaction), weapon, target,
                                                     advantage=advantage, disadvantage=disadvantage,
                                                     two_handed=two_handed)  # fmt: skip
        except NotFound as error:
            if error.message == NO_FIGHT:
                return False  # no fight here: a free attack roll
            raise
        await interaction.response.send_message(embed=views.attack_embed(report))
        await self.show(interaction, report.state)
        return True

    async def target_choices(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            names = await self.combat.target_names(here(interaction), current)
        except GameError:
            return []
        return choices(names)


def combat_cog(client: discord.Client) -> CombatCog | None:
    """The loaded combat cog (its tracker board is shared by every command that changes a fight).

    Checked by shape, not class: `load_extension` executes this module afresh, so a module that imported
    it earlier holds another `CombatCog` class object.
    """
    get_cog = getattr(client, "get_cog", None)
    cog = get_cog("CombatCog") if get_cog is not None else None
    return cast(CombatCog, cog) if hasattr(cog, "attack_in_fight") else None


async def setup(bot: DMBot) -> None:
    await bot.add_cog(CombatCog(bot.services.combat))
