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
/dm-combat start
/dm-combat add monster:goblin count:2 hit_points:40
/combat join
/combat next
/cast spell:Fire Bolt targets:Goblin 1
/cast spell:Magic Missile targets:Goblin 1, Goblin 2
/cast spell:Sleep targets:Goblin 2
/dm-combat end
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
    sleep = section(out, "/cast spell:Sleep", "/dm-combat end")
    assert "no level-1 slots left" in sleep and "long rest" in sleep

    rested = section(out, "/character rest kind:long", "/cast spell:Magic Missile")
    assert f"AC {plain} ·" in rested  # 8 hours: Mage Armor has ended
    again = out.split("> /cast spell:Magic Missile")[2].split("> /cast spell:Detect Magic")[0]
    assert "Magic Missile (level-1 slot)" in again and "L1 1" in again and "for the DM to apply" in again
    ritual = out.split("> /cast spell:Detect Magic ritual:true")[1]
    # In the book, not prepared: a wizard casts it as a ritual, without a slot; it needs concentration.
    assert "Mira casts Detect Magic (ritual (no slot))" in ritual and "concentrates on Detect Magic" in ritual


CLERIC = """\
/character create name:Sera race:Human class:Cleric background:Acolyte method:standard
1 History, Medicine
5 Guidance, Light, Sacred Flame
6 Bless, Cure Wounds, Sanctuary, Shield of Faith
3
/campaign create name:Chapel
/campaign join
/dm award xp target:Sera amount:900
/character levelup
/character levelup
/character rest kind:long
/spell prepare spell:Hold Person
/spell prepare spell:Healing Word
/dm-combat start
/dm-combat add monster:bandit
/combat join
/combat next
/dm damage target:Sera amount:5
/cast spell:Cure Wounds targets:Sera
/cast spell:Bless targets:Sera
/dm damage target:Sera amount:4
/cast spell:Hold Person level:2 targets:Bandit
/combat next
/combat next
/combat next
/combat next
/dm-combat end
/quit
"""


def test_a_cleric_heals_blesses_and_holds_in_dmbot_play(run_play: PlayRun) -> None:
    result = run_play(CLERIC)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(local Discord refused" not in out and "Traceback" not in out, out[-3000:]
    cure = section(out, "/cast spell:Cure Wounds", "/cast spell:Bless")
    healed = re.search(r"1d8 \((\d+)\) \+ 3 = (\d+)", cure)  # WIS 15 + 1 (human) = 16: +3
    assert healed and int(healed[2]) == int(healed[1]) + 3, cure
    assert "Cure Wounds (level-1 slot)" in cure and "L1 3" in cure  # a level-3 cleric: 4 + 2 slots
    bless = section(out, "/cast spell:Bless", "/dm damage target:Sera amount:4")
    assert "concentrates on Bless" in bless and "+1d4 attack, +1d4 save" in bless
    hurt = section(out, "/dm damage target:Sera amount:4", "/cast spell:Hold Person")
    assert "Concentration: CON save DC 10" in hurt  # max(10, 4 // 2)
    lost = "loses concentration" in hurt
    assert lost or "keeps concentration" in hurt
    assert ("concentration ends: sera: bless" in hurt.casefold()) == lost
    hold = section(out, "/cast spell:Hold Person", "/combat next")
    assert "Hold Person (level-2 slot)" in hold and "L2 1" in hold
    assert ("concentration ends: sera: bless" in hold.casefold()) == (not lost)  # a new one ends the old
    held = "Bandit fails the DC 13 Wisdom save" in hold
    assert held or "Bandit succeeds the DC 13 Wisdom save" in hold
    assert ("paralyzed" in hold) == held
    turns = out.split("> /cast spell:Hold Person")[1].split("> /dm-combat end")[0]
    if held:  # the end of the bandit's turn: a save again (a paralysed creature's WIS save is not automatic)
        assert "Bandit: Hold Person: WIS save DC 13:" in turns


WARLOCK = """\
/character create name:Vex race:Human class:Warlock background:Acolyte method:standard
1 Arcana, Deception
5 Eldritch Blast, Mage Hand
6 Hellish Rebuke, Charm Person
3
/campaign create name:Pact
/campaign join
/dm award xp target:Vex amount:6500
/character levelup
2
/character levelup
2
/character levelup
1 con
2
/character levelup
2
/dm-combat start
/dm-combat add monster:ogre
/combat join
/combat next
/cast spell:Eldritch Blast targets:Ogre
/cast spell:Hex targets:Ogre
/cast spell:Hellish Rebuke targets:Ogre
/cast spell:Hellish Rebuke targets:Ogre
/cast spell:Hellish Rebuke targets:Ogre
/dm-combat end
/character rest kind:short
/cast spell:Hellish Rebuke
/quit
"""


def test_a_warlock_blasts_twice_and_its_pact_slots_come_back_in_dmbot_play(run_play: PlayRun) -> None:
    # Levels 2-5 ask invocations, a pact boon, an ASI (CON: CHA stays 16) and one invocation more: 2 confirms.
    result = run_play(WARLOCK)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(local Discord refused" not in out and "Traceback" not in out, out[-3000:]
    blast = section(out, "/cast spell:Eldritch Blast", "/cast spell:Hex")
    # Level 5: two beams, each an attack at +6 (CHA +3, proficiency +3) against the ogre's AC 11.
    assert "Eldritch Blast (1st beam)" in blast and "Eldritch Blast (2nd beam)" in blast
    attacks = re.findall(r"to hit (\d+) vs AC 11: (?:Critical hit!|Hit\.|Miss\.)\s+1d20 \((\d+)\) \+ 6 = (\d+)", blast)
    assert len(attacks) == 2 and all(int(t) == int(d) + 6 == int(s) for t, d, s in attacks), blast
    hexed = section(out, "/cast spell:Hex", "/cast spell:Hellish Rebuke")
    assert "No spell" in hexed or "isn't" in hexed or "not" in hexed  # SRD 5.1 has no Hex
    rebukes = out.split("> /cast spell:Hellish Rebuke targets:Ogre")[1:]
    assert "(level-3 slot)" in rebukes[0] and "L3 1" in rebukes[0] and "4d10" in rebukes[0]
    assert "L3 0" in rebukes[1]
    assert "no level-3 slots left" in rebukes[2] and "short or long rest" in rebukes[2]
    again = out.split("> /cast spell:Hellish Rebuke\n")[1]
    assert "(level-3 slot)" in again and "L3 1" in again  # a short rest restores pact slots
