"""The happy paths of the DM's and admins' commands through the local Discord (their refusals are in
test_dm_table.py): NPCs, generated content and its buttons, awards, conditions, healing, kick / end /
transfer with Confirm and Cancel, pause and resume, and the server settings, DM role and stats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.engine.sheet import Actor, Sheet
from bot.errors import InvalidInput
from bot.sandbox.interactions import InteractionHandle
from bot.testbed.harness import SandboxSession
from persistence.models import Campaign

HALL = "great-hall"


@pytest.fixture
async def hall(session: SandboxSession) -> AsyncIterator[SandboxSession]:
    """A campaign in #great-hall run by dungeonmaster, with alice's Tordek and bob's Brom."""
    session.world.add_channel(session.world.guild.id, HALL)
    await session.make_character("alice", "Tordek")
    await session.make_character("bob", "Brom")
    created = await session.run("campaign create", {"name": "The Hall"}, user="dungeonmaster", channel=HALL)
    assert not created.ephemeral, created.content
    for user in ("alice", "bob"):
        await session.run("campaign join", user=user, channel=HALL)
    yield session


async def _dm(s: SandboxSession, command: str, options: dict[str, Any] | None = None) -> InteractionHandle:
    return await s.run(command, options, user="dungeonmaster", channel=HALL)


async def _sheet(s: SandboxSession, user: str) -> Sheet:
    return await s.services.characters.get(Actor(s.user_id(user), s.world.guild.id))


async def _click(
    s: SandboxSession, handle: InteractionHandle, custom_id: str, user: str = "dungeonmaster"
) -> InteractionHandle:
    assert handle.original is not None
    click = await s.discord.click(handle.original, custom_id, user_id=s.user_id(user))
    return await click.done(5.0)


def _public_titles(s: SandboxSession) -> list[str]:
    return [e.get("title", "") for m in s.discord.messages(s.channel_id(HALL), ephemeral=False) for e in m.embeds]


async def _campaign(s: SandboxSession) -> Campaign:
    async with s.services.db.transaction() as db:
        query = select(Campaign).where(Campaign.channel_id == s.channel_id(HALL)).order_by(Campaign.id.desc())
        row = (await db.execute(query)).scalars().first()
        assert row is not None
        return row


async def test_npcs_are_created_listed_shown_edited_and_removed(hall: SandboxSession) -> None:
    s = hall
    made = await _dm(s, "dm npc create", {"name": "Greta", "role": "innkeeper"})
    assert made.ephemeral and "🎭 Greta" in made.text and "innkeeper" in made.text
    assert "Secret:" in made.text  # personality, voice, motive and a secret filled in
    rolled = await _dm(s, "dm npc create")  # name and role from the tables
    other = rolled.messages[0].embeds[0]["title"].removeprefix("🎭 ")
    assert other and other != "Greta"
    listed = (await _dm(s, "dm npc list")).text
    assert "**Greta** (innkeeper)" in listed and other in listed
    assert "Greta" in (await _dm(s, "dm npc show", {"name": "greta"})).text
    edited = await _dm(s, "dm npc edit", {"name": "Greta", "new_name": "Old Greta", "description": "Missing a tooth."})
    assert "🎭 Old Greta" in edited.text and "Missing a tooth." in edited.text
    assert "innkeeper" in edited.text  # what was not edited stays
    gone = await _dm(s, "dm npc remove", {"name": "Old Greta"})
    assert "Old Greta is gone from the story" in gone.content
    missing = await _dm(s, "dm npc show", {"name": "Old Greta"})
    assert missing.ephemeral and missing.content.startswith("⚠️") and "No NPC called" in missing.content
    listed = (await _dm(s, "dm npc list")).text
    assert "Greta" not in listed and other in listed


async def test_generated_content_is_posted_and_an_encounter_starts_a_fight(hall: SandboxSession) -> None:
    s = hall
    for command, options, title in (
        ("dm generate loot", {"cr": 4, "kind": "hoard"}, "💰 Loot (CR 4, hoard)"),
        ("dm generate npc", {"name": "Osric", "role": "smith"}, "🎭 Osric"),
        ("dm generate location", {"kind": "shop"}, "🗺️ "),
        ("dm generate quest", None, "📜 A quest hook"),
    ):
        offered = await _dm(s, command, options)
        embed = offered.messages[0].embeds[0]
        assert offered.ephemeral and embed["title"].startswith(title) and embed["description"], command
        before = len(_public_titles(s))
        await _click(s, offered, "dm:post")
        await s.discord.signal.wait(lambda: len(_public_titles(s)) > before, 5, "the post")  # noqa: B023
        titles = _public_titles(s)
        assert len(titles) == before + 1 and titles[-1] == embed["title"], command  # posted, as it was offered

    offered = await _dm(s, "dm generate encounter", {"difficulty": "easy", "theme": "bandits"})
    assert "👹 A easy encounter" in offered.text and "XP" in offered.text
    combat = s.services.combat
    assert await combat.active_in_channel(s.channel_id(HALL)) is None
    started = await _click(s, offered, "dm:fight")
    assert "Into the fight:" in started.content and not started.ephemeral
    combat_id = await combat.active_in_channel(s.channel_id(HALL))
    assert combat_id is not None
    state = await combat.status(combat_id)
    monsters = [e for e in state.entries if e.kind == "monster"]
    assert monsters and all(e.name in started.content for e in monsters)
    assert offered.original is not None
    original = offered.original.id

    def fight_button() -> dict[str, Any]:
        rows = s.discord.message(original).components
        return next(b for row in rows for b in row["components"] if b.get("custom_id") == "dm:fight")

    await s.discord.signal.wait(lambda: fight_button()["disabled"], 5, "the Start combat button disabled")
    with pytest.raises(PermissionError):  # one encounter, one fight
        await _click(s, offered, "dm:fight")


async def test_awards_conditions_damage_and_healing_change_the_sheets(hall: SandboxSession) -> None:
    s = hall
    xp = await _dm(s, "dm award xp", {"target": "Tordek", "amount": 250})
    assert "250 XP" in xp.content and "Tordek" in xp.content and not xp.ephemeral
    await _dm(s, "dm award xp", {"target": "party", "amount": 10})
    assert (await _sheet(s, "alice")).xp == 260 and (await _sheet(s, "bob")).xp == 10
    before = {i.item: i.quantity for i in (await _sheet(s, "bob")).inventory}
    item = await _dm(s, "dm award item", {"target": "Brom", "item": "dagger", "quantity": 2})
    assert "Brom" in item.content and not item.content.startswith("⚠️"), item.content
    after = {i.item: i.quantity for i in (await _sheet(s, "bob")).inventory}
    assert after.get("dagger", 0) == before.get("dagger", 0) + 2
    gold = {u: (await _sheet(s, u)).coins.get("gp", 0) for u in ("alice", "bob")}
    coins = await _dm(s, "dm award coins", {"target": "party", "gp": 7, "sp": 3})
    assert "Tordek" in coins.content and "Brom" in coins.content
    for user in ("alice", "bob"):
        sheet = await _sheet(s, user)
        assert sheet.coins.get("gp", 0) == gold[user] + 7 and sheet.coins.get("sp", 0) >= 3

    added = await _dm(s, "dm condition add", {"target": "Tordek", "condition": "poisoned", "rounds": 3})
    assert "Tordek is now poisoned for 3 rounds" in added.content
    assert [(c.name, c.rounds) for c in (await _sheet(s, "alice")).conditions] == [("poisoned", 3)]
    lifted = await _dm(s, "dm condition remove", {"target": "Tordek", "condition": "poisoned"})
    assert "Tordek is no longer poisoned" in lifted.content
    assert (await _sheet(s, "alice")).conditions == ()

    full = (await _sheet(s, "bob")).hp_max
    await _dm(s, "dm damage", {"target": "Brom", "amount": 9})
    assert (await _sheet(s, "bob")).hp_current == full - 9
    healed = await _dm(s, "dm heal", {"target": "Brom", "amount": 4})
    assert healed.content.startswith("💚") and (await _sheet(s, "bob")).hp_current == full - 5
    await _dm(s, "dm heal", {"target": "Brom", "amount": 1000})
    assert (await _sheet(s, "bob")).hp_current == full  # never above the maximum


async def test_kick_transfer_and_end_wait_for_confirm_and_cancel_changes_nothing(hall: SandboxSession) -> None:
    s = hall
    asked = await _dm(s, "dm kick", {"player": s.user_id("bob")})
    assert asked.ephemeral and "Remove **Brom**" in asked.content
    cancelled = await _click(s, asked, "dm:cancel")
    assert "nothing changed" in _message(cancelled)
    assert (await _sheet(s, "bob")).campaign_id == (await _campaign(s)).id
    asked = await _dm(s, "dm kick", {"player": s.user_id("bob")})
    await _click(s, asked, "dm:confirm")
    assert (await _sheet(s, "bob")).campaign_id is None and (await _sheet(s, "alice")).campaign_id is not None

    asked = await _dm(s, "dm transfer", {"user": s.user_id("alice")})
    await _click(s, asked, "dm:cancel")
    assert (await _campaign(s)).dm_id == s.user_id("dungeonmaster")
    asked = await _dm(s, "dm transfer", {"user": s.user_id("alice")})
    handed = await _click(s, asked, "dm:confirm")
    await handed.wait_for(lambda h: "is now run by" in h.text)
    assert (await _campaign(s)).dm_id == s.user_id("alice")
    refused = await _dm(s, "dm pause")  # no longer the DM
    assert refused.ephemeral and refused.content.startswith("⚠️ Only")

    asked = await s.run("dm end", user="alice", channel=HALL)
    await _click(s, asked, "dm:cancel", user="alice")
    assert (await _campaign(s)).status == "active"
    asked = await s.run("dm end", user="alice", channel=HALL)
    ended = await _click(s, asked, "dm:confirm", user="alice")
    await ended.wait_for(lambda h: "has ended" in h.text)
    assert (await _campaign(s)).status == "ended"


def _turn_finished(handle: InteractionHandle) -> bool:
    return any(e.get("title") == "🎲 What the dice said" for m in handle.messages for e in m.embeds)


def _message(handle: InteractionHandle) -> str:
    assert handle.source_message is not None
    return handle.source_message.content if handle.source_message.content else handle.text


async def test_pause_stops_turns_until_resume(hall: SandboxSession) -> None:
    s = hall
    assert "is paused" in (await _dm(s, "dm pause")).content
    refused = await s.run("narrate", {"action": "I look around"}, user="alice", channel=HALL)
    assert refused.ephemeral and "paused by its DM" in refused.content
    assert (await _campaign(s)).status == "paused"
    assert "resumes" in (await _dm(s, "dm resume")).content
    played = await s.invoke("narrate", {"action": "I look around"}, user="alice", channel=HALL)
    await played.wait_for(_turn_finished, timeout=15)  # a whole turn, played through
    assert not played.ephemeral and "paused" not in played.text


async def test_admin_settings_dm_role_and_stats(sqlite_session: SandboxSession) -> None:
    s = sqlite_session

    async def admin(command: str, options: dict[str, Any] | None = None) -> str:
        handle = await s.run(command, options, user="moderator")
        assert handle.ephemeral
        return handle.text

    shown = await admin("admin settings")
    assert "DM role: not set" in shown and "Content rating of new campaigns: teen" in shown
    assert "Rate limits" not in shown  # the host's settings: the limiter reads no per-server override
    [schema] = [c for c in s.discord.commands(s.world.guild.id) + s.discord.commands(None) if c["name"] == "admin"]
    [settings] = [o for o in schema["options"] if o["name"] == "settings"]
    assert {o["name"] for o in settings["options"]} == {
        "require_dm_role",
        "narrator_model",
        "content_rating",
        "daily_tokens",
    }
    with pytest.raises(InvalidInput, match="No such server setting: rate_user_capacity"):
        await s.services.admin.update(s.world.guild.id, True, {"rate_user_capacity": 5})
    role = s.world.guild.role("DM").id
    assert f"<@&{role}>" in await admin("admin dm-role", {"role": role})
    changed = await admin("admin settings", {"require_dm_role": True, "content_rating": "family"})
    assert f"DM role: <@&{role}> (required to create campaigns)" in changed
    assert "Content rating of new campaigns: family" in changed
    refused = await s.run("campaign create", {"name": "Carol's Own"}, user="carol")
    assert refused.ephemeral and "only members with the DM role" in refused.content, refused.content
    created = await s.run("campaign create", {"name": "Allowed"}, user="dungeonmaster")
    assert not created.ephemeral, created.content
    info = await s.run("dm settings", user="dungeonmaster")
    assert "**Content rating**: family" in info.text  # the server's default rating, given to the new campaign
    stats = await admin("admin stats")
    assert "Campaigns: 1 active" in stats and "Characters: 0" in stats and "Turns today: 0" in stats
    assert "(required" not in await admin("admin settings", {"require_dm_role": False})
    assert not (await s.run("campaign create", {"name": "Now Mine"}, user="carol", channel="general")).ephemeral
