"""The import draft (`/character import`): the sheet it would make and a report of what the import did
(mapped, kept as custom, not used, numbers that differ), with Confirm and Cancel like the creation draft."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot import discord_limits as limits
from bot.engine.character_import import ImportDraft
from bot.engine.sheet import Sheet
from bot.ui.character_views import DRAFT_TIMEOUT, OwnedView, RenderSheet
from bot.ui.fit import fit_embeds, fit_lines
from bot.ui.text import safe

IMPORT_EXPIRED = "This import draft expired; nothing was saved. Run /character import again."
REPORT_COLOUR = discord.Colour.blurple()
SECTIONS = (
    ("✅ Mapped to the SRD", "mapped"),
    ("📝 Kept as custom entries (the DM sees them on the sheet)", "custom"),
    ("⚠️ Differs from the file", "differences"),
    ("🚫 Not used", "unused"),
)


def report_embed(draft: ImportDraft) -> discord.Embed:
    report = draft.report
    embed = discord.Embed(
        title=f"Import from {report.source}: {safe(draft.sheet.name)}"[: limits.EMBED_TITLE],
        description="Check the sheet and this report, then Confirm to save the character (or Cancel).",
        colour=REPORT_COLOUR,
    )
    for title, key in SECTIONS:
        lines: Sequence[str] = getattr(report, key)
        if lines:
            embed.add_field(
                name=title, value=fit_lines((safe(line) for line in lines), limits.FIELD_VALUE), inline=False
            )
    return embed


ConfirmImport = Callable[[], Awaitable[Sheet]]


class ImportView(OwnedView):
    """Confirm stores the draft; Cancel drops it; nothing is saved without the click."""

    expired_text = IMPORT_EXPIRED

    def __init__(
        self,
        draft: ImportDraft,
        *,
        confirm: ConfirmImport,
        render: RenderSheet,
        timeout: float = DRAFT_TIMEOUT,
    ) -> None:
        super().__init__(draft.sheet.owner_id, timeout=timeout)
        self.draft = draft
        self._confirm = confirm
        self._render = render
        ok: discord.ui.Button[ImportView] = discord.ui.Button(
            custom_id=self.cid("confirm"), label="Confirm", style=discord.ButtonStyle.success
        )
        cancel: discord.ui.Button[ImportView] = discord.ui.Button(
            custom_id=self.cid("cancel"), label="Cancel", style=discord.ButtonStyle.secondary
        )
        ok.callback = self._on_confirm  # type: ignore[method-assign]
        cancel.callback = self._on_cancel  # type: ignore[method-assign]
        self.add_item(ok)
        self.add_item(cancel)

    def embeds(self) -> list[discord.Embed]:
        # the report first: it is what the player must read before confirming, and it gets the room first
        return fit_embeds([report_embed(self.draft), self._render(self.draft.sheet)])

    async def _on_confirm(self, interaction: discord.Interaction[Any]) -> None:
        sheet = await self._confirm()
        self.stop()
        await interaction.response.edit_message(
            content=f"✅ {safe(sheet.name)} is imported and is now your active character.",
            embeds=[self._render(sheet)],
            view=None,
        )

    async def _on_cancel(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Import cancelled; nothing was saved.", embeds=[], view=None)
