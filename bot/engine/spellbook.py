"""The `/spell` commands' unit of work: read a character's spells, and learn, forget or prepare one.

Each change goes through `CharacterService.change` (row locked, owner or DM only, one transaction);
the rules of what may be picked live in `bot.engine.spells`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD, Spell
from bot.engine import rules, spells
from bot.engine.characters import CharacterRef, CharacterService, Pending, lookup
from bot.engine.sheet import Actor, Sheet, SpellNumbers, stats
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

    async def show(self, actor: Actor, ref: CharacterRef | None = None) -> SpellSheet:
        return self.spell_sheet(await self.characters.get(actor, ref))

    def spell_sheet(self, sheet: Sheet) -> SpellSheet:
        room = spells.allowance(sheet, self.srd)
        if room.style == "none":
            klass = self.srd.klass(sheet.class_index).name
            raise InvalidInput(f"{sheet.name} is a {klass}; a {klass} casts no spells.")

        def of(indexes: tuple[str, ...]) -> tuple[Spell, ...]:
            return tuple(self.srd.spell(i) for i in indexes)

        s = sheet.spells
        numbers = stats(sheet, self.srd).spellcasting
        always = spells.granted(sheet, self.srd)
        return SpellSheet(sheet, room, numbers, of(s.cantrips), of(s.known), of(s.book), of(s.prepared), always)

    async def choices(
        self, actor: Actor, purpose: str, text: str, ref: CharacterRef | None = None
    ) -> list[tuple[str, str]]:
        """Autocomplete (index, label) pairs: only what the character may pick for `purpose`."""
        try:
            sheet = await self.characters.get(actor, ref)
        except GameError:  # no active character: nothing to offer
            return []
        pool = {
            "learn": lambda: spells.learnable(sheet, self.srd),
            "forget": lambda: spells.forgettable(sheet, self.srd),
            "prepare": lambda: spells.preparable(sheet, self.srd),
            "unprepare": lambda: [self.srd.spell(i) for i in sheet.spells.prepared],
        }[purpose]()
        needle = text.strip().casefold()
        found = [s for s in pool if needle in s.name.casefold()]
        return [(s.index, f"{s.name} ({level_label(s.level)})") for s in found[:AUTOCOMPLETE_LIMIT]]

    # Changes ------------------------------------------------------------------------------------

    async def learn(self, actor: Actor, ref: CharacterRef, key: str) -> SpellChange:
        spell = self._spell(key)

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, SpellChange]:
            learnt = spells.learn(sheet, self.srd, spell)
            coins = sheet.coins
            if learnt.copy_gp:  # copying into a full spellbook: the SRD's 50 gp and 2 hours per spell level
                coins = rules.apply_coins(sheet.coins, {"gp": -learnt.copy_gp})
            new = replace(sheet, spells=learnt.spells, coins=coins)
            return new, SpellChange(self.spell_sheet(new), _learnt_message(new, learnt))

        return await self.characters.change(actor, ref, apply)

    async def forget(self, actor: Actor, ref: CharacterRef, key: str) -> SpellChange:
        spell = self._spell(key)

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, SpellChange]:
            new = replace(sheet, spells=spells.forget(sheet, spell))
            where = "from the spellbook" if spell.index in sheet.spells.book else ""
            return new, SpellChange(self.spell_sheet(new), f"{sheet.name} forgets {spell.name} {where}".strip() + ".")

        return await self.characters.change(actor, ref, apply)

    async def prepare(self, actor: Actor, ref: CharacterRef, key: str, *, remove: bool = False) -> SpellChange:
        spell = self._spell(key)

        async def apply(_: AsyncSession, sheet: Sheet, __: Pending) -> tuple[Sheet, SpellChange]:
            if remove:
                new = replace(sheet, spells=spells.unprepare(sheet, spell))
                return new, SpellChange(self.spell_sheet(new), f"{sheet.name} no longer has {spell.name} prepared.")
            new = replace(sheet, spells=spells.prepare(sheet, self.srd, spell))
            return new, SpellChange(self.spell_sheet(new), _prepared_message(new, spell, self.srd))

        return await self.characters.change(actor, ref, apply)

    def _spell(self, key: str) -> Spell:
        return lookup(self.srd.spell, key, "spell", self.srd.search("spell", key[:4], limit=8))


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
