"""The bot: built by a factory from the services, with one place where errors become replies."""

from __future__ import annotations

import asyncio
import gc
import time
import unicodedata
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import asyncpg
import discord
import sqlalchemy.exc
import structlog
from discord import AppCommandOptionType, app_commands
from discord.ext import commands

from bot.errors import GameError, RateLimited
from bot.inbound import guard_interactions
from bot.limits import LimitDecision
from bot.logging import bind_interaction
from bot.metrics import Outcome
from bot.services import Services
from bot.ui.replies import reply
from bot.ui.text import safe

log = structlog.get_logger(__name__)

COGS = (
    "cogs.dice",
    "cogs.characters",
    "cogs.campaigns",
    "cogs.narration",
    "cogs.dm",
    "cogs.combat",
    "cogs.admin",
    "cogs.spells",
    "cogs.casting",
    "cogs.lookup",
    "cogs.stats",
    "cogs.homebrew",
    "cogs.help",
    "cogs.aliases",
    "cogs.features",
)


class DMTree(app_commands.CommandTree["DMBot"]):
    """Global guards (rate limits, log context) and the one error handler."""

    async def interaction_check(self, interaction: discord.Interaction[DMBot]) -> bool:
        command = interaction.command.qualified_name if interaction.command else None
        bind_interaction(
            interaction_id=interaction.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            user_id=interaction.user.id,
            command=command,
        )
        interaction.extras["started"] = time.perf_counter()
        if interaction.type is not discord.InteractionType.application_command or command is None:
            return True  # autocomplete is cheap and must stay instant
        check = self.client.services.limiter.check(interaction.user.id, interaction.guild_id, command.split(" ")[0])
        if interaction.command is not None and interaction.command.extras.get(LIMIT_OVERLAPS_READ):
            interaction.extras[PENDING_LIMIT] = _pending(check)  # decided in `admitted`, before any reply
            return True
        return await _admit(interaction, command, await check)

    async def on_error(self, interaction: discord.Interaction[DMBot], error: app_commands.AppCommandError) -> None:
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        command = interaction.command.qualified_name if interaction.command else "unknown"
        outcome, message = describe_failure(cause)
        self.client.services.metrics.observe_interaction(command, outcome, _elapsed(interaction))
        try:
            await reply(interaction, message, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not deliver the error reply", outcome=outcome)


def marked(message: str) -> str:
    """A refusal marked ⚠️, unless the engine gave it its own mark ("⏳ Asked the DM: …" is no warning)."""
    return message if message[:1] and unicodedata.category(message[0]) == "So" else f"⚠️ {message}"


def describe_failure(cause: BaseException) -> tuple[Outcome, str]:
    """What the user is told (and the metric's outcome); unexpected errors are logged with an id."""
    if isinstance(cause, GameError):
        return "game_error", marked(cause.message)
    if isinstance(cause, app_commands.TransformerError):
        return "game_error", describe_bad_option(cause)
    if isinstance(cause, app_commands.AppCommandError) and not isinstance(cause, app_commands.CommandInvokeError):
        return "game_error", describe_refusal(cause)
    if isinstance(cause, sqlalchemy.exc.TimeoutError):  # every pooled connection busy: overload, not an outage
        log.warning("database pool exhausted", error=repr(cause))
        return "error", BUSY_MESSAGE
    if is_outage(cause):
        log.warning("a service is unreachable", error=repr(cause))
        return "error", OUTAGE_MESSAGE
    error_id = uuid.uuid4().hex[:8]
    log.error("command failed", error_id=error_id, exc_info=cause)
    return "error", f"😵 Something went wrong on our side. It was logged as error `{error_id}`; please try again."


def describe_bad_option(error: app_commands.TransformerError) -> str:
    """An option value discord.py could not turn into what the command takes, in the player's words."""
    kind, value = error.type, error.value
    if kind in (AppCommandOptionType.user, AppCommandOptionType.mentionable):
        name = getattr(value, "display_name", None) or getattr(value, "name", None)
        who = f"**{safe(str(name), limit=64)}**" if name else "That user"
        return f"⚠️ {who} isn't a member of this server, so they can't be picked here. Pick a member of the server."
    if kind is AppCommandOptionType.channel:
        return "⚠️ That channel can't be used here. Pick one of this server's text channels."
    if kind is AppCommandOptionType.role:
        return "⚠️ That role isn't one of this server's. Pick one of its roles."
    typed = safe(str(value), limit=80) if isinstance(value, str | int | float) else "That value"
    return f"⚠️ {typed} isn't a valid {kind.name.lower()} for this option. Pick one of the offered values."


def describe_refusal(error: app_commands.AppCommandError) -> str:
    """Why discord.py would not run a command at all (checks, a stale command list), in words."""
    if isinstance(error, app_commands.NoPrivateMessage):
        return "⚠️ This command works in a server channel, not in direct messages."
    if isinstance(error, app_commands.MissingPermissions | app_commands.MissingAnyRole | app_commands.MissingRole):
        return "⚠️ You don't have the permissions or role this command needs here."
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
        return f"⚠️ dmbot lacks a permission it needs in this channel ({missing}). A server admin can grant it."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"⏳ Not so fast: try again in {max(1, round(error.retry_after))} s."
    if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
        return "⚠️ dmbot's commands changed since your Discord loaded them. Reload Discord (Ctrl+R) and try again."
    return "⚠️ This command can't be used here."


class DMBot(commands.AutoShardedBot):
    """dmbot. Everything it uses arrives in `services`; it builds nothing global."""

    def __init__(self, services: Services, **options: Any) -> None:
        settings = services.settings
        options.setdefault("shard_count", settings.shard_count or 1)
        options.setdefault("shard_ids", settings.shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=DMTree,
            **options,
        )
        self.services = services
        guard_interactions(self._connection.parsers)  # typed text is cleaned before any command reads it

    async def setup_hook(self) -> None:
        for cog in COGS:
            await self.load_extension(cog)
        # Everything built at startup (modules, SRD data, services) lives as long as the process: moved out of
        # the collector's reach, a full collection scans only what requests made, instead of stalling the event
        # loop ~80 ms over the whole heap when a big request (an export) triggers one.
        gc.freeze()

    async def on_app_command_completion(self, interaction: discord.Interaction[DMBot], command: Any) -> None:
        if interaction.extras.pop(PENDING_LIMIT, None) is not None:  # a bug: the limit was never applied
            log.error("command marked LIMIT_OVERLAPS_READ never called admitted()", command=command.qualified_name)
        if not interaction.extras.get(REFUSED):
            self.services.metrics.observe_interaction(command.qualified_name, "ok", _elapsed(interaction))

    def shard_latencies(self) -> dict[int, float | None]:
        """Latency per shard this process runs; None while a shard is not connected."""
        ids = self.shard_ids or range(self.shard_count or 1)
        latencies: dict[int, float | None] = {}
        for shard_id in ids:
            shard = self.get_shard(shard_id)
            connected = shard is not None and not shard.is_closed() and self.is_ready()
            latencies[shard_id] = shard.latency if connected and shard is not None else None
        return latencies


OUTAGE_MESSAGE = "🔌 dmbot can't reach its database right now, so this didn't go through. Try again in a few seconds."


BUSY_MESSAGE = "🐢 dmbot is very busy right now, so this didn't go through. Try again in a few seconds."


def is_outage(error: BaseException) -> bool:
    """A lost or refused database connection, as opposed to a bug."""
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sqlalchemy.exc.InterfaceError):
        return True
    if isinstance(error, sqlalchemy.exc.OperationalError):
        return True
    # ConnectionDoesNotExistError: a hot read's asyncpg connection closed under it (the server restarted).
    lost = asyncpg.PostgresConnectionError | asyncpg.CannotConnectNowError | asyncpg.ConnectionDoesNotExistError
    return isinstance(error, OSError | TimeoutError | lost)


def _refusal(decision: LimitDecision) -> str:
    if decision.scope == "unavailable":  # Redis is down and the admins chose to refuse rather than guess
        return f"⏳ dmbot can't check its rate limits right now. Try again in {max(1, round(decision.retry_after))} s."
    return f"⏳ {RateLimited(decision.retry_after).message}"


# The rate limit overlapped with a read-only command's read: a command whose `extras` set this flag
# must pass its read to `admitted` before it replies; the limiter's round trip and the read then run
# at the same time, and a refusal is still answered before anything is shown or written.
LIMIT_OVERLAPS_READ = "limit_overlaps_read"
PENDING_LIMIT = "pending_limit"
REFUSED = "rate_limited"
T = TypeVar("T")


async def admitted(interaction: discord.Interaction[DMBot], read: Awaitable[T]) -> T | None:
    """`read`'s result once the rate limit allows the command; None when refused (the refusal is answered).

    The refusal wins over the read's own error: a limited user is told to wait, whatever else was wrong.
    """
    pending: asyncio.Future[LimitDecision] | None = interaction.extras.pop(PENDING_LIMIT, None)
    if pending is None:  # checked in interaction_check already (or not an overlapped command)
        return await read
    result, decision = await asyncio.gather(read, pending, return_exceptions=True)
    if isinstance(decision, BaseException):
        raise decision
    command = interaction.command.qualified_name if interaction.command else "unknown"
    if not await _admit(interaction, command, decision):
        return None
    if isinstance(result, BaseException):
        raise result
    return result


async def admitted_now(interaction: discord.Interaction[DMBot]) -> bool:
    """For an overlapped command that decides, this time, to wait for the limit before its work: whether
    the rate limit allows it (when refused, the refusal is answered)."""
    pending: asyncio.Future[LimitDecision] | None = interaction.extras.pop(PENDING_LIMIT, None)
    if pending is None:
        return True
    command = interaction.command.qualified_name if interaction.command else "unknown"
    return await _admit(interaction, command, await pending)


async def _admit(interaction: discord.Interaction[DMBot], command: str, decision: LimitDecision) -> bool:
    if decision.allowed:
        return True
    interaction.extras[REFUSED] = True
    interaction.client.services.metrics.observe_interaction(command, "rate_limited", _elapsed(interaction))
    await reply(interaction, _refusal(decision), ephemeral=True)
    return False


def _pending(check: Awaitable[LimitDecision]) -> asyncio.Future[LimitDecision]:
    task = asyncio.ensure_future(check)
    # Retrieved even if the command fails before `admitted` (no "exception never retrieved").
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    return task


def _elapsed(interaction: discord.Interaction[Any]) -> float:
    return time.perf_counter() - interaction.extras.get("started", time.perf_counter())


def create_bot(services: Services, **options: Any) -> DMBot:
    """Point discord.py at the configured Discord (real, a proxy, or the local one) and build the bot."""
    from bot.endpoints import point_discord_py_at

    point_discord_py_at(services.settings.discord_api_base_url, services.settings.discord_gateway_url)
    return DMBot(services, **options)
