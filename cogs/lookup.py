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
from bot.ui import lookup_views as views

Render = Callable[[str], discord.Embed]


class LookupCog(commands.GroupCog, group_name="lookup", group_description="SRD facts: spells, monsters, items ..."):
    def __init__(self, srd: SRD) -> None:
        self.srd = srd
        super().__init__()

    def _choices(self, kind: SearchKind, current: str) -> list[Choice[str]]:
        return [Choice(name=name[:100], value=index[:100]) for index, name in self.srd.search(kind, current)[:25]]

    def _find(self, kind: SearchKind, label: str, key: str) -> Any:
        """The entry by index or name; an unknown name is answered with names to try."""
        return lookup(self.srd.lookup(kind).get, key, label, self.srd.search(kind, key[:3], limit=8))

    async def _answer(self, interaction: Interaction[DMBot], embed: discord.Embed, public: bool) -> None:
        if public:
            await interaction.response.send_message(embed=embed)
            return
        view = views.PostView(interaction.user.id, embed)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def spell_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("spell", current)

    async def monster_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("monster", current)

    async def item_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("item", current)

    async def magic_item_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("magic_item", current)

    async def condition_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("condition", current)

    async def class_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("class", current)

    async def race_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("race", current)

    async def feat_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("feat", current)

    async def rule_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._choices("rule", current)

    @app_commands.command(name="spell")
    @app_commands.describe(name="An SRD spell, e.g. Fireball", public="Post it for everyone at once")
    @app_commands.autocomplete(name=spell_autocomplete)
    async def spell(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A spell: level, school, casting, components, damage and healing by slot, save, automation."""
        entry = self._find("spell", "spell", name)
        await self._answer(interaction, views.spell_embed(entry, self.srd), public)

    @app_commands.command(name="monster")
    @app_commands.describe(name="An SRD monster, e.g. Goblin", public="Post it for everyone at once")
    @app_commands.autocomplete(name=monster_autocomplete)
    async def monster(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A monster's stat block numbers: AC, HP, abilities, senses, traits, actions with bonuses and dice."""
        entry = self._find("monster", "monster", name)
        await self._answer(interaction, views.monster_embed(entry), public)

    @app_commands.command(name="item")
    @app_commands.describe(name="SRD equipment, e.g. Longsword", public="Post it for everyone at once")
    @app_commands.autocomplete(name=item_autocomplete)
    async def item(self, interaction: Interaction[DMBot], name: str, public: bool = False) -> None:
        """A weapon, armor or piece of gear: cost, weight, damage, AC, properties."""
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
    await bot.add_cog(LookupCog(bot.services.characters.srd))
