"""`/combat join|status|next|delay|ready|opportunity`: the fight in this channel.

Thin: find the fight in this channel, call one engine function, reply, then edit the fight's one tracker
message (through the `TrackerBoard` built with the services and shared by every cog that changes a fight).
Replies ping no one except the player whose turn it is.
"""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.characters import CharacterRef
from bot.engine.combat import CombatService, TrackerState
from bot.errors import GameError
from bot.ui import cast_views, tracker_views
from bot.ui import combat_views as views
from bot.ui.fit import choices
from cogs.common import actor_of, here


class CombatCog(commands.GroupCog, group_name="combat", group_description="The fight in this channel"):
    def __init__(self, combat: CombatService, board: views.TrackerBoard) -> None:
        self.combat = combat
        self.board = board
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
    async def join(
        self,
        interaction: Interaction[DMBot],
        name: str | None = None,
        advantage: bool = False,
        disadvantage: bool = False,
    ) -> None:
        """Join the fight in this channel: roll initiative from your sheet."""
        joined = await self.combat.join(
            actor_of(interaction),
            here(interaction),
            CharacterRef(name=name),
            advantage=advantage,
            disadvantage=disadvantage,
        )
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
        content, mentions = views.turn_message(change, interaction.user.id)
        await interaction.response.send_message(content, allowed_mentions=mentions)
        await self.show(interaction, change.state)
        if change.current.kind == "monster":
            await self.auto_monsters(interaction, change.state.combat_id)

    @app_commands.command(name="delay")
    async def delay(self, interaction: Interaction[DMBot]) -> None:
        """Hold your turn: the next in the order goes; come back in later with `/combat ready`."""
        change = await self.combat.delay(actor_of(interaction), here(interaction))
        content, mentions = views.turn_message(change, interaction.user.id)
        held = change.previous or "The creature"
        await interaction.response.send_message(f"⏸️ {held} holds their turn.\n{content}", allowed_mentions=mentions)
        await self.show(interaction, change.state)
        if change.current.kind == "monster":
            await self.auto_monsters(interaction, change.state.combat_id)

    @app_commands.command(name="ready")
    @app_commands.describe(name="Who comes back in (default: your character holding a turn; the DM: anyone)")
    async def ready(self, interaction: Interaction[DMBot], name: Range[str, 1, 64] | None = None) -> None:
        """Come back in after holding your turn: you act right after the current turn."""
        state = await self.combat.ready(actor_of(interaction), here(interaction), name)
        await interaction.response.send_message(tracker_views.order_text(state, headline="▶️ Back in the order."))
        await self.show(interaction, state)

    async def target_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            return choices(await self.combat.target_names(here(interaction), current))
        except GameError:
            return []

    async def weapon_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        """Your active character's weapons (and unarmed)."""
        characters = self.combat.characters
        try:
            sheet = await characters.get(actor_of(interaction))
        except GameError:
            return []
        weapons = [a.weapon for a in characters.stats(sheet).attacks] + ["unarmed"]
        return choices(w for w in dict.fromkeys(weapons) if current.casefold() in w.casefold())

    @app_commands.command(name="opportunity")
    @app_commands.describe(
        target="The creature leaving your reach on its turn",
        weapon="Your melee weapon (or unarmed); a monster's melee attack (default: its first)",
        attacker="The DM: the creature that attacks (default: your character)",
    )
    @app_commands.autocomplete(target=target_autocomplete, weapon=weapon_autocomplete, attacker=target_autocomplete)
    async def opportunity(
        self,
        interaction: Interaction[DMBot],
        target: Range[str, 1, 64],
        weapon: Range[str, 1, 100] | None = None,
        attacker: Range[str, 1, 64] | None = None,
    ) -> None:
        """Opportunity attack: a creature leaves your reach; your reaction makes one melee attack."""
        report = await self.combat.opportunity(
            actor_of(interaction), here(interaction), target, attacker=attacker, weapon=weapon
        )
        await interaction.response.send_message(embed=views.attack_embed(report, title="↩️ Opportunity attack"))
        await self.show(interaction, report.state)

    async def auto_monsters(self, interaction: Interaction[DMBot], combat_id: int) -> None:
        """In the campaign's auto mode, monsters whose turn it is act (engine-chosen, engine-rolled)."""
        services = interaction.client.services
        auto = await services.table.auto_turns(combat_id, services.dice.rng)
        for turn, change in zip(auto.turns, auto.changes, strict=True):
            await interaction.followup.send(embeds=cast_views.monster_turn_embeds(turn))
            content, mentions = views.turn_message(change, interaction.user.id)
            await interaction.followup.send(content, allowed_mentions=mentions)
            await self.show(interaction, change.state)


async def setup(bot: DMBot) -> None:
    await bot.add_cog(CombatCog(bot.services.combat, bot.services.board))
