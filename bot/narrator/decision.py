"""Mechanics by contract: the decision a model gives before it narrates, as one JSON object.

A two-phase turn first asks the model what the action needs (the checks the engine must roll, the other changes
it proposes) in the JSON schema below, then, after the engine has validated and rolled, asks for prose with no
tool schemas at all. How the decision is asked for is the *mode*:

- ``json_schema``: ``response_format: {"type": "json_schema", ...}``; OpenAI, llama.cpp (it compiles the schema to
  a grammar, so even a 0.5B model can only write a valid object) and vLLM honour it. The schema is not part of the
  prompt there, so the decision costs a few instruction lines instead of the tool schemas' ~1,900 tokens.
- ``text``: the same instruction with a one-line example, and the object is read out of whatever the model wrote.
- ``tools``: the classic loop with native tool schemas (``bot.engine.turns``); not handled here.

Every proposed call still goes through ``validate_arguments`` and the engine's own rules: the schema only shapes
what a model can say, never what the engine accepts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.narrator.base import ProposedCall, ToolSpec
from bot.narrator.textcalls import calls_in
from bot.narrator.tools import NARRATOR_TOOLS, parse_call, validate_arguments

__all__ = [
    "DECISION_MODES",
    "Decision",
    "DecisionMode",
    "decision_instruction",
    "decision_response_format",
    "decision_schema",
    "parse_decision",
]

DecisionMode = Literal["json_schema", "text", "tools"]
DECISION_MODES: tuple[str, ...] = ("auto", "json_schema", "tools", "text")
MAX_CHECKS = 2
MAX_CALLS = 2  # small models fill what a grammar allows: room for what a turn plausibly needs
CHECK_TOOL = "request_check"
# Keywords a grammar compiler or a strict validator may refuse: lengths are the engine's to check afterwards.
_DROPPED = frozenset({"minLength", "maxLength", "description"})


@dataclass(frozen=True)
class Decision:
    """What the model decided, as calls ready for the executor (``error`` set on those that break the schema)."""

    calls: list[ProposedCall]
    raw: str
    error: str | None = None  # the answer was not a decision at all (then ``calls`` is empty)


def _portable(schema: Any) -> Any:
    """The schema without the keywords some servers refuse (OpenAI strict mode, grammar compilers)."""
    if isinstance(schema, dict):
        kept = {key: _portable(value) for key, value in schema.items() if key not in _DROPPED | {"properties"}}
        if isinstance(schema.get("properties"), dict):  # field names, not keywords: keep every one
            kept["properties"] = {name: _portable(sub) for name, sub in schema["properties"].items()}
        return kept
    if isinstance(schema, list):
        return [_portable(item) for item in schema]
    return schema


def _call_schema(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"tool": {"type": "string", "enum": [tool.name]}, "arguments": _portable(tool.parameters)},
        "required": ["tool", "arguments"],
        "additionalProperties": False,
    }


def decision_schema(tools: Sequence[ToolSpec] = NARRATOR_TOOLS) -> dict[str, Any]:
    """``{"checks": [request_check arguments…], "calls": [{"tool": name, "arguments": {…}}…]}``.

    Each call is one ``anyOf`` branch per tool, so a grammar-constrained server can only write arguments that fit
    the tool it named.
    """
    check = next(tool for tool in tools if tool.name == CHECK_TOOL)
    others = [tool for tool in tools if tool.name != CHECK_TOOL]
    return {
        "type": "object",
        "properties": {
            "checks": {"type": "array", "maxItems": MAX_CHECKS, "items": _portable(check.parameters)},
            "calls": {"type": "array", "maxItems": MAX_CALLS, "items": {"anyOf": [_call_schema(t) for t in others]}},
        },
        "required": ["checks", "calls"],
        "additionalProperties": False,
    }


def decision_response_format(tools: Sequence[ToolSpec] = NARRATOR_TOOLS) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": "turn_decision", "strict": True, "schema": decision_schema(tools)},
    }


def _signature(tool: ToolSpec) -> str:
    return f"{tool.name}({', '.join(tool.parameters.get('properties', {}))})"


EXAMPLE = (
    '{"checks": [{"character": "Mira", "skill_or_ability": "athletics", "dc": 15, "reason": "climbing a wet wall"}], '
    '"calls": []}'
)


def decision_instruction(mode: DecisionMode, tools: Sequence[ToolSpec] = NARRATOR_TOOLS) -> str:
    """The last system message of the decision call: short, because it is the volatile tail of the prompt."""
    others = "; ".join(_signature(tool) for tool in tools if tool.name != CHECK_TOOL)
    text = (
        "DECISION STEP (no story yet). Decide only the mechanics of the action above, as one JSON object.\n"
        '- "checks": the checks the engine must roll when the outcome is uncertain, risky or opposed '
        "(skill_or_ability: an SRD skill such as athletics, stealth, persuasion, or an ability "
        "str/dex/con/int/wis/cha; "
        "dc: 10 easy, 15 medium, 20 hard; character: the acting character). Empty when nothing is uncertain.\n"
        f'- "calls": other changes the story needs right now, usually none: {others}.\n'
        "Only the acting character makes checks. Never decide an outcome: the engine rolls."
    )
    if mode == "text":
        text += f"\nAnswer with the JSON object only, like: {EXAMPLE}"
    return text


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def _first_object(text: str) -> Any:
    """The first JSON object in ``text`` (inside a code fence or not), or None."""
    candidates = [match.group(1) for match in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start in (i for i, char in enumerate(candidate) if char == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, dict):
                return value
    return None


def parse_decision(text: str, tools: Sequence[ToolSpec] = NARRATOR_TOOLS, *, prefix: str = "decision") -> Decision:
    """The model's answer as validated calls; never raises. Unknown keys and broken entries become refusals."""
    value = _first_object(text)
    if isinstance(value, dict) and "checks" not in value and "calls" not in value:
        value = None  # not the decision's shape: perhaps tool calls written the way the model was trained to
    if value is None:
        written = [parse_call(f"{prefix}_{i}", c.name, c.arguments, tools) for i, c in enumerate(calls_in(text))]
        return Decision(written, text, None if written else "the model's decision was not a JSON object")
    calls: list[ProposedCall] = []
    checks = value.get("checks")
    for arguments in (checks if isinstance(checks, list) else [])[:MAX_CHECKS]:
        calls.append(_proposed(f"{prefix}_{len(calls)}", CHECK_TOOL, arguments, tools))
    others = value.get("calls")
    for entry in (others if isinstance(others, list) else [])[:MAX_CALLS]:
        name = entry.get("tool") if isinstance(entry, dict) else None
        arguments = entry.get("arguments") if isinstance(entry, dict) else None
        calls.append(_proposed(f"{prefix}_{len(calls)}", name if isinstance(name, str) else "?", arguments, tools))
    return Decision(calls, text)


def _proposed(call_id: str, name: str, arguments: Any, tools: Sequence[ToolSpec]) -> ProposedCall:
    raw = json.dumps(arguments)
    call = ProposedCall(call_id, name, arguments if isinstance(arguments, dict) else None, None, raw)
    return validate_arguments(call, tools)
