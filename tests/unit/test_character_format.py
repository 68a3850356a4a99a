"""docs/CHARACTER_FORMAT.md against the code: every field of the file's schema documented (and no field
documented that the schema lacks), and the page's example a file that imports and exports unchanged."""

from __future__ import annotations

import re
from pathlib import Path

from bot.data.srd import load_srd
from bot.engine.character_export import SCHEMA, export_bytes, to_export
from bot.engine.character_import import read_upload

DOC = Path(__file__).resolve().parents[2] / "docs" / "CHARACTER_FORMAT.md"


def section(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split(f"<!-- {name}:start -->")[1].split(f"<!-- {name}:end -->")[0]


def test_every_field_of_the_schema_is_documented_and_no_other() -> None:
    documented = re.findall(r"^\| `(\w+)` \|", section("fields"), flags=re.MULTILINE)
    assert documented == list(SCHEMA["properties"]), "the table's fields, in the file's order"
    optional = re.findall(r"^\| `(\w+)` \| optional:", section("fields"), flags=re.MULTILINE)
    assert set(SCHEMA["required"]) == set(documented) - set(optional)


def test_the_documented_custom_keys_are_the_schemas() -> None:
    row = next(line for line in section("fields").splitlines() if line.startswith("| `custom` |"))
    named = set(re.findall(r"`(\w+)`", row)) - {"custom", "race", "name", "quantity"}
    assert named | {"race"} == set(SCHEMA["properties"]["custom"]["properties"])


def test_the_example_imports_and_exports_byte_for_byte() -> None:
    example = section("example").split("```json\n")[1].split("```")[0]
    draft = read_upload(example.encode(), load_srd(), guild_id=1, owner_id=2)
    assert export_bytes(draft.sheet).decode() == example
    assert to_export(draft.sheet)["custom"]["race"] == "Variant Human"
