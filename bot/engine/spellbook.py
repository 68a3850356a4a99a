"""The `/spell` commands' unit of work: read a character's spells, and learn, forget or prepare one.

Each change goes through `CharacterService.change` (row locked, owner or DM only, one transaction);
the rules of what may be picked live in `bot.engine.spells`. The campaign's and server's homebrew spells are
learnt like the SRD's (`srd_with_spells`), where their class lists allow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD, Spell
from bot.engine import items, rules, spells
from bot.engine.characters import CharacterRef, CharacterService, Pending, lookup
from bot.engine.homebrew import spell_label, srd_with_spells
from bot.engine.sheet import Actor, Item, Sheet, SpellNumbers, stats
from bot.errors import GameError, InvalidInput

AUTOCOMPLETE_LIMIT = 25


@dataclass(frozen=True)
class SpellSheet:
    """What `/spell list` and `/spell book` show."""

    sheet: Sheet
    allowance: spells.Allowance
    numbers: SpellNumbers | None
    cantrips: tuple[Spell, ...]
    known: tuple[Spell, ...]
    book: tuple[Spell, ...]
    prepared: tuple[Spell, ...]
    always: tuple[Spell, ...] = ()  # subclass spells always prepared, not counted (bot.engine.spells.granted)


@dataclass(frozen=True)
class SpellChange:
    view: SpellSheet
    message: str


class SpellService:
    def __init__(self, characters: CharacterService) -> None:
        self.characters = characters
        self.srd: SRD = characters.srd

    # Reading ------------------------------------------------------------------------------------

    async def srd_for(self, actor: Actor) -> SRD:
        """The SRD with the homebrew spells where the actor is (its server, its channel's campaign)."""
        async with self.characters.reads.session() as session:
            return await srd_with_spells(session, self.srd, actor)

    async def show(self, actor: Actor, ref: CharacterRef | None = None) -> SpellSheet:
        sheet = await self.characters.get(actor, ref)
        return self.spell_sheet(sheet, await self.srd_for(actor))

    def spell_sheet(self, sheet: Sheet, srd: SRD | None = None) -> SpellSheet:
        srd = srd or self.srd
        room = spells.allowance(sheet, srd)
        if room.style == "none":
            klass = srd.klass(sheet.class_index).name
            raise InvalidInput(f"{sheet.name} is a {klass}; a {klass} casts no spells.")

        def of(indexes: tuple[str, ...]) -> tuple[Spell, ...]:  # a homebrew spell gone from here is left out
            return tuple(srd.spell(i) for i in indexes if i in srd.lookup("spell"))

        s = sheet.spells
        numbers = stats(sheet, srd).spellcasting
        always = spells.granted(sheet, srd)
        return SpellSheet(sheet, room, numbers, of(s.cantrips), of(s.known), of(s.book), of(s.prepared), always)

    async def choices(
        self, actor: Actor, purpose: str, text: str, ref: CharacterRef | None = None
    ) -> list[tuple[str, str]]:
        """Autocomplete (index, label) pairs: only what the character may pick for `purpose`."""
        try:
            sheet = await self.characters.get(actor, ref)
        except GameError:  # no active character: nothing to offer
            return []
        srd = await self.srd_for(actor)
        pool = {
            "learn": lambda: spells.learnable(sheet, srd),
            "forget": lambda: spells.forgettable(sheet, srd),
            "prepare": lambda: spells.preparable(sheet, srd),
            "unprepare": lambda: [srd.spell(i) for i in sheet.spells.prepared if i in srd.lookup("spell")],
        }[purpose]()
        needle = text.strip().casefold()
        found = [s for s in pool if needle in s.name.casefold()]
        return [(s.index, spell_label(s)) for s in found[:AUTOCOMPLETE_LIMIT]]

    # Changes ------------------------------------------------------------------------------------

    async def learn(self, actor: Actor, ref: CharacterRef, key: str) -> SpellChange:
        srd = await self.srd_for(actor)
        spell = self._spell(key, srd)

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, SpellChange]:
            learnt = spells.learn(sheet, srd, spell)
            coins = sheet.coins
            if learnt.copy_gp:  # copying into a full spellbook: the SRD's 50 gp and 2 hours per spell level
                coins = rules.apply_coins(sheet.coins, {"gp": -learnt.copy_gp})
                scroll = spells.scroll_of(sheet, spell)
                if scroll is not None:
                    return self._from_scroll(sheet, learnt, scroll, coins, srd)
            new = replace(sheet, spells=learnt.spells, coins=coins)
            return new, SpellChange(self.spell_sheet(new, srd), _learnt_message(new, learnt))

        return await self.characters.change(actor, ref, apply)

    async def forget(self, actor: Actor, ref: CharacterRef, key: str) -> SpellChange:
        srd = await self.srd_for(actor)
        spell = self._spell(key, srd)

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, SpellChange]:
            new = replace(sheet, spells=spells.forget(sheet, spell))
            where = "from the spellbook" if spell.index in sheet.spells.book else ""
            text = f"{sheet.name} forgets {spell.name} {where}".strip() + "."
            return new, SpellChange(self.spell_sheet(new, srd), text)

        return await self.characters.change(actor, ref, apply)

    async def prepare(self, actor: Actor, ref: CharacterRef, key: str, *, remove: bool = False) -> SpellChange:
        srd = await self.srd_for(actor)
        spell = self._spell(key, srd)

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, SpellChange]:
            if remove:
                new = replace(sheet, spells=spells.unprepare(sheet, spell))
                text = f"{sheet.name} no longer has {spell.name} prepared."
                return new, SpellChange(self.spell_sheet(new, srd), text)
            new = replace(sheet, spells=spells.prepare(sheet, srd, spell))
            return new, SpellChange(self.spell_sheet(new, srd), _prepared_message(new, spell, srd))

        return await self.characters.change(actor, ref, apply)

    def _from_scroll(
        self, sheet: Sheet, learnt: spells.Learnt, scroll: Item, coins: Mapping[str, int], srd: SRD
    ) -> tuple[Sheet, SpellChange]:
        """SRD Spell Scroll: the copier makes an Intelligence (Arcana) check, DC 10 + the spell's level; the
        scroll is destroyed either way. The inks are spent only on a success."""
        dc = spells.scroll_copy_dc(learnt.spell)
        bonus = stats(sheet, srd).skills["arcana"]
        roll = self.characters.dice.roll(f"1d20{rules.signed(bonus)}", label=f"{sheet.name}: Arcana (copying)")
        left = items.removed(sheet.inventory, scroll.item, 1)
        check = f"Arcana {roll.total} ({roll.breakdown}) against DC {dc}"
        if roll.total < dc:
            new = replace(sheet, inventory=left)
            lost = f"{sheet.name} fails to copy {learnt.spell.name} ({check}); the {scroll.name} crumbles to dust."
            return new, SpellChange(self.spell_sheet(new, srd), lost)
        new = replace(sheet, spells=learnt.spells, coins=coins, inventory=left)
        done = f"{_learnt_message(new, learnt)} From the {scroll.name} ({check}); the scroll is used up."
        return new, SpellChange(self.spell_sheet(new, srd), done)

    def _spell(self, key: str, srd: SRD) -> Spell:
        return lookup(srd.spell, key, "spell", srd.search("spell", key[:4], limit=8))


def level_label(level: int) -> str:
    return "cantrip" if level == 0 else f"level {level}"


def _learnt_message(sheet: Sheet, learnt: spells.Learnt) -> str:
    name = learnt.spell.name
    if learnt.copy_gp:
        return (
            f"{sheet.name} copies {name} into the spellbook: {learnt.copy_hours} hours and "
            f"{learnt.copy_gp} gp of inks (SRD: 2 hours and 50 gp per spell level)."
        )
    if learnt.spell.index in learnt.spells.book:
        return f"{name} is written in {sheet.name}'s spellbook; prepare it with `/spell prepare`."
    return f"{sheet.name} learns {name}."


def _prepared_message(sheet: Sheet, spell: Spell, srd: SRD) -> str:
    room = spells.allowance(sheet, srd)
    count = len(sheet.spells.prepared)
    text = f"{sheet.name} prepares {spell.name} ({count}/{room.prepared} prepared)."
    if not sheet.spells.may_prepare:
        text += " The list is set until the next long rest."
    return text
