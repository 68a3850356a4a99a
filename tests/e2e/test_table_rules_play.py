"""The rules a table meets on its first evening, through a piped `dmbot play` (issue 12): rests that say only
what happened, timed conditions that count down beside untimed ones, death saves rolled once a turn as the
dying character's turn starts, healing that wakes the dying, and the dead staying dead until `/dm revive`."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

CREATE = """\
/character create name:Tordek race:dwarf class:fighter background:acolyte method:standard
1 Athletics, Perception
3
/campaign create name:Goblin Hill
/campaign join
"""


def between(out: str, start: str, end: str | None = None) -> str:
    """The output of the command typed as `start` (up to the command `end`)."""
    part = out.split(f"> {start}\n", 1)[1]
    return part.split(f"> {end}\n", 1)[0] if end else part.split("\nPlayer> ", 1)[0]


def test_rests_say_only_what_happened(run_play: PlayRun) -> None:
    script = CREATE + (
        "/character rest kind:short dice:1\n"
        "/character rest kind:long\n"
        "/dm damage target:Tordek amount:5\n"
        "/character rest kind:short dice:1\n"
        "/dm condition add target:Tordek condition:poisoned rounds:1\n"
        "/character rest kind:long\n"
        "/dm damage target:Tordek amount:5\n"
        "/dm heal target:Tordek amount:3\n"
        "/quit\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    full = between(out, "/character rest kind:short dice:1")
    assert "at full HP (14/14)" in full and "Hit dice left" not in full  # refused: nothing to heal
    rested = between(out, "/character rest kind:long")
    assert "nothing needed recovering" in rested and "Regained" not in rested and "spell slot" not in rested
    spent = out.split("> /character rest kind:short dice:1\n")[2].split("Player> ")[0]
    assert re.search(r"Spent 1 hit die: 1d10 \(\d+\) \+ 3 = \d+", spent) and "hit dice:" not in spent
    long = out.split("> /character rest kind:long\n")[2].split("Player> ")[0]
    assert "Regained 1 hit die." in long and "every spell slot" not in long and "1 hit dice" not in long
    assert "for 1 round." in out and "for 1 rounds" not in out
    healed = between(out, "/dm heal target:Tordek amount:3")
    assert "💚 Tordek is back to 12/14 HP." in healed and "💚 💚" not in healed  # one heart, not two


def test_timed_conditions_count_down_beside_untimed_ones(run_play: PlayRun) -> None:
    script = CREATE + (
        "/dm-combat start\n"
        "/dm-combat add monster:goblin count:1\n"
        "/combat join\n"
        "/dm condition add target:Goblin condition:prone\n"
        "/dm condition add target:Goblin condition:frightened rounds:2\n"
        "/dm condition add target:Tordek condition:prone\n"
        "/dm condition add target:Tordek condition:frightened rounds:2\n" + "/combat next\n" * 6 + "/quit\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Ended: Goblin: frightened." in out or "Goblin: frightened, " in out, out
    assert re.search(r"Ended: (.*, )?Tordek: frightened", out), out
    assert "Goblin: prone" not in out and "Tordek: prone" not in out  # the untimed ones stay


def test_death_saves_once_a_turn_heal_wakes_the_dead_wait_for_the_dm(run_play: PlayRun, tmp_path: Path) -> None:
    script = CREATE + (
        "/dm-combat start\n"
        "/dm-combat add monster:goblin count:1\n"
        "/combat join\n"
        "/dm damage target:Tordek amount:14\n"
        "/deathsave\n" + "/combat next\n" * 3 + "/character show\n"
        "/dm heal target:Tordek amount:3\n"
        "/dm damage target:Tordek amount:40\n"
        "/character show\n"
        "/dm heal target:Tordek amount:5\n"
        "/dm revive target:Tordek\n"
        "/dm-combat end\n"
        "/dm damage target:Tordek amount:1\n"
        "/deathsave\n"
        "/deathsave\n"
        "/quit\n"
    )
    result = run_play(script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    refused = between(out, "/deathsave")
    assert "is in a fight: the death save is rolled for them at the start of each of their turns" in refused
    turns = out.split("> /deathsave\n", 1)[1].split("> /character show\n", 1)[0]
    saves = re.findall(r"💀 Tordek's death save: \d+ — ", turns)
    tordek_turns = turns.count("It's Tordek's turn")
    assert tordek_turns >= 1 and len(saves) == tordek_turns  # one save a turn, as the turn starts
    database = sqlite3.connect(tmp_path / "data" / "dmbot.sqlite3")
    logged = database.execute("SELECT COUNT(*) FROM roll_log WHERE label = 'Tordek: death save'").fetchone()[0]
    assert logged == len(saves)  # the engine's death saves are in the roll log like every roll
    healed = between(out, "/dm heal target:Tordek amount:3")
    if "back up with **1 HP**" in turns or "back up with 1 HP" in turns:  # a natural 20 woke him already
        assert "4/14 HP" in healed
    elif "three failures: dead" in turns:  # a natural 1 and a failure: dead before any healing
        assert "/dm revive" in healed
    else:
        assert "Dying at 0 HP" in between(out, "/character show")
        assert "is back to 3/14 HP" in healed  # healing wakes the dying
    dead = out.split("> /character show\n")[2].split("Player> ")[0]
    assert "💀 Dead: only a spell or the DM's /dm revive brings them back." in dead
    assert "/dm revive" in between(out, "/dm heal target:Tordek amount:5")  # the dead aren't healed
    assert "✨ Tordek is back with 1 HP." in between(out, "/dm revive target:Tordek")
    outside = out.split("> /dm damage target:Tordek amount:1\n")[1]
    assert re.search(r"Tordek — death save: \d+", outside)  # outside a fight, /deathsave rolls


def test_a_gain_waiting_for_the_dm_is_news_not_a_warning(run_play: PlayRun) -> None:
    """In a campaign a player's own gain waits for the DM: said as "⏳ Asked the DM…", not "⚠️ ⏳ Asked…"
    (the error boundary marked every refusal ⚠️, even one the engine had marked itself)."""
    script = CREATE.replace(
        "/campaign create name:Goblin Hill\n", "/as Dana\n/campaign create name:Goblin Hill\n/as Player\n"
    )
    result = run_play(script + "/character inventory action:add item:Greataxe\n/quit\n")
    out = result.stdout
    asked = between(out, "/character inventory action:add item:Greataxe")
    assert "⏳ Asked the DM: 1 × Greataxe for Tordek" in asked and "⚠️" not in asked, asked


def test_the_sheet_shows_what_is_attuned(run_play: PlayRun) -> None:
    """An attuned magic item leads the sheet's inventory, marked (it was lost among 20 items, unmarked)."""
    script = CREATE + (
        "/dm award item target:Tordek item:Cloak of Protection\n"
        "/character inventory action:attune item:Cloak of Protection\n/character show\n/quit\n"
    )
    out = run_play(script).stdout
    sheet = between(out, "/character show")
    assert "Cloak of Protection *(attuned)*" in sheet or "Cloak of Protection (attuned)" in sheet, sheet
    assert sheet.index("Cloak of Protection") < sheet.index("Backpack"), sheet


def test_a_potion_in_a_fight_is_drunk_on_its_drinkers_turn(run_play: PlayRun) -> None:
    """Drinking a potion takes an action: in a fight, on the character's own turn, as an attack is (it was
    drunk before round 1 and on a goblin's turn)."""
    script = CREATE.replace(
        "/campaign create name:Goblin Hill\n", "/as Dana\n/campaign create name:Goblin Hill\n/as Player\n"
    )
    script += (
        "/as Dana\n/dm award item target:Tordek item:potion of healing quantity:3\n/dm damage target:Tordek amount:6\n"
        "/dm-combat start\n/dm-combat add monster:goblin\n/as Player\n/combat join\n"
        "/character use-item item:Potion of Healing\n"  # before round 1: refused
        "/as Dana\n/dm-combat move name:Goblin position:1\n/combat next\n"
        "/as Player\n/character use-item item:Potion of Healing\n"  # the goblin's turn: refused
        "/as Dana\n/combat next\n/as Player\n/character use-item item:Potion of Healing\n/quit\n"  # Tordek's turn
    )
    out = run_play(script).stdout
    early, on_goblins, on_his = out.split("> /character use-item item:Potion of Healing")[1:4]
    assert "The fight hasn't started" in early.split("> ", 1)[0], early
    assert "It's Goblin's turn; Tordek uses it on their own turn." in on_goblins.split("> ", 1)[0], on_goblins
    assert "Tordek drinks a Potion of Healing" in on_his.split("> ", 1)[0], on_his
