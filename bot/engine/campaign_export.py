"""A campaign as files: what one reader may see of it, as Markdown for people and JSON for programs.

The campaign service reads the records (filtered by the reader's audience) and hands the event log over a
page at a time; this module lays them out straight into two files on disk, so memory stays flat however
long the log is. Each page is formatted and written in a worker thread (`ExportWriter.add` is sync and
the service calls it through `asyncio.to_thread`), so a big export never stalls the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from bot.engine.campaign_info import CampaignInfo
from bot.engine.events import EventLine
from bot.engine.sheet import Sheet
from bot.engine.visibility import Viewer, event_audience, label
from bot.errors import InvalidInput


@dataclass(frozen=True)
class ExportRow:
    """One stored event as the export reads it (a plain row, no ORM object)."""

    id: int
    turn_id: int | None
    kind: str
    text: str
    data: dict[str, Any] | None
    retconned: bool
    created_at: datetime | None


@dataclass(frozen=True)
class ExportFiles:
    stem: str
    files: tuple[tuple[str, Path], ...]  # (the name it is uploaded as, where it is on disk)
    size: int  # bytes of all files
    events: int  # events written


class ExportTooLarge(InvalidInput):
    """The files would pass the host's cap (EXPORT_MAX_MB)."""


def too_large(cap: int) -> str:
    return (
        f"This campaign's export would pass {cap // 2**20} MiB, the most this bot sends (Discord takes "
        f"{10} MiB a message, so that is already several messages). The host can raise EXPORT_MAX_MB; "
        "`/recap` and `/dm canon` show the story without the whole log."
    )


def stem_of(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())[:40] or "campaign"


class ExportWriter:
    """Both files of one export, written as the pages of the log arrive; `ExportTooLarge` past `cap` bytes."""

    def __init__(self, folder: Path, info: CampaignInfo, viewer: Viewer, cap: int) -> None:
        self.info = info
        self.viewer = viewer
        self.cap = cap
        self.stem = stem_of(info.name)
        self.md_path = folder / f"{self.stem}.md"
        self.json_path = folder / f"{self.stem}.json"
        self._md: IO[str] = self.md_path.open("w", encoding="utf-8")
        self._json: IO[str] = self.json_path.open("w", encoding="utf-8")
        self.size = 0
        self.events = 0

    def begin(self, canon: Sequence[str], npcs: Sequence[tuple[str, str, str, str]], party: Sequence[Sheet]) -> None:
        """The head of both files: the campaign, the party, canon and NPCs (secrets and settings for the DM only)."""
        party_lines = [f"{s.name}: level {s.level}, HP {s.hp_current}/{s.hp_max}, XP {s.xp}" for s in party]
        self._write(self._md, _markdown_head(self.info, canon, npcs, party_lines))
        info, viewer = self.info, self.viewer
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
        head = {
            "campaign": about,
            "exported_for": label(viewer.role),
            "canon": list(canon),
            "npcs": [
                {"name": n, "role": r, "description": d, **({"secret": x} if viewer.is_dm else {})}
                for n, r, d, x in npcs
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
            "events": [],
        }
        text = json.dumps(head, indent=2, ensure_ascii=False)
        self._write(self._json, text[: text.rindex("[]")] + "[")  # the events list stays open for the pages

    def add(self, rows: Sequence[ExportRow]) -> None:
        """One page of the log (oldest first): the events this reader may see, appended to both files."""
        md: list[str] = []
        js: list[str] = []
        for row in rows:
            event = EventLine(
                row.id, row.kind, row.text, row.turn_id, row.retconned, event_audience(row.kind, row.turn_id, row.data)
            )
            if event.retconned or not self.viewer.sees(event.audience):  # a retconned turn never happened
                continue
            md.append(_markdown_line(event))
            item = {
                "id": event.id,
                "turn_id": event.turn_id,
                "kind": event.kind,
                "text": event.text,
                "retconned": event.retconned,
                "at": row.created_at.isoformat() if row.created_at else None,
            }
            js.append(("," if self.events else "") + "\n" + _indented(json.dumps(item, indent=2, ensure_ascii=False)))
            self.events += 1
        if md:
            self._write(self._md, "\n".join(md) + "\n")
            self._write(self._json, "".join(js))

    def end(self) -> ExportFiles:
        self._write(self._json, ("\n  " if self.events else "") + "]\n}")
        self.close()
        files = ((f"{self.stem}.md", self.md_path), (f"{self.stem}.json", self.json_path))
        return ExportFiles(self.stem, files, self.size, self.events)

    def close(self) -> None:
        self._md.close()
        self._json.close()

    def _write(self, file: IO[str], text: str) -> None:
        self.size += len(text.encode())
        if self.size > self.cap:
            raise ExportTooLarge(too_large(self.cap))
        file.write(text)


def _indented(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _markdown_line(event: EventLine) -> str:
    line = f"{event.id}. [{event.kind}] {event.text}"
    return f"- ~~{line}~~ *(retconned)*" if event.retconned else f"- {line}"


def _markdown_head(
    info: CampaignInfo,
    canon: Sequence[str],
    npcs: Sequence[tuple[str, str, str, str]],
    party: Sequence[str],
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
    return "\n".join(out) + "\n"
