"""`/character import` and `/character export` typed in `dmbot play`: a local file attached by its path,
the exported file saved under ./data/exports/ and imported again by another player."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

PlayRun = Callable[..., CompletedProcess[str]]
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "foundry" / "randal-human-fighter.json"
PYTHON_ERRORS = ("Traceback", "invalid literal", "Error:", "NoneType", "object has no attribute")


def test_import_a_foundry_file_export_it_and_import_it_again(run_play: PlayRun, tmp_path: Path) -> None:
    (tmp_path / "heroes").mkdir()
    shutil.copy(FIXTURE, tmp_path / "heroes" / "randal.json")
    script = (
        "/character import file:heroes/randal.json\n"
        "1\n"  # Confirm
        "/character export\n"
        "/as bob\n"
        "/character import file:data/exports/Randal-Human-Fighter.dmbot.json\n"
        "1\n"
        "/character show\n"
        "/character import file:heroes/nothere.json\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not any(text in out for text in PYTHON_ERRORS), out
    first, second = out.split("bob> /character import file:data/exports/")
    assert "Import from Foundry VTT dnd5e: Randal (Human Fighter)" in first and "[1] Confirm" in first
    assert "AC: the file gives 19, the sheet 18" in first
    assert "✅ Randal (Human Fighter) is imported" in first
    assert "📎 saved data/exports/Randal-Human-Fighter.dmbot.json" in first
    exported = json.loads((tmp_path / "data" / "exports" / "Randal-Human-Fighter.dmbot.json").read_text())
    assert exported["custom"] == {"source": "Foundry VTT dnd5e", "race": "Variant Human", "background": "Watchman",
                                  "features": ["Defense"]}  # fmt: skip
    assert "Import from dmbot: Randal (Human Fighter)" in second and "Every field: a dmbot character file" in second
    assert "✅ Randal (Human Fighter) is imported" in second
    assert "Custom (outside the SRD, brought by an import)" in second.split("/character show")[1]
    assert "there is no file 'heroes/nothere.json'" in out
