"""`/character import` and `/character export` end to end: files attached through the local Discord both
ways, the eight Foundry heroes of ../shared/foundry-heroes (skipped when the folder is absent), the
repo's own Foundry fixture, and dmbot's file round-tripping exactly."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, update

from bot import help_catalog as catalog
from bot.engine import rules
from bot.engine.sheet import Actor
from bot.sandbox.commandline import Directory, parse
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import File, Message
from bot.testbed.harness import SandboxSession
from persistence.models import Campaign, Character

HEROES = Path(__file__).resolve().parents[2].parent / "shared" / "foundry-heroes"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "foundry" / "randal-human-fighter.json"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "derive_foundry_fixture.py"
SKILL_CODES = {"ath": "Athletics", "ste": "Stealth", "prc": "Perception", "arc": "Arcana", "ins": "Insight"}


def cid(message: Message, suffix: str) -> str:
    return next(c["custom_id"] for c in message.iter_components() if c.get("custom_id", "").endswith(f":{suffix}"))


async def create(session: SandboxSession, name: str, user: str = "alice") -> None:
    handle = await session.run(
        "character create",
        {"name": name, "race": "dwarf", "class": "fighter", "background": "acolyte", "method": "standard"},
        user=user,
    )
    draft, uid = handle.messages[-1], session.user_id(user)
    await (
        await session.discord.click(draft, cid(draft, "skills"), user_id=uid, values=["athletics", "perception"])
    ).done()
    done = await (await session.discord.click(draft, cid(draft, "confirm"), user_id=uid)).done()
    assert "is ready" in done.messages[-1].content


def read(path: Path) -> bytes:
    return path.read_bytes()  # small files, read once: not worth a thread


def hero_files() -> list[Path]:
    return sorted(HEROES.glob("*.json")) if HEROES.is_dir() else []


@pytest.fixture
async def session(session: SandboxSession) -> SandboxSession:
    characters = session.services.characters
    for user in ("alice", "bob"):
        actor = Actor(user_id=session.user_id(user), guild_id=session.world.guild.id)
        for summary in await characters.list_characters(actor):
            await characters.delete(actor, summary.name)
    return session


async def import_file(session: SandboxSession, name: str, data: bytes, user: str = "alice") -> InteractionHandle:
    handle = await session.run("character import", {"file": File(name, data, "application/json")}, user=user)
    assert handle.ephemeral
    return handle


async def confirm(session: SandboxSession, draft: Message, user: str = "alice") -> Message:
    done = await (await session.discord.click(draft, cid(draft, "confirm"), user_id=session.user_id(user))).done()
    assert "is imported" in done.messages[-1].content, done.text
    return done.messages[-1]


def field(message: Message, embed: int, name: str) -> str:
    return next(f["value"] for f in message.embeds[embed]["fields"] if f["name"].startswith(name))


def check_numbers(hero: dict[str, Any], report: str, sheet: Message, embed: int = 0) -> None:
    """The sheet's numbers are the file's, or the report says why not."""
    system = hero["system"]
    for ability in rules.ABILITIES:
        score = system["abilities"][ability]["value"]
        assert f"**{ability.upper()}** {score} ({rules.signed(rules.modifier(score))})" in field(
            sheet, embed, "Abilities"
        )
    hp = system["attributes"]["hp"]["value"]
    shown = sheet.embeds[embed]["description"]
    assert f"HP {hp}/{hp}**" in shown or f"Hit points: the file has {hp}" in report, (shown, report)
    skills = field(sheet, embed, "Skills")
    for code, name in SKILL_CODES.items():
        mark = {0: "○", 1: "●", 2: "◆"}.get(system["skills"][code]["value"])
        if mark:
            assert f"{mark} {name} " in skills, (name, skills)


@pytest.mark.skipif(not hero_files(), reason="../shared/foundry-heroes is not in this checkout")
@pytest.mark.parametrize("path", hero_files(), ids=lambda p: p.stem)
async def test_each_foundry_hero_imports_with_its_numbers(session: SandboxSession, path: Path) -> None:
    raw = read(path)
    hero = json.loads(raw)
    handle = await import_file(session, path.name, raw)
    draft = handle.messages[-1]
    report = draft.embeds[0]
    assert report["title"].startswith("Import from Foundry VTT dnd5e")
    text = handle.text
    assert "Mapped to the SRD" in text and "Kept as custom entries" in text  # every hero has a custom background
    check_numbers(hero, text, draft, embed=1)  # the draft's sheet (after the report) ...
    done = await confirm(session, draft)
    shown = await session.run("character show", user="alice")
    check_numbers(hero, text, shown.messages[-1])  # ... and the stored one
    assert "Custom (outside the SRD" in shown.text
    assert hero["name"].split(" (")[0] in done.content
    sheet = await session.services.characters.get(Actor(session.user_id("alice"), session.world.guild.id))
    assert dict(sheet.coins) == {c: hero["system"]["currency"][c] for c in ("cp", "sp", "ep", "gp", "pp")}
    spells = [i for i in hero["items"] if i["type"] == "spell"]
    cantrips = {s["name"] for s in spells if s["system"]["level"] == 0}
    assert {session.services.characters.srd.spell(i).name for i in sheet.spells.cantrips} == cantrips
    prepared = {
        s["name"] for s in spells
        if s["system"]["level"] > 0 and s["system"]["preparation"] == {"mode": "prepared", "prepared": True}
    }  # fmt: skip
    if sheet.class_index in ("cleric", "druid", "wizard"):
        assert {session.services.characters.srd.spell(i).name for i in sheet.spells.prepared} == prepared


def test_the_fixture_is_derived_from_a_shared_hero() -> None:
    """The repo's fixture is a shared hero with its descriptions dropped (scripts/derive_foundry_fixture.py)."""
    if not hero_files():
        pytest.skip("../shared/foundry-heroes is not in this checkout")
    spec = importlib.util.spec_from_file_location("derive_foundry_fixture", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.derive(json.loads((HEROES / FIXTURE.name).read_text())) == json.loads(FIXTURE.read_text())


async def test_the_fixture_hero_imports_and_explains_its_armour_class(session: SandboxSession) -> None:
    handle = await import_file(session, FIXTURE.name, read(FIXTURE))
    text = handle.text
    assert "Race: Variant Human (with the SRD's Human rules)" in text
    assert "Background: Watchman" in text and "Feat: Grappler" in text
    assert "AC: the file gives 19, the sheet 18 (Defense +1 is not applied" in text  # the difference, explained
    assert "Alignment: Neutral Good" in text  # what could not be used
    sheet = handle.messages[-1]
    assert "🛡️ AC **18**" in sheet.embeds[1]["description"]
    cancel = await (await session.discord.click(sheet, cid(sheet, "cancel"), user_id=session.user_id("alice"))).done()
    assert "nothing was saved" in cancel.messages[-1].content
    listed = await session.run("character list", user="alice")
    assert "Randal" not in listed.text


async def test_export_then_import_round_trips_exactly(session: SandboxSession) -> None:
    await create(session, "Tordek")
    export = await session.run("character export", user="alice")
    assert export.ephemeral
    [attachment] = export.messages[-1].attachments
    assert attachment.filename == "Tordek.dmbot.json"
    first = attachment.data
    assert json.loads(first)["format"] == "dmbot-character"
    # another player brings the file to the table: the same sheet, every fact
    handle = await import_file(session, attachment.filename, first, user="bob")
    assert "Every field: a dmbot character file" in handle.text
    await confirm(session, handle.messages[-1], user="bob")
    again = await session.run("character export", user="bob")
    assert again.messages[-1].attachments[0].data == first


async def test_import_refuses_clearly(session: SandboxSession) -> None:
    not_json = await import_file(session, "notes.txt", b"just some notes")
    assert "That file is not JSON" in not_json.text
    other = await import_file(session, "x.json", b'{"hello": 1}')
    assert "neither a Foundry VTT dnd5e actor" in other.text
    bad = await import_file(session, "bad.json", json.dumps({"format": "dmbot-character", "version": 1}).encode())
    assert "is not valid at" in bad.text and "CHARACTER_FORMAT.md" in bad.text
    await create(session, "Tordek")
    export = await session.run("character export", user="alice")
    twice = await import_file(session, "t.json", export.messages[-1].attachments[0].data)
    assert "already have a character named" in twice.text or "Tordek" in twice.text


async def test_the_help_examples_of_import_and_export_run(
    session: SandboxSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalog's (and so the guides') /character import and export examples, typed as in `dmbot play`."""
    monkeypatch.chdir(FIXTURE.parent)  # `file:randal-human-fighter.json` is a path, as the terminal reads it
    entries = {e.command: e.example for e in catalog.CATALOG if e.command in ("character import", "character export")}
    directory = Directory(session.world.guild, session.world.users)
    parsed = parse(entries["character import"], session.discord.commands(), directory)
    handle = await session.run(parsed.path, parsed.options, user="alice")
    await confirm(session, handle.messages[-1])
    parsed = parse(entries["character export"], session.discord.commands(), directory)
    export = await session.run(parsed.path, parsed.options, user="alice")
    assert json.loads(export.messages[-1].attachments[0].data)["name"] == "Randal (Human Fighter)"


async def test_a_campaigns_dm_may_export_a_players_sheet_and_no_one_else(session: SandboxSession) -> None:
    await create(session, "Tordek")
    guild = session.world.guild
    async with session.services.db.transaction() as db:
        dm = session.user_id("dungeonmaster")
        campaign = Campaign(guild_id=guild.id, channel_id=guild.channel("tavern").id, dm_id=dm, name="Export Test",
                            status="ended", settings={}, safety={}, scene={})  # fmt: skip
        db.add(campaign)
        await db.flush()
        await db.execute(
            update(Character).where(Character.owner_id == session.user_id("alice")).values(campaign_id=campaign.id)
        )
    try:
        player = {"player": session.user_id("alice")}
        by_dm = await session.run("character export", player, user="dungeonmaster")
        assert json.loads(by_dm.messages[-1].attachments[0].data)["name"] == "Tordek"
        by_bob = await session.run("character export", player, user="bob")
        assert "Only a character's player, or the DM of the campaign it plays in" in by_bob.text
        assert not by_bob.messages[-1].attachments
    finally:
        async with session.services.db.transaction() as db:
            await db.execute(update(Character).where(Character.campaign_id == campaign.id).values(campaign_id=None))
            await db.execute(delete(Campaign).where(Campaign.id == campaign.id))


def multiclass_randal() -> bytes:
    """Randal (the fixture, a Fighter 1) made a Fighter 3 / Wizard 2 with Zanna's real wizard class item and
    spells from ../shared/foundry-heroes, or a class item of the same shape when that folder is absent."""
    hero = json.loads(read(FIXTURE))
    fighter = next(i for i in hero["items"] if i["type"] == "class")
    fighter["system"]["levels"] = 3
    zanna = HEROES / "zanna-gnome-wizard.json"
    if zanna.is_file():
        items = json.loads(read(zanna))["items"]
        wizard = next(i for i in items if i["type"] == "class")
        spells = [i for i in items if i["type"] == "spell" and i["name"] in ("Magic Missile", "Fire Bolt")]
    else:
        wizard = {"type": "class", "name": "Wizard", "system": {"identifier": "wizard"}}
        spells = [
            {"type": "spell", "name": n, "system": {"level": lv, "sourceClass": "wizard", "preparation": {}}}
            for n, lv in (("Magic Missile", 1), ("Fire Bolt", 0))
        ]
    wizard = json.loads(json.dumps(wizard))
    wizard["system"]["levels"] = 2
    hero["items"] += [wizard, *spells]
    return json.dumps(hero).encode()


async def test_a_multiclass_hero_keeps_every_class_and_says_so(session: SandboxSession) -> None:
    handle = await import_file(session, "randal-multiclass.json", multiclass_randal())
    text = handle.text
    assert "Class: Fighter 3, the sheet's class (the file has Fighter 3, Wizard 2)" in text
    assert "Class: Wizard 2" in text and "Spell: Magic Missile (a Wizard spell)" in text
    assert "Multiclass: this is a level-5 character (Fighter 3, Wizard 2)" in text
    assert "this sheet is a level-3 Fighter" in text
    await confirm(session, handle.messages[-1])
    sheet = await session.services.characters.get(Actor(session.user_id("alice"), session.world.guild.id))
    assert (sheet.class_index, sheet.level) == ("fighter", 3)
    assert sheet.custom["classes"] == [
        {"name": "Fighter", "index": "fighter", "levels": 3},
        {"name": "Wizard", "index": "wizard", "levels": 2},
    ]
    assert not sheet.spells.cantrips and "Fire Bolt (Wizard)" in sheet.custom["spells"]
    shown = await session.run("character show", user="alice")
    assert "Classes: Fighter 3, Wizard 2" in shown.text
    exported = await session.run("character export", user="alice")
    again = json.loads(exported.messages[-1].attachments[0].data)
    assert again["custom"]["classes"] == sheet.custom["classes"]  # the export carries them, and imports back
