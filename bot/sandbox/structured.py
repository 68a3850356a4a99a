"""``response_format`` as llama.cpp's server treats it, for the local OpenAI-compatible server (`bot.sandbox.llm`).

llama.cpp compiles a ``json_schema`` (or ``json_object``) response format into a grammar, so the model can only
write an object that fits, and refuses a request whose format it cannot compile. The sandbox does the same
strictly: an unknown format type or a schema outside the subset a grammar compiler takes is a 400; a scripted
reply that would break the schema (or carries tool calls, which a constrained reply cannot) is a 500 that names
the test's mistake, because a real constrained server could never send it; with nothing scripted, the reply is
the smallest object that fits.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["FormatError", "check_instance", "minimal_instance", "schema_of"]

TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object", "null"})
KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const",
        "anyOf", "oneOf", "minimum", "maximum", "minLength", "maxLength", "description", "title", "default",
        "$schema", "pattern", "format",
    }
)  # fmt: skip


class FormatError(Exception):
    """A response_format the server refuses (HTTP 400)."""


def schema_of(response_format: Any) -> dict[str, Any] | None:
    """The schema a request asks for: ``None`` for plain text, ``{}`` for any JSON object; raises ``FormatError``."""
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise FormatError("response_format must be an object")
    kind = response_format.get("type", "text")
    if kind == "text":
        return None
    if kind == "json_object":
        schema = response_format.get("schema") or {"type": "object"}
    elif kind == "json_schema":
        wrapper = response_format.get("json_schema")
        schema = wrapper.get("schema", {"type": "object"}) if isinstance(wrapper, dict) else {"type": "object"}
    else:
        raise FormatError(f'response_format type must be one of "text" or "json_object", but got: {kind}')
    _compilable(schema, "schema")
    return schema


def _compilable(schema: Any, path: str) -> None:
    if not isinstance(schema, dict):
        raise FormatError(f"JSON schema conversion failed: {path} is not an object")
    unknown = sorted(set(schema) - KEYWORDS)
    if unknown:
        raise FormatError(f"JSON schema conversion failed: unsupported {', '.join(unknown)} at {path}")
    kinds = schema.get("type", [])
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if kind not in TYPES:
            raise FormatError(f"JSON schema conversion failed: unrecognized type {kind!r} at {path}")
    for name, sub in (schema.get("properties") or {}).items():
        _compilable(sub, f"{path}.properties.{name}")
    if "items" in schema:
        _compilable(schema["items"], f"{path}.items")
    for key in ("anyOf", "oneOf"):
        for index, sub in enumerate(schema.get(key) or []):
            _compilable(sub, f"{path}.{key}[{index}]")


def _type_ok(value: Any, kind: str) -> bool:
    if kind in {"integer", "number"} and isinstance(value, bool):
        return False
    expected: dict[str, Any] = {
        "string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict,
        "null": type(None),
    }  # fmt: skip
    return isinstance(value, expected[kind])


def check_instance(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (the subset above)."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [check_instance(value, sub, path) for sub in schema[key]]
            if not any(not problems for problems in options):
                return [f"{path} fits none of the {key} branches"]
    if "const" in schema and value != schema["const"]:
        return [f"{path} must be {json.dumps(schema['const'])}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path} must be one of {schema['enum']}"]
    kinds = schema.get("type")
    if kinds is not None and not any(_type_ok(value, k) for k in (kinds if isinstance(kinds, list) else [kinds])):
        return [f"{path} must be {kinds}"]
    problems: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        problems += [f"{path}.{key} is required" for key in schema.get("required", []) if key not in value]
        if schema.get("additionalProperties") is False:
            problems += [f"{path}.{key} is not allowed" for key in value if key not in properties]
        for key, item in value.items():
            if key in properties:
                problems += check_instance(item, properties[key], f"{path}.{key}")
    elif isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            problems.append(f"{path} has {len(value)} items")
        if "items" in schema:
            for index, item in enumerate(value):
                problems += check_instance(item, schema["items"], f"{path}[{index}]")
    elif isinstance(value, str):
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            problems.append(f"{path} has {len(value)} characters")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not schema.get("minimum", value) <= value <= schema.get("maximum", value):
            problems.append(f"{path} is out of range")
    return problems


def minimal_instance(schema: dict[str, Any]) -> Any:
    """The smallest value that fits: what a constrained model with nothing to say writes."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return minimal_instance(schema[key][0])
    kinds = schema.get("type", "object")
    kind = kinds[0] if isinstance(kinds, list) else kinds
    if kind == "object":
        properties = schema.get("properties") or {}
        return {key: minimal_instance(properties.get(key, {})) for key in schema.get("required", [])}
    if kind == "array":
        return [minimal_instance(schema.get("items") or {}) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if kind in {"integer", "number"}:
        return schema.get("minimum", 0)
    return False if kind == "boolean" else None
