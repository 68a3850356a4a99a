"""Counted nouns (bot/engine/wording.py), and a guard over the code base: every count a player reads goes
through `counted`, so no text says "1 hit dice", "for 1 rounds" or "change(s)" again."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from bot.engine.wording import counted, plural

ROOT = Path(__file__).parents[2]
# The local Discord and the test bed speak to developers, not players (and may not import the engine).
PLAYER_FACING = [
    p for d in ("bot", "cogs") for p in (ROOT / d).rglob("*.py") if not {"sandbox", "testbed"} & set(p.parts)
]
# In a string literal (an f-string is one token on Python 3.11, parts from 3.12): "thing(s) ", "{'s' if ...}",
# "{n} rounds" (a constant such as {MAX_ROUNDS} is always plural, so it is allowed; so is a narration
# template's "{name} turns to ...", a verb).
HAND_MADE = re.compile(
    r"[a-z]\(s\)[ ,:;!?.'\"]"
    r"|\{['\"]s['\"] if "
    r"|\{(?![A-Z_]+[:,}])(?!(name|npc|enemy)\})[^{}]+\} (rounds|turns|hit dice|items|spells|cantrips|attacks)\b"
)


def hand_made_plurals(source: str) -> list[tuple[int, str]]:
    """The string literals of `source` that pluralise by hand, with their line numbers."""
    strings = (t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.STRING)
    return [(t.start[0], t.string) for t in strings if HAND_MADE.search(t.string)]


def test_counted_nouns() -> None:
    assert counted(1, "hit die") == "1 hit die" and counted(3, "hit die") == "3 hit dice"
    assert counted(1, "round") == "1 round" and counted(2, "round") == "2 rounds"
    assert counted(0, "turn") == "0 turns" and counted(1_000, "event") == "1,000 events"
    assert counted(2, "ability") == "2 abilities" and counted(2, "day") == "2 days"
    assert (
        counted(2, "crossbow bolt") == "2 crossbow bolts" and counted(2, "failed death save") == "2 failed death saves"
    )
    assert plural("NPC") == "NPCs" and plural("box") == "boxes" and plural("staff") == "staves"


def test_no_hand_made_plurals_in_player_facing_code() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {text.strip()}"
        for path in PLAYER_FACING
        for number, text in hand_made_plurals(path.read_text(encoding="utf-8"))
        if "http(s)" not in text
    ]
    assert not found, "\n".join(found)


def test_the_guard_finds_hand_made_plurals() -> None:
    source = (
        """a = f"{n} rounds"\nb = f"{n} item{'s' if n > 1 else ''}"\nc = "change(s) waiting"\nd = f"{MAX} rounds"\n"""
    )
    assert [line for line, _ in hand_made_plurals(source)] == [1, 2, 3]
