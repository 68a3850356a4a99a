"""The form of `/homebrew monster`: five boxes for a monster, its custom id unique per user (two DMs may
fill theirs at the same time)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.engine.homebrew import Entry
from bot.engine.homebrew_form import MonsterForm
from bot.ui.character_views import answer_error
from bot.ui.text import safe

SaveForm = Callable[[MonsterForm], Awaitable[Entry]]
ACTIONS_EXAMPLE = "Claws +5 2d6+3 slashing\nBreath DC 13 con 3d6 fire half recharge 5"
# Not `required` for Discord: an empty box is answered by the engine with what to type there, as a wrong one is.
FIELDS = (
    ("name", "Name", "Bog Hag", discord.TextStyle.short, 64),
    ("numbers", "AC, hit dice and CR", "15 8d8+16 3", discord.TextStyle.short, 40),
    ("abilities", "STR DEX CON INT WIS CHA", "16 12 14 13 14 15", discord.TextStyle.short, 40),
    (
        "actions",
        "Actions, one a line",
        "Claws +5 2d6+3 slashing\nBreath DC 13 con 3d6 fire half recharge 5",
        discord.TextStyle.paragraph,
        1000,
    ),
    ("traits", "Traits, one a line (SRD names work)", "Pack Tactics", discord.TextStyle.paragraph, 1000),
)


class MonsterModal(discord.ui.Modal):
    def __init__(self, owner_id: int, save: SaveForm) -> None:
        super().__init__(title="A homebrew monster", custom_id=f"dm:{owner_id}:{secrets.token_hex(4)}:homebrew")
        self._save = save
        self.fields: dict[str, discord.ui.TextInput[MonsterModal]] = {}
        for key, label, placeholder, style, limit in FIELDS:
            field: discord.ui.TextInput[MonsterModal] = discord.ui.TextInput(
                label=label,
                custom_id=f"{self.custom_id}:{key}",
                placeholder=placeholder,
                style=style,
                max_length=limit,
                required=False,
            )
            self.fields[key] = field
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        values = {key: field.value for key, field in self.fields.items()}
        entry = await self._save(MonsterForm(**values))
        await interaction.response.send_message(
            f"🧪 **{safe(entry.name)}** is {entry.scope} homebrew: `/dm-combat add monster:{safe(entry.name)}`.",
            ephemeral=True,
        )

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:  # type: ignore[override]
        await answer_error(interaction, error)
