"""`/help` and the welcome end to end: the real bot through the local Discord (SQLite, in-process limits)."""

from __future__ import annotations

import asyncio

from bot import help_catalog as catalog
from bot.sandbox.world import VIEW_CHANNEL
from bot.testbed.harness import SandboxSession


async def test_help_answers_every_topic_privately(sqlite_session: SandboxSession) -> None:
    handle = await sqlite_session.run("help")
    assert handle.ephemeral
    [embed] = handle.messages[-1].embeds
    assert embed["title"] == "📖 dmbot help" and embed["fields"][0]["name"] == "Players"
    for topic in catalog.topics():
        handle = await sqlite_session.run("help", {"topic": topic}, user="bob")
        assert handle.ephemeral
        assert handle.messages[-1].embeds[0]["title"] == f"📖 Help: {topic}"


async def test_an_unknown_topic_gets_a_private_hint(sqlite_session: SandboxSession) -> None:
    handle = await sqlite_session.run("help", {"topic": "crafting"})
    assert handle.ephemeral
    assert "There's no help topic “crafting”" in handle.messages[-1].content


async def test_topic_autocomplete(sqlite_session: SandboxSession) -> None:
    choices = await sqlite_session.discord.autocomplete(
        "help", {"topic": "char"}, "topic", user_id=sqlite_session.user_id("alice")
    )
    assert [c["value"] for c in choices][:2] == ["characters", "character create"]


async def join(session: SandboxSession, guild_id: int) -> None:
    """GUILD_CREATE as Discord sends it when the bot is added to a server: without `unavailable`.

    (`LocalDiscord.announce_guild` sends `unavailable: false`, which discord.py reads as an outage ending,
    `on_guild_available`, not as a join.)
    """
    payload = session.world.guilds[guild_id].create_payload(session.discord.bot_user_id)
    del payload["unavailable"]
    await session.discord.gateway.dispatch("GUILD_CREATE", payload, guild_id=guild_id)


async def wait_for_messages(session: SandboxSession, channel_id: int, count: int) -> list[object]:
    for _ in range(100):
        messages = session.discord.messages(channel_id)
        if len(messages) >= count:
            return list(messages)
        await asyncio.sleep(0.02)
    return list(session.discord.messages(channel_id))


async def test_joining_a_server_posts_one_welcome_in_its_system_channel(sqlite_session: SandboxSession) -> None:
    world = sqlite_session.world
    guild = world.add_guild("The Prancing Pony", channels=("lobby", "games"))
    await join(sqlite_session, guild.id)
    lobby = guild.channel("lobby").id
    [welcome] = await wait_for_messages(sqlite_session, lobby, 1)
    await asyncio.sleep(0.2)  # and only one
    assert len(sqlite_session.discord.messages(lobby)) == 1
    assert not sqlite_session.discord.messages(guild.channel("games").id)
    [embed] = welcome.embeds  # type: ignore[attr-defined]
    assert "/character create" in embed["description"] and "/help" in embed["description"]
    assert embed["fields"][0]["name"] == "Admins"
    assert welcome.allowed_mentions == {"parse": []}  # type: ignore[attr-defined]


async def test_no_welcome_where_the_bot_may_not_post(sqlite_session: SandboxSession) -> None:
    world = sqlite_session.world
    guild = world.add_guild("Read Only", everyone_permissions=VIEW_CHANNEL)
    guild.role("DungeonBot").permissions = VIEW_CHANNEL  # may read, not send
    await join(sqlite_session, guild.id)
    await asyncio.sleep(0.3)
    assert not sqlite_session.discord.messages(guild.channel("general").id)
