"""SRD magic items with plain numbers through a piped `dmbot play` (issue 12): a wizard awarded a Cloak and a
Ring of Protection has AC 12 and her saves until she attunes to them, then AC 14 and every save +2, on the
sheet and in a /save; the sheet says what each item does. A +1 dagger attacks at +1 to hit and damage, a
+1 shield adds 3 AC."""

from __future__ import annotations

import re
from collections.abc import Callable
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

SCRIPT = """\
/character create name:Kira race:human class:wizard background:acolyte method:standard
1 Arcana, History
3
/campaign create name:Tower
/campaign join
/dm award item target:Kira item:Cloak of Protection
/dm award item target:Kira item:Ring of Protection
/character show
/character inventory action:attune item:Cloak of Protection
/character inventory action:attune item:Ring of Protection
/character show
/save ability:wis
/character inventory action:list
/dm award item target:Kira item:+1 dagger
/dm award item target:Kira item:Shield, +1
/character inventory action:equip item:Shield, +1
/attack weapon:Dagger, +1 target:goblin
/dm-combat start
/dm-combat add monster:Goblin
/combat join
/combat status
/quit
"""


def replies(out: str, command: str) -> list[str]:
    parts = out.split(f"> {command}\n")[1:]
    return [p.split("\nPlayer> ", 1)[0] for p in parts]


def saves(sheet: str) -> list[int]:
    line = sheet.split("Saves\n", 1)[1].splitlines()[0]
    return [int(n) for n in re.findall(r"[A-Z]{3} ([+-]\d+)", line)]


def test_magic_items_count_on_the_sheet_in_saves_attacks_and_fights(run_play: PlayRun) -> None:
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    before, after = replies(out, "/character show")
    assert "AC 12 ·" in before and "Magic items at work" not in before
    assert "AC 14 ·" in after
    assert saves(after) == [s + 2 for s in saves(before)]
    assert "Cloak of Protection: +1 AC, +1 saves" in after and "Ring of Protection: +1 AC, +1 saves" in after
    assert "AC 12 → 13" in replies(out, "/character inventory action:attune item:Cloak of Protection")[0]
    wis = saves(after)[4]
    assert re.search(rf"1d20 \(\d+\) \+ {wis} = \d+", replies(out, "/save ability:wis")[0])
    listing = replies(out, "/character inventory action:list")[0]
    assert "Cloak of Protection · attuned" in listing and "+1 AC, +1 saves (attuned)" in listing

    # a +1 dagger and a +1 shield
    assert "🎁 The DM awards 1 × Dagger, +1 to Kira." in out
    assert "AC 14 → 17" in replies(out, "/character inventory action:equip item:Shield, +1")[0]
    attack = replies(out, "/attack weapon:Dagger, +1 target:goblin")[0]
    assert re.search(r"\+ 5 = \d+", attack) and re.search(r"1d4 \(\d\) \+ 3 = \d+ ?", attack)

    # the fight sees them all
    assert re.search(r"Kira · ❤️ 8/8 · AC 17\b", replies(out, "/combat status")[0])  # 12 + cloak, ring, shield +1
