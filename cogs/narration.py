"""`/narrate action`: one turn of the story. Checked, deferred at once, then streamed into the reply.

A campaign that plays in rounds gathers the party's actions first (`/narrate`, `/pass`; `bot.engine.rounds`): the
action that completes a round gets the round's narration as its reply; a round whose time runs out with nobody
coming is closed by a timer here and narrated into the channel."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

import structlog
from discord import AllowedMentions, HTTPException, Interaction, app_commands
from discord.abc import Messageable
from discord.app_commands import Range
from discord.ext import commands

from bot.app import DMBot
from bot.engine.memory import MAX_ACTION_CHARS
from bot.engine.rounds import PASS_TEXT, RoundService, RoundView
from bot.engine.safety import LineCrossed
from bot.engine.sheet import Actor
from bot.engine.turns import TurnEngine, TurnTicket
from bot.errors import InvalidInput
from bot.ui.narration import (
    ChannelNarration,
    DiscordNarration,
    quiet_round,
    round_heading,
    round_narration,
    round_note,
)

log = structlog.get_logger(__name__)

DM_NOTE_EVERY = 60.0  # seconds between two notes to the DM about one player crossing one line


class NarrationCog(commands.Cog):
    def __init__(self, bot: DMBot, turns: TurnEngine, rounds: RoundService, *, interval: float) -> None:
        self.bot = bot
        self.turns = turns
        self.rounds = rounds
        self.interval = interval  # least seconds between two edits of the streaming reply
        self.told: dict[tuple[int, int, str], float] = {}  # (DM, player, line) → when the DM was last told
        self.timers: dict[int, asyncio.Task[None]] = {}  # campaign → the task that closes its round on time

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Rounds left open by the last run of the bot get their timers again (each closes when due)."""
        for campaign_id, channel_id in await self.rounds.open_rounds():
            self._arm(campaign_id, self.bot.get_channel(channel_id))

    async def cog_unload(self) -> None:
        for task in self.timers.values():
            task.cancel()

    @app_commands.command(name="narrate")
    @app_commands.describe(action="What your character does, e.g. I search the altar for traps")
    @app_commands.guild_only()
    async def narrate(self, interaction: Interaction[DMBot], action: Range[str, 1, MAX_ACTION_CHARS]) -> None:
        """Play a turn: the DM (AI or offline) narrates, the engine rolls and keeps the state."""
        actor = Actor(user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id)
        try:
            ticket = await self.turns.prepare(actor, action, interaction.user.display_name)  # bad input: not deferred
        except LineCrossed as crossed:  # the player gets the private note first; then the DM hears of it
            await interaction.response.send_message(crossed.message, ephemeral=True)
            if self._worth_telling(crossed, interaction.user.id):
                await tell_dm(interaction, crossed)
            return
        if ticket.pace == "rounds" and ticket.character_id is not None:
            await self._join_round(interaction, ticket, passed=False)
            return
        await interaction.response.defer(thinking=True)
        await self.turns.run(ticket, DiscordNarration(interaction, interval=self.interval))

    @app_commands.command(name="pass")
    @app_commands.guild_only()
    async def pass_round(self, interaction: Interaction[DMBot]) -> None:
        """Sit this round out: your character holds back, and the round resolves without waiting for you."""
        actor = Actor(user_id=interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id)
        ticket = await self.turns.prepare(actor, PASS_TEXT, interaction.user.display_name)
        if ticket.pace != "rounds":
            raise InvalidInput(
                f"{ticket.campaign_name} plays one turn per action: there is no round to pass. "
                "Its DM can switch with `/dm settings pace:rounds`."
            )
        await self._join_round(interaction, ticket, passed=True)

    async def _join_round(self, interaction: Interaction[DMBot], ticket: TurnTicket, *, passed: bool) -> None:
        view = await self.rounds.submit(ticket, passed=passed)
        if view.ticket is None and not view.quiet:
            await interaction.response.send_message(round_note(view), allowed_mentions=AllowedMentions.none())
            self._close_on_time(ticket.campaign_id, interaction.channel, view)
            return
        await interaction.response.defer(thinking=True)
        if view.ticket is None:
            await interaction.followup.send(quiet_round(view))
            return
        await self.turns.run(view.ticket, round_narration(interaction, view, "everyone is ready", self.interval))

    def _close_on_time(self, campaign_id: int, channel: object, view: RoundView) -> None:
        """A timer for the open round, unless one runs: when it fires the round closes (if still open and due)."""
        if view.closes_at is not None:
            self._arm(campaign_id, channel)

    def _arm(self, campaign_id: int, channel: object) -> None:
        running = self.timers.get(campaign_id)
        if isinstance(channel, Messageable) and (running is None or running.done()):
            self.timers[campaign_id] = asyncio.create_task(
                self._timer(campaign_id, channel), name=f"round-{campaign_id}"
            )

    async def _timer(self, campaign_id: int, channel: Messageable) -> None:
        while (closes := await self.rounds.deadline(campaign_id)) is not None:
            await asyncio.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds()) + 0.05)
            view = await self.rounds.close_due(campaign_id)
            if view is None:
                continue  # closed meanwhile, or a later round opened: wait for its deadline
            if view.ticket is None:
                with contextlib.suppress(HTTPException):
                    await channel.send(quiet_round(view), allowed_mentions=AllowedMentions.none())
                continue
            sink = ChannelNarration(channel, round_heading(view, "its time is up"))
            try:
                await self.turns.run(view.ticket, sink)
            except Exception:  # a timer has nobody to answer: the log says why, the next round goes on
                log.exception("a round closed by its timer failed", campaign_id=campaign_id)

    def _worth_telling(self, crossed: LineCrossed, player: int) -> bool:
        """Once a minute per player and line: a player trying again must not flood the DM's inbox."""
        key, now = (crossed.dm_id, player, crossed.line), time.monotonic()
        if now - self.told.get(key, -DM_NOTE_EVERY) < DM_NOTE_EVERY:
            return False
        self.told = {k: t for k, t in self.told.items() if now - t < DM_NOTE_EVERY}
        self.told[key] = now
        return True


async def tell_dm(interaction: Interaction[DMBot], crossed: LineCrossed) -> None:
    """A direct message to the campaign's DM (unless the DM crossed it): a closed DM inbox is not an error."""
    if crossed.dm_id == interaction.user.id:
        return
    try:
        dm = interaction.client.get_user(crossed.dm_id) or await interaction.client.fetch_user(crossed.dm_id)
        await dm.send(crossed.dm_note, allowed_mentions=AllowedMentions.none())
    except HTTPException:
        return


async def setup(bot: DMBot) -> None:
    settings = bot.services.settings
    campaign = bot.services.campaign
    await bot.add_cog(
        NarrationCog(bot, campaign.turns, campaign.rounds, interval=settings.narration_edit_interval_seconds)
    )
