"""Levelling through a piped `dmbot play` with a DM and a player at one keyboard (issues 12 and 13): outside a
campaign a character levels only as its XP allows; the DM's levelling mode (XP or milestones) is a campaign
setting; `/dm allow-levelup` (which the refusal text names) lets a character up; a character joining a
campaign above the level it may have there (its start level, its XP, the DM's allowances) waits for the DM."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from bot import help_catalog

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

ALLOW_EXAMPLE = "/dm allow-levelup target:party"
MODE_EXAMPLE = "/dm settings levelling:milestone"  # docs/DM_GUIDE.md, "Running a session today"
DM_GUIDE = (Path(__file__).parents[2] / "docs" / "DM_GUIDE.md").read_text(encoding="utf-8")

SCRIPT = f"""\
/character create name:Tordek race:dwarf class:fighter background:acolyte method:standard
1 Athletics, Perception
3
/character levelup
/as Mara
/campaign create name:Goblin Hill
{MODE_EXAMPLE}
/as Player
/campaign join
/as Mara
/dm award xp target:Tordek amount:100
/as Player
/character levelup
/as Mara
{ALLOW_EXAMPLE}
/as Player
/character levelup
/character levelup
/campaign leave
/character levelup
/campaign join
/as Mara
/dm end
1
/campaign create name:Second Hill
/as Player
/campaign join
/as Mara
/dm pending
/dm approve
/as Player
/campaign join
/quit
"""


def reply_to(out: str, command: str, nth: int = 1) -> str:
    return out.split(f"> {command}\n")[nth].split("\nPlayer> ")[0].split("\nMara> ")[0]


def test_levels_follow_xp_the_dms_mode_and_approval(run_play: PlayRun, tmp_path: Path) -> None:
    assert ALLOW_EXAMPLE in {e.example for e in help_catalog.CATALOG} and f"`{MODE_EXAMPLE}`" in DM_GUIDE
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    alone = reply_to(out, "/character levelup", 1)
    assert "Tordek has 0 XP; level 2 needs 300. Outside a campaign a character levels as its XP allows" in alone
    assert "levels by milestones" in reply_to(out, "/character levelup", 2)  # the DM decides, whatever the XP
    assert "Tordek may go up to level 2 with /character levelup." in reply_to(out, ALLOW_EXAMPLE)
    assert "Tordek reaches level 2!" in reply_to(out, "/character levelup", 3)
    assert "levels by milestones" in reply_to(out, "/character levelup", 4)  # one level per allowance
    outside = reply_to(out, "/character levelup", 5)
    assert "level 3 needs 900" in outside  # left the campaign: XP rules again, 100 is not enough
    assert "Tordek joins Goblin Hill." in reply_to(out, "/campaign join", 2)  # the DM allowed level 2 here
    waits = reply_to(out, "/campaign join", 3)
    assert "Tordek (level 2) joins Second Hill above the level it may have here: 1" in waits
    assert "/dm approve id:" in waits
    assert "#1 Tordek (level 2) joins Second Hill" in reply_to(out, "/dm pending")
    assert "Tordek: joins the party at level 2" in reply_to(out, "/dm approve")
    assert "already plays in Second Hill" in reply_to(out, "/campaign join", 4)
    database = sqlite3.connect(tmp_path / "data" / "dmbot.sqlite3")
    level, xp = database.execute("SELECT level, xp FROM characters WHERE name = 'Tordek'").fetchone()
    assert (level, xp) == (2, 100)
