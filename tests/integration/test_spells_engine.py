"""Spells a character has, by each class's SRD 5.1 rules, on real databases (Postgres and SQLite)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.data.srd import load_srd
from bot.engine import spells
from bot.engine.characters import CharacterRef
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Dice
from bot.engine.sheet import Actor, Item, Sheet
from bot.engine.spellbook import SpellService
from bot.errors import InvalidInput
from persistence.db import Database

ME = CharacterRef()
WIZARD_CANTRIPS = ("fire-bolt", "light", "mage-hand")
WIZARD_BOOK = ("magic-missile", "shield", "sleep", "mage-armor", "detect-magic", "burning-hands")


@pytest.fixture
def alice() -> Actor:
    return Actor(user_id=1, guild_id=random.randrange(1, 2**62), channel_id=10)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def service(db: Database) -> CharacterCreation:
    return CharacterCreation(db, Dice(random.Random(7)))


@pytest.fixture
def spellbook(service: CharacterCreation) -> SpellService:
    return SpellService(service)


async def make(
    service: CharacterCreation, actor: Actor, race: str, klass: str, skills: tuple[str, ...], **choices: object
) -> Sheet:
    draft = await service.start_draft(
        actor, name="Caster", race=race, klass=klass, background="acolyte", method="standard"
    )
    return await service.create(actor, draft, Choices(skills=skills, **choices))  # type: ignore[arg-type]


async def test_level_one_wizard_spellbook_and_prepared(
    alice: Actor, service: CharacterCreation, spellbook: SpellService
) -> None:
    # Standard array, wizard priorities: INT 15, +1 high elf = 16 (+3). Prepares 3 + 1 = 4 from the book.
    sheet = await make(
        service, alice, "elf", "wizard", ("arcana", "history"), cantrips=WIZARD_CANTRIPS, spells=WIZARD_BOOK
    )
    assert (sheet.spells.cantrips, sheet.spells.book, sheet.spells.prepared) == (WIZARD_CANTRIPS, WIZARD_BOOK, ())
    view = await spellbook.show(alice)
    assert view.numbers is not None and (view.numbers.save_dc, view.numbers.attack_bonus) == (8 + 2 + 3, 2 + 3)
    assert (view.allowance.cantrips, view.allowance.book_free, view.allowance.prepared) == (3, 6, 4)
    offered = {index for index, _ in await spellbook.choices(alice, "prepare", "")}
    assert offered == set(WIZARD_BOOK)  # only the book
    for index in WIZARD_BOOK[:4]:
        await spellbook.prepare(alice, ME, index)
    with pytest.raises(InvalidInput, match="all 4 prepared spells"):
        await spellbook.prepare(alice, ME, "burning-hands")
    with pytest.raises(InvalidInput, match="until the next long rest"):
        await spellbook.prepare(alice, ME, "shield", remove=True)
    await service.rest(alice, ME, "long")
    change = await spellbook.prepare(alice, ME, "shield", remove=True)
    assert "shield" not in change.view.sheet.spells.prepared
    with pytest.raises(InvalidInput, match="isn't in Caster's spellbook"):
        await spellbook.prepare(alice, ME, "thunderwave")
    # A seventh spell is copied: 50 gp for a 1st-level spell; an acolyte starts with 15 gp.
    with pytest.raises(InvalidInput, match="Not enough coins"):
        await spellbook.learn(alice, ME, "thunderwave")
    with pytest.raises(InvalidInput, match="all 3 cantrips"):
        await spellbook.learn(alice, ME, "ray-of-frost")


async def test_level_three_cleric_prepares_wis_plus_level_after_a_long_rest(
    alice: Actor, service: CharacterCreation, spellbook: SpellService
) -> None:
    # Human cleric: WIS 15 + 1 = 16 (+3); at level 3 prepares 3 + 3 = 6 from the whole cleric list.
    await make(service, alice, "human", "cleric", ("history", "medicine"), cantrips=("sacred-flame",))
    await service.grant_xp(alice, ME, 900)  # outside a campaign a level takes its XP
    for _ in range(2):
        await service.level_up(alice, ME)
    view = await spellbook.show(alice)
    assert (view.allowance.prepared, view.allowance.max_level, view.allowance.cantrips) == (3 + 3, 2, 3)
    for text, index in (("cure", "cure-wounds"), ("spiritual", "spiritual-weapon"), ("hold p", "hold-person")):
        assert index in {i for i, _ in await spellbook.choices(alice, "prepare", text)}
    assert await spellbook.choices(alice, "prepare", "revivify") == []  # 3rd level: no slots yet
    assert len(await spellbook.choices(alice, "prepare", "")) == 25  # Discord's autocomplete limit
    for index in ("cure-wounds", "bless", "hold-person", "healing-word", "shield-of-faith", "spiritual-weapon"):
        await spellbook.prepare(alice, ME, index)
    with pytest.raises(InvalidInput, match="all 6 prepared"):
        await spellbook.prepare(alice, ME, "guiding-bolt")
    with pytest.raises(InvalidInput, match="no slots for spells above level 2"):
        await spellbook.prepare(alice, ME, "revivify")
    await service.rest(alice, ME, "long")
    await spellbook.prepare(alice, ME, "bless", remove=True)
    swapped = await spellbook.prepare(alice, ME, "guiding-bolt")
    assert len(swapped.view.sheet.spells.prepared) == 6 and not swapped.view.sheet.spells.may_prepare


async def test_warlock_knows_two_spells_and_two_cantrips(
    alice: Actor, service: CharacterCreation, spellbook: SpellService
) -> None:
    # Warlock table, level 1: 2 cantrips, 2 spells known; CHA 15 + 1 (human) = 16: DC 8 + 2 + 3.
    await make(
        service,
        alice,
        "human",
        "warlock",
        ("arcana", "deception"),
        cantrips=("eldritch-blast", "mage-hand"),
        spells=("hellish-rebuke",),
    )
    learnt = await spellbook.learn(alice, ME, "charm-person")
    assert learnt.view.sheet.spells.known == ("hellish-rebuke", "charm-person")
    assert learnt.view.numbers is not None and learnt.view.numbers.save_dc == 13
    with pytest.raises(InvalidInput, match="all 2 spells known"):
        await spellbook.learn(alice, ME, "unseen-servant")
    with pytest.raises(InvalidInput, match="not on the Warlock spell list"):
        await spellbook.learn(alice, ME, "cure-wounds")
    with pytest.raises(InvalidInput, match="doesn't prepare spells"):
        await spellbook.prepare(alice, ME, "charm-person")
    assert await spellbook.choices(alice, "learn", "") == []  # nothing left to learn at level 1
    await spellbook.forget(alice, ME, "charm-person")
    offered = [index for index, _ in await spellbook.choices(alice, "learn", "")]
    assert "unseen-servant" in offered and "eldritch-blast" not in offered
    await service.grant_xp(alice, ME, 300)  # outside a campaign a level takes its XP
    levelled = await service.level_up(alice, ME)
    assert levelled.spells is not None and levelled.spells.known == 3 - 2  # the table: 3 known at level 2


async def test_creation_refuses_more_than_the_class_allows(alice: Actor, service: CharacterCreation) -> None:
    with pytest.raises(InvalidInput, match="has 2 cantrips"):
        await make(
            service,
            alice,
            "human",
            "warlock",
            ("arcana", "deception"),
            cantrips=("eldritch-blast", "mage-hand", "minor-illusion"),
        )
    with pytest.raises(InvalidInput, match="can't be one of a Warlock's 1st-level spells"):
        await make(service, alice, "human", "warlock", ("arcana", "deception"), spells=("cure-wounds",))
    with pytest.raises(InvalidInput, match="no-such-spell can't be one of a Warlock's cantrips"):
        await make(service, alice, "human", "warlock", ("arcana", "deception"), cantrips=("no-such-spell",))


def test_counts_by_the_class_rules() -> None:
    srd = load_srd()
    assert spells.prepared_count("paladin", 5, 3) == 3 + 5 // 2
    assert spells.prepared_count("cleric", 1, -1) == 1  # at least one
    paladin = spells.allowance_for(srd.klass("paladin"), 1, {"cha": 16}, srd)
    assert (paladin.prepared, paladin.max_level) == (0, 0)  # no spellcasting before level 2
    wizard = spells.allowance_for(srd.klass("wizard"), 5, {"int": 16}, srd)
    assert (wizard.book_free, wizard.prepared, wizard.max_level) == (6 + 2 * 4, 3 + 5, 3)
    life = [s.index for s in spells.subclass_spells(srd, "life", 3)]
    assert life == ["bless", "cure-wounds", "lesser-restoration", "spiritual-weapon"]
    assert spells.subclass_spells(srd, "land", 3) == ()  # by terrain: not on sheets yet


class FixedD20(random.Random):
    """A source whose d20s (d20 draws `randrange(20)`) all come up `value`."""

    def __init__(self, value: int) -> None:
        super().__init__(1)
        self.value = value

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if (stop is None and start == 20) or (start == 1 and stop == 21):
            return self.value - 1 if stop is None else self.value
        return super().randrange(start, stop, step) if stop is not None else super().randrange(start)


async def test_a_wizard_copies_from_a_scroll_with_an_arcana_check(
    alice: Actor, service: CharacterCreation, spellbook: SpellService
) -> None:
    """SRD Spell Scroll: copying takes an Intelligence (Arcana) check, DC 10 + the spell's level; the scroll
    is destroyed whether it succeeds or fails. The book's inks (50 gp a level) are spent on a success."""
    await make(service, alice, "elf", "wizard", ("arcana", "history"), cantrips=WIZARD_CANTRIPS, spells=WIZARD_BOOK)
    scrolls = (
        Item("custom:scroll-of-thunderwave", "Scroll of Thunderwave", 1),
        Item("custom:cs", "Spell Scroll (Color Spray)", 1),
    )

    async def found(_: object, sheet: Sheet, __: object) -> tuple[Sheet, None]:
        return replace(sheet, coins={**sheet.coins, "gp": 200}, inventory=(*sheet.inventory, *scrolls)), None

    await service.change(alice, ME, found)
    service.dice.rng = FixedD20(10)  # 10 + 5 (INT +3, proficient +2) = 15 against DC 11
    copied = await spellbook.learn(alice, ME, "thunderwave")
    sheet = copied.view.sheet
    assert "Arcana 15" in copied.message and "DC 11" in copied.message and "thunderwave" in sheet.spells.book
    assert sheet.coins["gp"] == 150 and "Scroll of Thunderwave" not in [i.name for i in sheet.inventory]
    service.dice.rng = FixedD20(1)  # 1 + 5 = 6: the scroll crumbles, nothing is copied, no gold spent
    failed = await spellbook.learn(alice, ME, "color-spray")
    sheet = failed.view.sheet
    assert "fails to copy Color Spray" in failed.message and "color-spray" not in sheet.spells.book
    assert sheet.coins["gp"] == 150 and not any("Color Spray" in i.name for i in sheet.inventory)
