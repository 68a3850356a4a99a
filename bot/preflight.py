"""`dmbot check`: can this configuration work? Each service is tried, and each failure named."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.settings import Settings


async def check(settings: Settings) -> int:
    results = [
        ("settings", _settings_line(settings), True),
        await _probe("database", _check_database(settings)),
        await _probe("redis", _check_redis(settings)),
        await _probe("llm", _check_llm(settings)),
        await _probe("narrator", _check_capabilities(settings), seconds=_capability_seconds(settings)),
        await _probe("commands", _check_commands(settings)),
    ]
    failed = False
    for name, detail, ok in results:
        failed = failed or not ok
        print(f"{'✓' if ok else '✗'} {name}: {detail}")
    return 1 if failed else 0


def _settings_line(settings: Settings) -> str:
    token = "a Discord token is set" if settings.discord_token else "no DISCORD_TOKEN (`dmbot run` needs one)"
    return f"valid; {token}; environment {settings.environment}"


async def _probe(name: str, probe: Coroutine[Any, Any, str], *, seconds: float = 10) -> tuple[str, str, bool]:
    try:
        detail = await asyncio.wait_for(probe, timeout=seconds)
    except Exception as error:  # every failure becomes a line that names it
        return name, f"{type(error).__name__}: {error}".strip(), False
    return name, detail, True


async def _check_database(settings: Settings) -> str:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from persistence.db import Database
    from persistence.migrate import alembic_config

    settings.ensure_data_dir()
    db = Database(settings.database_url)
    try:
        latency = await db.ping()
        async with db.engine.connect() as conn:
            current = await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
            budget = "" if settings.is_sqlite else _connection_budget(settings, *await _server_connections(conn))
    finally:
        await db.dispose()
    head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
    schema = "schema at head" if current == head else f"schema at {current or 'nothing'}, run `dmbot migrate`"
    if current != head and not settings.is_sqlite:
        raise RuntimeError(f"reachable, but the {schema}")
    return f"reachable in {latency * 1000:.0f} ms, {schema}{budget}"


async def _server_connections(conn: AsyncConnection) -> tuple[int, int]:
    allowed = (await conn.execute(text("SHOW max_connections"))).scalar_one()
    reserved = (await conn.execute(text("SHOW superuser_reserved_connections"))).scalar_one()
    return int(allowed), int(reserved)


def _connection_budget(settings: Settings, allowed: int, reserved: int) -> str:
    """Whether every bot process's pool at its fullest fits in the server's max_connections."""
    kept, extra = settings.pool_limits
    total, room = (kept + extra) * settings.process_count, allowed - reserved
    line = f"; pools up to {kept + extra} a process × {settings.process_count} = {total} of {room} connections"
    if total > room:
        raise RuntimeError(
            f"reachable, but the bot's pools{line} Postgres allows: set DATABASE_MAX_CONNECTIONS (or a smaller "
            "DATABASE_POOL_SIZE), or raise max_connections"
        )
    return line


async def _check_redis(settings: Settings) -> str:
    if not settings.redis_url:
        return "not configured (REDIS_URL empty): limits are kept in this process"
    import redis.asyncio as redis

    client = redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        started = time.perf_counter()
        await client.ping()
        return f"reachable in {(time.perf_counter() - started) * 1000:.0f} ms"
    finally:
        await client.aclose()


async def _check_llm(settings: Settings) -> str:
    if settings.offline_narrator:
        return "no OPENAI_API_KEY: the offline narrator tells the story"
    if settings.narrator == "local":
        return f"NARRATOR=local: {settings.local_model_path} (llama.cpp in a child process, probed below)"
    import openai

    assert settings.openai_api_key is not None
    client = openai.AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        max_retries=0,
        timeout=8,
    )
    try:
        started = time.perf_counter()
        models = [m.id async for m in client.models.list()]
        took = (time.perf_counter() - started) * 1000
    finally:
        await client.close()
    found = "available" if settings.openai_model in models else f"NOT among the {len(models)} models listed"
    if settings.openai_model not in models and models:
        raise RuntimeError(f"reachable in {took:.0f} ms, but model {settings.openai_model!r} is {found}")
    return f"reachable in {took:.0f} ms, model {settings.openai_model!r} {found}"


def _capability_seconds(settings: Settings) -> float:
    # Four tiny requests; a local model on a CPU also loads first (bot.narrator.local_server).
    return 20 + 4 * min(settings.narrator_first_token_seconds, 60) + (120 if settings.narrator == "local" else 0)


async def _check_capabilities(settings: Settings) -> str:
    """What the endpoint supports (tools, JSON schema, streaming usage, context window) and the mode a turn uses."""
    if settings.offline_narrator:
        return "offline: the rule-based narrator decides checks itself"
    from bot.narrator.capabilities import probe_capabilities
    from bot.narrator.local_server import LocalNarrator
    from bot.narrator.openai_narrator import OpenAINarrator

    local = LocalNarrator.from_settings(settings) if settings.narrator == "local" else None
    narrator = local.narrator if local is not None else OpenAINarrator.from_settings(settings)
    try:
        if local is not None:
            await local.server.start()
        found = await probe_capabilities(narrator, settings.narrator_decision_mode)
    finally:
        await (local.aclose() if local is not None else narrator.aclose())
    return "; ".join(found.lines())


async def _check_commands(settings: Settings) -> str:
    """The command schema `dmbot sync` would publish, against Discord's published contract."""
    from bot.runner import built_command_payload, schema_problems

    payload = await built_command_payload(settings)
    problems = schema_problems(payload)
    if problems:
        shown = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        raise RuntimeError(f"Discord would refuse the schema (see `dmbot sync --dry-run`): {shown}")
    return f"{len(payload)} commands, valid against Discord's published contract"
