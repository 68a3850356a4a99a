"""Weapons in the hands through a piped `dmbot play` (issue 12): a two-handed weapon and a shield never
together, a versatile weapon's two-handed die when the other hand is free, ammunition spent by each shot
(refused when none is left) and half of it recovered when the fight ends, thrown weapons gone from the pack
until the fight ends and they are picked up."""

from __future__ import annotations

import re
from collections.abc import Callable
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

SCRIPT = """\
/character create name:Tordek race:dwarf class:fighter background:acolyte method:standard
1 Athletics, Perception
3
/attack weapon:crossbow, light target:goblin
/attack weapon:longsword target:goblin
/character inventory action:unequip item:Shield
/character show
/attack weapon:longsword target:goblin
/attack weapon:longsword target:goblin two_handed:false
/character inventory action:equip item:crossbow, light
/character inventory action:equip item:Shield
/character inventory action:unequip item:crossbow, light
/character inventory action:add item:dagger quantity:2
/campaign create name:Goblin Hill
/campaign join
/dm-combat start
/dm-combat add monster:ogre count:1
/combat join
/attack weapon:crossbow, light target:Ogre
/attack weapon:crossbow, light target:Ogre
/attack weapon:crossbow, light target:Ogre
/attack weapon:crossbow, light target:Ogre
/attack weapon:dagger target:Ogre thrown:true
/attack weapon:dagger target:Ogre thrown:true
/attack weapon:dagger target:Ogre thrown:true
/attack weapon:longsword target:Ogre thrown:true
/character inventory action:remove item:crossbow bolt quantity:16
/attack weapon:crossbow, light target:Ogre
/dm-combat end
/character inventory action:list
1
/quit
"""


def replies(out: str, command: str) -> list[str]:
    return [part.split("\nPlayer> ", 1)[0] for part in out.split(f"> {command}\n")[1:]]


def test_hands_versatile_grips_ammunition_and_thrown_weapons(run_play: PlayRun) -> None:
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    crossbow = replies(out, "/attack weapon:crossbow, light target:goblin")[0]
    assert "Crossbow, light needs both hands and Tordek holds a shield" in crossbow
    with_shield, free, one_hand = replies(out, "/attack weapon:longsword target:goblin")[:2] + replies(
        out, "/attack weapon:longsword target:goblin two_handed:false"
    )
    assert "Longsword +4 · 1d10+2 slashing" in replies(out, "/character show")[0]  # versatile: the free hand
    for text, die in ((with_shield, "d8 ("), (free, "d10 ("), (one_hand, "d8 (")):
        assert die in text or "Natural 1" in text  # a natural 1 rolls no damage
    refused = replies(out, "/character inventory action:equip item:Shield")[0]
    assert "holds Crossbow, light in both hands: unequip it before the shield" in refused
    shots = replies(out, "/attack weapon:crossbow, light target:Ogre")
    assert [re.search(r"🏹 (\d+) crossbow bolts left", s).group(1) for s in shots[:4]] == ["19", "18", "17", "16"]  # type: ignore[union-attr]
    assert "has no crossbow bolts left for the Crossbow, light" in shots[4]
    throws = replies(out, "/attack weapon:dagger target:Ogre thrown:true")
    assert all("Dagger thrown: it is picked up when the fight ends" in t for t in throws[:2])
    assert "isn't carrying a Dagger" in throws[2]  # both daggers are on the floor
    assert "isn't a thrown weapon" in replies(out, "/attack weapon:longsword target:Ogre thrown:true")[0]
    ended = replies(out, "/dm-combat end")[0]
    assert "Tordek recovers 2 × Crossbow bolt" in ended and "Tordek recovers 2 × Dagger" in ended  # half of 4
    listed = out.split("> /character inventory action:list\n", 1)[1]
    assert "Crossbow bolt ×2" in listed and "Dagger ×2" in listed
