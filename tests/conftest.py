"""Shared fixtures: real Postgres and SQLite databases built by the migrations, and real Redis (shared or private)."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.logging import configure_logging
from bot.settings import Settings
from bot.testbed.databases import create_database, drop_database, server_url
from bot.testbed.processes import RedisProcess
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
def own_redis() -> Iterator[RedisProcess]:
    """A private redis-server of this test's own, which it may flush, stop and restart (needs the binary)."""
    server = RedisProcess()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def key_prefix() -> str:
    """A Redis key prefix of this test's own, so tests never see each other's buckets."""
    return f"dmbot-test:{uuid.uuid4().hex[:8]}:"


PlayRun = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_play(tmp_path: Path) -> PlayRun:
    """Pipe a script into `dmbot play` in a fresh folder (its embedded database lands there); `args` go to
    `dmbot play`, `env` adds to its environment."""
    dmbot = str(Path(sys.executable).parent / "dmbot")
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY"}}
    base["RATE_USER_CAPACITY"] = "1000"  # a pipe types faster than any player: keep the rate limiter out of it

    def run(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [dmbot, "play", *args],
            input=script,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**base, **(env or {})},
            timeout=120,
        )

    return run


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Route every log line of the test through the bot's JSON pipeline into a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging(Settings(_env_file=None, log_format="json", log_level="INFO"), stream=stream)  # type: ignore[call-arg]
    yield stream
    root.handlers[:], root.level = saved
