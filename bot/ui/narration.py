"""A turn's narration streamed into Discord: the deferred reply is edited as the text arrives.

The first words go out the moment they arrive; after that the reply is edited at most once per
`interval` seconds (Discord rate-limits edits; ~5 per 5 s per message), always with the latest
text, so a fast model costs no more edits than a slow one (bot/ui/coalesce.py paces them). Past
2,000 characters the text goes on in followup messages, split at a space so a word is never cut.
When the turn ends, the last message gets the "What the dice said" embed (every roll and change of
the turn, from the engine) and a button that shows the whole trace, refusals included.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import discord
import structlog

from bot import discord_limits as limits
from bot.engine.rounds import RoundView
from bot.engine.tool_calls import EngineAction
from bot.engine.turns import TurnOutcome
from bot.engine.wording import counted
from bot.ui.coalesce import EditCoalescer
from bot.ui.fit import fit_embed, fit_lines
from bot.ui.text import safe

log = structlog.get_logger(__name__)

PAGE = 1900  # under Discord's 2,000 characters a message
MAX_TRACE_LINES = 15
TRACE_TIMEOUT = 15 * 60.0  # interaction tokens last 15 minutes; the button cannot outlive them
ICONS = {
    "check": "🎲",
    "consequence": "💥",
    "damage": "💔",
    "heal": "💚",
    "condition": "🌀",
    "item": "🎒",
    "xp": "⭐",
    "npc": "🧑",
    "scene": "🗺️",
    "combat": "⚔️",
    "pending": "⏳",
    "refused": "⛔",
}
NONE = discord.AllowedMentions.none()
REPLY = "reply"  # the one key of a turn's coalesced edits: its reply and the followups after it


def pages_of(text: str, size: int = PAGE) -> list[str]:
    """Split at the last space before `size`; once a page is full its boundary never moves."""
    pages: list[str] = []
    rest = text
    while len(rest) > size:
        cut = rest.rfind(" ", 0, size)
        cut = cut if cut > size // 2 else size
        pages.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" ")
    pages.append(rest)
    return pages


def trace_line(action: EngineAction) -> str:
    icon = ICONS.get(action.kind, "•")
    dice = f" · {action.dice}" if action.dice else ""
    return f"{icon} **{safe(action.subject, limit=80)}**: {safe(action.detail, limit=300)}{dice}"


def trace_embed(outcome: TurnOutcome, *, full: bool = False) -> discord.Embed:
    """What the engine did this turn: every number in the story comes from one of these lines."""
    lines = [trace_line(a) for a in outcome.actions if full or a.kind != "refused"]
    if not full and len(lines) > MAX_TRACE_LINES:
        lines = [*lines[:MAX_TRACE_LINES], f"… and {len(lines) - MAX_TRACE_LINES} more (button below)."]
    refused = sum(1 for a in outcome.actions if a.kind == "refused")
    if not full and refused:
        lines.append(f"⛔ {counted(refused, 'proposal')} refused by the rules (button below).")
    description = fit_lines(lines, limits.EMBED_DESCRIPTION) or "No rolls and no changes this turn."
    embed = discord.Embed(title="🎲 What the dice said", description=description, colour=discord.Colour.gold())
    told = f"Round {outcome.round_number} (turn {outcome.number})" if outcome.round_number else f"Turn {outcome.number}"
    embed.set_footer(text=f"{told} · {outcome.campaign_name} · narrator: {outcome.narrator}")
    return fit_embed(embed)


class TraceView(discord.ui.View):
    """The "What the dice said" button: the full trace, to whoever asks, privately."""

    def __init__(self, outcome: TurnOutcome, *, timeout: float = TRACE_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.outcome = outcome
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None

    @discord.ui.button(label="What the dice said", emoji="🎲", style=discord.ButtonStyle.secondary)
    async def show(self, interaction: discord.Interaction[Any], _: discord.ui.Button[TraceView]) -> None:
        await interaction.response.send_message(embed=trace_embed(self.outcome, full=True), ephemeral=True)

    async def on_timeout(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)


class DiscordNarration:
    """`NarrationSink` over a deferred interaction: edits its reply, continues in followups."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        *,
        interval: float = 1.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interaction = interaction
        self.edits = EditCoalescer(interval=interval, name="narration-edit", clock=clock)
        self.note = ""
        self.body = ""
        self.shown: list[str] = []  # what each page's message shows now
        self.followups: list[discord.WebhookMessage] = []

    # NarrationSink ------------------------------------------------------------------------------

    async def status(self, text: str) -> None:
        if not self.body:
            self.edits.submit(REPLY, lambda: self._flush(override=text))

    async def text(self, delta: str) -> None:
        self.body += delta
        self.edits.submit(REPLY, self._flush)  # the first words at once, then at most one edit per interval

    async def reset(self, note: str) -> None:
        self.body, self.note = "", note + "\n\n"
        self.edits.submit(REPLY, self._flush, at_once=True)

    async def finish(self, outcome: TurnOutcome) -> None:
        if not self.body.strip():
            self.body = outcome.narration
        self.edits.submit(REPLY, self._flush, at_once=True)  # the whole text now, then the trace
        await self.edits.settle(REPLY)
        await self._attach_trace(outcome)

    # Edits --------------------------------------------------------------------------------------

    async def _flush(self, override: str | None = None) -> None:
        text = override or discord.utils.escape_mentions(self.note + self.body) or "…"
        pages = pages_of(text)
        for index, page in enumerate(pages):
            if index < len(self.shown) and self.shown[index] == page:
                continue
            try:
                await self._show(index, page)
            except discord.HTTPException as error:  # the next flush carries the same text again
                log.warning("a narration edit failed", status=error.status, page=index)
                return
        for extra in self.followups[len(pages) - 1 :]:  # a reset shortened the text
            with contextlib.suppress(discord.HTTPException):
                await extra.delete()
        del self.followups[max(0, len(pages) - 1) :]
        del self.shown[len(pages) :]

    async def _show(self, index: int, page: str) -> None:
        if index == 0:
            await self.interaction.edit_original_response(content=page, allowed_mentions=NONE)
        elif index - 1 < len(self.followups):
            self.followups[index - 1] = await self.followups[index - 1].edit(content=page, allowed_mentions=NONE)
        else:
            message = await self.interaction.followup.send(page, wait=True, allowed_mentions=NONE)
            self.followups.append(message)
        if index < len(self.shown):
            self.shown[index] = page
        else:
            self.shown.append(page)

    async def _attach_trace(self, outcome: TurnOutcome) -> None:
        view = TraceView(outcome)
        embed = trace_embed(outcome)
        try:
            if self.followups:
                view.message = await self.followups[-1].edit(embed=embed, view=view, allowed_mentions=NONE)
            else:
                view.message = await self.interaction.edit_original_response(
                    embed=embed, view=view, allowed_mentions=NONE
                )
        except discord.HTTPException as error:
            view.stop()
            log.warning("could not attach the turn's trace", status=error.status)


def describe_actions(actions: Sequence[EngineAction]) -> str:
    """The trace as plain lines (for DM replies such as an approval)."""
    return fit_lines((trace_line(a) for a in actions), limits.EMBED_DESCRIPTION) or "Nothing changed."


class ChannelNarration:
    """`NarrationSink` without an interaction (a round closed by its timer): the story posted to the channel
    when it is written, then the trace, as a turn's reply would show them."""

    def __init__(self, channel: discord.abc.Messageable, heading: str) -> None:
        self.channel = channel
        self.heading = heading
        self.note = ""
        self.body = ""

    async def status(self, text: str) -> None:
        return None  # no "thinking" reply to edit: the story arrives whole

    async def text(self, delta: str) -> None:
        self.body += delta

    async def reset(self, note: str) -> None:
        self.body, self.note = "", note + "\n\n"

    async def finish(self, outcome: TurnOutcome) -> None:
        text = discord.utils.escape_mentions(f"{self.heading}\n\n{self.note}{self.body.strip() or outcome.narration}")
        pages = pages_of(text)
        try:
            for page in pages[:-1]:
                await self.channel.send(page, allowed_mentions=NONE)
            view = TraceView(outcome)
            view.message = await self.channel.send(  # type: ignore[assignment]  # a channel message edits the same way
                pages[-1], embed=trace_embed(outcome), view=view, allowed_mentions=NONE
            )
        except discord.HTTPException as error:
            log.warning("could not post a round's narration", status=error.status)


def round_note(view: RoundView) -> str:
    """The public line once a player's action or pass is in the round (the round still open)."""
    entry = view.entry
    assert entry is not None
    did = "passes" if entry.passed else f"is ready: *{safe(entry.action, limit=300)}*"
    waiting = ", ".join(safe(name, limit=64) for name in view.waiting)
    closes = f" It closes <t:{int(view.closes_at.timestamp())}:R> at the latest." if view.closes_at else ""
    return (
        f"📝 Round {view.number} · **{safe(entry.character_name, limit=64)}** {did}\n"
        f"Waiting for: {waiting}.{closes} (`/pass` sits a round out; the DM can `/dm end-round`.)"
    )


def round_heading(view: RoundView, why: str) -> str:
    """The line above a round's narration: which round, and why it closed."""
    return f"🎬 **Round {view.number}** ({why})"


def quiet_round(view: RoundView) -> str:
    return f"🌙 Round {view.number} ends with nobody acting: the story waits for the next action."


def round_narration(
    interaction: discord.Interaction[Any], view: RoundView, why: str, interval: float
) -> DiscordNarration:
    """The reply that tells a closed round: its heading, then the story as it streams."""
    sink = DiscordNarration(interaction, interval=interval)
    sink.note = round_heading(view, why) + "\n\n"
    return sink
