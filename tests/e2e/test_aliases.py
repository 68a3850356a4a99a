"""Saved rolls end to end: `/alias add|list|remove` and `/roll expression:<name>` through the local Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete
from test_roll import TOTAL, embed_of, last_roll_id, wait_for_rows

from bot.engine.sheet import Actor
from bot.testbed.harness import SandboxSession
from persistence.models import Alias


@pytest.fixture
async def session(session: SandboxSession) -> AsyncIterator[SandboxSession]:
    """The conftest's session, and no aliases left behind: the Postgres database lives for the whole run
    and every test's users have the same ids."""
    yield session
    async with session.services.db.transaction() as db:
        await db.execute(delete(Alias))


async def without_characters(session: SandboxSession, user: str) -> None:
    actor = Actor(session.user_id(user), session.world.guild.id)
    for old in await session.services.characters.list_characters(actor):
        await session.services.characters.delete(actor, old.name)


async def test_a_saved_roll_rolls_by_its_name_and_is_logged(session: SandboxSession) -> None:
    added = await session.run("alias add", {"name": "greatsword", "expression": "2d6+3[slashing]"})
    assert added.ephemeral
    assert "Saved your `greatsword`: `2d6+3[slashing]`" in added.content
    before = await last_roll_id(session)
    rolled = await session.run("roll", {"expression": "greatsword"})
    embed = embed_of(rolled)
    total = int(TOTAL.search(embed["description"]).group(1))  # type: ignore[union-attr]
    assert embed["title"] == f"🎲 greatsword: {total}" and 5 <= total <= 15
    assert "[slashing]" in embed["description"]
    [row] = await wait_for_rows(session, "alice", 1, before)
    assert (row.expression, row.label, row.total) == ("2d6+3[slashing]", "greatsword", total)


async def test_autocomplete_lists_my_aliases_and_the_servers(session: SandboxSession) -> None:
    await session.run("alias add", {"name": "greatsword", "expression": "2d6+3"})
    await session.run("alias add", {"name": "goblin-attack", "expression": "1d20+4", "server": True}, user="admin")
    choices = await session.discord.autocomplete(
        "roll", {"expression": "g"}, "expression", user_id=session.user_id("alice")
    )
    assert [c["value"] for c in choices] == ["g", "greatsword", "goblin-attack"]
    assert choices[2]["name"] == "goblin-attack — 1d20+4 (server)"
    bob_sees = await session.discord.autocomplete(
        "roll", {"expression": ""}, "expression", user_id=session.user_id("bob")
    )
    assert [c["value"] for c in bob_sees][:2] == ["goblin-attack", "1d20"]  # the server's, not Alice's own


async def test_server_aliases_need_manage_server(session: SandboxSession) -> None:
    refused = await session.run("alias add", {"name": "boss", "expression": "1d20+9", "server": True}, user="bob")
    assert refused.ephemeral and "Only members with the Manage Server permission" in refused.content
    listed = await session.run("alias list", user="bob")
    assert "*none yet*" in str(listed.messages[-1].embeds)
    await session.run("alias add", {"name": "boss", "expression": "1d20+9", "server": True}, user="admin")
    rolled = await session.run("roll", {"expression": "boss", "times": 2, "dc": 15}, user="bob")
    assert embed_of(rolled)["title"].startswith("🎲 boss ×2 vs DC 15: ")
    removed = await session.run("alias remove", {"name": "boss", "server": True}, user="admin")
    assert "Removed this server's `boss` (it rolled `1d20+9`)" in removed.content


async def test_fields_come_from_the_active_character(session: SandboxSession) -> None:
    await without_characters(session, "alice")
    await session.run("alias add", {"name": "axe", "expression": "1d12+{str}[slashing]"})
    no_sheet = await session.run("roll", {"expression": "axe"})
    assert no_sheet.ephemeral and "/character create" in no_sheet.content
    await session.make_character("alice")  # a dwarf fighter, standard array
    rolled = await session.run("roll", {"expression": "axe"})
    assert embed_of(rolled)["description"].startswith("1d12 (")
    assert "+ 2 [slashing]" in embed_of(rolled)["description"]  # STR 15 of the standard array


async def test_list_and_remove(session: SandboxSession) -> None:
    for name, dice in (("bite", "1d6"), ("claw", "2d4")):
        await session.run("alias add", {"name": name, "expression": dice})
    [embed] = (await session.run("alias list")).messages[-1].embeds
    assert embed["fields"][0]["name"] == "Yours (2/50)"
    assert embed["fields"][0]["value"] == "`bite` — `1d6`\n`claw` — `2d4`"
    offered = await session.discord.autocomplete(
        "alias remove", {"name": "cl"}, "name", user_id=session.user_id("alice")
    )
    assert [c["value"] for c in offered] == ["claw"]
    removed = await session.run("alias remove", {"name": "claw"})
    assert removed.ephemeral and "Removed your `claw` (it rolled `2d4`)" in removed.content
    gone = await session.run("roll", {"expression": "claw"})
    assert gone.ephemeral and "nor one of your saved rolls" in gone.content


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"name": "great sword", "expression": "2d6"}, "1 to 32 letters"),
        ({"name": "d20", "expression": "2d6"}, "starts like dice"),
        ({"name": "x", "expression": "2d6+"}, "`x` can't be saved"),
        ({"name": "x", "expression": "1d20+{luck}"}, "`{luck}` is not something dmbot can fill in"),
        ({"name": "x", "expression": "1d6" + "+1" * 100}, "200 is the most"),
    ],
)
async def test_bad_aliases_get_clear_errors(session: SandboxSession, options: dict[str, str], says: str) -> None:
    handle = await session.run("alias add", options)
    assert handle.ephemeral and says in handle.content
    assert "*none yet*" in str((await session.run("alias list")).messages[-1].embeds)


async def test_the_same_on_sqlite(sqlite_session: SandboxSession) -> None:
    await sqlite_session.run("alias add", {"name": "Fireball", "expression": "8d6[fire]"})
    rolled = await sqlite_session.run("roll", {"expression": "fireball", "times": 3, "dc": 28})
    embed = embed_of(rolled)
    assert embed["title"].startswith("🎲 Fireball ×3 vs DC 28: ")
    assert embed["description"].count("[fire]") == 3
    removed = await sqlite_session.run("alias remove", {"name": "FIREBALL"})
    assert "Removed your `Fireball`" in removed.content
