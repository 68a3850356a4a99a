"""Tool calls written into the text, in the shapes real models write them: recognised, never shown.

Each case runs whole (a non-streamed reply) and cut into chunks of several sizes (a stream), and the
player must see exactly the prose, whatever the cut.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.narrator.textcalls import TextCall, TextCallScanner
from bot.narrator.tools import NARRATOR_TOOLS

TOOLS = [tool.name for tool in NARRATOR_TOOLS]
CHECK = {"character": "Mira", "skill_or_ability": "acrobatics", "dc": 15, "reason": "the ledge is slick"}
HEAL = {"target": "Mira", "amount": 3}
C = json.dumps(CHECK)
H = json.dumps(HEAL)
CALL = json.dumps({"name": "request_check", "arguments": CHECK})
HEAL_CALL = json.dumps({"name": "heal", "arguments": HEAL})
BOTH = [("request_check", CHECK), ("heal", HEAL)]
PROSE = "The wind howls across the ledge."
RIDDLE = "The riddle reads:\n```\nI have keys but no locks\n```"

# (what the model wrote, the prose a player must see, the calls: (name, arguments))
CASES: list[tuple[str, str, list[tuple[str, dict[str, Any]]]]] = [
    (f"<tool_call>\n{CALL}\n</tool_call>", "", [("request_check", CHECK)]),
    (f"Let's see.\n<tool_call>\n{CALL}\n</tool_call>\n{PROSE}", f"Let's see. {PROSE}", [("request_check", CHECK)]),
    (f"<tool_call>{CALL}</tool_call><tool_call>{HEAL_CALL}</tool_call>", "", BOTH),
    (f"<tools>{CALL}</tools> The players move slowly...", "The players move slowly...", [("request_check", CHECK)]),
    (f"{PROSE} <tool_call>\n{CALL}", PROSE, [("request_check", CHECK)]),  # the model stopped before closing
    (f"<function_call>{CALL}</function_call>", "", [("request_check", CHECK)]),
    (f"<function=request_check>{C}</function>{PROSE}", PROSE, [("request_check", CHECK)]),
    (f'<|python_tag|>{{"name": "request_check", "parameters": {C}}}<|eom_id|>', "", [("request_check", CHECK)]),
    ('<|python_tag|>heal(target="Mira", amount=3)', "", [("heal", HEAL)]),
    (f'<|python_tag|>heal(target="Mira", amount=3)<|eot_id|>{PROSE}', PROSE, [("heal", HEAL)]),
    (f"[TOOL_CALLS] [{CALL}]", "", [("request_check", CHECK)]),
    (f"[TOOL_CALLS] [{CALL}, {HEAL_CALL}]", "", [("request_check", CHECK), ("heal", HEAL)]),
    (f"[TOOL_CALLS]request_check[ARGS]{C}", "", [("request_check", CHECK)]),
    (f"```json\n{CALL}\n```\n{PROSE}", PROSE, [("request_check", CHECK)]),
    (f"```tool_call\n{CALL}\n```", "", [("request_check", CHECK)]),
    (f"```\n{CALL}\n```", "", [("request_check", CHECK)]),
    (f"```json\n{CALL}", "", [("request_check", CHECK)]),  # an unclosed fence
    (CALL, "", [("request_check", CHECK)]),
    (f"{PROSE} {CALL}", PROSE, [("request_check", CHECK)]),
    (f"Roll for it: {CALL} and hold on.", "Roll for it: and hold on.", [("request_check", CHECK)]),
    ("{" + CALL + "}", "", [("request_check", CHECK)]),  # doubled braces
    ('{{"name": "heal", "arguments": {{"target": "Mira", "amount": 3}}}}', "", [("heal", HEAL)]),
    (json.dumps({"name": "heal", "parameters": HEAL}), "", [("heal", HEAL)]),
    (json.dumps({"type": "function", "function": {"name": "heal", "arguments": H}}), "", [("heal", HEAL)]),
    (
        json.dumps([{"name": "request_check", "arguments": CHECK}, {"name": "heal", "arguments": HEAL}]),
        "",
        [("request_check", CHECK), ("heal", HEAL)],
    ),
    (json.dumps({"tool_calls": [{"function": {"name": "heal", "arguments": H}}]}), "", [("heal", HEAL)]),
    (json.dumps({"tool": "heal", "tool_input": HEAL}), "", [("heal", HEAL)]),
    (f"<tool_call>\n{json.dumps({'name': 'heal', 'arguments': H})}\n</tool_call>", "", [("heal", HEAL)]),
    (f"<tool_call>\n{CALL}\n{HEAL_CALL}\n</tool_call>", "", [("request_check", CHECK), ("heal", HEAL)]),
    (f"<tools>[{CALL}, {HEAL_CALL}]</tools>", "", [("request_check", CHECK), ("heal", HEAL)]),
    (f"<think>The player wants to climb; a check is fair.</think>{PROSE}", PROSE, []),
    (f"<think>Needs a check.</think>\n<tool_call>{CALL}</tool_call>", "", [("request_check", CHECK)]),
    (f"{PROSE}<|im_end|>", PROSE, []),
    ('<tool_call>{"name": "request_check", "arguments": {"dc": </tool_call>' + PROSE, PROSE, []),  # broken JSON
    ('{"mood": "tense", "music": "drums"} ' + PROSE, PROSE, []),  # JSON that is no call is still not prose
    ('{"name": "Greta", "role": "innkeeper"}', "", []),  # a bare object naming no tool is no call
    ("[whispers] The door {creaks} open.", "[whispers] The door {creaks} open.", []),
    (
        "She hands you a note: `the moon is a door` and <b>leaves</b>.",
        "She hands you a note: `the moon is a door` and <b>leaves</b>.",
        [],
    ),
    (RIDDLE, RIDDLE, []),
    ("The price is 5 < 7 gold, a bargain [sic].", "The price is 5 < 7 gold, a bargain [sic].", []),
]


def scan(text: str, chunk: int | None) -> tuple[str, list[TextCall]]:
    scanner = TextCallScanner(TOOLS)
    pieces = [text] if chunk is None else [text[i : i + chunk] for i in range(0, len(text), chunk)]
    shown = "".join(scanner.feed(piece) for piece in pieces) + scanner.finish()
    return shown, scanner.calls


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("chunk", [None, 1, 2, 3, 5, 8, 13, 40])
@pytest.mark.parametrize(("written", "prose", "expected"), CASES)
def test_calls_are_found_and_never_shown(
    written: str, prose: str, expected: list[tuple[str, dict[str, Any]]], chunk: int | None
) -> None:
    shown, calls = scan(written, chunk)

    assert words(shown) == words(prose)
    assert [(call.name, json.loads(call.arguments)) for call in calls] == expected


def test_the_corpus_has_thirty_shapes_with_calls() -> None:
    assert sum(1 for _, _, expected in CASES if expected) >= 30


def test_a_call_to_an_unknown_tool_in_tags_is_kept_for_the_engine_to_refuse() -> None:
    shown, calls = scan('<tool_call>{"name": "grant_wish", "arguments": {"wish": "gold"}}</tool_call>', 4)

    assert shown == "" and [call.name for call in calls] == ["grant_wish"]


def test_prose_is_released_as_soon_as_it_cannot_be_markup() -> None:
    scanner = TextCallScanner(TOOLS)

    assert scanner.feed("The door opens. ") == "The door opens. "
    assert scanner.feed("<too") == ""  # may become <tool_call>: held
    assert scanner.feed("k> the lantern.") == "<took> the lantern."  # it did not
    assert scanner.feed('{"na') == ""
    assert scanner.feed('me": "heal", "arguments": {"target": "Mira", "amount": 3}} Done.') == " Done."
    assert scanner.finish() == ""
