"""Counted nouns (bot/engine/wording.py), and a guard over the code base: every count a player reads goes
through `counted`, so no text says "1 hit dice", "for 1 rounds" or "change(s)" again."""

from __future__ import annotations

import io
import json
import re
import tokenize
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeGuard

from bot.engine.wording import counted, plural
from bot.narrator import (
    NARRATOR_TOOLS,
    OfflineNarrator,
    ProposedCall,
    TextDelta,
    ToolCallsProposed,
    assistant_message,
    context_block,
    offline_templates,
    offline_voice,
)
from bot.narrator.offline import DEFAULT_SCENE, action_phrase, agree, is_plural

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


# --- the offline narrator's sentences agree with the scene ----------------------------------------------


def _strings(values: Iterable[object]) -> Iterator[str]:
    """Every string in the template modules' tables, however nested."""
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from _strings(value.values())
        elif isinstance(value, tuple | list):
            yield from _strings(value)


class Defaulted(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return key


SCENE_TEMPLATES = [
    t for module in (offline_templates, offline_voice) for t in _strings(vars(module).values()) if "{scene" in t
]
THIRD_PERSON_AFTER_SCENE = re.compile(r"(?<!in )\{scene(?:_cap)?\} (?!as\b)([a-z]+s)\b")


def test_a_scenes_number_is_read_from_its_head_noun() -> None:
    for several in ("the surroundings", "the Goblin Woods", "the halls of the dwarf king", "the ruins below the keep"):
        assert is_plural(several), several
    for one in ("the ruined inn", "the flooded crypt below the chapel", "the abyss", "the crossroads", "the pass"):
        assert not is_plural(one), one
    assert agree("{scene} [keeps|keep] [its|their] counsel", True) == "{scene} keep their counsel"
    assert agree("{scene} [keeps|keep] [its|their] counsel", False) == "{scene} keeps its counsel"


def test_every_verb_after_the_scene_agrees_with_it() -> None:
    """A template's verb right after `{scene}` is written in both numbers (`[keeps|keep]`): the offline
    narrator said "the surroundings keeps its counsel" and "the surroundings waits"."""
    assert len(SCENE_TEMPLATES) >= 15
    bare = [t for t in SCENE_TEMPLATES if THIRD_PERSON_AFTER_SCENE.search(t)]
    assert not bare, bare
    values = Defaulted(scene=DEFAULT_SCENE, scene_cap="The surroundings")
    told = " ".join(agree(t, is_plural(DEFAULT_SCENE)).format_map(values) for t in SCENE_TEMPLATES)
    assert not re.search(r"surroundings (?:keeps|gives|waits|seems|feels|yields|listens|does)\b|its breath", told)


async def test_a_failed_check_never_meets_its_dc() -> None:
    """The number line said "On the Survival check, 7 meets DC 15" of a failure."""
    narrator = OfflineNarrator()
    system = {"role": "system", "content": context_block("Kira", "the ruined inn")}
    failed = {"ok": True, "check": {"skill": "investigation", "total": 3, "dc": 14, "success": False}}
    told = []
    for n in range(40):  # the narrator picks its sentences by seed: enough turns to see every number line
        messages = [system, {"role": "user", "content": f"I search the old waystone for runes, try {n}"}]
        calls = [c async for e in narrator.stream(messages, NARRATOR_TOOLS) for c in _calls(e)]
        answer = {"role": "tool", "tool_call_id": calls[0].id, "content": json.dumps(failed)}
        replied = [*messages, assistant_message("", calls), answer]
        told.append(
            "".join([e.text async for e in narrator.stream(replied, NARRATOR_TOOLS) if isinstance(e, TextDelta)])
        )
    assert sum("3" in t and "14" in t for t in told) > 10
    assert not [t for t in told if "meets DC" in t], told


def _text(event: object) -> TypeGuard[TextDelta]:
    return isinstance(event, TextDelta)


def _calls(event: object) -> list[ProposedCall]:
    return list(event.calls) if isinstance(event, ToolCallsProposed) else []


def test_an_action_told_in_the_third_person_speaks_of_the_party_too() -> None:
    """ "Kira tries to persuade the ghost to let us pass": the player's "us" and "our" are the party's."""
    told = action_phrase("I try to persuade the ghost to let us pass", "Kira")
    assert told == "persuade the ghost to let the party pass"
    assert action_phrase("I guard our camp", "Kira") == "guard the party's camp"
    assert action_phrase("I tell the guard we are pilgrims", "Kira") == "tell the guard they are pilgrims"
