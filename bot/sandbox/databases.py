"""Throwaway Postgres databases built by the migrations: for the tests and the benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from persistence.migrate import upgrade_async

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def create_database(server_url: str = DEFAULT_SERVER, *, prefix: str = "dmbot_tmp") -> str:
    """Create a fresh database on the server, run every migration on it, and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    url = f"{server_url}/{name}"
    await upgrade_async(url)
    return url


async def drop_database(url: str) -> None:
    server_url, name = url.rsplit("/", 1)
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def temporary_postgres(server_url: str = DEFAULT_SERVER, *, prefix: str = "dmbot_tmp") -> AsyncIterator[str]:
    url = await create_database(server_url, prefix=prefix)
    try:
        yield url
    finally:
        await drop_database(url)


async def _admin(server_url: str, statement: str) -> None:
    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://") + "/postgres")
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
