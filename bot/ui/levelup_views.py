"""`/character levelup` when the level asks for choices: one message, a menu per choice pre-filled with the
engine's suggestion, Confirm and Cancel. Nothing is stored until Confirm (bot.engine.levelup does it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import discord

from bot.engine import choices
from bot.engine.characters import LevelUp
from bot.engine.choices import Ask
from bot.engine.levelup import Plan
from bot.ui.character_views import MAX_ROWS, SELECT_OPTIONS, SHEET_COLOUR, OwnedView, levelup_embed
from bot.ui.fit import fit_embed
from bot.ui.text import safe

LEVELUP_TIMEOUT = 600.0
LEVELUP_EXPIRED = "This level-up wasn't confirmed in time; nothing changed. Run /character levelup again."
ConfirmLevel = Callable[[Mapping[str, Sequence[str]]], Awaitable[LevelUp]]


class LevelUpView(OwnedView):
    """A select per choice the level asks (subclass, ASI or feat, style, expertise, ...), then Confirm."""

    expired_text = LEVELUP_EXPIRED

    def __init__(self, plan: Plan, *, confirm: ConfirmLevel, timeout: float = LEVELUP_TIMEOUT) -> None:
        super().__init__(plan.sheet.owner_id, timeout=timeout)
        self.plan = plan
        self.picks: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in plan.suggested.items()}
        self._confirm = confirm
        menus = [a for a in plan.asks if len(a.options) > 1]  # a single option (the SRD's subclass) needs none
        self.shown = menus[: MAX_ROWS - 1]  # the last row holds the buttons
        self.hidden = len(menus) > len(self.shown)
        self._build()

    def _build(self) -> None:
        self.clear_items()
        for ask in self.shown:
            self._select(ask)
        confirm: discord.ui.Button[LevelUpView] = discord.ui.Button(
            custom_id=self.cid("confirm"), label="Confirm", style=discord.ButtonStyle.success
        )
        cancel: discord.ui.Button[LevelUpView] = discord.ui.Button(
            custom_id=self.cid("cancel"), label="Cancel", style=discord.ButtonStyle.danger
        )
        confirm.callback = self._on_confirm  # type: ignore[method-assign]
        cancel.callback = self._on_cancel  # type: ignore[method-assign]
        self.add_item(confirm)
        self.add_item(cancel)

    def _select(self, ask: Ask) -> None:
        options = ask.options[:SELECT_OPTIONS]
        chosen = self.picks.get(ask.key, ())
        select: discord.ui.Select[LevelUpView] = discord.ui.Select(
            custom_id=self.cid(ask.key),
            placeholder=ask.label[:150],
            min_values=min(ask.low, len(options)),
            max_values=min(ask.high, len(options)),
            options=[discord.SelectOption(label=label[:100], value=v, default=v in chosen) for v, label in options],
        )

        async def chosen_callback(interaction: discord.Interaction[Any]) -> None:
            self.picks[ask.key] = tuple(select.values)
            self._build()
            await interaction.response.edit_message(embed=self.embed(), view=self)

        select.callback = chosen_callback  # type: ignore[method-assign]
        self.add_item(select)

    def embed(self) -> discord.Embed:
        plan = self.plan
        lines = [f"**{plan.klass.name} {plan.class_level}** (character level {plan.sheet.level + 1})"]
        for ask in plan.asks:
            lines.append(f"• {ask.label}: **{choices.describe(plan.sheet, ask, self.picks.get(ask.key, ()))}**")
        if self.hidden:
            lines.append("Not every menu fits one message: the others keep the suggestion shown.")
        lines.append("Change any choice in the menus, then **Confirm**. Nothing changes before Confirm.")
        title = f"⬆️ {safe(plan.sheet.name)}: level {plan.sheet.level + 1}"
        return fit_embed(discord.Embed(title=title, description="\n".join(lines), colour=SHEET_COLOUR))

    async def _on_confirm(self, interaction: discord.Interaction[Any]) -> None:
        result = await self._confirm(self.picks)
        self.stop()
        await interaction.response.edit_message(content=None, embed=levelup_embed(result), view=None)

    async def _on_cancel(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Level-up cancelled; nothing changed.", embed=None, view=None)
