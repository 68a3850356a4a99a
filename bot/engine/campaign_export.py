"""A campaign as files: what one reader may see of it, as Markdown for people and JSON for programs.

The campaign service reads the records (filtered by the reader's audience); this module only lays them out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bot.engine.campaign_info import CampaignInfo
from bot.engine.events import EventLine
from bot.engine.sheet import Sheet
from bot.engine.visibility import Viewer, label


@dataclass(frozen=True)
class Export:
    stem: str
    markdown: str
    json: str


def campaign_export(
    info: CampaignInfo,
    viewer: Viewer,
    canon: Sequence[str],
    npcs: Sequence[tuple[str, str, str, str]],
    party: Sequence[Sheet],
    events: Sequence[EventLine],
    stamps: dict[int, datetime],
) -> Export:
    """The files of an export: the DM's hold the narrator's settings and NPC secrets, nobody else's do."""
    party_lines = [f"{s.name}: level {s.level}, HP {s.hp_current}/{s.hp_max}, XP {s.xp}" for s in party]
    markdown = _markdown(info, canon, npcs, party_lines, events)
    about: dict[str, Any] = {
        "id": info.id,
        "name": info.name,
        "tone": info.tone,
        "setting": info.setting,
        "dm_id": str(info.dm_id),
        "scene": info.scene.to_json(),
        "summary": info.summary,
        "safety": asdict(info.safety),
    }
    if viewer.is_dm:
        about["settings"] = info.settings.to_json()
    data = {
        "campaign": about,
        "exported_for": label(viewer.role),
        "canon": canon,
        "npcs": [
            {"name": n, "role": r, "description": d, **({"secret": x} if viewer.is_dm else {})} for n, r, d, x in npcs
        ],
        "party": [
            {
                "id": s.id,
                "name": s.name,
                "owner_id": str(s.owner_id),
                "level": s.level,
                "hp": s.hp_current,
                "xp": s.xp,
            }
            for s in party
        ],
        "events": [
            {
                "id": e.id,
                "turn_id": e.turn_id,
                "kind": e.kind,
                "text": e.text,
                "retconned": e.retconned,
                "at": stamps[e.id].isoformat() if stamps.get(e.id) else None,
            }
            for e in events
        ],
    }
    stem = "-".join("".join(c if c.isalnum() else " " for c in info.name.lower()).split())[:40] or "campaign"
    return Export(stem, markdown, json.dumps(data, indent=2, ensure_ascii=False))


def _markdown(
    info: CampaignInfo,
    canon: Sequence[str],
    npcs: Sequence[tuple[str, str, str, str]],
    party: Sequence[str],
    events: Sequence[EventLine],
) -> str:
    out = [f"# {info.name}", ""]
    if info.tone or info.setting:
        out += [f"*{info.tone}*" if info.tone else "", info.setting, ""]
    out += ["## Scene", f"{info.scene.location or '(not set)'}: {info.scene.description}".strip(), ""]
    out += ["## Party", *(f"- {p}" for p in party or ["(nobody yet)"]), ""]
    out += ["## Canon", *(f"- {c}" for c in canon or ["(none pinned)"]), ""]
    out += [
        "## NPCs",
        *(
            f"- **{n}**" + (f" ({r})" if r else "") + (f": {d}" if d else "") + (f" *Secret (yours):* {x}" if x else "")
            for n, r, d, x in npcs
        ),
        "",
    ]
    out += ["## Story so far", info.summary or "(no summary yet)", "", "## Event log", ""]
    for event in events:
        line = f"{event.id}. [{event.kind}] {event.text}"
        out.append(f"- ~~{line}~~ *(retconned)*" if event.retconned else f"- {line}")
    return "\n".join(out) + "\n"
