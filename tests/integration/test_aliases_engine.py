"""Saved rolls on both databases: a player's own and a server's, limits, permissions, character numbers."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from bot.engine import aliases as alias_rules
from bot.engine.aliases import AliasService, Expanded, check_expression, check_name, fill
from bot.engine.characters import CharacterService
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Dice
from bot.engine.sheet import Actor
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database


@pytest.fixture
def alice() -> Actor:
    """Users and a guild of this test's own: the Postgres database is shared by the whole run."""
    return Actor(user_id=random.randrange(1, 2**62), guild_id=random.randrange(1, 2**62), channel_id=10)


@pytest.fixture
def bob(alice: Actor) -> Actor:
    return Actor(user_id=random.randrange(1, 2**62), guild_id=alice.guild_id, channel_id=10)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def characters(db: Database) -> CharacterCreation:
    return CharacterCreation(db, Dice(random.Random(3)))


@pytest.fixture
def aliases(db: Database, characters: CharacterService) -> AliasService:
    return AliasService(db, characters)


async def make_tordek(characters: CharacterCreation, actor: Actor) -> None:
    """A dwarf fighter with the standard array: STR 15 (+2), DEX 13 (+1), INT 8 (-1), proficiency +2."""
    draft = await characters.start_draft(
        actor, name="Tordek", race="dwarf", klass="fighter", background="acolyte", method="standard"
    )
    await characters.create(actor, draft, Choices(skills=("athletics", "perception")))


async def test_a_saved_roll_is_rolled_by_its_name(aliases: AliasService, alice: Actor) -> None:
    saved = await aliases.add(alice, "Greatsword", "2d6+3[slashing]")
    assert (saved.roll.name, saved.roll.expression, saved.roll.server, saved.previous) == (
        "Greatsword",
        "2d6+3[slashing]",
        False,
        None,
    )
    assert await aliases.expand(alice, "greatsword") == Expanded("2d6+3[slashing]", "Greatsword")
    assert await aliases.expand(alice, "GREATSWORD second swing") == Expanded("2d6+3[slashing]", "second swing")
    assert await aliases.expand(alice, "1d20+5 stealth") == Expanded("1d20+5 stealth")  # dice pass through


async def test_saving_a_name_again_replaces_it(aliases: AliasService, alice: Actor) -> None:
    await aliases.add(alice, "bite", "1d6")
    again = await aliases.add(alice, "BITE", "2d6")
    assert again.previous == "1d6" and again.roll.name == "BITE"
    assert [r.expression for r in (await aliases.list_for(alice)).personal] == ["2d6"]


async def test_a_players_aliases_are_their_own_and_follow_them(aliases: AliasService, alice: Actor, bob: Actor) -> None:
    await aliases.add(alice, "smite", "2d8[radiant]")
    with pytest.raises(InvalidInput, match="nor one of your saved rolls"):
        await aliases.expand(bob, "smite")
    elsewhere = Actor(user_id=alice.user_id, guild_id=None)  # a direct message
    assert (await aliases.expand(elsewhere, "smite")).expression == "2d8[radiant]"


async def test_server_aliases_need_manage_server_and_yield_to_a_players_own(
    aliases: AliasService, alice: Actor, bob: Actor
) -> None:
    with pytest.raises(Forbidden, match="Manage Server"):
        await aliases.add(alice, "goblin", "1d20+4", server=True, manage=False)
    await aliases.add(alice, "goblin", "1d20+4", server=True, manage=True)
    assert (await aliases.expand(bob, "goblin")).expression == "1d20+4"
    await aliases.add(bob, "goblin", "1d20+6")
    assert (await aliases.expand(bob, "goblin")).expression == "1d20+6"
    listed = await aliases.list_for(bob)
    assert [(r.name, r.server) for r in listed.personal + listed.server] == [("goblin", False), ("goblin", True)]
    with pytest.raises(Forbidden):
        await aliases.remove(bob, "goblin", server=True, manage=False)
    with pytest.raises(InvalidInput, match="in one"):
        await aliases.add(Actor(user_id=alice.user_id), "x", "1d4", server=True, manage=True)


async def test_removing_says_what_was_removed(aliases: AliasService, alice: Actor) -> None:
    await aliases.add(alice, "bite", "1d6+2")
    removed = await aliases.remove(alice, "Bite")
    assert (removed.name, removed.expression) == ("bite", "1d6+2")
    with pytest.raises(NotFound, match="no alias called `bite`"):
        await aliases.remove(alice, "bite")


async def test_fields_come_from_the_active_character(
    aliases: AliasService, characters: CharacterCreation, alice: Actor
) -> None:
    await aliases.add(alice, "greatsword", "2d6+{str}[slashing]")
    with pytest.raises(NotFound, match=r"`greatsword` uses your character's numbers.*/character create"):
        await aliases.expand(alice, "greatsword")
    await make_tordek(characters, alice)
    assert (await aliases.expand(alice, "greatsword")).expression == "2d6+2[slashing]"
    await aliases.add(alice, "book", "1d20+{INT}+{ prof }")
    assert (await aliases.expand(alice, "book")).expression == "1d20+(-1)+2"
    assert (await aliases.expand(alice, "1d20+{dex}")).expression == "1d20+1"  # in a plain roll too


async def test_a_player_keeps_at_most_fifty(
    aliases: AliasService, alice: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alias_rules, "MAX_PER_USER", 3)  # the same check, without 50 inserts per backend
    for n in range(3):
        await aliases.add(alice, f"roll{n}", "1d4")
    with pytest.raises(InvalidInput, match=r"You have 3 aliases, the most dmbot keeps\. Remove one first"):
        await aliases.add(alice, "roll3", "1d4")
    await aliases.add(alice, "roll0", "1d8")  # replacing one still works at the limit
    monkeypatch.setattr(alias_rules, "MAX_PER_SERVER", 1)
    await aliases.add(alice, "boss", "1d20+9", server=True, manage=True)
    with pytest.raises(InvalidInput, match="This server has 1 aliases"):
        await aliases.add(alice, "minion", "1d20", server=True, manage=True)


async def test_autocomplete_offers_what_is_typed_then_saved_rolls(aliases: AliasService, alice: Actor) -> None:
    await aliases.add(alice, "greatsword", "2d6+3[slashing]")
    await aliases.add(alice, "bless", "1d4", server=True, manage=True)
    offered = await aliases.suggest(alice, "")
    assert [o.value for o in offered] == ["greatsword", "bless", "1d20", "2d20kh1", "4d6kh3", "1d100"]
    assert offered[1].shown == "bless — 1d4 (server)"
    assert [o.value for o in await aliases.suggest(alice, "great")] == ["great", "greatsword"]
    assert [o.value for o in await aliases.suggest(alice, "Greatsword")] == ["greatsword"]
    assert [o.value for o in await aliases.suggest(alice, "1d20+5\x00")] == ["1d20+5"]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "1 to 32 letters"),
        ("great sword", "1 to 32 letters"),
        ("x" * 33, "1 to 32 letters"),
        ("fire\u200bball", "1 to 32 letters"),
        ("d20", "starts like dice"),
        ("2handed", "starts like dice"),
    ],
)
def test_names_are_short_plain_words(name: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        check_name(name)


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("2d6+", "can't be saved: .*a number or dice must follow"),
        ("1d20+{luck}", "`{luck}` is not something dmbot can fill in"),
        ("1d6" + "+1" * 100, "200 is the most"),
        ("1d1e1", "explode forever"),
    ],
)
def test_expressions_must_be_dice_within_the_cap(expression: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        check_expression("bad", expression)


def test_fill_puts_negative_numbers_in_parentheses() -> None:
    assert fill("1d20+{str}-{dex}", {"str": -1, "dex": 2}) == "1d20+(-1)-2"


async def test_a_name_with_invisible_characters_finds_nothing_and_fails_cleanly(
    aliases: AliasService, alice: Actor
) -> None:
    with pytest.raises(NotFound, match="no alias called `ab`"):
        await aliases.remove(alice, "a\x00b")
