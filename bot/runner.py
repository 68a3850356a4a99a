"""`dmbot run` and `dmbot sync`: the bot against Discord (or any Discord-compatible endpoint)."""

from __future__ import annotations

import json
import sys
from typing import Any

import discord
import structlog
from discord import app_commands

from bot.app import DMBot, create_bot
from bot.discord_contract import load_contract
from bot.health import HealthServer
from bot.probes import BotProbes
from bot.services import open_services
from bot.settings import Settings
from persistence.migrate import upgrade_async

log = structlog.get_logger(__name__)


async def run(settings: Settings) -> int:
    """Serve until stopped: the bot, with its health sidecar beside it."""
    assert settings.discord_token is not None
    if settings.is_sqlite:
        await upgrade_async(settings.database_url)  # the embedded database keeps itself current
    async with open_services(settings) as services:
        bot = create_bot(services)
        health = HealthServer.from_settings(settings, BotProbes(bot, services), services.metrics)
        await health.start()
        log.info("health sidecar listening", port=health.port)
        try:
            async with bot:
                await bot.start(settings.discord_token.get_secret_value())
        finally:
            await health.stop()
    return 0


async def sync_commands(settings: Settings, *, guild_id: int | None, dry_run: bool = False) -> int:
    """Publish the command tree: to one guild (instant, for testing) or globally (up to an hour).

    The schema is first checked against Discord's published contract: a bulk overwrite is all or
    nothing, so one bad option would publish no command at all. ``dry_run`` prints the schema and
    the verdict and publishes nothing (no token needed).
    """
    if dry_run:
        return dry_run_sync(await built_command_payload(settings, guild_id), guild=guild_id is not None)
    if settings.discord_token is None:
        print("dmbot sync needs DISCORD_TOKEN.")
        return 2
    async with open_services(settings) as services:
        bot = create_bot(services)
        async with bot:
            await bot.login(settings.discord_token.get_secret_value())  # runs setup_hook: the cogs load
            problems = schema_problems(command_payload(bot, guild_id), guild=guild_id is not None)
            if problems:
                print(REFUSED + "\n".join(f"  {line}" for line in problems), file=sys.stderr)
                return 1
            synced = await publish(bot, guild_id)
    where = f"guild {guild_id}" if guild_id else "all guilds (global commands can take up to an hour to appear)"
    print(f"synced {len(synced)} commands to {where}: {', '.join('/' + c.name for c in synced)}")
    return 0


def dry_run_sync(payload: list[dict[str, Any]], *, guild: bool) -> int:
    print(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False))
    problems = schema_problems(payload, guild=guild)
    if problems:
        print(REFUSED + "\n".join(f"  {line}" for line in problems), file=sys.stderr)
        return 1
    print(f"✓ {len(payload)} commands: valid against Discord's published contract (nothing published)")
    return 0


async def built_command_payload(settings: Settings, guild_id: int | None = None) -> list[dict[str, Any]]:
    """The schema `dmbot sync` would publish, built offline: the cogs load, nothing reaches Discord."""
    async with open_services(settings) as services:
        bot = create_bot(services)
        async with bot:
            await bot.setup_hook()
            return command_payload(bot, guild_id)


REFUSED = "dmbot sync: Discord would refuse this command schema, and publish none of it:\n"


def command_payload(bot: DMBot, guild_id: int | None) -> list[dict[str, Any]]:
    """The command schema as ``bot.tree.sync`` PUTs it (the global one, or one guild's)."""
    guild = None if guild_id is None else discord.Object(id=guild_id)
    if guild is not None:
        bot.tree.copy_global_to(guild=guild)
    return [command.to_dict(bot.tree) for command in bot.tree.get_commands(guild=guild)]


def schema_problems(payload: list[dict[str, Any]], *, guild: bool = False) -> list[str]:
    """What Discord would refuse in the schema, one line per problem, naming the command."""
    return [f"{_command_path(payload, p.path)}: {p}" for p in load_contract().check_commands(payload, guild=guild)]


def _command_path(payload: Any, path: tuple[str | int, ...]) -> str:
    """``/dm approve change`` for ``(3, "options", 1, "options", 0, ...)``: the names along the path."""
    names, node = [], payload
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("name"), str):
            names.append(node["name"])
    return "/" + " ".join(names) if names else "the schema"


async def publish(bot: DMBot, guild_id: int | None) -> list[app_commands.AppCommand]:
    if guild_id is None:
        return await bot.tree.sync()
    guild = discord.Object(id=guild_id)
    bot.tree.copy_global_to(guild=guild)
    return await bot.tree.sync(guild=guild)
