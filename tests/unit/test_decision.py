"""The decision a model gives before it narrates (`bot.narrator.decision`), read however the model wrote it."""

from __future__ import annotations

import json

import pytest

from bot.engine.decided_turn import DecisionModes, engine_check
from bot.narrator import OfflineNarrator, ProposedCall
from bot.narrator.decision import decision_instruction, decision_schema, parse_decision

CLIMB = {"character": "Mira", "skill_or_ability": "athletics", "dc": 15, "reason": "the wall is wet"}


@pytest.mark.parametrize(
    "written",
    [
        json.dumps({"checks": [CLIMB], "calls": []}),
        f"Sure! Here is my decision:\n```json\n{json.dumps({'checks': [CLIMB], 'calls': []})}\n```",
        f"<tool_call>{json.dumps({'name': 'request_check', 'arguments': CLIMB})}</tool_call>",
        json.dumps({"name": "request_check", "arguments": CLIMB}),
    ],
)
def test_a_decision_is_read_in_the_shapes_models_write(written: str) -> None:
    decision = parse_decision(written)
    assert decision.error is None
    assert [(c.name, c.arguments, c.ok) for c in decision.calls] == [("request_check", CLIMB, True)]


def test_broken_entries_are_refusals_and_prose_is_no_decision() -> None:
    decision = parse_decision(json.dumps({"checks": [{"character": "Mira", "dc": 99}], "calls": [{"tool": "nuke"}]}))
    assert [c.ok for c in decision.calls] == [False, False]
    assert "dc must be from 1 to 30" in str(decision.calls[0].error) and "Unknown tool" in str(decision.calls[1].error)
    assert parse_decision("Mira climbs the wall and makes it.").error == "the model's decision was not a JSON object"


def keywords_in(schema: object) -> set[str]:
    """The schema keywords used anywhere (a `properties` map's keys are field names, not keywords)."""
    if isinstance(schema, list):
        return {k for item in schema for k in keywords_in(item)}
    if not isinstance(schema, dict):
        return set()
    found = set(schema) - {"properties"}
    found |= keywords_in([v for k, v in schema.items() if k != "properties"])
    return found | keywords_in(list((schema.get("properties") or {}).values()))


def test_the_schema_has_one_branch_per_tool_and_keeps_field_names() -> None:
    branches = decision_schema()["properties"]["calls"]["items"]["anyOf"]
    npc = next(b for b in branches if b["properties"]["tool"]["enum"] == ["introduce_npc"])
    assert set(npc["properties"]["arguments"]["properties"]) == {"name", "role", "description"}
    assert not keywords_in(decision_schema()) & {"description", "minLength", "maxLength"}  # what servers refuse
    assert "like: {" in decision_instruction("text") and "like: {" not in decision_instruction("json_schema")


def test_the_engine_asks_for_the_check_its_rules_call_for() -> None:
    extra = engine_check("I climb the slick wall", "Mira", [], "7")
    assert extra is not None and extra.arguments is not None
    assert extra.arguments["skill_or_ability"] == "athletics" and extra.arguments["character"] == "Mira"
    mine = ProposedCall("c", "request_check", CLIMB, None, "")
    assert engine_check("I climb the slick wall", "Mira", [mine], "7") is None  # the model asked already
    others = ProposedCall("c", "request_check", {**CLIMB, "character": "Bram"}, None, "")
    assert engine_check("I climb the slick wall", "Mira", [others], "7") is not None
    assert engine_check("I hum a tune by the fire", "Mira", [], "7") is None
    assert engine_check("I climb the slick wall", None, [], "7") is None  # the DM's own turn


def test_auto_learns_text_once_per_model_and_a_set_mode_stays() -> None:
    narrator = OfflineNarrator(monsters=[])
    auto = DecisionModes("auto")
    assert auto.mode(narrator) == "json_schema"
    auto.downgrade(narrator, "refused")
    assert auto.mode(narrator) == "text"
    fixed = DecisionModes("json_schema")
    fixed.downgrade(narrator, "refused")
    assert fixed.mode(narrator) == "json_schema"
