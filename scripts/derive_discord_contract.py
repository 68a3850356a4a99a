#!/usr/bin/env python3
"""Derive the part of Discord's published API contract that dmbot needs, from Discord's own description.

Source: ``../shared/discord-api-spec/openapi.json`` (Discord's OpenAPI 3.1 description of its HTTP
API, MIT-licensed) and the limits its ``README.md`` lists that the description does not encode.

Why a script: the bot and its tests must run on a checkout without ../shared, so the request-body
schemas of the routes the bot calls are copied into one committed file
(``bot/data/discord_contract.json``): the schemas with their ``$ref``s kept in a local
``definitions`` table, annotations dropped, plus the README's extra limits as data. Output is
deterministic (sorted keys, no whitespace), so re-running gives byte-identical output and a diff
shows exactly what changed upstream. tests/integration/test_discord_contract_source.py checks that.

Each extra limit names the README sentence it comes from; the script refuses to run if a sentence
is no longer in the README (the limit would then be unsourced).

A few places where the description is stricter than what Discord accepts (and what discord.py
sends) are loosened, each listed in ``LOOSENED`` with the reason; they end up under ``loosened``
in the output so a reader sees them.

Usage: ``python scripts/derive_discord_contract.py [--source DIR] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "discord-api-spec"
DEFAULT_OUT = REPO / "bot" / "data" / "discord_contract.json"
SCHEMA_VERSION = 1

Json = dict[str, Any]

# The routes dmbot's code (through discord.py) calls and the local Discord serves, as
# (method, path in the description). Routes without a body (GET, DELETE, typing, reactions) have
# nothing to validate and are not listed.
ROUTES = [
    ("PUT", "/applications/{application_id}/commands"),
    ("POST", "/applications/{application_id}/commands"),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"),
    ("POST", "/applications/{application_id}/guilds/{guild_id}/commands"),
    ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    ("POST", "/channels/{channel_id}/messages"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
    ("POST", "/users/@me/channels"),
]

# Schema keywords that only annotate (and OpenAPI extensions): dropped to keep the file small.
ANNOTATIONS = {"description", "title", "x-discord-union", "example", "examples", "deprecated"}

# Where the description is stricter than Discord's parser. Each: definition name, replacement, why.
LOOSENED: list[tuple[str, Json, str]] = [
    (
        "SnowflakeType",
        {"anyOf": [{"type": "string", "pattern": "^(0|[1-9][0-9]*)$"}, {"type": "integer", "minimum": 0}]},
        "Discord parses a snowflake from a JSON integer as well as a string; discord.py sends integer "
        "ids (attachments[].id is the upload's index).",
    ),
]
LOOSENED_PROPERTIES: list[tuple[str, str, Json, str]] = [
    (
        definition,
        "default_member_permissions",
        {
            "anyOf": [
                {"type": "null"},
                {"type": "integer", "minimum": 0, "maximum": 18014398509481983},
                {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
            ]
        },
        "Discord documents permissions as a string bit set and accepts one; discord.py sends a string.",
    )
    for definition in ("ApplicationCommandCreateRequest", "ApplicationCommandUpdateRequest")
]

# The README's limits that the description does not encode: (name, value, README sentence).
# Names are what bot/discord_contract.py looks up.
EXTRA_LIMITS: list[tuple[str, Any, str]] = [
    ("int53_max", 2**53 - 1, "integers in command options: -(2^53 - 1) .. 2^53 - 1"),
    ("command_name_pattern", r"^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$", "lowercase, `^[-_'\\p{L}"),
    ("description_min", 1, "descriptions 1-100"),
    ("description_max", 100, "descriptions 1-100"),
    ("options_per_level", 25, "at most 25 options per level"),
    ("choices_max", 25, "and 25 choices"),
    ("choice_name_max", 100, "choice names 1-100 characters"),
    ("choice_string_value_max", 100, "string values at most 100"),
    ("autocomplete_with_choices", False, "no choices together with autocomplete"),
    ("string_option_length_max", 6000, "string `min_length`/`max_length` 0..6000"),
    ("global_chat_input_commands_max", 100, "at most 100 global chat-input commands"),
    ("command_total_max", 8000, "names + descriptions + choices of one command at most 8,000 characters"),
    ("content_max", 2000, "content at most 2,000 characters"),
    ("embeds_max", 10, "at most 10 embeds"),
    ("embed_total_max", 6000, "all embeds of a message\n  together 6,000 characters"),
    ("color_max", 0xFFFFFF, "`color` at most 0xFFFFFF"),
    ("attachments_max", 10, "at most 10 attachments"),
    ("action_rows_max", 5, "at most 5 action rows (classic components)"),
    ("select_options_max", 25, "a select alone in its row with 1-25 options"),
    ("select_values_max", 25, "`min_values`/`max_values` 0..25 and\n  not more than its options"),
    ("button_needs_label_or_emoji", True, "a button has a label or an emoji"),
    ("custom_id_max", 100, "a custom_id (1-100 characters) unless it is a\n  link"),
    ("custom_ids_unique", True, "custom_ids unique within a message"),
    ("modal_title_max", 45, "modals: title 1-45 characters"),
    ("text_input_label_max", 45, "text inputs: label at most 45"),
    ("text_input_placeholder_max", 100, "placeholder at most 100"),
    ("text_input_value_max", 4000, "value (prefill) at\n  most 4,000"),
]


def load_source(source: Path) -> tuple[Json, str, str]:
    raw = (source / "openapi.json").read_bytes()
    readme = (source / "README.md").read_text(encoding="utf-8")
    return json.loads(raw), hashlib.sha256(raw).hexdigest(), readme


def strip_annotations(node: Any) -> Any:
    """A copy without annotation keywords. Property *names* such as ``description`` stay: only a
    string-valued annotation is dropped, never a property's schema (a dict)."""
    if isinstance(node, list):
        return [strip_annotations(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept = {}
    for key, value in node.items():
        if key in ANNOTATIONS and not isinstance(value, dict):
            continue
        kept[key] = strip_annotations(value)
    return kept


def local_refs(node: Any) -> Any:
    """Re-point ``#/components/schemas/X`` at ``#/definitions/X`` (the contract's own table)."""
    if isinstance(node, list):
        return [local_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: (value.replace("#/components/schemas/", "#/definitions/") if key == "$ref" else local_refs(value))
        for key, value in node.items()
    }


def referenced(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(referenced(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
    return found.union(*(referenced(v) for k, v in node.items() if k != "$ref"))


def route_schemas(spec: Json) -> dict[str, Json]:
    """``"METHOD /path"`` -> the JSON and multipart body schemas of that route."""
    routes: dict[str, Json] = {}
    for method, path in ROUTES:
        operation = spec["paths"][path][method.lower()]
        content = operation["requestBody"]["content"]
        entry = {"operation": operation["operationId"], "json": content["application/json"]["schema"]}
        if "multipart/form-data" in content:
            entry["multipart"] = content["multipart/form-data"]["schema"]
        routes[f"{method} {path}"] = local_refs(strip_annotations(entry))
    return routes


def definitions(spec: Json, roots: Json) -> dict[str, Json]:
    """Every schema the routes reach, transitively."""
    schemas = spec["components"]["schemas"]
    table: dict[str, Json] = {}
    pending = sorted(referenced(roots))
    while pending:
        name = pending.pop()
        if name in table:
            continue
        table[name] = local_refs(strip_annotations(schemas[name]))
        pending.extend(sorted(referenced(table[name]) - set(table)))
    return table


def loosen(table: dict[str, Json]) -> list[Json]:
    notes = []
    for name, replacement, why in LOOSENED:
        table[name] = replacement
        notes.append({"definition": name, "why": why})
    for name, prop, replacement, why in LOOSENED_PROPERTIES:
        table[name]["properties"][prop] = replacement
        notes.append({"definition": name, "property": prop, "why": why})
    return notes


def extra_limits(readme: str) -> Json:
    flat = " ".join(readme.split())
    limits = {}
    for name, value, sentence in EXTRA_LIMITS:
        if " ".join(sentence.split()) not in flat:
            raise SystemExit(f"README.md no longer says {sentence!r} (limit {name}): update EXTRA_LIMITS")
        limits[name] = {"value": value, "readme": " ".join(sentence.split())}
    return limits


def derive(source: Path) -> Json:
    spec, digest, readme = load_source(source)
    routes = route_schemas(spec)
    table = definitions(spec, routes)
    return {
        "schema_version": SCHEMA_VERSION,
        "source": {
            "file": "discord-api-spec/openapi.json",
            "title": spec["info"]["title"],
            "api_version": spec["info"]["version"],
            "license": spec["info"]["license"]["name"],
            "sha256": digest,
        },
        "routes": routes,
        "definitions": table,
        "loosened": loosen(table),
        "limits": extra_limits(readme),
    }


def render(contract: Json) -> bytes:
    return (json.dumps(contract, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not (args.source / "openapi.json").is_file():
        print(f"no openapi.json in {args.source}", file=sys.stderr)
        return 2
    data = render(derive(args.source))
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
