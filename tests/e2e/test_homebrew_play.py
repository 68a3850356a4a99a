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


def test_homebrew_items_spells_and_a_legendary_monster_from_the_terminal(run_play: PlayRun, tmp_path: Path) -> None:
    for name in ("homebrew-kit.json", "mire-wyrm.json"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    script = (
        "/character create name:Aoth race:human class:druid background:acolyte method:standard\n"
        "1 Nature, Survival\n3\n"
        "/campaign create name:The Grove\n/campaign join\n"
        "/homebrew add file:homebrew-kit.json\n/homebrew add file:mire-wyrm.json\n"
        "/dm award item target:Aoth item:Thornblade\n/dm award item target:Aoth item:Barkskin Mail\n"
        "/character inventory action:equip item:Barkskin Mail\n/character show\n"
        "/spell prepare spell:Mud Grasp\n"
        "/dm-combat start\n/dm-combat add monster:Mire Wyrm\n"
        "/dm-combat add monster:Goblin hit_points:90\n/combat join\n"  # it lives through all of it
        "/dm-combat move name:Aoth initiative:20\n/dm-combat move name:Goblin initiative:10\n"
        "/dm-combat move name:Mire Wyrm initiative:5\n"
        "/combat next\n/cast spell:Mud Grasp targets:Goblin\n"
        "/dm-combat act monster:Mire Wyrm action:Tail Lash target:Goblin\n"
        "/combat next\n/combat next\n"
        "/dm-combat act monster:Mire Wyrm action:Bog Breath target:Goblin\n"
        "/dm-combat act monster:Mire Wyrm action:Bog Breath target:Goblin\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "🎁 The DM awards 1 × Thornblade to Aoth." in out and "Equipped Barkskin Mail." in out
    assert "Thornblade +5 · 1d8+3 slashing + 1d4 poison" in out  # finesse: Dex +2, its +1 to hit and damage
    assert "Aoth prepares Mud Grasp" in out and "Aoth casts Mud Grasp (level-1 slot)" in out
    assert "Mire Wyrm: Tail Lash — legendary actions left 2/3." in out
    assert "Mire Wyrm's legendary actions are back: 3." in out
    assert "Bog Breath is spent: it recharges on a 5–6." in out
    assert "Mire Wyrm's Bog Breath isn't recharged" in out
