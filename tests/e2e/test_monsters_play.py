"""Monsters as written in `dmbot play`, offline, through a pipe, three people at one terminal (the DM plays
Tordek; Mara and Brenna play too): a red dragons' lair with Lair Actions at 20, the adult dragon's legendary
actions, a pack of wolves with Pack Tactics, an opportunity attack, and the young dragon's Fire Breath at
the three characters, each with its own save, then its recharge rolled at the start of its turn.

Robust to any dice: no one is attacked before the breath (the dragon's tail and the wolves' bites go at
monsters), and the breath is the last thing that can hurt the characters."""

from __future__ import annotations

import re
from collections.abc import Callable
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

CREATE = (
    "/character create name:{name} race:dwarf class:fighter background:acolyte method:standard\n"
    "1 Athletics, Perception\n3\n"
)
NEXTS = "/combat next\n" * 12
SCRIPT = (
    CREATE.format(name="Tordek")
    + "/campaign create name:Red Lair\n/campaign join\n"
    + "/as Mara\n"
    + CREATE.format(name="Mara")
    + "/campaign join\n"
    + "/as Brenna\n"
    + CREATE.format(name="Brenna")
    + "/campaign join\n"
    + "/as Player\n"
    "/dm-combat start\n"
    "/dm-combat add monster:young-red-dragon\n"
    "/dm-combat add monster:adult-red-dragon\n"
    "/dm-combat add monster:wolf count:3 group:true\n"
    "/dm-combat lair\n"
    "/combat join\n"
    "/as Mara\n/combat join\n/as Brenna\n/combat join\n/as Player\n"
    "/dm-combat move name:Tordek position:1\n"
    "/dm-combat move name:Wolf 1 position:2\n"
    "/combat next\n"
    "/dm-combat act monster:Adult Red Dragon action:Tail Attack target:Wolf 3\n"
    "/combat next\n"
    "/dm-combat act monster:Wolf 2 action:Bite target:Adult Red Dragon\n"
    "/combat opportunity target:Wolf 1 weapon:longsword\n"
    "/dm-combat act monster:Young Red Dragon action:Fire Breath target:Tordek, Mara, Brenna\n"
    + NEXTS
    + "/dm-combat end\n/quit\n"
)


def between(out: str, start: str) -> str:
    return out.split(f"> {start}")[1].split("> /")[0]


def test_a_red_dragons_lair_in_the_terminal(run_play: PlayRun) -> None:
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(local Discord refused" not in out and "Traceback" not in out + result.stderr
    assert "Young Red Dragon: 178 HP" in out and "Lair Actions act on initiative 20" in out
    tail = between(out, "/dm-combat act monster:Adult Red Dragon action:Tail Attack target:Wolf 3")
    assert "Adult Red Dragon → Wolf 3: Tail" in tail and "legendary actions left 2/3" in tail
    bite = between(out, "/dm-combat act monster:Wolf 2 action:Bite target:Adult Red Dragon")
    assert "advantage: Pack Tactics" in bite
    opportunity = between(out, "/combat opportunity target:Wolf 1 weapon:longsword")
    assert "Opportunity attack Tordek → Wolf 1: Longsword" in opportunity, opportunity
    breath = between(out, "/dm-combat act monster:Young Red Dragon action:Fire Breath target:Tordek, Mara, Brenna")
    saves = re.findall(r"(Tordek|Mara|Brenna) (?:succeeds|fails) the DC 17 Dexterity save", breath)
    assert sorted(saves) == ["Brenna", "Mara", "Tordek"], breath
    assert len(set(re.findall(r"16d6 \([^)]*\) = (\d+)", breath))) == 1  # rolled once for all three
    assert "Fire Breath is spent: it recharges on a 5–6." in breath
    assert re.search(r"Young Red Dragon's Fire Breath (recharges|stays spent) \(\d, needed 5–6\)", out)
    assert "legendary actions are back: 3" in out
    assert "The fight is over" in out
