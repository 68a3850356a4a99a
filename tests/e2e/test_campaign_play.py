"""A whole short session in `dmbot play`, offline, driven through a pipe: character, campaign, turns with
checks and damage, recap, retcon, export."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

# A wizard has Athletics -1: a DC 25 climb fails by 6 or more whatever the die, so the fall always hurts.
SCRIPT = """\
/character create name:Mira race:Elf class:Wizard background:Acolyte
1 Arcana, Investigation
3
/campaign create name:The Sunken Crypt tone:grim
/campaign join
/dm scene text:A flooded crypt below the chapel, water to the knees.
/narrate action:I search the altar for hidden runes
/narrate action:I climb the slick wall to the bell rope, it is nearly impossible
/narrate action:I sneak past the sleeping ghoul
/recap
/dm retcon
/campaign export
/campaign info
/quit
"""


def test_a_whole_session_offline(run_play: PlayRun, tmp_path: Path) -> None:
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Mira is ready" in out and "The Sunken Crypt begins" in out and "Mira joins" in out
    turns = out.split("> /narrate")[1:]
    assert len(turns) == 3
    assert all("What the dice said" in turn and "narrator: offline" in turn for turn in turns)
    assert re.search(r"Investigation check vs DC \d+", turns[0])
    fall = re.search(r"a bad fall: (\d) bludgeoning damage, HP (\d+) → (\d+)", turns[1])
    assert fall and int(fall[2]) - int(fall[3]) == int(fall[1])  # the damage the engine rolled, on the sheet
    assert "Stealth check" in turns[2]
    recap = out.split("> /recap")[1].split("> /dm retcon")[0]
    assert "The story so far" in recap and "a bad fall" in recap
    assert "Turn 3 is retconned" in out
    assert "The campaign, as Markdown and JSON" in out
    exported = sorted(p.name for p in (tmp_path / "data" / "exports").iterdir())
    assert exported == ["the-sunken-crypt.json", "the-sunken-crypt.md"], exported  # saved, and their paths printed
    assert all(f"saved data/exports/{name}" in out for name in exported)
    assert "Mira" in (tmp_path / "data" / "exports" / "the-sunken-crypt.md").read_text()
    assert "(local Discord refused" not in out
    database = sqlite3.connect(tmp_path / "data" / "dmbot.sqlite3")
    hp = database.execute("SELECT hp_current, hp_max FROM characters WHERE name = 'Mira'").fetchone()
    assert hp[0] == hp[1] - int(fall[1])  # turn 3 (no damage) retconned; the fall of turn 2 stands
    kinds = [row[0] for row in database.execute("SELECT kind FROM campaign_events WHERE retconned ORDER BY id")]
    assert kinds[0] == "action" and "narration" in kinds and "check" in kinds
    events = database.execute("SELECT data FROM campaign_events WHERE kind = 'damage'").fetchall()
    assert json.loads(events[0][0])["rule"] == "consequence"
