"""`/dm ...`: the DM's controls over this channel's campaign.

One GroupCog for everything the DM does (scene, narration, retcon, canon, narrator settings and
approvals here; fights and table management join it as further commands and subgroups). Each
command is parse → one engine call → render; the engine checks that the caller is the DM.
"""

from __future__ import annotations

from typing import Literal

import discord
from discord import Interaction, app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.campaign_info import MAX_ROUND_MINUTES
from bot.engine.campaigns import MAX_CANON_FACT, MAX_DM_TEXT, MAX_LOCATION, MAX_PERSONA, MAX_SCENE, CampaignService
from bot.engine.combat import CombatService, TrackerState
from bot.engine.death import Revival
from bot.engine.generate import Difficulty, LocationKind, LootKind
from bot.engine.items import CustomSpec
from bot.engine.levelling import Milestones
from bot.engine.rounds import RoundService
from bot.engine.table import TableService
from bot.engine.turns import TurnEngine
from bot.engine.wording import counted
from bot.errors import GameError
from bot.settings import Settings
from bot.ui import campaign_views as views
from bot.ui import combat_views as fights
from bot.ui import dm_views
from bot.ui.fit import choices, fit_content
from bot.ui.narration import quiet_round, round_narration
from bot.ui.replies import reply
from bot.ui.text import safe
from cogs.common import actor_of, here
from cogs.dm.combat import DMCombatCog

# Discord takes integer options up to 2^53 - 1 (Int53Type); 2^53 makes it refuse the whole bulk sync.
ChangeId = Range[int, 1, 2**53 - 1]


async def guarded(interaction: Interaction[DMBot], action: dm_views.Action) -> None:
    """A button's action: a GameError becomes the same ephemeral reply a command would get."""
    try:
        await action(interaction)
    except GameError as error:
        await reply(interaction, f"⚠️ {error.message}", ephemeral=True)


@app_commands.guild_only()
class DMCog(
    commands.GroupCog,
    group_name="dm",
    group_description="The DM's controls of this channel's campaign",
):
    npc = app_commands.Group(name="npc", description="The campaign's NPCs")
    generate = app_commands.Group(name="generate", description="Encounters, loot, NPCs, places and quests")
    condition = app_commands.Group(name="condition", description="Conditions on characters and combatants")
    award = app_commands.Group(name="award", description="XP, items and coins for a character or the party")

    def __init__(
        self,
        campaigns: CampaignService,
        turns: TurnEngine,
        settings: Settings,
        table: TableService,
        fight: CombatService,
        board: fights.TrackerBoard,
        revival: Revival,
        milestones: Milestones,
        rounds: RoundService,
    ) -> None:
        self.rounds = rounds
        self.revival = revival
        self.milestones = milestones
        self.campaigns = campaigns
        self.turns = turns
        self.table = table
        self.fight = fight
        self.board = board  # the fights' tracker messages, shared with the combat cog
        self.default_model = settings.openai_model
        self.models = (settings.openai_model, *settings.narrator_models)
        super().__init__()

    async def show_tracker(self, interaction: Interaction[DMBot], state: TrackerState | None) -> None:
        """Edit the fight's one tracker message."""
        await fights.show_quietly(self.board, interaction.client, state)

    async def refresh_tracker(self, interaction: Interaction[DMBot], combat_id: int | None) -> None:
        if combat_id is None:
            return
        try:
            await self.board.refresh(interaction.client, combat_id)
        except (discord.HTTPException, GameError):
            pass  # the tracker is a convenience; the change itself is committed

    # The story ----------------------------------------------------------------------------------

    @app_commands.command(name="scene")
    @app_commands.describe(text="What the party sees now", location="A short name for the place (default: from text)")
    async def scene(
        self,
        interaction: Interaction[DMBot],
        text: Range[str, 1, MAX_SCENE],
        location: Range[str, 1, MAX_LOCATION] | None = None,
    ) -> None:
        """Set the scene: where the party is and what is around them."""
        crossing = await self.campaigns.dm_words_crossing(actor_of(interaction), text, location)
        if not (crossing.line or crossing.veil):
            info = await self.campaigns.set_scene(actor_of(interaction), text, location)
            await interaction.response.send_message(embed=views.scene_embed(info))
            return

        async def post(click: Interaction[DMBot]) -> None:
            info = await self.campaigns.set_scene(actor_of(click), text, location)
            await click.response.edit_message(content="🗺️ Set as you wrote it.", view=None)
            await click.followup.send(embed=views.scene_embed(info))

        warning = views.dm_crossing_warning(crossing.line, crossing.veil, what="scene")
        await self._confirm(interaction, warning, "Set it anyway", post)

    @app_commands.command(name="narrate")
    @app_commands.describe(text="Your words, posted as the DM and remembered as canon")
    async def narrate(self, interaction: Interaction[DMBot], text: Range[str, 1, MAX_DM_TEXT]) -> None:
        """Narrate in your own voice; the narrator treats it as canon."""
        crossing = await self.campaigns.dm_words_crossing(actor_of(interaction), text)
        if not (crossing.line or crossing.veil):
            _, words = await self.campaigns.dm_narrate(actor_of(interaction), text)
            await interaction.response.send_message(embed=views.dm_voice_embed(words))
            return

        async def post(click: Interaction[DMBot]) -> None:
            _, words = await self.campaigns.dm_narrate(actor_of(click), text)
            await click.response.edit_message(content="📜 Posted as you wrote it.", view=None)
            await click.followup.send(embed=views.dm_voice_embed(words))

        warning = views.dm_crossing_warning(crossing.line, crossing.veil)
        await self._confirm(interaction, warning, "Post anyway", post)

    @app_commands.command(name="retcon")
    async def retcon(self, interaction: Interaction[DMBot]) -> None:
        """Undo the last turn or fight action, whichever is newer: its changes reverted, struck from the story."""
        actor = actor_of(interaction)
        await self.campaigns.require_dm(actor)  # refuse privately, before the public "thinking…"
        await interaction.response.defer(thinking=True)  # waits for a turn in progress to finish
        report = await self.turns.retcon(actor)
        await interaction.followup.send(embed=views.retcon_embed(report))
        await self.refresh_tracker(interaction, report.combat_id)  # a fight action undone: the tracker follows

    @app_commands.command(name="end-round")
    async def end_round(self, interaction: Interaction[DMBot]) -> None:
        """Close the open round now: who has not acted passes, and one narration resolves the round."""
        view = await self.rounds.close(actor_of(interaction))  # refused privately, before the public "thinking…"
        await interaction.response.defer(thinking=True)
        if view.ticket is None:
            await interaction.followup.send(quiet_round(view))
            return
        interval = interaction.client.services.settings.narration_edit_interval_seconds
        await self.turns.run(view.ticket, round_narration(interaction, view, "closed by the DM", interval))

    # Canon --------------------------------------------------------------------------------------

    @app_commands.command(name="pin")
    @app_commands.describe(
        fact="One sentence the narrator must never contradict",
        public="The players may read it too (default: yours alone, kept secret by the narrator)",
    )
    async def pin(
        self, interaction: Interaction[DMBot], fact: Range[str, 1, MAX_CANON_FACT], public: bool = False
    ) -> None:
        """Pin a canon fact: it is in every prompt and never dropped from the narrator's memory."""
        entry = await self.campaigns.add_canon(actor_of(interaction), fact, public=public)
        whose = "public" if entry.public else "yours alone"
        await interaction.response.send_message(f"📌 Canon fact {entry.number} pinned ({whose}).", ephemeral=True)

    @app_commands.command(name="canon")
    async def canon(self, interaction: Interaction[DMBot]) -> None:
        """The pinned canon facts, numbered."""
        actor = actor_of(interaction)
        info = await self.campaigns.require_dm(actor)
        facts = await self.campaigns.canon(actor)
        await interaction.response.send_message(embed=views.canon_embed(info, facts), ephemeral=True)

    @app_commands.command(name="unpin")
    @app_commands.describe(number="The fact's number in `/dm canon`")
    async def unpin(self, interaction: Interaction[DMBot], number: Range[int, 1, 1000]) -> None:
        """Unpin a canon fact."""
        entry = await self.campaigns.remove_canon(actor_of(interaction), number)
        await interaction.response.send_message(f"🗑️ Canon fact {entry.number} removed.", ephemeral=True)

    # The narrator -------------------------------------------------------------------------------

    async def model_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        """The host's models are the DM's to choose from; nobody else is shown them."""
        try:
            await self.campaigns.require_dm(actor_of(interaction))
        except GameError:
            return []
        return choices(m for m in self.models if current.casefold() in m.casefold())

    @app_commands.command(name="settings")
    @app_commands.describe(
        persona="How the narrator speaks (up to 1,500 characters)",
        model="Which model narrates",
        content_rating="How dark the story may get",
        approval_bound="Damage or items taken above this wait for you",
        auto_approve="Nothing waits for your approval",
        consequences="A risky check failed by 5 or more hurts",
        auto_monsters="`/combat next` landing on a monster runs its turn (the narrator picks, the engine rolls)",
        secrets_on_player_turns="NPC secrets reach the narrator on players' turns (marked yours, kept until earned)",
        levelling="xp: XP allows a level (or you do); milestone: only your /dm allow-levelup does",
        start_level="Characters above it (and above what they earned) join only with your approval",
        fights_wait_above="A fight the narrator starts waits for your approval when it is harder than this",
        pace="turns: each /narrate is narrated at once; rounds: everyone acts or passes, one narration a round",
        round_minutes="A round closes this long after its first action (default 10)",
    )
    @app_commands.autocomplete(model=model_autocomplete)
    async def settings(
        self,
        interaction: Interaction[DMBot],
        persona: Range[str, 1, MAX_PERSONA] | None = None,
        model: Range[str, 1, 100] | None = None,
        content_rating: Literal["family", "teen", "mature"] | None = None,
        approval_bound: Range[int, 0, 1000] | None = None,
        auto_approve: bool | None = None,
        consequences: bool | None = None,
        auto_monsters: bool | None = None,
        secrets_on_player_turns: bool | None = None,
        levelling: Literal["xp", "milestone"] | None = None,
        start_level: Range[int, 1, 20] | None = None,
        fights_wait_above: Literal["easy", "medium", "hard", "deadly"] | None = None,
        pace: Literal["turns", "rounds"] | None = None,
        round_minutes: Range[int, 1, MAX_ROUND_MINUTES] | None = None,
    ) -> None:
        """Show or change the narrator's persona, model, rating and approvals."""
        actor = actor_of(interaction)
        changes = {
            "persona": persona,
            "model": model,
            "content_rating": content_rating,
            "approval_bound": approval_bound,
            "auto_approve": auto_approve,
            "consequences": consequences,
            "auto_monsters": auto_monsters,
            "secrets_on_player_turns": secrets_on_player_turns,
            "levelling": levelling,
            "start_level": start_level,
            "fights_wait_above": fights_wait_above,
            "pace": pace,
            "round_minutes": round_minutes,
        }
        if all(value is None for value in changes.values()):
            info = await self.campaigns.require_dm(actor)
        else:
            info = await self.campaigns.update_settings(actor, self.default_model, **changes)
        await interaction.response.send_message(embed=views.settings_embed(info, self.default_model), ephemeral=True)

    # Approvals ----------------------------------------------------------------------------------

    @app_commands.command(name="pending")
    async def pending(self, interaction: Interaction[DMBot]) -> None:
        """Changes the narrator proposed that wait for your approval."""
        items = await self.turns.pending(actor_of(interaction))
        await interaction.response.send_message(embed=views.pending_embed(items), ephemeral=True)

    @app_commands.command(name="approve")
    @app_commands.describe(change="The change's number (default: the oldest waiting)")
    async def approve(self, interaction: Interaction[DMBot], change: ChangeId | None = None) -> None:
        """Apply a waiting change (only you see the answer)."""
        await interaction.response.defer(ephemeral=True, thinking=True)  # waits for a turn in progress to end
        item, actions = await self.turns.approve(actor_of(interaction), change)
        await interaction.followup.send(embed=views.approved_embed(item, actions), ephemeral=True)

    @app_commands.command(name="deny")
    @app_commands.describe(change="The change's number (default: the oldest waiting)")
    async def deny(self, interaction: Interaction[DMBot], change: ChangeId | None = None) -> None:
        """Drop a waiting change."""
        item = await self.turns.deny(actor_of(interaction), change)
        await interaction.response.send_message(f"🚫 Change #{item.id} dropped.", ephemeral=True)

    # Hit points and conditions ------------------------------------------------------------------

    async def target_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        names = await self.table.target_names(actor_of(interaction), current, party=False)
        try:
            names += [n for n in await self.fight.target_names(here(interaction), current) if n not in names]
        except GameError:
            pass
        return choices(names)

    async def award_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return choices(await self.table.target_names(actor_of(interaction), current))

    @app_commands.command(name="damage")
    @app_commands.describe(
        target="A combatant or a character of the campaign",
        amount="Hit points",
        type="A damage type (resistances apply), e.g. fire",
    )
    @app_commands.autocomplete(target=target_autocomplete)
    async def damage(
        self,
        interaction: Interaction[DMBot],
        target: Range[str, 1, 64],
        amount: Range[int, 1, 10_000],
        type: Range[str, 1, 20] | None = None,
    ) -> None:
        """Deal damage to a combatant or a character (resistances by type apply)."""
        actor = actor_of(interaction)
        report = await self.fight.damage(actor, await self.table.campaign_id(actor), target, amount, type)
        notes = "".join(f"{safe(note)}\n" for note in report.notes)  # Wild Shape's beast dropping, a threshold
        await interaction.response.send_message(f"💥 {notes}{fights.damage_outcome(report)}")
        await fights.show_quietly(self.board, interaction.client, report.tracker)

    @app_commands.command(name="heal")
    @app_commands.describe(target="A combatant or a character of the campaign", amount="Hit points")
    @app_commands.autocomplete(target=target_autocomplete)
    async def heal(
        self, interaction: Interaction[DMBot], target: Range[str, 1, 64], amount: Range[int, 1, 10_000]
    ) -> None:
        """Heal a combatant or a character (from 0 HP: back on their feet)."""
        actor = actor_of(interaction)
        report = await self.fight.heal(actor, await self.table.campaign_id(actor), target, amount)
        await interaction.response.send_message(fights.damage_outcome(report))  # a heal says 💚 itself
        await fights.show_quietly(self.board, interaction.client, report.tracker)

    @app_commands.command(name="allow-levelup")
    @app_commands.describe(target="A character of the campaign, or `party`")
    @app_commands.autocomplete(target=award_autocomplete)
    async def allow_levelup(self, interaction: Interaction[DMBot], target: Range[str, 1, 64]) -> None:
        """Let a character (or the party) go up one level now, whatever their XP (milestones)."""
        lines = await self.milestones.allow(actor_of(interaction), target)
        await interaction.response.send_message(fit_content("⬆️ " + "\n⬆️ ".join(safe(line) for line in lines)))

    @app_commands.command(name="revive")
    @app_commands.describe(target="A dead (or dying) character of the campaign")
    @app_commands.autocomplete(target=award_autocomplete)
    async def revive(self, interaction: Interaction[DMBot], target: Range[str, 1, 64]) -> None:
        """Bring a dead or dying character back with 1 HP (a raising spell, or the DM's word)."""
        revived = await self.revival.revive(actor_of(interaction), target)
        await interaction.response.send_message(f"✨ **{safe(revived.name)}** is back with {revived.hp} HP.")
        await self.refresh_tracker(interaction, await self.fight.active_in_channel(interaction.channel_id))

    async def _condition(
        self, interaction: Interaction[DMBot], target: str, name: str, *, add: bool, rounds: int | None
    ) -> None:
        who = await self.table.set_condition(actor_of(interaction), target, name, add=add, rounds=rounds)
        lasting = f" for {counted(rounds, 'round')}" if rounds else ""
        verb = f"is now {name}{lasting}" if add else f"is no longer {name}"
        await interaction.response.send_message(f"🌀 {who} {verb}.")
        await self.refresh_tracker(interaction, await self.fight.active_in_channel(interaction.channel_id))

    @condition.command(name="add")
    @app_commands.describe(
        target="A combatant or character",
        condition="An SRD condition, e.g. poisoned",
        rounds="How many rounds (empty: until removed)",
    )
    @app_commands.autocomplete(target=target_autocomplete)
    async def condition_add(
        self,
        interaction: Interaction[DMBot],
        target: Range[str, 1, 64],
        condition: Range[str, 1, 30],
        rounds: Range[int, 1, 1000] | None = None,
    ) -> None:
        """Give a combatant or character a condition, optionally for some rounds."""
        await self._condition(interaction, target, condition, add=True, rounds=rounds)

    @condition.command(name="remove")
    @app_commands.describe(target="A combatant or character", condition="The condition to lift")
    @app_commands.autocomplete(target=target_autocomplete)
    async def condition_remove(
        self, interaction: Interaction[DMBot], target: Range[str, 1, 64], condition: Range[str, 1, 30]
    ) -> None:
        """Lift a condition."""
        await self._condition(interaction, target, condition, add=False, rounds=None)

    # Awards -------------------------------------------------------------------------------------

    @award.command(name="xp")
    @app_commands.describe(target="A character of the campaign, or `party`", amount="XP each")
    @app_commands.autocomplete(target=award_autocomplete)
    async def award_xp(
        self, interaction: Interaction[DMBot], target: Range[str, 1, 64], amount: Range[int, 1, 100_000]
    ) -> None:
        """Award XP to a character or to each of the party."""
        award = await self.table.award_xp(actor_of(interaction), target, amount)
        await interaction.response.send_message(dm_views.award_text(award))

    async def award_item_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        pairs = await self.table.item_names(actor_of(interaction), current)
        return [Choice(name=label[:100], value=value[:100]) for value, label in pairs]

    @award.command(name="item")
    @app_commands.describe(
        target="A character of the campaign, or `party`",
        item="An SRD item or magic item, or this campaign's or server's homebrew item",
        quantity="How many (each)",
    )
    @app_commands.autocomplete(target=award_autocomplete, item=award_item_autocomplete)
    async def award_item(
        self,
        interaction: Interaction[DMBot],
        target: Range[str, 1, 64],
        item: Range[str, 1, 100],
        quantity: Range[int, 1, 100] = 1,
    ) -> None:
        """Give an SRD or homebrew item to a character or to each of the party."""
        award = await self.table.award_item(actor_of(interaction), target, item, quantity)
        await interaction.response.send_message(dm_views.award_text(award))

    @award.command(name="custom")
    @app_commands.describe(
        target="A character of the campaign, or `party`",
        name="The item's name",
        description="What it is and does (players read it in their inventory)",
        weight="Its weight in pounds",
        value="Its value in gold pieces",
        quantity="How many (each)",
        damage="As a weapon: its damage, e.g. 1d8 slashing",
        ac_bonus="As armour or a ward: AC it adds while equipped",
    )
    @app_commands.autocomplete(target=award_autocomplete)
    async def award_custom(
        self,
        interaction: Interaction[DMBot],
        target: Range[str, 1, 64],
        name: Range[str, 1, 64],
        description: Range[str, 0, 500] = "",
        weight: Range[float, 0, 10_000] = 0,
        value: Range[float, 0, 10_000_000] = 0,
        quantity: Range[int, 1, 100] = 1,
        damage: Range[str, 1, 30] | None = None,
        ac_bonus: Range[int, 1, 5] | None = None,
    ) -> None:
        """Give an item of your own making (name, description, weight, value) to a character or the party."""
        spec = CustomSpec(name, description, weight, value, damage, ac_bonus or 0)
        award = await self.table.award_custom(actor_of(interaction), target, spec, quantity)
        await interaction.response.send_message(dm_views.award_text(award))

    @award.command(name="coins")
    @app_commands.describe(target="A character of the campaign, or `party`")
    @app_commands.autocomplete(target=award_autocomplete)
    async def award_coins(
        self,
        interaction: Interaction[DMBot],
        target: Range[str, 1, 64],
        pp: Range[int, 0, 100_000] = 0,
        gp: Range[int, 0, 100_000] = 0,
        ep: Range[int, 0, 100_000] = 0,
        sp: Range[int, 0, 100_000] = 0,
        cp: Range[int, 0, 100_000] = 0,
    ) -> None:
        """Give coins to a character or to each of the party."""
        coins = {"pp": pp, "gp": gp, "ep": ep, "sp": sp, "cp": cp}
        award = await self.table.award_coins(actor_of(interaction), target, coins)
        await interaction.response.send_message(dm_views.award_text(award))

    # NPCs ---------------------------------------------------------------------------------------

    async def npc_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return choices(await self.table.npc_names(actor_of(interaction), current))

    @npc.command(name="create")
    @app_commands.describe(name="Default: from the name tables", role="e.g. innkeeper (default: from the tables)")
    async def npc_create(
        self,
        interaction: Interaction[DMBot],
        name: Range[str, 1, 64] | None = None,
        role: Range[str, 1, 80] | None = None,
    ) -> None:
        """Create an NPC; personality, voice, motive and a secret are filled in for you."""
        await interaction.response.defer(ephemeral=True, thinking=True)  # the narrator may take a few seconds
        npc, _ = await self.table.npc_create(actor_of(interaction), name, role)
        await interaction.followup.send(embed=dm_views.npc_embed(npc), ephemeral=True)

    @npc.command(name="list")
    async def npc_list(self, interaction: Interaction[DMBot]) -> None:
        """The campaign's NPCs."""
        npcs = await self.table.npcs(actor_of(interaction))
        await interaction.response.send_message(embed=dm_views.npc_list_embed(npcs), ephemeral=True)

    @npc.command(name="show")
    @app_commands.autocomplete(name=npc_autocomplete)
    async def npc_show(self, interaction: Interaction[DMBot], name: Range[str, 1, 64]) -> None:
        """One NPC, with their secret (only you see it)."""
        npc = await self.table.npc(actor_of(interaction), name)
        await interaction.response.send_message(embed=dm_views.npc_embed(npc), ephemeral=True)

    @npc.command(name="edit")
    @app_commands.autocomplete(name=npc_autocomplete)
    async def npc_edit(
        self,
        interaction: Interaction[DMBot],
        name: Range[str, 1, 64],
        new_name: Range[str, 1, 64] | None = None,
        role: Range[str, 1, 80] | None = None,
        description: Range[str, 1, 500] | None = None,
        secret: Range[str, 1, 500] | None = None,
        public: bool | None = None,
    ) -> None:
        """Change an NPC's name, role, description, secret, or whether the players know of them."""
        npc = await self.table.npc_edit(
            actor_of(interaction),
            name,
            new_name=new_name,
            role=role,
            description=description,
            secret=secret,
            public=public,
        )
        await interaction.response.send_message(embed=dm_views.npc_embed(npc), ephemeral=True)

    @npc.command(name="remove")
    @app_commands.autocomplete(name=npc_autocomplete)
    async def npc_remove(self, interaction: Interaction[DMBot], name: Range[str, 1, 64]) -> None:
        """Remove an NPC from the campaign."""
        gone = await self.table.npc_remove(actor_of(interaction), name)
        await interaction.response.send_message(f"🗑️ {gone} is gone from the story.", ephemeral=True)

    # Generated content --------------------------------------------------------------------------

    async def _offer(
        self, interaction: Interaction[DMBot], embed: discord.Embed, start: dm_views.Action | None = None
    ) -> None:
        """Private to the DM, with "Post to channel" (and "Start combat" for an encounter)."""
        view = dm_views.GeneratedView(interaction.user.id, embed, start)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        view.message = await interaction.original_response()

    @generate.command(name="encounter")
    @app_commands.describe(
        difficulty="By the SRD XP thresholds", theme="e.g. crypt, wilds, bandits, or a monster type (undead)"
    )
    async def generate_encounter(
        self, interaction: Interaction[DMBot], difficulty: Difficulty = "medium", theme: Range[str, 1, 40] | None = None
    ) -> None:
        """An encounter for the party's levels, from SRD monsters."""
        actor = actor_of(interaction)
        found = await self.table.encounter(actor, difficulty, theme)
        monsters = [(g.monster, g.count) for g in found.groups]

        async def start(click: Interaction[DMBot]) -> None:
            combat_id, names = await self.table.fight_for(actor_of(click), monsters)
            fight = fit_content(f"⚔️ Into the fight: {', '.join(names)}. Players: `/combat join`.")
            await click.response.send_message(fight)
            await self.refresh_tracker(click, combat_id)

        embed = dm_views.generated_embed(f"👹 A {difficulty} encounter", found.lines())
        await self._offer(interaction, embed, lambda click: guarded(click, start))

    @generate.command(name="loot")
    @app_commands.describe(cr="The challenge rating it comes from", kind="One creature's, or a lair's hoard")
    async def generate_loot(
        self, interaction: Interaction[DMBot], cr: Range[float, 0, 30] = 1, kind: LootKind = "individual"
    ) -> None:
        """Treasure by challenge rating."""
        loot = await self.table.loot(actor_of(interaction), cr, kind)
        await self._offer(interaction, dm_views.generated_embed(f"💰 Loot (CR {cr:g}, {kind})", loot.lines()))

    @generate.command(name="npc")
    async def generate_npc(
        self,
        interaction: Interaction[DMBot],
        name: Range[str, 1, 64] | None = None,
        role: Range[str, 1, 80] | None = None,
    ) -> None:
        """An NPC sketch (not saved: `/dm npc create` keeps one)."""
        sketch = await self.table.npc_sketch(actor_of(interaction), name, role)
        await self._offer(interaction, dm_views.generated_embed(f"🎭 {sketch.name}", sketch.lines()))

    @generate.command(name="location")
    @app_commands.describe(kind="What kind of place")
    async def generate_location(self, interaction: Interaction[DMBot], kind: LocationKind = "tavern") -> None:
        """A dungeon room, settlement, tavern, shop or temple."""
        place = await self.table.location(actor_of(interaction), kind)
        await self._offer(interaction, dm_views.generated_embed(f"🗺️ {place.name}", place.lines()))

    @generate.command(name="quest")
    async def generate_quest(self, interaction: Interaction[DMBot]) -> None:
        """A quest hook for the party's level."""
        hook = await self.table.quest(actor_of(interaction))
        await self._offer(interaction, dm_views.generated_embed("📜 A quest hook", hook.lines()))

    # The table ----------------------------------------------------------------------------------

    async def _confirm(
        self, interaction: Interaction[DMBot], question: str, label: str, action: dm_views.Action
    ) -> None:
        view = dm_views.ConfirmView(interaction.user.id, label, lambda click: guarded(click, action))
        await interaction.response.send_message(question, view=view, ephemeral=True)
        view.message = await interaction.original_response()

    @app_commands.command(name="kick")
    @app_commands.describe(player="The player whose character leaves the campaign")
    async def kick(self, interaction: Interaction[DMBot], player: discord.Member) -> None:
        """Remove a player's character from the campaign (asks to confirm)."""
        name = await self.table.check_kick(actor_of(interaction), player.id)

        async def do(click: Interaction[DMBot]) -> None:
            gone = await self.table.kick(actor_of(click), player.id)
            await click.response.edit_message(content=f"👢 {gone} has left the party.", view=None)

        await self._confirm(interaction, f"Remove **{name}** from the campaign?", f"Remove {name}"[:80], do)

    async def _status(self, interaction: Interaction[DMBot], status: str, text: str) -> None:
        change = await self.table.set_status(actor_of(interaction), status)
        await interaction.response.send_message(text.format(name=change.campaign))

    @app_commands.command(name="pause")
    async def pause(self, interaction: Interaction[DMBot]) -> None:
        """Pause the campaign: no turns and no fight moves until you resume."""
        await self._status(interaction, "paused", "⏸️ **{name}** is paused.")

    @app_commands.command(name="resume")
    async def resume(self, interaction: Interaction[DMBot]) -> None:
        """Resume a paused campaign."""
        await self._status(interaction, "active", "▶️ **{name}** resumes.")

    @app_commands.command(name="end")
    async def end(self, interaction: Interaction[DMBot]) -> None:
        """End the campaign for good (asks to confirm); a running fight ends with it."""
        info = await self.campaigns.require_dm(actor_of(interaction))
        combat_id = await self.fight.active_for_campaign(info.id)

        async def do(click: Interaction[DMBot]) -> None:
            change = await self.table.set_status(actor_of(click), "ended")
            await click.response.edit_message(content="Done.", view=None)
            await click.followup.send(f"🏁 **{change.campaign}** has ended. Thank you for playing!")
            await self.refresh_tracker(click, combat_id)

        await self._confirm(interaction, f"End **{info.name}** for good?", "End the campaign", do)

    @app_commands.command(name="transfer")
    @app_commands.describe(user="The member who runs the campaign from now on")
    async def transfer(self, interaction: Interaction[DMBot], user: discord.Member) -> None:
        """Hand the campaign to another member (asks to confirm)."""
        info = await self.campaigns.require_dm(actor_of(interaction))

        async def do(click: Interaction[DMBot]) -> None:
            change = await self.table.transfer(actor_of(click), user.id, is_bot=user.bot)
            await click.response.edit_message(content="Done.", view=None)
            await click.followup.send(f"👑 **{change.campaign}** is now run by {user.mention}.")

        await self._confirm(interaction, f"Hand **{info.name}** to {user.mention}?", "Hand it over", do)


async def setup(bot: DMBot) -> None:
    engine = bot.services.campaign
    await bot.add_cog(
        DMCog(
            engine.campaigns,
            engine.turns,
            bot.services.settings,
            bot.services.table,
            bot.services.combat,
            bot.services.board,
            bot.services.revival,
            bot.services.milestones,
            engine.rounds,
        )
    )
    services = bot.services
    await bot.add_cog(DMCombatCog(services.combat, services.board, services.table, services.homebrew))
