"""Files with broken parts (a dict where a list was, a string for a number ...): a Foundry actor, a dmbot
character file and homebrew files are refused with a GameError or read, never crash with another error."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.data.srd import load_srd
from bot.engine.character_import import read_upload
from bot.engine.dice import Dice
from bot.engine.homebrew import entries_of_file, to_monster
from bot.errors import GameError

ROOT = Path(__file__).resolve().parents[2]
JUNK: list[Any] = [None, 1, -5, 3.5, "x", "", [], {}, [1, "a"], {"a": 1}, True, "2d6+x", "1/4", 10**30, "acid"]


def paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in children:
        yield from paths(value, (*path, key))


def broken(base: Any, rng: random.Random) -> Any:
    data = copy.deepcopy(base)
    every = [p for p in paths(data) if p]
    for path in rng.sample(every, k=min(len(every), rng.randint(1, 3))):
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = rng.choice(JUNK)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced a parent
    return data


def sources() -> dict[str, Any]:
    doc = (ROOT / "docs" / "CHARACTER_FORMAT.md").read_text(encoding="utf-8")
    return {
        "foundry": json.loads((ROOT / "tests" / "fixtures" / "foundry" / "randal-human-fighter.json").read_text()),
        "dmbot": json.loads(doc.split("```json\n")[1].split("```")[0]),
        "monster": json.loads((ROOT / "docs" / "examples" / "bog-hag.json").read_text()),
        "kit": json.loads((ROOT / "docs" / "examples" / "homebrew-kit.json").read_text()),
    }


@pytest.mark.parametrize("name", ["foundry", "dmbot", "monster", "kit"])
def test_broken_files_are_refused_clearly_or_read(name: str) -> None:
    srd, dice, rng = load_srd(), Dice(random.Random(1)), random.Random(name)
    base = sources()[name]
    for _ in range(120):
        raw = json.dumps(broken(base, rng)).encode()
        try:
            if name in ("foundry", "dmbot"):
                read_upload(raw, srd, guild_id=1, owner_id=2)
            else:
                for entry in entries_of_file(raw, dice):
                    if entry["kind"] == "monster":
                        to_monster("hb-1", entry, srd)
        except GameError:
            pass
