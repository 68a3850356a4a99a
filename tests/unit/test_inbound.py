"""Every typed text in an interaction is made storable before discord.py reads it."""

from __future__ import annotations

from typing import Any

from bot.inbound import clean_interaction, guard_interactions


def test_options_modal_fields_and_attachment_names_lose_control_characters() -> None:
    payload: dict[str, Any] = {
        "type": 2,
        "data": {
            "options": [
                {
                    "name": "npc",
                    "type": 2,
                    "options": [
                        {
                            "name": "create",
                            "type": 1,
                            "options": [
                                {"name": "name", "type": 3, "value": "Gob\x00lin\x1b[31m"},
                                {"name": "count", "type": 4, "value": 3},
                            ],
                        }
                    ],
                }
            ],
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": "a", "value": "line one\nline\x00 two\ttab"}]},
                {"type": 18, "component": {"type": 4, "custom_id": "b", "value": "\x07bell"}},
                {"type": 18, "component": {"type": 3, "custom_id": "c", "values": ["kept\x00as offered"]}},
            ],
            "resolved": {"attachments": {"1": {"filename": "map\x00.png", "description": "a\x08b", "size": 1}}},
        },
    }
    data = clean_interaction(payload)["data"]
    leaf = data["options"][0]["options"][0]["options"]
    assert leaf == [{"name": "name", "type": 3, "value": "Goblin[31m"}, {"name": "count", "type": 4, "value": 3}]
    assert data["components"][0]["components"][0]["value"] == "line one\nline two\ttab"  # line breaks and tabs kept
    assert data["components"][1]["component"]["value"] == "bell"
    assert data["components"][2]["component"]["values"] == ["kept\x00as offered"]  # the bot's own values, not typed
    assert data["resolved"]["attachments"]["1"] == {"filename": "map.png", "description": "ab", "size": 1}


def test_the_guard_sits_in_front_of_discord_pys_parser() -> None:
    seen: list[Any] = []
    parsers: dict[str, Any] = {"INTERACTION_CREATE": seen.append, "READY": print}
    guard_interactions(parsers)
    parsers["INTERACTION_CREATE"]({"type": 5, "data": {"components": [{"type": 4, "value": "\x00x"}]}})
    assert seen == [{"type": 5, "data": {"components": [{"type": 4, "value": "x"}]}}]
    assert parsers["READY"] is print
