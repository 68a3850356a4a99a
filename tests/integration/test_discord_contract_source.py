"""The committed Discord contract (``bot/data/discord_contract.json``) is exactly what
``scripts/derive_discord_contract.py`` derives today from Discord's OpenAPI description and its
README in ../shared/discord-api-spec, and it keeps what the description says. Skips when
../shared is not beside the checkout (a user's clone has no such folder)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.discord_contract import CONTRACT_FILE, load_contract

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared" / "discord-api-spec"

pytestmark = pytest.mark.skipif(
    not (SOURCE / "openapi.json").is_file(), reason=f"Discord's OpenAPI description not found at {SOURCE}"
)


def derive_module() -> ModuleType:
    """Import scripts/derive_discord_contract.py by path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "derive_discord_contract", REPO / "scripts" / "derive_discord_contract.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_file_is_current_and_deterministic(tmp_path: Path) -> None:
    module = derive_module()
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert module.main(["--source", str(SOURCE), "--out", str(first)]) == 0
    assert module.main(["--source", str(SOURCE), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == CONTRACT_FILE.read_bytes(), "re-run scripts/derive_discord_contract.py and commit"


def test_the_schemas_are_discords_own() -> None:
    """Outside the listed loosenings, each definition is the description's schema minus annotations."""
    spec: dict[str, Any] = json.loads((SOURCE / "openapi.json").read_text(encoding="utf-8"))
    module = derive_module()
    contract = load_contract().data
    loosened = {note["definition"] for note in contract["loosened"]}
    for name, schema in contract["definitions"].items():
        if name not in loosened:
            upstream = module.local_refs(module.strip_annotations(spec["components"]["schemas"][name]))
            assert schema == upstream, name
    assert contract["definitions"]["Int53Type"]["maximum"] == 2**53 - 1


def test_every_extra_limit_quotes_the_readme() -> None:
    readme = " ".join((SOURCE / "README.md").read_text(encoding="utf-8").split())
    for name, entry in load_contract().data["limits"].items():
        assert entry["readme"] in readme, name
