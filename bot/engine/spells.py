"""Which spells a character has and may pick, by each class's SRD 5.1 rules (no Discord, no storage).

Three ways to have spells (SRD 5.1, each class's "Spellcasting" feature):
- known (bard, ranger, sorcerer, warlock): the class table's "Spells Known" column, from the class list;
- prepared (cleric, druid, paladin): after a long rest, ability modifier + level (paladins: half their
  level) spells from the whole class list, at least one;
- spellbook (wizard): six 1st-level spells at level 1 and two more each level, more copied from scrolls
  and books found (2 hours and 50 gp per spell level); prepares INT modifier + level from the book.
Every caster also knows the table's "Cantrips Known". Spells are of levels for which the class has
slots. Preparing: an empty place can always be filled; changing a prepared spell waits for a long rest
(or a new level), which is what `Spells.may_prepare` records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from bot.data.srd import SRD, CharacterClass, Spell
from bot.engine import class_levels, rules
from bot.engine.sheet import Item, Sheet, Spells, casting_class
from bot.errors import InvalidInput

Style = Literal["known", "prepared", "spellbook", "none"]

KNOWN_CASTERS = frozenset({"bard", "ranger", "sorcerer", "warlock"})
PREPARED_CASTERS = frozenset({"cleric", "druid", "paladin"})
HALF_LEVEL_PREPARERS = frozenset({"paladin"})
SPELLBOOK_CASTERS = frozenset({"wizard"})
BOOK_AT_FIRST_LEVEL = 6
BOOK_PER_LEVEL = 2
COPY_GP_PER_SPELL_LEVEL = 50
COPY_HOURS_PER_SPELL_LEVEL = 2
# Subclass spells the SRD says are always prepared and don't count against the number prepared.
# (Circle of the Land's by the druid's land; the Fiend's only widen the warlock's list to learn from.)
ALWAYS_PREPARED_SUBCLASSES = frozenset({"life", "devotion", "land"})


@dataclass(frozen=True)
class Allowance:
    """How many spells of each kind a character may have now (None: the class has no such list)."""

    style: Style
    ability: str | None
    cantrips: int
    known: int | None  # known casters
    book_free: int | None  # wizards: spells the book gains by levelling; more cost copying
    prepared: int | None  # prepared casters and wizards
    max_level: int  # the highest spell level the character has slots for (0: cantrips only or none)


@dataclass(frozen=True)
class Learnt:
    spells: Spells
    spell: Spell
    copy_gp: int  # a wizard copying beyond the free spells pays this (0 otherwise)
    copy_hours: int


@dataclass(frozen=True)
class LevelGains:
    """What a new level adds, for the level-up reply's pointer to `/spell`."""

    cantrips: int
    known: int
    book: int
    prepared: int
    max_level: int


def style_of(class_index: str) -> Style:
    if class_index in KNOWN_CASTERS:
        return "known"
    if class_index in PREPARED_CASTERS:
        return "prepared"
    if class_index in SPELLBOOK_CASTERS:
        return "spellbook"
    return "none"


def max_spell_level(slots: Iterable[int]) -> int:
    """The highest spell level with at least one slot (pact slots included), 0 without slots."""
    levels = [level for level, count in enumerate(slots, start=1) if count > 0]
    return max(levels, default=0)


def prepared_count(class_index: str, level: int, ability_mod: int) -> int:
    """SRD: modifier + level (paladin: + half the level, rounded down), minimum one."""
    counted = level // 2 if class_index in HALF_LEVEL_PREPARERS else level
    return max(1, ability_mod + counted)


def allowance_for(klass: CharacterClass, level: int, scores: Mapping[str, int], srd: SRD) -> Allowance:
    style = style_of(klass.index)
    row = klass.level(level)
    top = max_spell_level(srd.spell_slots(klass.index, level))
    ability = klass.spellcasting_ability
    mod = rules.modifier(scores[ability]) if ability else 0
    casts = top > 0
    return Allowance(
        style=style,
        ability=ability,
        cantrips=row.cantrips_known or 0,
        known=(row.spells_known or 0) if style == "known" else None,
        book_free=BOOK_AT_FIRST_LEVEL + BOOK_PER_LEVEL * (level - 1) if style == "spellbook" else None,
        prepared=(prepared_count(klass.index, level, mod) if casts else 0)
        if style in ("prepared", "spellbook")
        else None,
        max_level=top,
    )


def allowance(sheet: Sheet, srd: SRD) -> Allowance:
    """By the level in the class the sheet casts with (a fighter 1 / wizard 1 casts as a level-1 wizard)."""
    klass, level = casting_class(sheet, srd)
    return allowance_for(klass, level, sheet.scores, srd)


def caster_of(sheet: Sheet, srd: SRD) -> str:
    """The class whose spell list the sheet learns and prepares from (its first casting class)."""
    return casting_class(sheet, srd)[0].index


def subclass_spells(srd: SRD, subclass: str, class_level: int, land: str | None = None) -> tuple[Spell, ...]:
    """Domain, oath and circle spells always prepared at this class level (a land druid's by its land)."""
    if subclass not in ALWAYS_PREPARED_SUBCLASSES:
        return ()
    terrain = f"circle-of-the-land-{land}" if land else None
    granted = srd.subclass(subclass).spells
    return tuple(srd.spell(s.spell) for s in granted if s.level <= class_level and s.feature in (None, terrain))


def granted(sheet: Sheet, srd: SRD) -> tuple[Spell, ...]:
    """The sheet's always-prepared subclass spells (Life domain, Devotion oath, the land's circle spells)."""
    if not sheet.subclass:
        return ()
    level = class_levels.level_in(sheet, srd.subclass(sheet.subclass).class_index)
    return subclass_spells(srd, sheet.subclass, level, sheet.choices.get("druid_land"))


# --- What may be picked ---------------------------------------------------------------------------


def had(spells: Spells) -> set[str]:
    return {*spells.cantrips, *spells.known, *spells.book}


def class_list(srd: SRD, class_index: str, max_level: int) -> list[Spell]:
    """The class's spells of level 1..max_level, by level then name."""
    found = [s for s in srd.spells_for_class(class_index) if 1 <= s.level <= max_level]
    return sorted(found, key=lambda s: (s.level, s.name))


def learnable(sheet: Sheet, srd: SRD) -> list[Spell]:
    """Spells `/spell learn` may add now: cantrips while places are left, and spells of slot levels."""
    room = allowance(sheet, srd)
    mine = had(sheet.spells)
    cantrips = [s for s in srd.spells_for_class(caster_of(sheet, srd), 0) if s.index not in mine]
    picks: list[Spell] = sorted(cantrips, key=lambda s: s.name) if len(sheet.spells.cantrips) < room.cantrips else []
    if room.style == "known" and len(sheet.spells.known) < (room.known or 0):
        picks += [s for s in class_list(srd, caster_of(sheet, srd), room.max_level) if s.index not in mine]
    if room.style == "spellbook" and room.max_level:
        picks += [s for s in class_list(srd, caster_of(sheet, srd), room.max_level) if s.index not in mine]
    return picks


def preparable(sheet: Sheet, srd: SRD) -> list[Spell]:
    """Spells `/spell prepare` may add: the class list (cleric, druid, paladin) or the book (wizard)."""
    room = allowance(sheet, srd)
    prepared = set(sheet.spells.prepared)
    if room.style == "prepared":
        pool = class_list(srd, caster_of(sheet, srd), room.max_level)
    elif room.style == "spellbook":
        book = (srd.spell(i) for i in sheet.spells.book if i in srd.lookup("spell"))  # homebrew gone: left out
        pool = sorted(book, key=lambda s: (s.level, s.name))
        pool = [s for s in pool if 1 <= s.level <= room.max_level]
    else:
        pool = []
    return [s for s in pool if s.index not in prepared]


def forgettable(sheet: Sheet, srd: SRD) -> list[Spell]:
    spells = sheet.spells
    return [srd.spell(i) for i in (*spells.cantrips, *spells.known, *spells.book) if i in srd.lookup("spell")]


# --- Changes --------------------------------------------------------------------------------------


def learn(sheet: Sheet, srd: SRD, spell: Spell) -> Learnt:
    """Add a cantrip, a known spell, or a spell to a wizard's book (copied at a cost past the free ones)."""
    room = allowance(sheet, srd)
    spells = sheet.spells
    _check_on_list(sheet, srd, spell, room)
    if spell.index in had(spells):
        raise InvalidInput(f"{sheet.name} already has {spell.name}.")
    if spell.level == 0:
        if len(spells.cantrips) >= room.cantrips:
            raise InvalidInput(_full(sheet, "cantrips", room.cantrips, "forget one with `/spell forget` first"))
        return Learnt(replace(spells, cantrips=(*spells.cantrips, spell.index)), spell, 0, 0)
    if room.style == "known":
        if len(spells.known) >= (room.known or 0):
            raise InvalidInput(_full(sheet, "spells known", room.known or 0, "forget one with `/spell forget` first"))
        return Learnt(replace(spells, known=(*spells.known, spell.index)), spell, 0, 0)
    if room.style == "spellbook":
        book = replace(spells, book=(*spells.book, spell.index))
        if len(spells.book) < (room.book_free or 0):
            return Learnt(book, spell, 0, 0)
        return Learnt(book, spell, COPY_GP_PER_SPELL_LEVEL * spell.level, COPY_HOURS_PER_SPELL_LEVEL * spell.level)
    klass = srd.klass(caster_of(sheet, srd)).name
    raise InvalidInput(f"A {klass} doesn't learn spells: prepare them from the class list with `/spell prepare`.")


def scroll_of(sheet: Sheet, spell: Spell) -> Item | None:
    """A scroll of the spell the character carries (the DM's "Scroll of Fireball", "Spell Scroll (Fireball)")."""
    name = spell.name.casefold()
    return next((i for i in sheet.inventory if "scroll" in i.name.casefold() and name in i.name.casefold()), None)


def scroll_copy_dc(spell: Spell) -> int:
    """SRD Spell Scroll: copying its spell takes an Intelligence (Arcana) check, DC 10 + the spell's level."""
    return 10 + spell.level


def _check_on_list(sheet: Sheet, srd: SRD, spell: Spell, room: Allowance) -> None:
    klass = srd.klass(caster_of(sheet, srd))
    if room.style == "none":
        raise InvalidInput(f"A {klass.name} casts no spells.")
    if klass.index not in spell.classes:
        raise InvalidInput(f"{spell.name} is not on the {klass.name} spell list.")
    if spell.level > room.max_level:
        what = "spells" if room.max_level == 0 else f"spells above level {room.max_level}"
        raise InvalidInput(
            f"A level-{sheet.level} {klass.name} has no slots for {what}; {spell.name} is level {spell.level}."
        )


def forget(sheet: Sheet, spell: Spell) -> Spells:
    spells = sheet.spells
    if spell.index not in had(spells):
        raise InvalidInput(f"{sheet.name} doesn't have {spell.name}.")

    def without(items: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(i for i in items if i != spell.index)

    return replace(
        spells,
        cantrips=without(spells.cantrips),
        known=without(spells.known),
        book=without(spells.book),
        prepared=without(spells.prepared),
    )


def prepare(sheet: Sheet, srd: SRD, spell: Spell) -> Spells:
    """Fill a place on the prepared list; a full list closes until the next long rest."""
    room = allowance(sheet, srd)
    spells = sheet.spells
    if room.prepared is None:
        klass = srd.klass(caster_of(sheet, srd)).name
        raise InvalidInput(f"A {klass} doesn't prepare spells; it casts the ones it knows (`/spell learn`).")
    if spell.index in spells.prepared:
        raise InvalidInput(f"{spell.name} is already prepared.")
    if room.style == "prepared":
        _check_on_list(sheet, srd, spell, room)  # says which: not on the list, or no slots of its level
    if spell.index not in {s.index for s in preparable(sheet, srd)}:
        source = "spellbook" if room.style == "spellbook" else "class spell list (of levels you have slots for)"
        raise InvalidInput(f"{spell.name} isn't in {sheet.name}'s {source}.")
    if len(spells.prepared) >= room.prepared:
        raise InvalidInput(_full(sheet, "prepared spells", room.prepared, "unprepare one first (`remove:true`)"))
    prepared = (*spells.prepared, spell.index)
    return replace(spells, prepared=prepared, may_prepare=spells.may_prepare and len(prepared) < room.prepared)


def unprepare(sheet: Sheet, spell: Spell) -> Spells:
    """Take a spell off the prepared list: changing the list waits for a long rest once it is full."""
    spells = sheet.spells
    if spell.index not in spells.prepared:
        raise InvalidInput(f"{spell.name} isn't prepared.")
    if not spells.may_prepare:
        raise InvalidInput(
            f"{sheet.name}'s prepared spells are set until the next long rest (`/character rest kind:long`)."
        )
    return replace(spells, prepared=tuple(i for i in spells.prepared if i != spell.index))


def after_long_rest(spells: Spells) -> Spells:
    return replace(spells, may_prepare=True)


def _full(sheet: Sheet, what: str, count: int, hint: str) -> str:
    return f"{sheet.name} has all {count} {what} a level-{sheet.level} character may have; {hint}."


# --- Creation and levels --------------------------------------------------------------------------


@dataclass(frozen=True)
class CreationPicks:
    """What a new character's draft offers: up to `cantrips` of one list and `spells` of the other."""

    cantrips: int
    cantrip_options: tuple[Spell, ...]
    spells: int
    spell_options: tuple[Spell, ...]


def first_level_limit(room: Allowance) -> int:
    """How many 1st-level spells a level-1 character starts with: known, in the book, or prepared."""
    return {"known": room.known, "spellbook": room.book_free, "prepared": room.prepared}.get(room.style) or 0


def creation_picks(srd: SRD, klass: CharacterClass, scores: Mapping[str, int]) -> CreationPicks:
    room = allowance_for(klass, 1, scores, srd)
    cantrips = sorted(srd.spells_for_class(klass.index, 0), key=lambda s: s.name) if room.cantrips else []
    firsts = sorted(srd.spells_for_class(klass.index, 1), key=lambda s: s.name) if room.max_level else []
    return CreationPicks(room.cantrips, tuple(cantrips), first_level_limit(room) if firsts else 0, tuple(firsts))


def at_creation(
    srd: SRD, klass: CharacterClass, scores: Mapping[str, int], cantrips: Iterable[str], spells: Iterable[str]
) -> Spells:
    """A level-1 character's picks: cantrips, and 1st-level spells known, in the book or prepared."""
    room = allowance_for(klass, 1, scores, srd)
    limit = first_level_limit(room)
    picked_cantrips = _checked(srd, klass, tuple(dict.fromkeys(cantrips)), 0, room.cantrips, "cantrips")
    picked = _checked(srd, klass, tuple(dict.fromkeys(spells)), 1, limit, "1st-level spells")
    if room.style == "known":
        return Spells(cantrips=picked_cantrips, known=picked)
    if room.style == "spellbook":
        return Spells(cantrips=picked_cantrips, book=picked)
    return Spells(cantrips=picked_cantrips, prepared=picked, may_prepare=len(picked) < limit)


def _checked(
    srd: SRD, klass: CharacterClass, picks: tuple[str, ...], level: int, limit: int, what: str
) -> tuple[str, ...]:
    if len(picks) > limit:
        raise InvalidInput(f"A level-1 {klass.name} has {limit} {what}; you picked {len(picks)}.")
    found = []
    for index in picks:
        spell = srd.spell(index) if index in srd.lookup("spell") else None
        if spell is None or klass.index not in spell.classes or spell.level != level:
            raise InvalidInput(f"{spell.name if spell else index[:64]} can't be one of a {klass.name}'s {what}.")
        found.append(spell.index)
    return tuple(found)


def level_gains(srd: SRD, class_index: str, old_level: int, new_level: int, scores: Mapping[str, int]) -> LevelGains:
    klass = srd.klass(class_index)
    after = allowance_for(klass, new_level, scores, srd)
    before = (
        allowance_for(klass, old_level, scores, srd) if old_level else Allowance("none", None, 0, None, None, None, 0)
    )
    return LevelGains(
        cantrips=after.cantrips - before.cantrips,
        known=(after.known or 0) - (before.known or 0),
        book=(after.book_free or 0) - (before.book_free or 0),
        prepared=(after.prepared or 0) - (before.prepared or 0),
        max_level=after.max_level,
    )
