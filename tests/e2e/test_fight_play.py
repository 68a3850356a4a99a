"""A whole fight in `dmbot play`, offline, driven through a pipe: the single local user is both the DM and
the player. Character, campaign, `/dm-combat start|add`, `/combat join`, an attack, a goblin run by the DM,
goblins run by auto mode on `/combat next`, the kills, `/dm-combat end` and the XP on the sheet."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

# Robust to any dice: goblins can't kill a 13 HP dwarf outright (at most 14 damage a hit, so no massive-damage
# death); a heal before auto mode stands Tordek up should the DM's goblin have dropped him (auto mode stops
# once nobody is up: no goblin would act), the heal after brings him back, and 50 damage kills any goblin.
SCRIPT = """\
/character create name:Tordek race:dwarf class:fighter background:acolyte method:standard
1 Athletics, Perception
3
/campaign create name:Goblin Hill
/campaign join
/dm-combat start
/dm-combat add monster:goblin count:2
/combat join
/attack weapon:longsword target:Goblin 1
/dm-combat act monster:Goblin 2 action:Scimitar target:Tordek
/dm heal target:Tordek amount:50
/dm settings auto_monsters:true
/combat next
/combat next
/dm heal target:Tordek amount:50
/dm damage target:Goblin 1 amount:50
/dm damage target:Goblin 2 amount:50
/dm-combat end
/character show
/quit
"""


def test_a_whole_fight_offline(run_play: PlayRun, tmp_path: Path) -> None:
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(local Discord refused" not in out, out
    assert out.count("⚠") == out.count("is already dead."), out  # only a goblin the attack already killed
    assert "✅ Tordek is ready!" in out and "Goblin Hill begins" in out and "Tordek joins" in out
    assert "A fight begins!" in out
    assert "Goblin 1: 7 HP, initiative" in out and "Goblin 2: 7 HP, initiative" in out
    assert re.search(r"Tordek joins the fight\s+┃ Initiative \d+", out)  # Markdown as terminal text
    attack = out.split("> /attack")[1].split("> /dm-combat act")[0]
    assert "Tordek → Goblin 1: Longsword" in attack and re.search(r"To hit \d+ vs AC 15", attack)
    acted = out.split("> /dm-combat act")[1].split("> /dm heal")[0]
    assert "Goblin 2 → Tordek: Scimitar" in acted and "vs AC 18" in acted
    auto = out.split("> /dm settings auto_monsters:true")[1].split("> /dm heal")[0]  # the heal after the fight
    assert "Round 1" in auto
    assert re.search(r"⚔️ Goblin \d → Tordek: Scimitar", auto)  # a goblin acted on its own: auto mode
    kills = out.split("> /dm damage")[1:]
    assert len(kills) == 2 and all("dies" in k or "already dead" in k for k in kills)
    ended = out.split("> /dm-combat end")[1].split("> /character show")[0]
    assert "The fight is over" in ended and "— 100 XP." in ended
    assert "Tordek: 100 XP" in ended  # the whole 2 × 50 XP to the one survivor
    assert "· 100 XP ·" in out.split("> /character show")[1]
    database = sqlite3.connect(tmp_path / "data" / "dmbot.sqlite3")
    assert database.execute("SELECT xp FROM characters WHERE name = 'Tordek'").fetchone()[0] == 100
    assert database.execute("SELECT status FROM combats").fetchone()[0] != "active"
