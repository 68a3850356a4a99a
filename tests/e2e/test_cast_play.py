"""`/cast` in `dmbot play`, offline, through a pipe (the one local user is the DM and the player): a level-1
wizard's Mage Armor outside a fight (AC on the sheet: 13 + DEX), then a fight: Fire Bolt, Magic Missile on two goblins,
slots running out, and a long rest restoring them (and ending the 8-hour Mage Armor)."""

from __future__ import annotations

import re
from collections.abc import Callable
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

SCRIPT = """\
/character create name:Mira race:Elf class:Wizard background:Acolyte
1 Arcana, History
5 Fire Bolt, Light, Mage Hand
6 Detect Magic, Burning Hands
7 Magic Missile, Mage Armor, Shield, Sleep
3
/spell prepare spell:Magic Missile
/spell prepare spell:Mage Armor
/spell prepare spell:Sleep
/character show
/cast spell:Mage Armor
/character show
/campaign create name:Tower
/campaign join
/dm combat start
/dm combat add monster:goblin count:2
/combat join
/combat next
/cast spell:Fire Bolt targets:Goblin 1
/cast spell:Magic Missile targets:Goblin 1, Goblin 2
/cast spell:Sleep targets:Goblin 2
/dm combat end
/character rest kind:long
/character show
/cast spell:Magic Missile
/cast spell:Detect Magic ritual:true
/quit
"""


def section(out: str, start: str, end: str) -> str:
    return out.split(f"> {start}")[1].split(f"> {end}")[0]


def test_a_wizard_casts_in_dmbot_play(run_play: PlayRun) -> None:
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(local Discord refused" not in out and "Traceback" not in out, out[-3000:]
    # Unarmoured: AC 10 + DEX; Mage Armor makes it 13 + DEX for 8 hours (SRD).
    before = section(out, "/character show", "/cast spell:Mage Armor")
    dex = re.search(r"DEX \d+ \(([+-]\d+)\)", before)
    assert dex, before
    plain, armoured = 10 + int(dex[1]), 13 + int(dex[1])
    assert f"AC {plain} ·" in before, before
    armour = section(out, "/cast spell:Mage Armor", "/character show")
    assert "Mira casts Mage Armor (level-1 slot)" in armour and f"AC at least {armoured}" in armour
    assert "L1 1" in armour
    assert f"AC {armoured} ·" in out.split("> /character show")[2].split("> /campaign create")[0]

    bolt = section(out, "/cast spell:Fire Bolt", "/cast spell:Magic Missile")
    # INT 15 + 1 = 16 (+3), proficiency +2: +5 to hit; a goblin's AC 15; Fire Bolt 1d10 at level 1.
    found = re.search(r"to hit (\d+) vs AC 15: (Hit|Miss|Critical hit)", bolt)
    assert found and re.search(r"1d20 \((\d+)\) \+ 5 = (\d+)", bolt), bolt
    missile = section(out, "/cast spell:Magic Missile", "/cast spell:Sleep")
    assert "Magic Missile (level-1 slot)" in missile and "L1 0" in missile  # the second of two slots
    assert missile.count("Magic Missile dart 1") == 2 and missile.count("Magic Missile dart 2") == 1  # 3: 2 and 1
    sleep = section(out, "/cast spell:Sleep", "/dm combat end")
    assert "no level-1 slots left" in sleep and "long rest" in sleep

    rested = section(out, "/character rest kind:long", "/cast spell:Magic Missile")
    assert f"AC {plain} ·" in rested  # 8 hours: Mage Armor has ended
    again = out.split("> /cast spell:Magic Missile")[2].split("> /cast spell:Detect Magic")[0]
    assert "Magic Missile (level-1 slot)" in again and "L1 1" in again and "for the DM to apply" in again
    ritual = out.split("> /cast spell:Detect Magic ritual:true")[1]
    # In the book, not prepared: a wizard casts it as a ritual, without a slot; it needs concentration.
    assert "Mira casts Detect Magic (ritual (no slot))" in ritual and "concentrates on Detect Magic" in ritual
