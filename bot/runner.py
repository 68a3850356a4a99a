"""`dmbot run` and `dmbot sync`: the bot against Discord (or any Discord-compatible endpoint)."""

from __future__ import annotations

import discord
import structlog
from discord import app_commands

from bot.app import DMBot, create_bot
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


async def sync_commands(settings: Settings, *, guild_id: int | None) -> int:
    """Publish the command tree: to one guild (instant, for testing) or globally (up to an hour)."""
    if settings.discord_token is None:
        print("dmbot sync needs DISCORD_TOKEN.")
        return 2
    async with open_services(settings) as services:
        bot = create_bot(services)
        async with bot:
            await bot.login(settings.discord_token.get_secret_value())  # runs setup_hook: the cogs load
            synced = await publish(bot, guild_id)
    where = f"guild {guild_id}" if guild_id else "all guilds (global commands can take up to an hour to appear)"
    print(f"synced {len(synced)} commands to {where}: {', '.join('/' + c.name for c in synced)}")
    return 0


async def publish(bot: DMBot, guild_id: int | None) -> list[app_commands.AppCommand]:
    if guild_id is None:
        return await bot.tree.sync()
    guild = discord.Object(id=guild_id)
    bot.tree.copy_global_to(guild=guild)
    return await bot.tree.sync(guild=guild)
