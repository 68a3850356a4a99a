"""Throwaway Postgres databases built by the migrations: for the tests and the benchmarks."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from persistence.migrate import upgrade_async

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"


def server_url() -> str:
    """The Postgres server for throwaway databases: TEST_POSTGRES_URL, or the local one."""
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_SERVER)


async def create_database(server: str | None = None, *, prefix: str = "dmbot_tmp") -> str:
    """Create a fresh database on the server, run every migration on it, and return its URL."""
    server = server or server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    await upgrade_async(url)
    return url


async def drop_database(url: str) -> None:
    server_url, name = url.rsplit("/", 1)
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def temporary_postgres(server: str | None = None, *, prefix: str = "dmbot_tmp") -> AsyncIterator[str]:
    url = await create_database(server, prefix=prefix)
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
