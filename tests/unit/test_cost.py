"""Prices per model, and the cost of a call."""

from __future__ import annotations

import pytest

from bot.narrator.cost import Price, PriceTable, estimate_cost
from bot.settings import Settings


def test_known_model_cost() -> None:
    # gpt-4o-mini: $0.15 per 1M prompt tokens, $0.60 per 1M completion tokens
    assert estimate_cost("gpt-4o-mini", 1_000_000, 0) == pytest.approx(0.15)
    assert estimate_cost("gpt-4o-mini", 2000, 500) == pytest.approx((2000 * 0.15 + 500 * 0.60) / 1e6)


def test_dated_snapshot_uses_the_longest_family() -> None:
    table = PriceTable()
    assert table.price("gpt-4o-mini-2024-07-18") == table.price("gpt-4o-mini")
    assert table.price("gpt-4.1-mini-2025-04-14") == Price(0.40, 1.60)
    assert table.price("gpt-4o-2024-08-06") == table.price("gpt-4o")
    assert table.price("openai/gpt-4o") == table.price("gpt-4o")
    assert table.price("gpt-4omni") == Price(0.0, 0.0)  # a family needs its "-" boundary


@pytest.mark.parametrize("model", ["llama3.1:8b", "local-model", "offline", ""])
def test_unknown_and_local_models_are_free(model: str) -> None:
    assert estimate_cost(model, 10_000, 10_000) == 0.0


def test_overrides_from_settings() -> None:
    prices = {"llama3.1:8b": (0.1, 0.2), "gpt-4o": (1.0, 2.0)}
    settings = Settings(_env_file=None, narrator_prices=prices)  # type: ignore[call-arg]
    table = PriceTable(settings.narrator_prices)
    assert table.estimate_cost("llama3.1:8b", 1_000_000, 1_000_000) == pytest.approx(0.3)
    assert table.estimate_cost("gpt-4o", 1_000_000, 0) == pytest.approx(1.0)
    assert table.estimate_cost("gpt-4o-mini", 1_000_000, 0) == pytest.approx(0.15)  # defaults kept


def test_overrides_from_environment_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARRATOR_PRICES", '{"my-model": [0.5, 1.5]}')
    table = PriceTable(Settings(_env_file=None).narrator_prices)  # type: ignore[call-arg]
    assert table.price("my-model") == Price(0.5, 1.5)


def test_default_table_is_not_shared_mutable_state() -> None:
    PriceTable({"gpt-4o": Price(9, 9)})
    assert PriceTable().price("gpt-4o") == Price(2.50, 10.00)
