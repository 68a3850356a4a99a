"""`/lookup spell|monster|item|magic-item|condition|class|race|feat|rule`: the SRD facts of one entry.

Private by default, with a "Post to channel" button; autocomplete searches the derived data by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import Interaction, app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.app import DMBot
from bot.data.srd import SRD, SearchKind
from bot.engine.characters import lookup
from bot.engine.homebrew import Entry, HomebrewService, Kind, describe, names_for
from bot.errors import GameError
from bot.ui import lookup_views as views
from bot.ui.fit import fit_embed
from bot.ui.text import safe
from cogs.common import actor_of

Render = Callable[[str], discord.Embed]


class LookupCog(commands.GroupCog, group_name="lookup", group_description="SRD facts: spells, monsters, items ..."):
    def __init__(self, srd: SRD, homebrew: HomebrewService | None = None) -> None:
        self.srd = srd
        self.homebrew = homebrew  # the DMs' own entries, looked up before the SRD's and marked as homebrew
        super().__init__()

    def _choices(self, kind: SearchKind, current: str) -> list[Choice[str]]:
        return [Choice(name=name[:100], value=index[:100]) for index, name in self.srd.search(kind, current)[:25]]

    async def _with_homebrew(self, interaction: Interaction[DMBot], kind: Kind, current: str) -> list[Choice[str]]:
        srd = self._choices(kind, current)  # monster, item, spell and feat are SRD kinds too
        if self.homebrew is None:
            return srd
        try:
            entries = await self.homebrew.list(actor_of(interaction), kind)
        except GameError:
            return srd
        own = [Choice(name=label[:100], value=value[:100]) for value, label in names_for(entries, kind, current)]
        return (own + srd)[:25]

    async def _homebrew_entry(self, interaction: Interaction[DMBot], kind: Kind, name: str) -> Entry | None:
        """The campaign's or server's homebrew of that name, which a lookup shows before the SRD's."""
        if self.homebrew is None:
            return None
        try:
            return await self.homebrew.find(actor_of(interaction), name, kind)
        except GameError:
            return None

    def _homebrew_embed(self, entry: Entry) -> discord.Embed:
        if entry.kind == "monster" and self.homebrew is not None:
            embed = views.monster_embed(self.homebrew.monster_of(entry), self.srd)
            return fit_embed(embed.set_footer(text=f"Homebrew of this {entry.scope}"))
        lines = "\n".join(safe(line) for line in describe(entry))
        return fit_embed(discord.Embed(title=f"🧪 {safe(entry.name)} (homebrew)", description=lines))

    def _find(self, kind: SearchKind, label: str, key: str) -> Any:
        """The entry by index or name; an unknown name is answered with names to try."""
        return lookup(self.srd.lookup(kind).get, key, label, self.srd.search(kind, key[:3], limit=8))

    async def _answer(self, interaction: Interaction[DMBot], embed: discord.Embed, public: bool) -> None:
        if public:
            await interaction.response.send_message(embed=embed)
            return
        view = views.PostView(interaction.user.id, embed)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def spell_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return await self._with_homebrew(interaction, "spell", current)

    async def monster_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return await self._with_homebrew(interaction, "monster", current)

    async def item_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return await self._with_homebrew(interaction, "item", current)

    async def magic_item_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("magic_item", current)

    async def condition_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("condition", current)

    async def class_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("class", current)

    async def race_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("race", current)

    async def feat_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return await self._with_homebrew(interaction, "feat", current)

    async def rule_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("rule", current)

    @app_commands.command(name="spell")
    @app_commands.describe(name="An SRD spell, e.g. Fireball", public="Post it for everyone at once")
    @app_commands.autocomplete(name=spell_autocomplete)
    async def spell(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A spell: level, school, casting, components, damage and healing by slot, save, automation."""
        if own := await self._homebrew_entry(interaction, "spell", name):
            await self._answer(interaction, self._homebrew_embed(own), public)
            return
        entry = self._find("spell", "spell", name)
        await self._answer(interaction, views.spell_embed(entry, self.srd), public)

    @app_commands.command(name="monster")
    @app_commands.describe(name="An SRD monster, e.g. Goblin", public="Post it for everyone at once")
    @app_commands.autocomplete(name=monster_autocomplete)
    async def monster(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A monster's stat block numbers: AC, HP, abilities, senses, traits, actions with bonuses and dice."""
        if own := await self._homebrew_entry(interaction, "monster", name):
            await self._answer(interaction, self._homebrew_embed(own), public)
            return
        entry = self._find("monster", "monster", name)
        await self._answer(interaction, views.monster_embed(entry, self.srd), public)

    @app_commands.command(name="item")
    @app_commands.describe(name="SRD equipment, e.g. Longsword", public="Post it for everyone at once")
    @app_commands.autocomplete(name=item_autocomplete)
    async def item(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A weapon, armor or piece of gear: cost, weight, damage, AC, properties."""
        if own := await self._homebrew_entry(interaction, "item", name):
            await self._answer(interaction, self._homebrew_embed(own), public)
            return
        entry = self._find("item", "item", name)
        await self._answer(interaction, views.item_embed(entry), public)

    @app_commands.command(name="magic-item")
    @app_commands.describe(name="An SRD magic item, e.g. Bag of Holding", public="Post it for everyone at once")
    @app_commands.autocomplete(name=magic_item_autocomplete)
    async def magic_item(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A magic item: rarity, kind, attunement, variants."""
        entry = self._find("magic_item", "magic item", name)
        await self._answer(interaction, views.magic_item_embed(entry, self.srd), public)

    @app_commands.command(name="condition")
    @app_commands.describe(name="An SRD condition, e.g. Prone", public="Post it for everyone at once")
    @app_commands.autocomplete(name=condition_autocomplete)
    async def condition(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A condition's effects on rolls, speed and actions."""
        entry = self._find("condition", "condition", name)
        await self._answer(interaction, views.condition_embed(entry), public)

    @app_commands.command(name="class")
    @app_commands.describe(name="An SRD class, e.g. Wizard", public="Post it for everyone at once")
    @app_commands.autocomplete(name=class_autocomplete)
    async def klass(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A class: hit die, saves, proficiencies, subclasses, and features and slots by level."""
        entry = self._find("class", "class", name)
        await self._answer(interaction, views.class_embed(entry, self.srd), public)

    @app_commands.command(name="race")
    @app_commands.describe(name="An SRD race, e.g. Dwarf", public="Post it for everyone at once")
    @app_commands.autocomplete(name=race_autocomplete)
    async def race(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A race: size, speed, ability bonuses, languages, traits, subraces."""
        entry = self._find("race", "race", name)
        await self._answer(interaction, views.race_embed(entry, self.srd), public)

    @app_commands.command(name="feat")
    @app_commands.describe(name="An SRD feat, e.g. Grappler", public="Post it for everyone at once")
    @app_commands.autocomplete(name=feat_autocomplete)
    async def feat(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A feat and its prerequisites."""
        if own := await self._homebrew_entry(interaction, "feat", name):
            await self._answer(interaction, self._homebrew_embed(own), public)
            return
        entry = self._find("feat", "feat", name)
        await self._answer(interaction, views.feat_embed(entry), public)

    @app_commands.command(name="rule")
    @app_commands.describe(name="An SRD rules section, e.g. Resting", public="Post it for everyone at once")
    @app_commands.autocomplete(name=rule_autocomplete)
    async def rule(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """Where a rule is in the SRD: its chapter and the headings of its section."""
        entry = self._find("rule", "rule", name)
        await self._answer(interaction, views.rule_embed(entry), public)


async def setup(bot: DMBot) -> None:
    await bot.add_cog(LookupCog(bot.services.characters.srd, bot.services.homebrew))
