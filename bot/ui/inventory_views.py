"""`/character inventory action:list`: everything a character carries, a page at a time with ◀ ▶ buttons
(the sheet shows the first dozen items; this shows them all)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from bot.ui.character_views import NEUTRAL_COLOUR, OwnedView
from bot.ui.fit import fit_embed
from bot.ui.text import safe

PER_PAGE = 15
LIST_TIMEOUT = 300.0


def pages(lines: Sequence[str], per_page: int = PER_PAGE) -> list[list[str]]:
    return [list(lines[i : i + per_page]) for i in range(0, len(lines), per_page)] or [[]]


class InventoryList(OwnedView):
    """One page of the list in an embed; the buttons turn the pages (only for its owner)."""

    def __init__(self, owner_id: int, title: str, lines: Sequence[str], purse: str, *, timeout: float = LIST_TIMEOUT):
        super().__init__(owner_id, timeout=timeout)
        self.title = title
        self.purse = purse
        self.pages = pages(lines)
        self.page = 0
        self.back: discord.ui.Button[InventoryList] = discord.ui.Button(
            label="◀ Back", custom_id=self.cid("back"), style=discord.ButtonStyle.secondary
        )
        self.next: discord.ui.Button[InventoryList] = discord.ui.Button(
            label="Next ▶", custom_id=self.cid("next"), style=discord.ButtonStyle.secondary
        )
        self.back.callback = self._back  # type: ignore[method-assign]
        self.next.callback = self._next  # type: ignore[method-assign]
        if len(self.pages) > 1:
            self.add_item(self.back)
            self.add_item(self.next)
        self._arm()

    def embed(self) -> discord.Embed:
        shown = self.pages[self.page]
        text = "\n".join(f"• {safe(line)}" for line in shown) or "Nothing at all."
        embed = discord.Embed(title=self.title, description=f"{text}\n\n💰 {self.purse}", colour=NEUTRAL_COLOUR)
        embed.set_footer(text=f"Page {self.page + 1} of {len(self.pages)}")
        return fit_embed(embed)

    def _arm(self) -> None:
        self.back.disabled = self.page == 0
        self.next.disabled = self.page >= len(self.pages) - 1

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = max(0, min(len(self.pages) - 1, self.page + step))
        self._arm()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    async def _back(self, interaction: discord.Interaction[Any]) -> None:
        await self._turn(interaction, -1)

    async def _next(self, interaction: discord.Interaction[Any]) -> None:
        await self._turn(interaction, 1)


def _button(label: str, custom_id: str) -> discord.ui.Button[InventoryList]:
    return discord.ui.Button(label=label, custom_id=custom_id, style=discord.ButtonStyle.secondary)
