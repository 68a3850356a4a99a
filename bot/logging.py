"""structlog for our code and the stdlib loggers of discord.py, SQLAlchemy and aiohttp alike.

JSON lines in production, a readable console in development. Interaction context (id, guild,
channel, user, command) is bound in contextvars, so every line of an interaction carries it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

from bot.settings import Settings

# Secrets never reach a log line, whichever logger printed them.
REDACTED_KEYS = {"token", "discord_token", "openai_api_key", "authorization", "password", "api_key"}


def _redact(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in list(event):
        if key.lower() in REDACTED_KEYS:
            event[key] = "**********"
    return event


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> None:
    """Route everything through one structlog pipeline; safe to call more than once."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # discord.py's gateway chatter and SQLAlchemy's engine echo are noise at INFO.
    for name, level in {"discord": "INFO", "sqlalchemy.engine": "WARNING", "aiohttp.access": "WARNING"}.items():
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.getLevelName(settings.log_level)))


def bind_interaction(
    *, interaction_id: int, guild_id: int | None, channel_id: int | None, user_id: int, command: str | None
) -> None:
    """Start a fresh log context for one interaction (each runs in its own task)."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        interaction_id=interaction_id, guild_id=guild_id, channel_id=channel_id, user_id=user_id, command=command
    )
