"""`/campaign ...`, `/session start|end` and `/recap`: thin, the engine in `bot.engine.campaigns` does the work."""

from __future__ import annotations

import io

import discord
import structlog
from discord import Interaction, app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import DMBot
from bot.discord_limits import UPLOAD_BYTES
from bot.engine.campaigns import MAX_NAME, MAX_SETTING, MAX_TONE, CampaignService
from bot.engine.characters import CharacterService
from bot.engine.exports import CampaignExporter
from bot.engine.stats import StatsService
from bot.ui import campaign_views as views
from bot.ui import stats_views, uploads
from bot.ui.fit import choices
from bot.ui.replies import reply_embeds
from bot.ui.text import safe
from cogs.common import actor_of

log = structlog.get_logger(__name__)

RECAP_CHARS = 3800  # an embed's description holds 4,096


@app_commands.guild_only()
class CampaignCog(commands.GroupCog, group_name="campaign", group_description="Campaigns bound to a channel"):
    def __init__(self, campaigns: CampaignService, characters: CharacterService, exporter: CampaignExporter) -> None:
        self.campaigns = campaigns
        self.characters = characters
        self.exporter = exporter
        super().__init__()

    async def character_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return choices(await self.characters.names(actor_of(interaction), current))

    @app_commands.command(name="create")
    @app_commands.describe(name="The campaign's name", tone="e.g. grim, heroic, comic", setting="Where and when")
    async def create(
        self,
        interaction: Interaction[DMBot],
        name: Range[str, 1, MAX_NAME],
        tone: Range[str, 0, MAX_TONE] = "",
        setting: Range[str, 0, MAX_SETTING] = "",
    ) -> None:
        """Start a campaign in this channel or thread; you are its DM."""
        roles = [r.id for r in getattr(interaction.user, "roles", [])]
        info = await self.campaigns.create(
            actor_of(interaction), name, tone, setting, roles=roles, manage=interaction.permissions.manage_guild
        )
        await interaction.response.send_message(embed=views.created_embed(info))

    @app_commands.command(name="join")
    @app_commands.describe(character="Which of your characters (default: your active one)")
    @app_commands.autocomplete(character=character_autocomplete)
    async def join(self, interaction: Interaction[DMBot], character: Range[str, 1, 64] | None = None) -> None:
        """Bring your character into this channel's campaign."""
        info, name = await self.campaigns.join(actor_of(interaction), character)
        await interaction.response.send_message(f"⚔️ **{safe(name)}** joins **{safe(info.name)}**.")

    @app_commands.command(name="leave")
    async def leave(self, interaction: Interaction[DMBot]) -> None:
        """Take your character out of this channel's campaign."""
        info, name = await self.campaigns.leave(actor_of(interaction))
        await interaction.response.send_message(f"👋 **{safe(name)}** leaves **{safe(info.name)}**.")

    @app_commands.command(name="info")
    async def info(self, interaction: Interaction[DMBot]) -> None:
        """This channel's campaign: party, scene and table settings."""
        overview = await self.campaigns.overview(actor_of(interaction))
        await interaction.response.send_message(embed=views.overview_embed(overview), ephemeral=True)

    @app_commands.command(name="list")
    async def list_(self, interaction: Interaction[DMBot]) -> None:
        """The campaigns running on this server."""
        campaigns = await self.campaigns.list_here(actor_of(interaction))
        await interaction.response.send_message(embed=views.list_embed(campaigns), ephemeral=True)

    @app_commands.command(name="export")
    async def export(self, interaction: Interaction[DMBot]) -> None:
        """The whole campaign as Markdown and JSON files (only you see them)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        limit = min(interaction.filesize_limit, UPLOAD_BYTES)
        async with self.exporter.files(actor_of(interaction)) as export:
            async for number, total, batch in uploads.messages(export.files, limit):
                part = f" (part {number} of {total}: Discord takes {limit // 2**20} MiB a message)"
                await interaction.followup.send(
                    f"📦 The campaign, as Markdown and JSON{part if total > 1 else ''}.",
                    files=[discord.File(io.BytesIO(data), filename=name) for name, data in batch],
                    ephemeral=True,
                )

    @app_commands.command(name="safety")
    @app_commands.describe(
        lines="Never in the story, comma-separated (empty: keep; `none`: clear)",
        veils="Only off-screen, comma-separated (empty: keep; `none`: clear)",
    )
    async def safety(
        self,
        interaction: Interaction[DMBot],
        lines: Range[str, 1, 2000] | None = None,
        veils: Range[str, 1, 2000] | None = None,
    ) -> None:
        """Show the table's lines and veils; the DM sets them, and the narrator respects them."""
        actor = actor_of(interaction)
        if lines is None and veils is None:
            info = await self.campaigns.here(actor)
            await interaction.response.send_message(embed=views.safety_embed(info), ephemeral=True)
            return
        info = await self.campaigns.set_safety(actor, _cleared(lines), _cleared(veils))
        await interaction.response.send_message(embed=views.safety_embed(info))


def _cleared(value: str | None) -> str | None:
    return "" if value is not None and value.strip().lower() == "none" else value


@app_commands.guild_only()
class SessionCog(commands.GroupCog, group_name="session", group_description="Play sessions of this campaign"):
    def __init__(self, campaigns: CampaignService, stats: StatsService | None = None) -> None:
        self.campaigns = campaigns
        self.stats = stats  # the session's dice, shown under its summary
        super().__init__()

    @app_commands.command(name="start")
    async def start(self, interaction: Interaction[DMBot]) -> None:
        """Begin a session with a "previously…" recap (DM)."""
        report = await self.campaigns.start_session(actor_of(interaction), RECAP_CHARS)
        await reply_embeds(interaction, views.session_embeds(report, started=True))

    @app_commands.command(name="end")
    async def end(self, interaction: Interaction[DMBot]) -> None:
        """End the session: what happened, and who was there (DM)."""
        report = await self.campaigns.end_session(actor_of(interaction), RECAP_CHARS)
        await reply_embeds(interaction, views.session_embeds(report, started=False))
        if self.stats is None:
            return
        try:  # the session has ended and its summary is posted: its dice are a bonus, never an error reply
            dice = await self.stats.last_session(actor_of(interaction))
            if dice is not None:
                names = stats_views.member_names(interaction.guild)
                await interaction.followup.send(embed=stats_views.session_dice_embed(dice, names))
        except Exception:
            log.exception("could not show the session's dice")


class RecapCog(commands.Cog):
    def __init__(self, campaigns: CampaignService) -> None:
        self.campaigns = campaigns

    @app_commands.command(name="recap")
    @app_commands.guild_only()
    async def recap(self, interaction: Interaction[DMBot]) -> None:
        """The story so far in this channel's campaign."""
        info, text = await self.campaigns.recap(actor_of(interaction), RECAP_CHARS)
        await reply_embeds(interaction, views.recap_embeds(info, text))


async def setup(bot: DMBot) -> None:
    campaigns = bot.services.campaign.campaigns
    await bot.add_cog(CampaignCog(campaigns, bot.services.characters, bot.services.campaign.exports))
    await bot.add_cog(SessionCog(campaigns, bot.services.stats))
    await bot.add_cog(RecapCog(campaigns))
