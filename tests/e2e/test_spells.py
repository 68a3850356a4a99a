"""`/spell` end to end, through the local Discord and through `dmbot play`: a level-1 wizard's spellbook
and prepared list, a level-3 cleric preparing after a long rest, a warlock's known spells. The numbers are
the SRD's, with the arithmetic written out."""

from __future__ import annotations

import re
from collections.abc import Callable
from subprocess import CompletedProcess
from typing import Any

import pytest

from bot import help_catalog as catalog
from bot.engine.characters import CharacterRef
from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.sandbox.messages import Message
from bot.testbed.harness import SandboxSession

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py
CANTRIPS = ["fire-bolt", "light", "mage-hand"]
BOOK_A_TO_H = ["burning-hands", "detect-magic"]  # a wizard's 27 1st-level spells: two menus, 14 and 13
BOOK_I_TO_U = ["mage-armor", "magic-missile", "shield", "sleep"]


@pytest.fixture
async def session(session: SandboxSession) -> SandboxSession:
    """The shared session without alice's old characters (the database lives for the whole run)."""
    characters = session.services.characters
    actor = Actor(user_id=session.user_id("alice"), guild_id=session.world.guild.id)
    for summary in await characters.list_characters(actor):
        await characters.delete(actor, summary.name)
    return session


def cid(message: Message, suffix: str) -> str:
    return next(c["custom_id"] for c in message.iter_components() if c.get("custom_id", "").endswith(f":{suffix}"))


def fields(handle: Any) -> dict[str, str]:
    embed = handle.messages[-1].embeds[0]
    return {f["name"]: f["value"] for f in embed.get("fields", [])} | {"": embed.get("description") or ""}


async def make(
    session: SandboxSession, name: str, race: str, klass: str, skills: tuple[str, ...], spells: tuple[str, ...] = ()
) -> None:
    """A level-1 character made through the engine (the draft's menus have a test of their own)."""
    actor = Actor(session.user_id("alice"), session.world.guild.id)
    characters = session.services.characters
    draft = await characters.start_draft(
        actor, name=name, race=race, klass=klass, background="acolyte", method="standard"
    )
    await characters.create(actor, draft, Choices(skills=skills, spells=spells))


async def pick(session: SandboxSession, draft: Message, suffix: str, values: list[str]) -> str:
    handle = await (
        await session.discord.click(draft, cid(draft, suffix), user_id=session.user_id("alice"), values=values)
    ).done()
    return str(handle.messages[-1].embeds[0]["description"])


async def test_level_one_wizard_picks_spells_in_the_draft_then_prepares(session: SandboxSession) -> None:
    handle = await session.run(
        "character create", {"name": "Mira", "race": "elf", "class": "wizard", "background": "acolyte"}
    )
    draft = handle.messages[-1]
    await pick(session, draft, "skills", ["arcana", "history"])
    assert "Cantrips (3/3): Fire Bolt, Light, Mage Hand" in await pick(session, draft, "cantrips", CANTRIPS)
    await pick(session, draft, "spells-0", BOOK_A_TO_H)
    text = await pick(session, draft, "spells-1", BOOK_I_TO_U)
    assert "1st-level spells for the spellbook (6/6)" in text  # SRD: six 1st-level spells at level 1
    await (await session.discord.click(draft, cid(draft, "confirm"), user_id=session.user_id("alice"))).done()
    sheet = fields(await session.run("character show"))
    # INT 15 (standard array) + 1 (high elf) = 16, modifier +3; proficiency +2: DC 8 + 2 + 3, attack 2 + 3.
    assert sheet["Spellcasting"].startswith("INT · save DC **13** · attack +5")
    assert "3 cantrips, 6 in book" in sheet["Spellcasting"]
    book = fields(await session.run("spell book"))
    assert "Magic Missile ⚙️" in book["Spellbook: 6 (6 from levels; more are copied: 2 h and 50 gp per spell level)"]
    uid = session.user_id("alice")
    offered = await session.discord.autocomplete("spell prepare", {"spell": ""}, "spell", user_id=uid)
    assert sorted(c["value"] for c in offered) == sorted(BOOK_A_TO_H + BOOK_I_TO_U)  # only the book's spells
    for spell in ("Magic Missile", "Shield", "Sleep", "Mage Armor"):  # INT mod 3 + level 1 = 4 prepared
        done = await session.run("spell prepare", {"spell": spell})
    assert "(4/4 prepared)" in fields(done)[""] and "set until the next long rest" in fields(done)[""]
    full = await session.run("spell prepare", {"spell": "Burning Hands"})
    assert "all 4 prepared spells" in full.messages[-1].content
    listed = fields(await session.run("spell list"))
    assert "Magic Missile ⚙️" in listed["Prepared 4/4 · set until a long rest"]
    # Light calls for a DEX save (an unwilling holder): the engine rolls it, so it counts as full (⚙️).
    assert listed["Cantrips 3/3"] == "**Cantrip** Fire Bolt ⚙️, Light ⚙️, Mage Hand 📝"


async def test_level_three_cleric_prepares_after_a_long_rest(session: SandboxSession) -> None:
    await make(session, "Sera", "human", "cleric", ("history", "medicine"))
    actor = Actor(user_id=session.user_id("alice"), guild_id=session.world.guild.id)
    await session.services.characters.grant_xp(actor, CharacterRef(), 900)  # outside a campaign a level takes its XP
    await session.run("character levelup")
    up = await session.run("character levelup")
    # WIS 15 + 1 (human) = 16, +3: at level 2 a cleric prepares 3 + 2 = 5, at level 3 3 + 3 = 6: one more.
    assert "Prepare 1 more with `/spell prepare` (spells up to level 2)" in fields(up)[""]
    await session.run("character rest", {"kind": "long"})
    prepared = ["Bless", "Cure Wounds", "Hold Person", "Spiritual Weapon", "Healing Word", "Shield of Faith"]
    for spell in prepared:
        done = await session.run("spell prepare", {"spell": spell})
    assert "(6/6 prepared)" in fields(done)[""]
    swap = await session.run("spell prepare", {"spell": "Bless", "remove": True})
    assert "until the next long rest" in swap.messages[-1].content
    await session.run("character rest", {"kind": "long"})
    await session.run("spell prepare", {"spell": "Bless", "remove": True})
    again = await session.run("spell prepare", {"spell": "Guiding Bolt"})
    assert "(6/6 prepared)" in fields(again)[""]
    listed = fields(await session.run("spell list"))
    assert listed[""].startswith("WIS · spell save DC **13** · spell attack **+5**")  # 8 + 2 + 3; 2 + 3


async def test_warlock_learns_its_known_spells(session: SandboxSession) -> None:
    await make(session, "Vex", "human", "warlock", ("arcana", "deception"))
    uid = session.user_id("alice")
    offered = await session.discord.autocomplete("spell learn", {"spell": "e"}, "spell", user_id=uid)
    assert "eldritch-blast" in {c["value"] for c in offered} and all(len(c["name"]) <= 100 for c in offered)
    for spell in ("Eldritch Blast", "Mage Hand", "Hellish Rebuke", "Charm Person"):
        await session.run("spell learn", {"spell": spell})
    listed = fields(await session.run("spell list"))
    # Warlock table, level 1: 2 cantrips and 2 spells known; CHA 16 (+3): DC 8 + 2 + 3.
    assert listed["Cantrips 2/2"] == "**Cantrip** Eldritch Blast ⚙️, Mage Hand 📝"
    assert listed["Known 2/2"] == "**1st** Charm Person ⚙️, Hellish Rebuke ⚙️"
    assert "save DC **13**" in listed[""]
    refused = await session.run("spell learn", {"spell": "Unseen Servant"})
    assert "all 2 spells known" in refused.messages[-1].content
    assert await session.discord.autocomplete("spell learn", {"spell": ""}, "spell", user_id=uid) == []
    forgot = await session.run("spell forget", {"spell": "Charm Person"})
    assert "Vex forgets Charm Person." in fields(forgot)[""]
    book = await session.run("spell book")
    assert "Only wizards keep a spellbook" in book.messages[-1].content


async def test_the_help_examples_of_spells_and_lookup_run(session: SandboxSession) -> None:
    """Each /spell and /lookup example of the catalog (and so of the guides), run as typed."""
    await make(session, "Ansel", "human", "wizard", ("arcana", "history"), spells=("magic-missile",))
    # /cast's example needs a fight: tests/e2e/test_examples.py runs it at one
    entries = [e for e in catalog.CATALOG if e.topic in ("spells", "lookup") and e.command != "cast"]
    assert len(entries) == 5 + 9
    for entry in entries:
        command, options = parse_example(entry.example)
        handle = await session.run(command, options)
        message = handle.messages[-1]
        assert message.embeds, f"{entry.example}: {message.content}"


def parse_example(example: str) -> tuple[str, dict[str, Any]]:
    """`/lookup spell name:Fireball` → ("lookup spell", {"name": "Fireball"}); values may have spaces."""
    words = re.split(r"\s(?=\w+:)", example.removeprefix("/"))
    command, options = words[0], {}
    for word in words[1:]:
        key, _, value = word.partition(":")
        options[key] = int(value) if value.isdigit() else {"true": True, "false": False}.get(value, value)
    return command, options


WIZARD_SCRIPT = """\
/character create name:Mira race:Elf class:Wizard background:Acolyte
1 Arcana, History
5 Fire Bolt, Light, Mage Hand
6 Detect Magic, Burning Hands
7 Magic Missile, Mage Armor, Shield, Sleep
3
/spell book
/spell prepare spell:Magic Missile
/spell prepare spell:Shield
/spell list
/quit
"""


def test_a_wizard_in_dmbot_play(run_play: PlayRun) -> None:
    result = run_play(WIZARD_SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Mira is ready" in out, out[-2000:]
    book = out.split("> /spell book")[1].split("> /spell prepare")[0]
    assert "Spellbook: 6" in book and "Magic Missile" in book and "Sleep" in book
    listed = out.split("> /spell list")[1]
    # INT 16 (+3), level 1: 3 + 1 = 4 to prepare; DC 8 + 2 + 3 = 13, attack +5.
    assert "Prepared 2/4" in listed and "spell save DC 13" in listed  # piped: Markdown as plain text
    assert "(local Discord refused" not in out


async def test_a_crowded_draft_keeps_to_five_rows_and_says_where_the_rest_is(session: SandboxSession) -> None:
    # A half-elf sorcerer: class skills, racial skills and +1 bonuses take three menus and the buttons a
    # row; the draconic sorcerer's dragon ancestor (chosen now or never) takes the fifth, so the cantrip and
    # spell menus (picked later just as well) don't fit Discord's five rows.
    handle = await session.run(
        "character create", {"name": "Ysolde", "race": "half-elf", "class": "sorcerer", "background": "acolyte"}
    )
    draft = handle.messages[-1]
    assert len(draft.components) == 5
    assert cid(draft, "ask-draconic_ancestry") and not any(
        c.get("custom_id", "").endswith((":spells-0", ":cantrips")) for c in draft.iter_components()
    )
    description = draft.embeds[0]["description"]
    assert "Cantrips (0/4)" in description and "1st-level spells known (0/2)" in description
    assert "`/spell learn` and `/spell prepare` pick them" in description
