"""What a model call costs, from a table of USD per million tokens.

The defaults are OpenAI's list prices when this was written; prices change, so the table is
overridable from settings (``NARRATOR_PRICES='{"my-model": [0.2, 0.8]}'``). A model not in the
table (a local Ollama or vLLM model) costs 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["DEFAULT_PRICES", "Price", "PriceTable", "estimate_cost"]


@dataclass(frozen=True)
class Price:
    """USD per 1,000,000 tokens."""

    prompt: float
    completion: float


FREE = Price(0.0, 0.0)

DEFAULT_PRICES: Mapping[str, Price] = MappingProxyType(
    {
        "gpt-4o-mini": Price(0.15, 0.60),
        "gpt-4o": Price(2.50, 10.00),
        "gpt-4.1": Price(2.00, 8.00),
        "gpt-4.1-mini": Price(0.40, 1.60),
        "gpt-4.1-nano": Price(0.10, 0.40),
        "o4-mini": Price(1.10, 4.40),
        "gpt-3.5-turbo": Price(0.50, 1.50),
    }
)


class PriceTable:
    """Prices by model name; a dated snapshot ("gpt-4o-mini-2024-07-18") uses its family's price."""

    def __init__(self, overrides: Mapping[str, Price | Sequence[float]] | None = None) -> None:
        prices = dict(DEFAULT_PRICES)
        for model, price in (overrides or {}).items():
            prices[model] = price if isinstance(price, Price) else Price(*price)
        self._prices: Mapping[str, Price] = MappingProxyType(prices)

    def price(self, model: str) -> Price:
        name = model.rsplit("/", 1)[-1]  # "openai/gpt-4o" from a routing proxy
        if name in self._prices:
            return self._prices[name]
        # Longest family prefix wins: "gpt-4.1-mini-2025..." is gpt-4.1-mini, not gpt-4.1.
        families = [key for key in self._prices if name.startswith(key + "-")]
        return self._prices[max(families, key=len)] if families else FREE

    def estimate_cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.price(model)
        return (prompt_tokens * price.prompt + completion_tokens * price.completion) / 1_000_000


def estimate_cost(model: str, prompt_tokens: int, completion_tokens: int, table: PriceTable | None = None) -> float:
    """USD for one call at ``table``'s prices (the defaults when none is given)."""
    return (table or PriceTable()).estimate_cost(model, prompt_tokens, completion_tokens)
