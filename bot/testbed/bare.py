"""A bare discord.py bot with one ``/ping`` command: the baseline for benchmarks and sandbox tests."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

PONG = "pong"


class BareBot(commands.Bot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before every IDENTIFY but the first (per shard too, so a 4-shard
        # bot takes 15 s to start). The sandbox has no identify rate limit, so skip the sleep.
        return None


class BareShardedBot(commands.AutoShardedBot):
    before_identify_hook = BareBot.before_identify_hook


def build_bare_bot(**options: Any) -> commands.Bot:
    """A ``commands.Bot`` whose ``/ping`` answers ``"pong"`` at once.

    ``options`` go to the constructor (e.g. ``guild_ready_timeout=0.05``).
    """
    bot = BareBot(**_defaults(options))
    _add_ping(bot)
    return bot


def build_bare_sharded_bot(**options: Any) -> commands.AutoShardedBot:
    """The same bot as an ``AutoShardedBot`` (pass ``shard_count=...``)."""
    bot = BareShardedBot(**_defaults(options))
    _add_ping(bot)
    return bot


def _defaults(options: dict[str, Any]) -> dict[str, Any]:
    options.setdefault("command_prefix", commands.when_mentioned)
    options.setdefault("intents", discord.Intents.default())
    options.setdefault("guild_ready_timeout", 0.05)
    options.setdefault("allowed_mentions", discord.AllowedMentions.none())
    return options


def _add_ping(bot: commands.Bot | commands.AutoShardedBot) -> None:
    @bot.tree.command(name="ping", description="Answer pong.")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(PONG)
