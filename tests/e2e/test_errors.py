"""The one error handler: every failure ends in a reply, and the log says who, where and what."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import discord
from discord import app_commands
from pydantic import SecretStr

from bot.errors import InvalidInput
from bot.logging import configure_logging
from bot.settings import Settings
from bot.testbed.harness import SandboxSession


async def add_command(session: SandboxSession, command: app_commands.Command[Any, ..., Any]) -> None:
    session.bot.tree.add_command(command)
    await session.bot.tree.sync()


async def test_an_unexpected_error_gets_an_apology_with_an_id_and_a_logged_traceback(
    session: SandboxSession, json_log: io.StringIO
) -> None:
    @app_commands.command(name="explode", description="fails")
    async def explode(interaction: discord.Interaction) -> None:
        raise RuntimeError("the secret internals")

    await add_command(session, explode)
    handle = await session.run("explode", user="bob")
    assert handle.ephemeral
    assert "Something went wrong" in handle.content and "secret" not in handle.content
    error_id = handle.content.split("error `")[1].split("`")[0]
    lines = [json.loads(line) for line in json_log.getvalue().splitlines() if line.startswith("{")]
    [failure] = [line for line in lines if line.get("error_id") == error_id]
    assert failure["level"] == "error" and "RuntimeError: the secret internals" in failure["exception"]
    assert failure["interaction_id"] == handle.id
    assert failure["user_id"] == session.user_id("bob")
    assert failure["guild_id"] == session.world.guild.id
    assert failure["channel_id"] == session.channel_id("tavern")
    assert failure["command"] == "explode"


async def test_an_error_after_deferring_still_gets_its_reply(session: SandboxSession) -> None:
    @app_commands.command(name="slowfail", description="defers, then fails")
    async def slowfail(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise InvalidInput("That won't work: try `/slowfail` later.")

    await add_command(session, slowfail)
    handle = await session.run("slowfail")
    assert handle.ephemeral and "try `/slowfail` later" in handle.content
    assert not handle.rejected  # answered once, through the followup


def test_secrets_are_never_logged() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        settings = Settings(_env_file=None, log_format="json", discord_token=SecretStr("abc.def.ghi"))  # type: ignore[call-arg]
        configure_logging(settings, stream=stream)
        import structlog

        structlog.get_logger("t").info("starting", settings=repr(settings), token="abc.def.ghi")
    finally:
        root.handlers[:], root.level = saved
    assert "abc.def.ghi" not in stream.getvalue()
    assert "**********" in stream.getvalue()
