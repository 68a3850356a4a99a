"""`/character ...` and the rolls from the sheet: `/check`, `/save`, `/attack`, `/deathsave`, `/initiative`.

Thin: parse the options, call one engine function, render. Errors are GameErrors raised by the
engine; the tree's error handler (and the views' `on_error`) turn them into ephemeral replies.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Literal

import discord
import structlog
from discord import Interaction, app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.app import LIMIT_OVERLAPS_READ, DMBot, admitted
from bot.data.srd import SearchKind
from bot.engine.character_import import MAX_FILE_BYTES, CharacterPorting
from bot.engine.characters import CharacterRef, LevelUp
from bot.engine.checks import AttackResult, CheckResult, CheckService
from bot.engine.combat import CombatService, NoFight
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.sheet import Sheet
from bot.engine.sheet_reads import Derived
from bot.errors import GameError, InvalidInput
from bot.ui import character_views as views
from bot.ui import combat_views as fights
from bot.ui import import_views, inventory_views, levelup_views
from bot.ui import targets as several
from bot.ui.fit import choices
from bot.ui.text import safe
from cogs.common import actor_of, here

log = structlog.get_logger(__name__)

Ability = Literal["Strength", "Dexterity", "Constitution", "Intelligence", "Wisdom", "Charisma"]
CoinAmount = Range[int, -1_000_000, 1_000_000]


def _choices(pairs: list[tuple[str, str]]) -> list[Choice[str]]:
    return choices((value for value, _ in pairs), (label for _, label in pairs))


class CharacterCog(commands.GroupCog, group_name="character", group_description="Your D&D characters"):
    def __init__(self, characters: CharacterCreation, *, draft_timeout: float = views.DRAFT_TIMEOUT) -> None:
        self.characters = characters
        self.srd = characters.srd
        self.draft_timeout = draft_timeout  # seconds a creation or deletion flow waits for the player
        self.porting = CharacterPorting(characters)
        self._embeds = Derived(lambda sheet: views.sheet_embed(sheet, self.characters.stats(sheet), self.srd))
        super().__init__()

    def render(self, sheet: Sheet) -> discord.Embed:
        return self._embeds(sheet)  # the same embed for the same sheet (sending one does not change it)

    # --- autocomplete ---------------------------------------------------------------------------

    def _search(self, kind: SearchKind, current: str) -> list[Choice[str]]:
        return _choices(self.srd.search(kind, current))

    async def race_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        """Races, then subraces ("High Elf" makes an elf of that subrace)."""
        return _choices(self.srd.search("race", current) + self.srd.search("subrace", current))

    async def class_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._search("class", current)

    async def background_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        custom = [("Custom", "Custom (describe your own in custom_background)")]
        return _choices(self.srd.search("background", current) + [c for c in custom if current.casefold() in "custom"])

    async def name_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return choices(await self.characters.names(actor_of(interaction), current))

    async def item_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        action = getattr(interaction.namespace, "action", "add")
        if action == "add":
            return (self._search("item", current) + self._search("magic_item", current))[:25]
        try:
            sheet = await self.characters.get(actor_of(interaction))
        except GameError:
            return []
        needle = current.casefold()
        return _choices([(i.item, i.name) for i in sheet.inventory if needle in i.name.casefold()])

    async def condition_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return self._search("condition", current)

    # --- commands -------------------------------------------------------------------------------

    @app_commands.command(name="create")
    @app_commands.rename(klass="class")
    @app_commands.describe(
        name="Your character's name (1-64 characters)",
        race="An SRD race, e.g. Dwarf",
        klass="An SRD class, e.g. Fighter",
        background="An SRD background (Acolyte), or Custom to describe your own",
        method="How to get ability scores",
        custom_background="Your own: name; skill, skill; tool or language; feature",
        pronouns="The pronouns your character goes by, e.g. she/her (the narrator uses them; default: they)",
    )
    @app_commands.autocomplete(race=race_autocomplete, klass=class_autocomplete, background=background_autocomplete)
    async def create(
        self,
        interaction: Interaction[DMBot],
        name: str,
        race: str,
        klass: str,
        background: str,
        method: Literal["standard", "pointbuy", "rolled"] = "standard",
        custom_background: Range[str, 1, 300] | None = None,
        pronouns: app_commands.Range[str, 1, 24] = "",
    ) -> None:
        """Make a character: pick skills (and change the scores if you like), then Confirm."""
        actor = actor_of(interaction)
        draft = await self.characters.start_draft(
            actor,
            name=name,
            race=race,
            klass=klass,
            background=background,
            method=method,
            custom_background=custom_background,
            pronouns=pronouns,
        )

        async def confirm(choices: Choices) -> Sheet:
            return await self.characters.create(actor, draft, choices)

        view = views.CreationView(
            draft,
            confirm=confirm,
            parse_scores=lambda text: self.characters.parse_scores(draft, text),
            render=self.render,
            timeout=self.draft_timeout,
        )
        await interaction.response.send_message(embed=view.embed(), view=view, ephemeral=True)
        view.message = await interaction.original_response()

    @app_commands.command(name="show", extras={LIMIT_OVERLAPS_READ: True})
    @app_commands.describe(name="Which character (default: your active one)", player="Someone else's character")
    @app_commands.autocomplete(name=name_autocomplete)
    async def show(
        self, interaction: Interaction[DMBot], name: str | None = None, player: discord.User | None = None
    ) -> None:
        """Show a character sheet."""
        ref = CharacterRef(name=name, owner_id=player.id if player else None)
        sheet = await admitted(interaction, self.characters.shown(actor_of(interaction), ref))
        if sheet is not None:
            await interaction.response.send_message(embed=self.render(sheet))

    @app_commands.command(name="list")
    async def list_(self, interaction: Interaction[DMBot]) -> None:
        """List your characters here (⭐ marks the active one)."""
        summaries = await self.characters.list_characters(actor_of(interaction))
        await interaction.response.send_message(embed=views.list_embed(summaries), ephemeral=True)

    @app_commands.command(name="use")
    @app_commands.autocomplete(name=name_autocomplete)
    async def use(self, interaction: Interaction[DMBot], name: str) -> None:
        """Make one of your characters the active one (used by /check, /attack ...)."""
        sheet = await self.characters.use(actor_of(interaction), name)
        await interaction.response.send_message(f"⭐ {safe(sheet.name)} is now your active character.", ephemeral=True)

    @app_commands.command(name="edit")
    @app_commands.autocomplete(name=name_autocomplete)
    async def edit(self, interaction: Interaction[DMBot], name: str | None = None) -> None:
        """Edit name, pronouns, notes, backstory and portrait."""
        actor = actor_of(interaction)
        sheet = await self.characters.get(actor, CharacterRef(name=name))

        async def save(values: Mapping[str, str]) -> Sheet:
            return await self.characters.edit(
                actor,
                CharacterRef(name=sheet.name),
                name=values.get("name"),
                pronouns=values.get("pronouns"),
                notes=values.get("notes"),
                backstory=values.get("backstory"),
                portrait_url=values.get("portrait_url"),
            )

        await interaction.response.send_modal(views.EditModal(sheet, save, self.render))

    @app_commands.command(name="delete")
    @app_commands.autocomplete(name=name_autocomplete)
    async def delete(self, interaction: Interaction[DMBot], name: str) -> None:
        """Delete one of your characters (asks first)."""
        actor = actor_of(interaction)
        sheet = await self.characters.get(actor, CharacterRef(name=name))

        async def do_delete() -> str:
            return await self.characters.delete(actor, sheet.name)

        view = views.ConfirmDeleteView(
            actor.user_id, sheet.name, do_delete, timeout=min(self.draft_timeout, views.CONFIRM_TIMEOUT)
        )
        await interaction.response.send_message(
            f"Delete **{safe(sheet.name)}** for good? This can't be undone.", view=view, ephemeral=True
        )
        view.message = await interaction.original_response()

    @app_commands.command(name="export")
    @app_commands.describe(name="Which character (default: your active one)", player="A player's (for their DM)")
    @app_commands.autocomplete(name=name_autocomplete)
    async def export(
        self, interaction: Interaction[DMBot], name: str | None = None, player: discord.User | None = None
    ) -> None:
        """Download a character as a dmbot file; /character import brings it back here or on another server."""
        ref = CharacterRef(name=name, owner_id=player.id if player else None)
        filename, data = await self.porting.export(actor_of(interaction), ref)
        await interaction.response.send_message(
            f"📄 `{filename}`: every fact of the sheet (docs/CHARACTER_FORMAT.md). Import it with `/character import`.",
            file=discord.File(io.BytesIO(data), filename=filename),
            ephemeral=True,
        )

    @app_commands.command(name="import")
    @app_commands.describe(file="A Foundry VTT actor JSON (Export Data) or a /character export file")
    async def import_(self, interaction: Interaction[DMBot], file: discord.Attachment) -> None:
        """Bring a character from Foundry VTT or another server: check the draft, then Confirm."""
        if file.size > MAX_FILE_BYTES:
            raise InvalidInput(
                f"`{file.filename}` is {file.size:,} bytes; a character file is at most {MAX_FILE_BYTES:,}."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)  # the download may take a moment
        actor = actor_of(interaction)
        draft = await self.porting.draft(actor, await file.read())

        async def confirm() -> Sheet:
            return await self.porting.confirm(actor, draft)

        view = import_views.ImportView(draft, confirm=confirm, render=self.render, timeout=self.draft_timeout)
        view.message = await interaction.followup.send(embeds=view.embeds(), view=view, ephemeral=True, wait=True)

    @app_commands.command(name="levelup")
    @app_commands.describe(
        hp="Take the average HP or roll the hit die",
        klass="The class that gains the level (default: your first; another one multiclasses)",
    )
    @app_commands.rename(klass="class")
    @app_commands.autocomplete(name=name_autocomplete, klass=class_autocomplete)
    async def levelup(
        self,
        interaction: Interaction[DMBot],
        hp: Literal["average", "roll"] = "average",
        klass: str | None = None,
        name: str | None = None,
    ) -> None:
        """Go up a level (when your XP allows, or your campaign's DM does)."""
        actor, ref = actor_of(interaction), CharacterRef(name=name)
        plan = await self.characters.level_plan(actor, ref, klass)
        if all(len(ask.options) == 1 for ask in plan.asks):  # nothing to choose (the SRD's one subclass)
            result = await self.characters.level_up(actor, ref, hp, klass)
            await interaction.response.send_message(embed=views.levelup_embed(result))
            return

        async def confirm(picks: Mapping[str, Sequence[str]]) -> LevelUp:
            return await self.characters.level_up(actor, ref, hp, klass, picks)

        view = levelup_views.LevelUpView(plan, confirm=confirm, timeout=self.draft_timeout)
        await interaction.response.send_message(embed=view.embed(), view=view)
        view.message = await interaction.original_response()

    @app_commands.command(name="rest")
    @app_commands.describe(kind="Short (spend hit dice) or long (recover everything)", dice="Hit dice to spend")
    @app_commands.autocomplete(name=name_autocomplete)
    async def rest(
        self,
        interaction: Interaction[DMBot],
        kind: Literal["short", "long"],
        dice: Range[int, 0, 20] = 0,
        name: str | None = None,
    ) -> None:
        """Take a short or long rest."""
        result = await self.characters.rest(actor_of(interaction), CharacterRef(name=name), kind, dice)
        await interaction.response.send_message(embed=views.rest_embed(result))

    @app_commands.command(name="inventory")
    @app_commands.describe(
        action="What to do",
        item="An SRD item (for coins: leave empty)",
        quantity="How many",
        cp="Copper to add (negative: spend)",
        sp="Silver",
        ep="Electrum",
        gp="Gold",
        pp="Platinum",
    )
    @app_commands.autocomplete(item=item_autocomplete, name=name_autocomplete)
    async def inventory(
        self,
        interaction: Interaction[DMBot],
        action: Literal["add", "remove", "equip", "unequip", "attune", "unattune", "coins", "list"],
        item: str | None = None,
        quantity: Range[int, 1, 10_000] = 1,
        cp: CoinAmount = 0,
        sp: CoinAmount = 0,
        ep: CoinAmount = 0,
        gp: CoinAmount = 0,
        pp: CoinAmount = 0,
        name: str | None = None,
    ) -> None:
        """Add, remove, equip, unequip or attune items, change coins, or list everything you carry."""
        actor, ref = actor_of(interaction), CharacterRef(name=name)
        if action == "list":
            sheet = await self.characters.get(actor, ref)
            view = inventory_views.InventoryList(
                actor.user_id, f"🎒 {safe(sheet.name)}", views.inventory_lines(sheet, self.srd), views.purse(sheet)
            )
            await interaction.response.send_message(embed=view.embed(), view=view, ephemeral=True)
            view.message = await interaction.original_response()
            return
        if action == "coins":
            deltas = {"cp": cp, "sp": sp, "ep": ep, "gp": gp, "pp": pp}
            sheet = await self.characters.coins(actor, ref, {k: v for k, v in deltas.items() if v})
            await interaction.response.send_message(embed=views.coins_embed(sheet))
            return
        if not item:
            raise InvalidInput("Name the item, e.g. `/character inventory action:add item:Torch quantity:5`.")
        change = await self.characters.inventory(actor, ref, action, item, quantity)
        await interaction.response.send_message(embed=views.inventory_embed(change))

    async def carried_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            sheet = await self.characters.get(actor_of(interaction))
        except GameError:
            return []
        needle = current.casefold()
        return _choices([(i.name, i.name) for i in sheet.inventory if needle in i.name.casefold()])

    @app_commands.command(name="use-item")
    @app_commands.describe(item="An item you carry, e.g. Potion of Healing")
    @app_commands.autocomplete(item=carried_autocomplete, name=name_autocomplete)
    async def use_item(
        self, interaction: Interaction[DMBot], item: Range[str, 1, 100], name: str | None = None
    ) -> None:
        """Use an item you carry: drink a potion of healing (its dice heal you)."""
        used = await self.characters.use_item(actor_of(interaction), CharacterRef(name=name), item)
        await interaction.response.send_message(embed=views.used_embed(used))

    @app_commands.command(name="condition")
    @app_commands.describe(
        condition="An SRD condition", rounds="How long (empty: until removed)", level="Exhaustion level"
    )
    @app_commands.autocomplete(condition=condition_autocomplete, name=name_autocomplete)
    async def condition(
        self,
        interaction: Interaction[DMBot],
        action: Literal["add", "remove"],
        condition: str,
        rounds: Range[int, 1, 1000] | None = None,
        level: Range[int, 1, 6] = 1,
        name: str | None = None,
    ) -> None:
        """Add or remove a condition (poisoned, prone ...); rolls apply its effects."""
        sheet = await self.characters.set_condition(
            actor_of(interaction), CharacterRef(name=name), condition, add=action == "add", rounds=rounds, level=level
        )
        await interaction.response.send_message(embed=self.render(sheet), ephemeral=True)


class SheetRollsCog(commands.Cog):
    """Rolls from the active character's sheet; each is logged after the reply."""

    def __init__(self, checks: CheckService, combat: CombatService, board: fights.TrackerBoard) -> None:
        self.checks = checks
        self.combat = combat  # `/attack` with a target in a fight's channel attacks in that fight
        self.board = board

    async def _send(
        self, interaction: Interaction[DMBot], embed: discord.Embed, result: CheckResult | AttackResult, private: bool
    ) -> None:
        await interaction.response.send_message(embed=embed, ephemeral=private)
        try:
            await self.checks.record(actor_of(interaction), result)
        except Exception:  # the player has the result; a lost log line must not become an error reply
            log.exception("could not write the roll log")

    async def check_autocomplete(self, _: Interaction[DMBot], current: str) -> list[Choice[str]]:
        return _choices(self.checks.choices(current))

    async def weapon_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            sheet = await self.checks.characters.get(actor_of(interaction))
        except GameError:
            return []
        attacks = self.checks.characters.stats(sheet).attacks
        weapons = [(a.weapon, f"{a.name} ({a.to_hit:+d}, {a.damage})") for a in attacks]
        weapons.append(("unarmed", "Unarmed strike"))
        needle = current.casefold()
        return _choices([w for w in weapons if needle in w[1].casefold()])

    @app_commands.command(name="check", extras={LIMIT_OVERLAPS_READ: True})
    @app_commands.describe(skill_or_ability="A skill (Perception) or an ability (Strength)")
    @app_commands.autocomplete(skill_or_ability=check_autocomplete)
    async def check(
        self,
        interaction: Interaction[DMBot],
        skill_or_ability: str,
        advantage: bool = False,
        disadvantage: bool = False,
        private: bool = False,
    ) -> None:
        """Make an ability check with your active character."""
        # Overlapped with the limit: rolling changes nothing; the roll is logged only after `admitted`.
        actor = actor_of(interaction)
        roll = self.checks.check(actor, skill_or_ability, advantage=advantage, disadvantage=disadvantage)
        result = await admitted(interaction, roll)
        if result is not None:
            await self._send(interaction, views.check_embed(result), result, private)

    @app_commands.command(name="save")
    async def save(
        self,
        interaction: Interaction[DMBot],
        ability: Ability,
        advantage: bool = False,
        disadvantage: bool = False,
        private: bool = False,
    ) -> None:
        """Make a saving throw with your active character."""
        result = await self.checks.save(actor_of(interaction), ability, advantage=advantage, disadvantage=disadvantage)
        await self._send(interaction, views.check_embed(result), result, private)

    async def target_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        try:
            names = await self.combat.target_names(here(interaction), current)
        except GameError:
            return []
        return choices(names)

    async def targets_autocomplete(self, interaction: Interaction[DMBot], current: str) -> list[Choice[str]]:
        """The fight's combatants for the last name typed (several targets: `Goblin 1, Goblin 2`)."""
        _, last, _ = several.last_piece(current)
        return choices(
            several.completions(current, [c.value for c in await self.target_autocomplete(interaction, last)])
        )

    @app_commands.command(name="attack")
    @app_commands.describe(
        weapon="A weapon you carry, or unarmed",
        target="Who you attack; several separated by commas (one attack each)",
        two_handed="Versatile grip (default: two hands when the other hand is free)",
        thrown="Throw it (daggers, javelins...): it leaves your pack until picked up",
        smite="Paladins: Divine Smite on a hit, with a spell slot of this level",
    )
    @app_commands.autocomplete(weapon=weapon_autocomplete, target=targets_autocomplete)
    async def attack(
        self,
        interaction: Interaction[DMBot],
        weapon: str,
        target: str | None = None,
        advantage: bool = False,
        disadvantage: bool = False,
        two_handed: bool | None = None,
        thrown: bool = False,
        smite: app_commands.Range[int, 1, 5] | None = None,
    ) -> None:
        """Attack with a weapon: to-hit and damage from your sheet (in a fight: against the target's AC)."""
        if target and await self._attack_in_fight(
            interaction,
            weapon,
            target,
            advantage=advantage,
            disadvantage=disadvantage,
            two_handed=two_handed,
            thrown=thrown,
            smite=smite or 0,
        ):
            return
        if smite:
            raise InvalidInput("Divine Smite goes with an attack on one target in a fight: `/attack ... target:`.")
        result = await self.checks.attack(
            actor_of(interaction),
            weapon,
            target=target,
            advantage=advantage,
            disadvantage=disadvantage,
            two_handed=two_handed,
            thrown=thrown,
        )
        await self._send(interaction, views.attack_embed(result), result, False)

    async def _attack_in_fight(
        self,
        interaction: Interaction[DMBot],
        weapon: str,
        target: str,
        *,
        advantage: bool,
        disadvantage: bool,
        two_handed: bool | None,
        thrown: bool,
        smite: int = 0,
    ) -> bool:
        """`/attack weapon target` inside a fight: against the target's AC, damage applied. False: no fight here.
        Several targets (`Goblin 1, Goblin 2`): one attack at each, reported together."""
        if "," in target:
            if smite:
                raise InvalidInput("Divine Smite goes with one hit: attack one target with `smite:`.")
            try:
                reports = await self.combat.player_attacks(
                    actor_of(interaction),
                    here(interaction),
                    weapon,
                    target,
                    advantage=advantage,
                    disadvantage=disadvantage,
                    two_handed=two_handed,
                )
            except NoFight:
                return False
            await interaction.response.send_message(embeds=fights.attack_embeds(reports))
            await fights.show_quietly(self.board, interaction.client, reports[-1].state)
            return True
        try:
            report = await self.combat.player_attack(
                actor_of(interaction),
                here(interaction),
                weapon,
                target,
                advantage=advantage,
                disadvantage=disadvantage,
                two_handed=two_handed,
                thrown=thrown,
                smite=smite,
            )
        except NoFight:
            return False  # no fight here: a free attack roll
        await interaction.response.send_message(embed=fights.attack_embed(report))
        await fights.show_quietly(self.board, interaction.client, report.state)
        return True

    @app_commands.command(name="deathsave")
    async def deathsave(
        self, interaction: Interaction[DMBot], advantage: bool = False, disadvantage: bool = False
    ) -> None:
        """Roll a death save (at 0 HP)."""
        result = await self.checks.death_save(actor_of(interaction), advantage=advantage, disadvantage=disadvantage)
        await interaction.response.send_message(embed=views.death_save_embed(result))

    @app_commands.command(name="initiative")
    async def initiative(
        self, interaction: Interaction[DMBot], advantage: bool = False, disadvantage: bool = False
    ) -> None:
        """Roll initiative with your active character."""
        result = await self.checks.initiative(actor_of(interaction), advantage=advantage, disadvantage=disadvantage)
        await self._send(interaction, views.check_embed(result), result, False)


async def setup(bot: DMBot) -> None:
    await bot.add_cog(CharacterCog(bot.services.characters))
    await bot.add_cog(SheetRollsCog(bot.services.checks, bot.services.combat, bot.services.board))
