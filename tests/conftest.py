"""Shared fixtures: real Postgres and SQLite databases built by the migrations, and real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.databases import create_database, drop_database, server_url
from persistence.migrate import upgrade

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh Postgres database for this test run, built by running every migration."""
    url = asyncio.run(create_database(server_url(), prefix="dmbot_test"))
    try:
        yield url
    finally:
        asyncio.run(drop_database(url))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file, built by the same migrations."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'dmbot.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(params=["postgres", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run a test on both backends."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def key_prefix() -> str:
    """A Redis key prefix of this test's own, so tests never see each other's buckets."""
    return f"dmbot-test:{uuid.uuid4().hex[:8]}:"
