"""Characters end to end: the real bot through the local Discord, on Postgres (and SQLite once)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.engine.characters import CharacterRef
from bot.engine.memory import party_line
from bot.engine.sheet import Actor
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import Message, embed_text
from bot.testbed.harness import SandboxSession


@pytest.fixture
async def session(session: SandboxSession) -> SandboxSession:
    """The shared session, with no characters: the database lives for the whole run and sandbox ids repeat."""
    characters = session.services.characters
    for user in ("alice", "bob"):
        actor = Actor(user_id=session.user_id(user), guild_id=session.world.guild.id)
        for summary in await characters.list_characters(actor):
            await characters.delete(actor, summary.name)
    return session


def cid(message: Message, suffix: str) -> str:
    return next(c["custom_id"] for c in message.iter_components() if c.get("custom_id", "").endswith(f":{suffix}"))


def embed(handle: InteractionHandle) -> dict[str, Any]:
    return dict(handle.messages[-1].embeds[0])


async def create(
    session: SandboxSession,
    name: str = "Tordek",
    *,
    user: str = "alice",
    race: str = "dwarf",
    klass: str = "fighter",
    method: str = "standard",
    skills: tuple[str, ...] = ("athletics", "perception"),
) -> Message:
    handle = await session.run(
        "character create",
        {"name": name, "race": race, "class": klass, "background": "acolyte", "method": method},
        user=user,
    )
    assert handle.ephemeral
    draft = handle.messages[-1]
    uid = session.user_id(user)
    pick = await (await session.discord.click(draft, cid(draft, "skills"), user_id=uid, values=list(skills))).done()
    assert "Skills: " + ", ".join(skills) in embed(pick)["description"]
    done = await (await session.discord.click(draft, cid(draft, "confirm"), user_id=uid)).done()
    assert "is ready" in done.messages[-1].content
    return done.messages[-1]


async def test_standard_array_then_sheet_check_save_attack(session: SandboxSession) -> None:
    await create(session)
    sheet = embed(await session.run("character show"))
    assert sheet["title"] == "Tordek — level 1 Hill Dwarf Fighter"
    assert "AC **18**" in sheet["description"] and "HP 14/14" in sheet["description"]
    assert "Longsword** +4 · 1d8+2 slashing" in embed_text(sheet)
    check = await session.run("check", {"skill_or_ability": "perception"})
    assert embed(check)["title"].startswith("🎲 Tordek — Perception check: ")
    assert embed(check)["description"].startswith("1d20")
    save = await session.run("save", {"ability": "Constitution", "advantage": True})
    assert "with advantage" in embed(save)["description"]
    attack = await session.run("attack", {"weapon": "longsword", "target": "@everyone goblin"})
    assert "To hit" in embed(attack)["description"]
    assert "@everyone" not in embed(attack)["title"]  # escaped, no live mention
    init = await session.run("initiative")
    assert "Initiative" in embed(init)["title"]


async def test_autocomplete(session: SandboxSession) -> None:
    uid = session.user_id("alice")
    races = await session.discord.autocomplete(
        "character create", {"name": "X", "race": "dw", "class": "", "background": ""}, "race", user_id=uid
    )
    assert races[0]["value"] == "dwarf"
    checks = await session.discord.autocomplete("check", {"skill_or_ability": "perc"}, "skill_or_ability", user_id=uid)
    assert checks[0]["value"] == "perception"
    await create(session)
    weapons = await session.discord.autocomplete("attack", {"weapon": ""}, "weapon", user_id=uid)
    assert {"longsword", "unarmed"} <= {w["value"] for w in weapons}


async def test_point_buy_modal_and_bad_scores(session: SandboxSession) -> None:
    handle = await session.run(
        "character create",
        {"name": "Ember", "race": "human", "class": "monk", "background": "acolyte", "method": "pointbuy"},
    )
    draft = handle.messages[-1]
    uid = session.user_id("alice")
    opened = await session.discord.click(draft, cid(draft, "scores"), user_id=uid)
    await opened.response()
    field = next(c["custom_id"] for c in _inputs(opened.modal))
    bad = await (await session.discord.submit_modal(opened, {field: "15 15 15 15 8 8"})).done()
    assert bad.ephemeral and "cost 36" in bad.content
    opened = await session.discord.click(draft, cid(draft, "scores"), user_id=uid)
    await opened.response()
    ok = await (await session.discord.submit_modal(opened, {field: "10 15 13 8 14 8"})).done()
    assert "DEX 15" in embed(ok)["description"]
    await session.discord.click(draft, cid(draft, "skills"), user_id=uid, values=["acrobatics", "stealth"])
    done = await (await session.discord.click(draft, cid(draft, "confirm"), user_id=uid)).done()
    sheet = done.messages[-1].embeds[0]
    assert "AC **15**" in sheet["description"]  # 10 + Dex 3 + Wis 2 (human +1 all)


def _inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    from bot.sandbox.messages import iter_components

    return [c for c in iter_components(list(modal["components"])) if c.get("type") == 4]


async def test_rolled_method_logs_and_creates(session: SandboxSession) -> None:
    handle = await session.run(
        "character create",
        {"name": "Rolly", "race": "elf", "class": "wizard", "background": "acolyte", "method": "rolled"},
    )
    assert "Rolled: " in embed(handle)["description"]
    draft = handle.messages[-1]
    uid = session.user_id("alice")
    await session.discord.click(draft, cid(draft, "skills"), user_id=uid, values=["arcana", "history"])
    done = await (await session.discord.click(draft, cid(draft, "confirm"), user_id=uid)).done()
    assert "Spell slots 1st 2/2" in embed_text(done.messages[-1].embeds[0])


async def test_other_players_cannot_click_and_walking_away_stores_nothing(session: SandboxSession) -> None:
    cog: Any = session.bot.get_cog("CharacterCog")
    cog.draft_timeout = 0.5
    handle = await session.run(
        "character create",
        {"name": "Ghost", "race": "human", "class": "wizard", "background": "acolyte", "method": "standard"},
    )
    draft = handle.messages[-1]
    with pytest.raises(PermissionError):  # the draft is ephemeral: nobody else even sees it
        await session.discord.click(draft, cid(draft, "confirm"), user_id=session.user_id("bob"))
    await asyncio.sleep(0.8)
    assert "draft expired" in session.discord.message(draft.id).content
    with pytest.raises(PermissionError):
        await session.discord.click(draft, cid(draft, "confirm"), user_id=session.user_id("alice"))
    listed = await session.run("character list")
    assert "no characters" in embed(listed)["description"]


async def test_cancel_stores_nothing(session: SandboxSession) -> None:
    handle = await session.run(
        "character create",
        {"name": "Nope", "race": "human", "class": "wizard", "background": "acolyte", "method": "standard"},
    )
    draft = handle.messages[-1]
    done = await (await session.discord.click(draft, cid(draft, "cancel"), user_id=session.user_id("alice"))).done()
    assert "nothing was saved" in done.messages[-1].content
    assert "no characters" in embed(await session.run("character list"))["description"]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"race": "orc"}, "not an SRD race"),
        ({"class": "gunslinger"}, "not an SRD class"),
        ({"name": "\u200b\u200b"}, "visible character"),
    ],
)
async def test_bad_creation_input(session: SandboxSession, options: dict[str, str], says: str) -> None:
    base = {"name": "A", "race": "human", "class": "wizard", "background": "acolyte", "method": "standard"}
    handle = await session.run("character create", {**base, **options})
    assert handle.ephemeral and says in handle.content


async def test_delete_confirm_and_cancel(session: SandboxSession) -> None:
    await create(session)
    uid = session.user_id("alice")
    ask = await session.run("character delete", {"name": "tordek"})
    prompt = ask.messages[-1]
    kept = await (await session.discord.click(prompt, cid(prompt, "cancel"), user_id=uid)).done()
    assert "nothing was deleted" in kept.messages[-1].content
    ask = await session.run("character delete", {"name": "Tordek"})
    prompt = ask.messages[-1]
    gone = await (await session.discord.click(prompt, cid(prompt, "delete"), user_id=uid)).done()
    assert "was deleted" in gone.messages[-1].content
    missing = await session.run("character show")
    assert missing.ephemeral and "no active character" in missing.content


async def test_edit_modal(session: SandboxSession) -> None:
    await create(session)
    opened = await session.invoke("character edit")
    await opened.response()
    inputs = {c["custom_id"].rsplit(":", 1)[1]: c["custom_id"] for c in _inputs(opened.modal)}
    saved = await (
        await session.discord.submit_modal(opened, {inputs["name"]: "Tordek *the* Bold", inputs["notes"]: "owes 5 gp"})
    ).done()
    assert saved.ephemeral and "Tordek \\*the\\* Bold" in embed(saved)["title"]


async def test_pronouns_at_creation_in_the_edit_form_and_for_the_narrator(session: SandboxSession) -> None:
    alice = Actor(user_id=session.user_id("alice"), guild_id=session.world.guild.id)
    bad = await session.run(
        "character create",
        {"name": "Mira", "race": "human", "class": "rogue", "background": "acolyte", "pronouns": "she/her 3"},
    )
    assert bad.ephemeral and "Pronouns are up to 24 letters" in bad.content
    handle = await session.run(
        "character create",
        {"name": "Mira", "race": "human", "class": "rogue", "background": "acolyte", "pronouns": "She / Her"},
    )
    draft = handle.messages[-1]
    uid = session.user_id("alice")
    skills = ["stealth", "acrobatics", "deception", "athletics"]
    await (await session.discord.click(draft, cid(draft, "skills"), user_id=uid, values=skills)).done()
    await (await session.discord.click(draft, cid(draft, "confirm"), user_id=uid)).done()
    assert (await session.services.characters.get(alice)).pronouns == "she/her"
    opened = await session.invoke("character edit")
    await opened.response()
    inputs = {c["custom_id"].rsplit(":", 1)[1]: c for c in _inputs(opened.modal)}
    assert inputs["pronouns"].get("value") == "she/her"  # prefilled
    await (await session.discord.submit_modal(opened, {inputs["pronouns"]["custom_id"]: "he/him"})).done()
    sheet = await session.services.characters.get(alice)
    assert sheet.pronouns == "he/him"
    stats = session.services.characters.stats(sheet)
    assert party_line(sheet, stats, "Alice").startswith("Mira (Alice's, he/him): level 1")


async def test_levelup_rest_inventory_and_conditions(session: SandboxSession) -> None:
    await create(session)
    refused = await session.run("character levelup", {"hp": "average"})
    assert refused.ephemeral and "level 2 needs 300" in refused.content  # outside a campaign: XP decides
    actor = Actor(user_id=session.user_id("alice"), guild_id=session.world.guild.id)
    await session.services.characters.grant_xp(actor, CharacterRef(), 300)
    up = await session.run("character levelup", {"hp": "average"})
    assert "reaches level 2" in embed(up)["title"] and "+10 HP" in embed(up)["description"]
    full = await session.run("character rest", {"kind": "short", "dice": 1})
    assert full.ephemeral and "at full HP" in full.content  # no hit die is spent on nothing
    rest = await session.run("character rest", {"kind": "short"})
    assert "Short rest" in embed(rest)["title"] and "nothing needed recovering" in embed(rest)["description"]
    off = await session.run("character inventory", {"action": "unequip", "item": "shield"})
    assert "AC 18 → **16**" in embed(off)["description"]
    coins = await session.run("character inventory", {"action": "coins", "gp": -5, "sp": 7})
    assert "10 gp" in embed(coins)["description"] and "7 sp" in embed(coins)["description"]
    broke = await session.run("character inventory", {"action": "coins", "gp": -50})
    assert broke.ephemeral and "Not enough" in broke.content
    missing = await session.run("character inventory", {"action": "remove", "item": "rapier"})
    assert missing.ephemeral and "isn't carrying" in missing.content
    await session.run("character condition", {"action": "add", "condition": "poisoned"})
    check = await session.run("check", {"skill_or_ability": "Strength"})
    assert "with disadvantage (poisoned)" in embed(check)["description"]


async def test_names_are_per_user(session: SandboxSession) -> None:
    await create(session)
    await create(session, user="bob")
    again = await session.run(
        "character create",
        {"name": "TORDEK", "race": "human", "class": "wizard", "background": "acolyte", "method": "standard"},
    )
    assert again.ephemeral and "already have" in again.content


async def test_on_sqlite_too(sqlite_session: SandboxSession) -> None:
    await create(sqlite_session)
    assert "AC **18**" in embed(await sqlite_session.run("character show"))["description"]


async def test_a_view_refuses_other_players() -> None:
    """Defence in depth behind ephemerality: the view itself checks who clicks."""
    from types import SimpleNamespace

    from bot.ui.character_views import OwnedView

    sent: list[tuple[str, bool]] = []

    async def send_message(content: str | None = None, *, ephemeral: bool = False, **_: object) -> None:
        sent.append((content or "", ephemeral))

    def stub(user_id: int) -> Any:
        response = SimpleNamespace(is_done=lambda: False, send_message=send_message)
        return SimpleNamespace(user=SimpleNamespace(id=user_id), response=response)

    view = OwnedView(1, timeout=5)
    assert await view.interaction_check(stub(1))
    assert not await view.interaction_check(stub(2))
    assert sent == [("⚠️ These buttons belong to another player.", True)]
    assert view.cid("x").startswith("dm:1:") and view.cid("x") != OwnedView(1, timeout=5).cid("x")
