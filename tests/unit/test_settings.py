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
