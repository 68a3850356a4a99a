"""Typed lines become the options a Discord client would send, from the synced schema."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.commandline import CommandLineError, complete, parse

COMMANDS: list[dict[str, Any]] = [
    {
        "name": "roll",
        "type": 1,
        "options": [
            {"name": "expression", "type": 3, "required": True},
            {"name": "advantage", "type": 5},
            {"name": "label", "type": 3},
            {"name": "count", "type": 4},
        ],
    },
    {
        "name": "character",
        "type": 1,
        "options": [
            {"name": "show", "type": 1, "options": [{"name": "name", "type": 3}]},
            {"name": "rest", "type": 1, "options": [
                {"name": "kind", "type": 3, "required": True,
                 "choices": [{"name": "Short rest", "value": "short"}, {"name": "Long rest", "value": "long"}]},
            ]},
        ],
    },
]


def test_positional_text_fills_the_required_option() -> None:
    parsed = parse("/roll 1d20 + 5", COMMANDS)
    assert (parsed.path, parsed.options) == ("roll", {"expression": "1d20 + 5"})


def test_named_options_are_typed() -> None:
    parsed = parse("/roll expression:1d20+5 advantage:yes label:Sneaky stab count:3", COMMANDS)
    assert parsed.options == {"expression": "1d20+5", "advantage": True, "label": "Sneaky stab", "count": 3}


def test_subcommands_and_choices_by_name_or_value() -> None:
    assert parse("/character rest long", COMMANDS).options == {"kind": "long"}
    assert parse("/character rest kind:Short rest", COMMANDS).options == {"kind": "short"}
    assert parse("/character rest sh", COMMANDS).options == {"kind": "short"}  # a unique prefix of a name
    assert parse("/character show", COMMANDS).path == "character show"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/nope", "There is no /nope"),
        ("/roll", "needs expression"),
        ("/roll 1d20 advantage:perhaps", "say true or false"),
        ("/roll 1d20 count:three", "not a whole number"),
        ("/character", "needs one of: show, rest"),
        ("/character rest nap", "choose one of Short rest, Long rest"),
        ("/", "Type a command"),
    ],
)
def test_mistakes_say_what_to_type(line: str, says: str) -> None:
    with pytest.raises(CommandLineError, match=says):
        parse(line, COMMANDS)


def test_completion_of_commands_subcommands_and_options() -> None:
    assert complete("/ro", COMMANDS) == ["/roll "]
    assert complete("/character r", COMMANDS) == ["/character rest "]
    assert complete("/roll adv", COMMANDS) == ["/roll advantage:"]
