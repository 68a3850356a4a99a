"""Settings fail fast, with messages that name the variable to fix."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def settings(**values: Any) -> Settings:
    # _env_file is pydantic-settings' own init argument, outside the signature mypy sees
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_embedded_defaults() -> None:
    s = settings()
    assert s.is_sqlite and s.redis_url == "" and s.offline_narrator
    assert s.discord_token is None


def test_shard_ids_from_a_comma_list() -> None:
    assert settings(shard_count=4, shard_ids="1, 3").shard_ids == [1, 3]


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"shard_ids": "0"}, "SHARD_IDS needs SHARD_COUNT"),
        ({"shard_count": 2, "shard_ids": "2"}, "outside 0..1"),
        ({"log_level": "loud"}, "LOG_LEVEL must be one of"),
        ({"environment": "production", "discord_token": "changeme"}, "DISCORD_TOKEN is still a placeholder"),
    ],
)
def test_bad_values_are_refused_with_the_reason(values: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        settings(**values)


def test_placeholders_are_fine_while_developing() -> None:
    assert settings(discord_token="changeme").discord_token is not None


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "")
    monkeypatch.setenv("HEALTH_PORT", "")
    s = settings()
    assert s.shard_count is None and s.health_port == 8080


def test_secrets_do_not_show_in_repr() -> None:
    s = settings(discord_token="abc.def", openai_api_key="sk-123")
    assert "abc.def" not in repr(s) and "sk-123" not in repr(s)


@pytest.mark.parametrize(
    ("values", "pool", "processes"),
    [
        ({}, (15, 15), 1),  # DATABASE_POOL_SIZE, up to twice under load
        ({"database_max_connections": 90}, (45, 45), 1),
        # 4 shards over 4 processes, 90 connections: 22 each, so 88 at most in all
        ({"database_max_connections": 90, "shard_count": 4, "shard_ids": "2"}, (11, 11), 4),
        # the same 4 shards over 2 processes: 45 each
        ({"database_max_connections": 90, "shard_count": 4, "shard_ids": "0,1"}, (22, 23), 2),
    ],
)
def test_pools_split_the_connection_budget_by_shards(
    values: dict[str, Any], pool: tuple[int, int], processes: int
) -> None:
    made = settings(**values)
    assert made.pool_limits == pool
    assert made.process_count == processes
    assert sum(made.pool_limits) * processes <= values.get("database_max_connections", 30)


def test_a_connection_budget_too_small_for_the_processes_is_refused() -> None:
    with pytest.raises(ValidationError, match="DATABASE_MAX_CONNECTIONS=7 leaves fewer than 2 connections"):
        settings(database_max_connections=7, shard_count=4, shard_ids="0")
