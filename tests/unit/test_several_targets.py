"""Several targets in one option (`Tordek, Lia`): the names split by the engine, completed by the UI."""

from __future__ import annotations

import pytest

from bot.engine.combat.targets import MAX_TARGETS, split_names
from bot.errors import InvalidInput
from bot.ui import targets


def test_names_split_once_each_in_order() -> None:
    assert split_names(" Tordek ,lia,  tordek, Mara  Kell ") == ["Tordek", "lia", "Mara Kell"]
    with pytest.raises(InvalidInput, match="Name a target"):
        split_names(" , ")
    with pytest.raises(InvalidInput, match=f"at most {MAX_TARGETS}"):
        split_names(", ".join(f"Goblin {n}" for n in range(MAX_TARGETS + 1)))


def test_completion_keeps_what_is_typed_and_offers_each_name_once() -> None:
    assert targets.last_piece("Tordek,  L") == ("Tordek, ", "L", {"tordek"})
    assert targets.last_piece("Wo") == ("", "Wo", set())
    offered = targets.completions("Tordek, Wolf 1, w", ["Wolf 1", "Wolf 2", "tordek", "Wolf 3"])
    assert offered == ["Tordek, Wolf 1, Wolf 2", "Tordek, Wolf 1, Wolf 3"]
