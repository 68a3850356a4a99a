"""Option values discord.py's transformers refuse get a clear private reply, never Python's words."""

from __future__ import annotations

from bot.testbed.harness import SandboxSession


async def test_a_member_option_naming_someone_outside_the_server(session: SandboxSession) -> None:
    drifter = session.world.add_user("drifter")  # a Discord user, but not a member of this server
    handle = await session.discord.invoke(
        "dm kick", {"player": drifter.id}, user_id=session.user_id("alice"), channel_id=session.channel_id()
    )
    await handle.done()
    assert handle.ephemeral
    assert handle.content == (
        "⚠️ **drifter** isn't a member of this server, so they can't be picked here. Pick a member of the server."
    )
