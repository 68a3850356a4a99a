"""`/dm ...`: the DM's controls over this channel's campaign.

One GroupCog for everything the DM does (scene, narration, retcon, canon, narrator settings and
approvals here; fights and table management join it as further commands and subgroups). Each
command is parse → one engine call → render; the engine checks that the caller is the DM.
"""

from __future__ import annotations

from typing import Literal

from discord import Interaction, app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.campaigns import MAX_CANON_FACT, MAX_DM_TEXT, MAX_LOCATION, MAX_PERSONA, MAX_SCENE, CampaignService
from bot.engine.rolls import Actor
from bot.engine.turns import TurnEngine
from bot.settings import Settings
from bot.ui import campaign_views as views

ChangeId = Range[int, 1, 2**53]


def actor_of(interaction: Interaction[DMBot]) -> Actor:
    return Actor(user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id)


@app_commands.guild_only()
class DMCog(commands.GroupCog, group_name="dm", group_description="The DM's controls of this channel's campaign"):
    def __init__(self, campaigns: CampaignService, turns: TurnEngine, settings: Settings) -> None:
        self.campaigns = campaigns
        self.turns = turns
        self.default_model = settings.openai_model
        self.models = (settings.openai_model, *settings.narrator_models)
        super().__init__()

    # The story ----------------------------------------------------------------------------------

    @app_commands.command(name="scene")
    @app_commands.describe(text="What the party sees now", location="A short name for the place (default: from text)")
    async def scene(
        self, interaction: Interaction[DMBot], text: Range[str, 1, MAX_SCENE],
        location: Range[str, 1, MAX_LOCATION] | None = None,
    ) -> None:  # fmt: skip
        """Set the scene: where the party is and what is around them."""
        info = await self.campaigns.set_scene(actor_of(interaction), text, location)
        await interaction.response.send_message(embed=views.scene_embed(info))

    @app_commands.command(name="narrate")
    @app_commands.describe(text="Your words, posted as the DM and remembered as canon")
    async def narrate(self, interaction: Interaction[DMBot], text: Range[str, 1, MAX_DM_TEXT]) -> None:
        """Narrate in your own voice; the narrator treats it as canon."""
        _, words = await self.campaigns.dm_narrate(actor_of(interaction), text)
        await interaction.response.send_message(embed=views.dm_voice_embed(words))

    @app_commands.command(name="retcon")
    async def retcon(self, interaction: Interaction[DMBot]) -> None:
        """Undo the last turn: its changes are reverted and its narration struck from the story."""
        actor = actor_of(interaction)
        await self.campaigns.require_dm(actor)  # refuse privately, before the public "thinking…"
        await interaction.response.defer(thinking=True)  # waits for a turn in progress to finish
        report = await self.turns.retcon(actor)
        await interaction.followup.send(embed=views.retcon_embed(report))

    # Canon --------------------------------------------------------------------------------------

    @app_commands.command(name="pin")
    @app_commands.describe(fact="One sentence the narrator must never contradict")
    async def pin(self, interaction: Interaction[DMBot], fact: Range[str, 1, MAX_CANON_FACT]) -> None:
        """Pin a canon fact: it is in every prompt and never dropped from the narrator's memory."""
        entry = await self.campaigns.add_canon(actor_of(interaction), fact)
        await interaction.response.send_message(f"📌 Canon fact {entry.number} pinned.", ephemeral=True)

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

    async def model_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return [Choice(name=m, value=m) for m in self.models if current.casefold() in m.casefold()][:25]

    @app_commands.command(name="settings")
    @app_commands.describe(
        persona="How the narrator speaks (up to 1,500 characters)", model="Which model narrates",
        content_rating="How dark the story may get", approval_bound="Damage or items taken above this wait for you",
        auto_approve="Nothing waits for your approval", consequences="A risky check failed by 5 or more hurts",
    )  # fmt: skip
    @app_commands.autocomplete(model=model_autocomplete)
    async def settings(
        self, interaction: Interaction[DMBot], persona: Range[str, 1, MAX_PERSONA] | None = None,
        model: Range[str, 1, 100] | None = None, content_rating: Literal["family", "teen", "mature"] | None = None,
        approval_bound: Range[int, 0, 1000] | None = None, auto_approve: bool | None = None,
        consequences: bool | None = None,
    ) -> None:  # fmt: skip
        """Show or change the narrator's persona, model, rating and approvals."""
        actor = actor_of(interaction)
        changes = {"persona": persona, "model": model, "content_rating": content_rating,
                   "approval_bound": approval_bound, "auto_approve": auto_approve, "consequences": consequences}
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


async def setup(bot: DMBot) -> None:
    engine = bot.services.campaign
    await bot.add_cog(DMCog(engine.campaigns, engine.turns, bot.services.settings))
