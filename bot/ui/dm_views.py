"""The DM's and admins' replies: generated content with "Post to channel" / "Start combat" buttons,
confirmations (kick, end, transfer), NPC cards, awards, the guild's defaults and stats.

Buttons only the DM may press: each view's `interaction_check` refuses anyone else, and `on_timeout`
disables the buttons and edits the message (a timed-out view otherwise leaves live-looking dead buttons).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot import discord_limits as limits
from bot.engine.admin import GuildDefaults, GuildStats
from bot.engine.table import Awarded, NpcInfo
from bot.ui.embeds import NEUTRAL_COLOUR
from bot.ui.fit import fit_content, fit_embed, fit_lines
from bot.ui.text import safe

TIMEOUT = 600.0
AWARD_NAMES = 1000  # the recipients of an award; the rest of the message is what and why
Action = Callable[[discord.Interaction[Any]], Awaitable[None]]


class DMOnlyView(discord.ui.View):
    """A view on a message the DM got; only that user may press its buttons."""

    def __init__(self, owner_id: int, *, timeout: float = TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.InteractionMessage | discord.WebhookMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message("⚠️ Only the DM who asked can use these buttons.", ephemeral=True)
        return False

    async def on_timeout(self) -> None:
        self.disable()
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                pass  # an ephemeral message past its token's life can't be edited any more

    def disable(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True


class GeneratedView(DMOnlyView):
    """ "Post to channel" (and, for an encounter, "Start combat")."""

    def __init__(self, owner_id: int, embed: discord.Embed, start: Action | None = None) -> None:
        super().__init__(owner_id)
        self.embed = embed
        self.start = start
        if start is None:
            self.remove_item(self.start_combat)

    @discord.ui.button(label="Post to channel", style=discord.ButtonStyle.primary, custom_id="dm:post")
    async def post(self, interaction: discord.Interaction[Any], button: discord.ui.Button[GeneratedView]) -> None:
        button.disabled = True
        await interaction.response.edit_message(view=self)
        if interaction.channel is not None and isinstance(interaction.channel, discord.abc.Messageable):
            await interaction.channel.send(embed=self.embed, allowed_mentions=discord.AllowedMentions.none())

    @discord.ui.button(label="Start combat", style=discord.ButtonStyle.danger, custom_id="dm:fight")
    async def start_combat(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[GeneratedView]
    ) -> None:
        assert self.start is not None
        await self.start(interaction)  # raises a GameError on refusal: the button stays for another try
        button.disabled = True
        if self.message is not None:
            await self.message.edit(view=self)


class ConfirmView(DMOnlyView):
    """Confirm or cancel a change that can't be undone with one command."""

    def __init__(self, owner_id: int, label: str, action: Action) -> None:
        super().__init__(owner_id, timeout=120.0)
        self.action = action
        self.confirm.label = label

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger, custom_id="dm:confirm")
    async def confirm(self, interaction: discord.Interaction[Any], _: discord.ui.Button[ConfirmView]) -> None:
        self.disable()
        self.stop()
        await self.action(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="dm:cancel")
    async def cancel(self, interaction: discord.Interaction[Any], _: discord.ui.Button[ConfirmView]) -> None:
        self.disable()
        self.stop()
        await interaction.response.edit_message(content="Cancelled; nothing changed.", view=self)


def generated_embed(title: str, lines: Sequence[str]) -> discord.Embed:
    description = fit_lines((safe(line) for line in lines), limits.EMBED_DESCRIPTION)
    return fit_embed(discord.Embed(title=title, description=description, colour=NEUTRAL_COLOUR))


def npc_embed(npc: NpcInfo) -> discord.Embed:
    embed = discord.Embed(
        title=f"🎭 {safe(npc.name)}", description=safe(npc.description) or "*No description.*", colour=NEUTRAL_COLOUR
    )
    if npc.role:
        embed.set_footer(text=npc.role)
    return fit_embed(embed)


def npc_list_embed(npcs: Sequence[NpcInfo]) -> discord.Embed:
    lines = fit_lines(
        (f"• **{safe(n.name)}**" + (f" ({safe(n.role)})" if n.role else "") for n in npcs), limits.EMBED_DESCRIPTION
    )
    return fit_embed(
        discord.Embed(title="🎭 NPCs", description=lines or "*No NPCs yet: `/dm npc create`.*", colour=NEUTRAL_COLOUR)
    )


def award_text(award: Awarded) -> str:
    names = fit_lines((safe(n) for n in award.names), AWARD_NAMES, sep=", ")
    first = f"🎁 The DM awards **{safe(award.what)}** to {names}."
    notes = fit_lines((f"• {safe(note)}" for note in award.notes), limits.CONTENT - len(first) - 1)
    return fit_content(f"{first}\n{notes}" if award.notes else first)


def defaults_embed(defaults: GuildDefaults, host_model: str, host_budget: int) -> discord.Embed:
    role = f"<@&{defaults.dm_role_id}>" if defaults.dm_role_id else "not set"
    budget = defaults.daily_token_budget if defaults.daily_token_budget is not None else host_budget
    lines = [
        f"DM role: {role}" + (" (required to create campaigns)" if defaults.require_dm_role else ""),
        f"Narrator model: {safe(defaults.narrator_model or host_model)}",
        f"Content rating of new campaigns: {defaults.content_rating}",
        f"Daily token budget: {budget:,}",
    ]
    return fit_embed(discord.Embed(title="⚙️ Server defaults", description="\n".join(lines), colour=NEUTRAL_COLOUR))


def stats_embed(stats: GuildStats, guild: str) -> discord.Embed:
    campaigns = ", ".join(f"{n} {status}" for status, n in sorted(stats.campaigns.items())) or "none"
    lines = [
        f"Campaigns: {campaigns}",
        f"Characters: {stats.characters:,}",
        f"Turns today: {stats.turns_today:,}",
        f"Tokens today: {stats.tokens_today:,} of {stats.budget:,}",
    ]
    embed = discord.Embed(title=f"📊 dmbot on {safe(guild)}", description="\n".join(lines), colour=NEUTRAL_COLOUR)
    return fit_embed(embed)
