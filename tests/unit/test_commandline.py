"""Typed lines become the options a Discord client would send, from the synced schema."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.sandbox.commandline import CommandLineError, Directory, complete, parse
from bot.sandbox.world import default_world

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
            {
                "name": "rest",
                "type": 1,
                "options": [
                    {
                        "name": "kind",
                        "type": 3,
                        "required": True,
                        "choices": [{"name": "Short rest", "value": "short"}, {"name": "Long rest", "value": "long"}],
                    },
                ],
            },
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


def a_directory() -> Directory:
    world = default_world()
    return Directory(world.guild, world.users)


MEMBERS: list[dict[str, Any]] = [
    {
        "name": "dm",
        "type": 1,
        "options": [
            {"name": "kick", "type": 1, "options": [{"name": "player", "type": 6, "required": True}]},
            {
                "name": "post",
                "type": 1,
                "options": [
                    {"name": "where", "type": 7, "required": True},
                    {"name": "count", "type": 4, "min_value": 1, "max_value": 5},
                    {"name": "note", "type": 3, "max_length": 10},
                ],
            },
        ],
    },
]


def test_members_channels_and_roles_by_name_or_mention() -> None:
    directory, world = a_directory(), default_world()
    bob = world.user("bob").id
    for typed in ("@bob", "bob", "BOB", f"<@{bob}>", str(bob)):
        assert parse(f"/dm kick player:{typed}", MEMBERS, directory).options == {"player": bob}
    tavern = world.guild.channel("tavern").id
    assert parse("/dm post where:#tavern", MEMBERS, directory).options == {"where": tavern}


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/dm kick player:@nobody", "there is no member called '@nobody' here. Try one of: @admin, "),
        ("/dm post where:#nowhere", "there is no channel called '#nowhere'"),
        ("/dm post where:#tavern count:9", "count: from 1 to 5, not 9"),
        ("/dm post where:#tavern note:far too long a note", "note: 0 to 10 characters, and this is 19"),
    ],
)
def test_what_a_discord_client_would_refuse_is_said_in_words(line: str, says: str) -> None:
    with pytest.raises(CommandLineError, match=re.escape(says)):
        parse(line, MEMBERS, a_directory())


def test_completion_of_option_values() -> None:
    assert complete("/character rest kind:L", COMMANDS) == ["/character rest kind:Long rest "]
    assert complete("/roll 1d20 advantage:t", COMMANDS) == ["/roll 1d20 advantage:true "]
    assert complete("/dm kick player:@ca", MEMBERS, a_directory()) == ["/dm kick player:@carol "]
    assert complete("/dm post where:ta", MEMBERS, a_directory()) == ["/dm post where:#tavern "]
    offered = {"character show name": ["Tordek", "Mira", "Dortek"]}
    suggest = lambda path, schema, typed: offered[f"{path} {schema['name']}"]  # noqa: E731
    autocompleted = [
        {
            "name": "character",
            "type": 1,
            "options": [{"name": "show", "type": 1, "options": [{"name": "name", "type": 3, "autocomplete": True}]}],
        }
    ]
    assert complete("/character show name:To", autocompleted, suggest=suggest) == ["/character show name:Tordek "]
