"""Homebrew typed in `dmbot play`: a local JSON file added to the server, shown, exported to ./data/exports/."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

PlayRun = Callable[..., CompletedProcess[str]]
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_add_show_and_export_homebrew_from_the_terminal(run_play: PlayRun, tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "bog-hag.json", tmp_path / "bog-hag.json")
    (tmp_path / "broken.json").write_text('{"kind": "monster", "name": "Blob"}')
    script = (
        "/homebrew add file:bog-hag.json scope:server\n"
        "/homebrew add file:broken.json scope:server\n"
        "/homebrew show name:Bog Hag\n"
        "/homebrew export scope:server\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1 homebrew added to this server" in out and "monster: Bog Hag" in out
    assert "monster Blob needs ac. See docs/HOMEBREW.md." in out  # piped: Markdown as plain text
    assert "AC 15 · HP 52 (8d8+16) · CR 3" in out and "Claws: +5 to hit, 2d6+3 slashing" in out
    assert "📎 saved data/exports/homebrew-server.json" in out
    bundle = json.loads((tmp_path / "data" / "exports" / "homebrew-server.json").read_text())
    assert bundle["format"] == "dmbot-homebrew" and bundle["entries"][0]["name"] == "Bog Hag"
