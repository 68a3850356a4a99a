"""`/stats player` and `/stats campaign`: dice statistics from the roll log and the fights, with a chart.

The chart is drawn in a worker thread (`asyncio.to_thread`), so the event loop never waits on matplotlib;
the command defers first, as reading the log and drawing may take longer than Discord's 3 seconds.
"""

from __future__ import annotations

import asyncio
import io

import discord
from discord import Interaction, app_commands
from discord.ext import commands

from bot.app import DMBot
from bot.engine.stats import StatsService
from bot.ui import stats_views as views
from cogs.common import actor_of


class StatsCog(commands.GroupCog, group_name="stats", group_description="Dice statistics: players and campaigns"):
    def __init__(self, stats: StatsService) -> None:
        self.stats = stats
        super().__init__()

    @app_commands.command(name="player")
    @app_commands.describe(player="Whose rolls (default: yours)", chart="Attach a chart of the d20s")
    async def player(
        self, interaction: Interaction[DMBot], player: discord.User | None = None, chart: bool = True
    ) -> None:
        """Your rolls on this server: d20 faces, natural 20s and 1s, luck against a fair die, by character."""
        await interaction.response.defer(thinking=True)
        who = player or interaction.user
        found = await self.stats.player(actor_of(interaction), who.id)
        draw = chart and found.d20.count > 0
        embed = views.player_embed(found, who.display_name, chart=draw)
        if draw:
            png = await asyncio.to_thread(views.d20_chart, found.d20, who.display_name)
            await interaction.followup.send(embed=embed, file=discord.File(io.BytesIO(png), views.CHART_NAME))
        else:
            await interaction.followup.send(embed=embed)

    @app_commands.command(name="campaign")
    @app_commands.describe(chart="Attach a chart of damage dealt and taken")
    async def campaign(self, interaction: Interaction[DMBot], chart: bool = True) -> None:
        """This channel's campaign: who rolled what, attacks, crits, damage dealt and taken, who dropped whom."""
        await interaction.response.defer(thinking=True)
        found = await self.stats.campaign(actor_of(interaction))
        draw = chart and bool(found.fighters)
        embed = views.campaign_embed(found, views.member_names(interaction.guild), chart=draw)
        if draw:
            png = await asyncio.to_thread(views.damage_chart, found.fighters, found.name)
            await interaction.followup.send(embed=embed, file=discord.File(io.BytesIO(png), views.FIGHT_CHART_NAME))
        else:
            await interaction.followup.send(embed=embed)


async def setup(bot: DMBot) -> None:
    await bot.add_cog(StatsCog(bot.services.stats))
