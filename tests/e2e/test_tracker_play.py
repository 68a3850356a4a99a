"""The tracker's DM tools in `dmbot play`, offline, through a pipe (the one local user is DM and player): a
pack of wolves as a group, a generic Collapsing Bridge, Lair Actions, move/prev/skip/delay/ready, Bless on an
attack, a custom effect ticking down and expiring, rerolling every round."""

from __future__ import annotations

import re
from collections.abc import Callable
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

# Robust to any dice: Tordek is moved to the top, so round 1 opens on his turn; the Stone Skin lasts two of the
# wolves' turns, and the `/combat next`s below pass them at least twice (the order has five entries).
SCRIPT = """\
/character create name:Tordek race:dwarf class:fighter background:acolyte method:standard
1 Athletics, Perception
3
/campaign create name:Wolf Bridge
/campaign join
/dm-combat start
/dm-combat add monster:wolf count:3 group:true
/dm-combat add name:Collapsing Bridge hit_points:25 ac:12 attacks:Stones DC 12 dex 2d6 half
/dm-combat lair
/combat join
/dm-combat move name:Tordek position:1
/combat next
/dm-combat effect do:add target:Tordek effect:Bless
/dm-combat effect do:add target:Wolf 1 effect:Stone Skin rounds:2 ac:2 resist:slashing
/attack weapon:longsword target:Wolf 1
/combat delay
/combat ready
/combat next
/dm-combat prev
/dm-combat skip
/dm-combat skip rest_of_round:true
/combat next
/combat next
/combat next
/combat next
/combat next
/combat next
/combat next
/combat next
/combat next
/combat next
/dm-combat reroll every_round:true
/dm-combat end
/quit
"""


def between(out: str, start: str, end: str) -> str:
    return out.split(f"> {start}")[1].split("> /")[0] if end == "" else out.split(f"> {start}")[1].split(f"> {end}")[0]


def test_the_tracker_tools_offline(run_play: PlayRun) -> None:
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(local Discord refused" not in out, out
    assert "⚠" not in out, out
    assert all(f"Wolf {n}: 11 HP, initiative" in out for n in (1, 2, 3))
    assert "Collapsing Bridge: 25 HP" in out
    assert "Lair Actions act on initiative 20" in out
    assert "Tordek moves." in between(out, "/dm-combat move", "")
    assert "It's Tordek's turn" in between(out, "/combat next", "")
    assert "Tordek: Bless (10 rounds) — +1d4 attack, +1d4 save." in out
    assert "Wolf 1: Stone Skin (2 rounds) — AC +2, resists slashing." in out
    attack = between(out, "/attack weapon:longsword target:Wolf 1", "")
    assert re.search(r"vs AC 15: .*\+ Bless", attack), attack  # 13 + Stone Skin's 2; Bless's die rolled
    assert "Tordek holds their turn." in out and "Back in the order." in out
    assert "Back one turn." in out and "Skipped." in out
    assert "Ended: Wolf 1: Stone Skin." in out
    assert "Rerolling every round: on." in out
    assert "The fight is over" in out
