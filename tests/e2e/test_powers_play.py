"""Class features in a piped `dmbot play` (issue 16): a barbarian rages and hits (the bonus and the resistance in
the dice), a rogue's Sneak Attack once a turn, a level-11 fighter's three attacks an action and a fourth after
Action Surge, a paladin's Divine Smite on an undead, a monk's Flurry of Blows for Ki, a druid wild-shaped into a
wolf dropping back at 0 HP with the rest carried over, and uses back on the right rest. Levels and the subclass
are set in the database between two runs (the level-up choices are another helper's); the targets have AC 1 and
every attack has advantage, so only two natural 1s miss (each check allows for it)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

PlayRun = Callable[..., CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

PARTY = [  # (player, name, class, creation lines)
    ("Grog", "half-orc", "barbarian", "1 Athletics, Perception"),
    ("Tordek", "dwarf", "fighter", "1 Athletics, Perception"),
    ("Lia", "human", "paladin", "1 Athletics, Persuasion"),
    ("Ko", "human", "monk", "1 Acrobatics, Stealth"),
    ("Fern", "human", "druid", "1 Nature, Perception"),
]
CREATE = (
    "/campaign create name:Crypt\n"
    + (
        "/character create name:Vex race:halfling class:rogue background:acolyte method:standard\n"
        "1 Acrobatics, Stealth, Perception, Deception\n3\n/campaign join\n"  # the DM's own rogue
    )
    + "".join(
        f"/as {who}\n/character create name:{who} race:{race} class:{klass} background:acolyte method:standard\n"
        f"{skills}\n3\n/campaign join\n"
        for who, race, klass, skills in PARTY
    )
)
LEVELS = (  # what the level-up would have made them
    "UPDATE characters SET level = 3, hp_max = 24, hp_current = 24 WHERE name = 'Vex'",
    "UPDATE characters SET level = 11, subclass = 'champion', hp_max = 110, hp_current = 110 WHERE name = 'Tordek'",
    "UPDATE characters SET level = 3, hp_max = 28, hp_current = 28, slots_max = '[3,0,0,0,0,0,0,0,0]', "
    "slots_current = '[3,0,0,0,0,0,0,0,0]' WHERE name = 'Lia'",
    "UPDATE characters SET level = 3, hp_max = 24, hp_current = 24 WHERE name = 'Ko'",
    "UPDATE characters SET level = 2, hp_max = 17, hp_current = 17 WHERE name = 'Fern'",
)
SWING = "/attack weapon:longsword target:Ogre advantage:true"
PUNCH = "/attack weapon:unarmed target:Ogre advantage:true"
JOINS = "".join(f"/as {who}\n/combat join\n" for who, *_ in PARTY)
ORDER = "".join(
    f"/dm-combat move name:{who} position:{n}\n"
    for n, who in enumerate(("Grog", "Vex", "Tordek", "Lia", "Ko", "Fern"), 1)
)
FIGHT = f"""\
/dm-combat start
/dm-combat add monster:ogre hit_points:500 ac:1 initiative:1
/dm-combat add monster:skeleton ac:1 initiative:1
/combat join
{JOINS}/as Player
{ORDER}\
/dm-combat effect do:add target:Grog effect:Exposed ac:-10
/combat next
/as Grog
/feature use name:Rage
/attack weapon:greataxe target:Ogre advantage:true
/as Player
/dm-combat act monster:Ogre action:Greatclub target:Grog advantage:true
/as Grog
/combat next
/as Player
/attack weapon:dagger target:Ogre advantage:true
/attack weapon:dagger target:Ogre advantage:true
/combat next
/as Tordek
{SWING}
{SWING}
{SWING}
{SWING}
/feature use name:Action Surge
{SWING}
/combat next
/as Lia
/attack weapon:longsword target:Skeleton smite:1 advantage:true
/combat next
/as Ko
{PUNCH}
/feature use name:Flurry of Blows
{PUNCH}
{PUNCH}
{PUNCH}
/combat next
/as Fern
/feature use name:Wild Shape target:wolf
/attack weapon:Bite target:Ogre advantage:true
/as Player
/dm damage target:Fern amount:15
/as Fern
/feature use name:Wild Shape target:end
/as Player
/dm-combat end
/as Tordek
/character rest kind:short
/feature list
/as Grog
/character rest kind:short
/feature list
/character rest kind:long
/feature list
/quit
"""


def replies(out: str, command: str) -> list[str]:
    return [re.split(r"\n\w+> ", part, maxsplit=1)[0] for part in out.split(f"> {command}\n")[1:]]


def test_rage_sneak_attack_extra_attack_smite_flurry_wild_shape_and_rests(run_play: PlayRun, tmp_path: Path) -> None:
    made = run_play(CREATE)
    assert made.returncode == 0 and made.stdout.count("is ready!") == 6, made.stdout
    database = sqlite3.connect(tmp_path / "data" / "dmbot.sqlite3")
    for statement in LEVELS:
        database.execute(statement)
    database.commit()
    result = run_play(FIGHT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    missed = "Natural 1"

    rage = replies(out, "/feature use name:Rage")[0]
    assert "Grog rages for a minute: +2 damage" in rage and "Rage left: 1/2" in rage
    swing = replies(out, "/attack weapon:greataxe target:Ogre advantage:true")[0]
    assert "Rage +2" in swing or missed in swing
    clubbed = replies(out, "/dm-combat act monster:Ogre action:Greatclub target:Grog advantage:true")[0]
    assert "bludgeoning (resistant: " in clubbed or missed in clubbed  # half of the club's damage

    first, second = replies(out, "/attack weapon:dagger target:Ogre advantage:true")
    if missed not in first:  # a hit with an ally in the fight: Sneak Attack, once this turn
        assert "Sneak Attack 2d6" in first and "Sneak Attack" not in second
    else:
        assert "Sneak Attack 2d6" in second or missed in second

    swings = replies(out, SWING)
    assert [f"Attack {n} of 3 this turn" in s for n, s in enumerate(swings[:3], 1)] == [True] * 3
    assert "Tordek has made 3 attacks this turn" in swings[3] and "Action Surge" in swings[3]
    assert "one more action this turn (3 more attacks" in replies(out, "/feature use name:Action Surge")[0]
    assert "Attack 4 of 6 this turn" in swings[4]  # the fourth attack of the turn, after Action Surge

    smite = replies(out, "/attack weapon:longsword target:Skeleton smite:1 advantage:true")[0]
    assert "Divine Smite 3d8 radiant (undead or fiend: +1d8), a level-1 slot" in smite or missed in smite
    assert database.execute("SELECT slots_current FROM characters WHERE name = 'Lia'").fetchone()[0] in (
        "[2, 0, 0, 0, 0, 0, 0, 0, 0]",
        "[3, 0, 0, 0, 0, 0, 0, 0, 0]" if missed in smite else "",
    )

    punches = replies(out, PUNCH)
    assert re.search(r"\dd4 \(", punches[0]) or missed in punches[0]  # Martial Arts' die (2d4 on a crit)
    assert "Ko spends 1 ki on Flurry of Blows" in out and "Ki left: 2/3" in out
    assert "Attack 2 of 3 this turn" in punches[1] and "Attack 3 of 3 this turn" in punches[2]
    assert "Ko has made 3 attacks this turn" in punches[3]

    shape = replies(out, "/feature use name:Wild Shape target:wolf")[0]
    assert "Fern becomes a Wolf: AC 13, 11 HP of its own; attacks: Bite" in shape
    assert "as the Wolf (Wild Shape)" in replies(out, "/attack weapon:Bite target:Ogre advantage:true")[0]
    dropped = replies(out, "/dm damage target:Fern amount:15")[0]
    wolf_hp = re.search(r"Wild Shape \(Wolf\): (\d+)/11 HP left", out)
    carried = 15 - (int(wolf_hp.group(1)) if wolf_hp else 11)
    assert f"The Wolf drops to 0 HP: Fern changes back; {carried} damage carries over" in dropped
    assert f"Fern: ❤️ {17 - carried}/17 HP" in dropped
    assert "Fern is in their own shape" in replies(out, "/feature use name:Wild Shape target:end")[0]

    tordek_rest = replies(out, "/character rest kind:short")[0]
    assert "Back: Action Surge." in tordek_rest
    grog_short, grog_long = replies(out, "/character rest kind:short")[1], replies(out, "/character rest kind:long")[0]
    assert "Rage" not in grog_short and "Back: Rage." in grog_long  # rages come back on a long rest only
    lists = replies(out, "/feature list")
    assert "Action Surge 1/1 (short rest)" in lists[0]
    assert "Rage 1/2 (long rest)" in lists[1] and "Rage 2/2 (long rest)" in lists[2]


CLERIC_CREATE = """\
/campaign create name:Crypt
/character create name:Cleo race:human class:cleric background:acolyte method:standard
1 History, Medicine
3
/campaign join
/as Grog
/character create name:Grog race:half-orc class:barbarian background:acolyte method:standard
1 Athletics, Perception
3
/campaign join
/as Vex
/character create name:Vex race:halfling class:rogue background:acolyte method:standard
1 Acrobatics, Stealth, Perception, Deception
3
/campaign join
/quit
"""
CLERIC_LEVELS = (
    "UPDATE characters SET level = 5, subclass = 'life', hp_max = 38, hp_current = 10 WHERE name = 'Cleo'",
    "UPDATE characters SET level = 2 WHERE name = 'Grog'",
    "UPDATE characters SET level = 7, hp_max = 40, hp_current = 40 WHERE name = 'Vex'",
)
CLERIC_FIGHT = """\
/dm-combat start
/dm-combat add monster:skeleton count:2
/dm-combat add monster:young red dragon initiative:1
/combat join
/as Grog
/combat join
/as Vex
/combat join
/as Player
/dm-combat move name:Cleo position:1
/dm-combat move name:Grog position:2
/combat next
/feature use name:Channel Divinity
/combat next
/as Grog
/feature use name:Reckless Attack
/combat status
/as Player
/dm-combat act monster:Young Red Dragon action:Fire Breath target:Vex
/dm-combat act monster:Young Red Dragon action:Bite target:Vex advantage:true
/as Vex
/feature use name:Uncanny Dodge
/as Player
/dm-combat end
/character rest kind:short
/feature use name:Channel Divinity target:Cleo
/quit
"""


def test_turn_undead_reckless_attack_evasion_uncanny_dodge_and_preserve_life(run_play: PlayRun, tmp_path: Path) -> None:
    assert run_play(CLERIC_CREATE).stdout.count("is ready!") == 3
    database = sqlite3.connect(tmp_path / "data" / "dmbot.sqlite3")
    for statement in CLERIC_LEVELS:
        database.execute(statement)
    database.commit()
    result = run_play(CLERIC_FIGHT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    turned = replies(out, "/feature use name:Channel Divinity")[0]
    assert "Turn Undead by Cleo, Wisdom save DC 14: " in turned and "Channel Divinity left: 0/1" in turned
    for skeleton in ("Skeleton 1", "Skeleton 2"):  # CR 1/4: a failed save destroys it at cleric level 5
        assert f"{skeleton} saves" in turned or (f"{skeleton} fails" in turned and "is destroyed" in turned)
    assert "Young Red Dragon" not in turned  # a dragon is no undead
    assert "Reckless Attack (1 round)" in replies(out, "/combat status")[0]
    breath = replies(out, "/dm-combat act monster:Young Red Dragon action:Fire Breath target:Vex")[0]
    assert "(Evasion: none on the save: 0)" in breath or "(Evasion: half on a failed save: " in breath
    bite = replies(out, "/dm-combat act monster:Young Red Dragon action:Bite target:Vex advantage:true")[0]
    dodged = replies(out, "/feature use name:Uncanny Dodge")[0]
    hit = re.search(r"Damage (\d+):", bite)
    if hit:  # a reaction halves the damage of the attack that just hit
        assert f"Uncanny Dodge: {hit.group(1)} damage halved to {int(hit.group(1)) // 2}" in dodged
    else:
        assert "No attack has hit Vex this turn" in dodged
    assert "Back: Channel Divinity." in replies(out, "/character rest kind:short")[0]
    preserved = replies(out, "/feature use name:Channel Divinity target:Cleo")[0]
    assert "Preserve Life: 9 HP to Cleo (up to half their maximum)" in preserved  # 38 // 2 - 10
