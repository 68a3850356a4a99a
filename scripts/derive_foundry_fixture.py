#!/usr/bin/env python3
"""Derive the repo's Foundry VTT test fixture from ../shared/foundry-heroes (which a user's checkout lacks).

    .venv/bin/python scripts/derive_foundry_fixture.py ../shared/foundry-heroes/randal-human-fighter.json

writes tests/fixtures/foundry/<same name>: the actor unchanged but for the HTML descriptions and the
Foundry bookkeeping (`_stats`, `ownership`, `prototypeToken`, `flags`), which an import never reads, so the
fixture stays small. The source is Foundry VTT's dnd5e system (MIT, see tests/fixtures/foundry/LICENSE.txt;
the game content is SRD 5.1 material under CC-BY-4.0).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DROPPED = ("_stats", "ownership", "prototypeToken", "flags", "folder", "sort")
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "foundry"


def derive(actor: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in actor.items() if k not in DROPPED}
    out["items"] = [_item(i) for i in actor.get("items", [])]
    return out


def _item(item: dict[str, Any]) -> dict[str, Any]:
    item = {k: v for k, v in item.items() if k not in DROPPED}
    system = dict(item.get("system") or {})
    if isinstance(system.get("description"), dict):
        system["description"] = {"value": "", "chat": ""}
    item["system"] = system
    return item


def main(argv: list[str]) -> int:
    for name in argv[1:]:
        source = Path(name)
        target = OUT / source.name
        target.write_text(json.dumps(derive(json.loads(source.read_text())), indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {target} ({target.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
