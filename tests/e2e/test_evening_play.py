"""A table's first evening in `dmbot play`, piped, offline (issue 12, "Done when"): three users at one terminal
(`/as NAME`: the DM and two players), a campaign with lines and a veil, narrated turns, a narrated fight with
goblins to the death of one character, XP and a level-up, a long rest, a recap, a retcon, the session's end and
the export; the dead character revived by the DM, a potion from the loot drunk in the next fight, and level-ups
with XP; and not one error reply a user would not expect. The dice are not seeded: every outcome asserted holds
whatever they show (the DM's damage kills outright, the potion's 2d4 + 2 lands between 5 and 11 HP)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

PlayRun = Callable[..., CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py
CREATE = (
    "/character create name:{name} race:dwarf class:fighter background:acolyte method:standard\n"
    "1 Athletics, Perception\n3\n"
)
EVENING = (
    "/campaign create name:Goblin Road tone:grim\n"
    "/campaign safety lines:harm to children veils:torture\n"
    "/session start\n"
    "/as Mara\n" + CREATE.format(name="Kira") + "/campaign join\n"
    "/as Brenna\n" + CREATE.format(name="Tordek") + "/campaign join\n"
    "/as Mara\n/narrate action:I search the old waystone for runes\n"
    "/as Brenna\n/narrate action:I climb the hill to look along the road\n"
    "/as Mara\n/narrate action:I threaten to harm the children of the inn\n"
    "/narrate action:I listen at the door of the ruined inn\n"
    "/as Brenna\n/narrate action:I ask the innkeeper where the goblins camp\n"
    "/as Mara\n/narrate action:I attack the three goblins at the gate\n"
    "/combat join\n"
    "/as Brenna\n/combat join\n"
    "/as Player\n/campaign info\n/combat next\n"
    "/dm-combat act monster:Goblin 1 action:Scimitar target:Tordek\n"
    "/dm damage target:Tordek amount:60\n"  # massive damage: Tordek dies
    "/dm damage target:Goblin 1 amount:50\n/dm damage target:Goblin 2 amount:50\n/dm damage target:Goblin 3 amount:50\n"
    "/dm-combat end\n"
    "/campaign info\n"
    "/dm award xp target:Kira amount:150\n"
    "/as Mara\n/character levelup\n"
    "/as Player\n/dm revive target:Tordek\n/dm award item target:Tordek item:potion of healing\n"
    "/dm-combat start\n/dm-combat add monster:goblin count:2\n"
    "/as Mara\n/combat join\n/as Brenna\n/combat join\n"
    "/as Player\n/dm-combat move name:Tordek position:1\n/combat next\n"  # Tordek's turn first, whatever he rolled
    "/as Brenna\n/character use-item item:Potion of Healing\n"
    "/as Player\n/dm damage target:Goblin 1 amount:50\n/dm damage target:Goblin 2 amount:50\n"
    "/dm-combat end\n/dm award xp target:party amount:600\n"
    "/as Brenna\n/character levelup\n/as Mara\n/character levelup\n/character rest kind:long\n"
    "/narrate action:I torture the last goblin scout for answers\n"
    "/narrate action:I follow the goblin tracks into the woods\n"
    "/recap\n"
    "/as Player\n/dm retcon\n/recap\n/session end\n/campaign export\n/session start\n/quit\n"
)
PYTHON_ERRORS = ("Traceback", "invalid literal", "Error:", "NoneType", "object has no attribute", "error id")


def ephemeral_replies(out: str) -> list[str]:
    """The private replies, each up to the next prompt."""
    blocks = re.split(r"\n(?=\S+> )", out)
    return [b.split("(only you can see this):", 1)[1] for b in blocks if "(only you can see this):" in b]


def between(out: str, start: str, end: str) -> str:
    return out.split(start, 1)[1].split(end, 1)[0]


def test_a_whole_evening_at_one_terminal(run_play: PlayRun, tmp_path: Path) -> None:
    result = run_play(EVENING)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not [e for e in PYTHON_ERRORS if e in out + result.stderr], out
    expected = ["New character:", "is ready!", "Out of character:", "📜 Goblin Road", "📦 The campaign", "👹 Goblin"]
    expected.append("↕️ Tordek moves")  # the DM's private replies: what the DM asked for
    unexpected = [r for r in ephemeral_replies(out) if not any(e in r for e in expected)]
    assert not unexpected, unexpected  # no error reply a user would not expect
    assert out.count("— Turn ") == 7  # seven narrated turns (the line's action is not one)
    crossed = between(out, "harm the children", "Mara> ")
    assert "crosses one of this table's lines" in crossed  # Mara's private note, then the DM's
    assert "dmbot → @Player (direct message):" in crossed and "Kira's action crossed the line" in crossed
    assert "combat begins" in between(out, "I attack the three goblins", "> /combat join")
    assert "Combat\n  ┃   3 × Goblin" in between(out, "Player> /campaign info", "Player> /combat next")
    assert "Tordek is killed outright" in between(
        out, "/dm damage target:Tordek amount:60", "> /dm damage target:Goblin 1"
    )
    ended = between(out, "> /dm-combat end", "> /campaign info")
    assert "The fight is over" in ended and "Kira: 150 XP" in ended and "Tordek" not in ended  # the dead get none
    after_fight = between(out, "> /dm-combat end\n", "> /dm award xp").split("> /campaign info")[1]
    assert "Combat" not in after_fight and "Tordek (@Brenna): level 1, 💀 dead" in after_fight, after_fight
    assert "Kira reaches level 2" in between(out, "Mara> /character levelup", "> /as Player")
    assert "Tordek is back with 1 HP" in between(out, "> /dm revive target:Tordek", "> /dm award item")
    assert "awards 1 × Potion of Healing to Tordek" in between(out, "> /dm award item", "> /dm-combat start")
    drunk = between(out, "Brenna> /character use-item item:Potion of Healing", "> /as Player")
    healed = re.search(r"HP (\d+)/14 \(\+(\d+)\)", drunk)
    assert "Tordek drinks a Potion of Healing" in drunk and healed, drunk  # in the second fight, at 1 HP
    assert 5 <= int(healed[1]) <= 11 and int(healed[1]) == 1 + int(healed[2]), drunk
    second = out.split("> /dm-combat end", 2)[2].split("> /dm award xp", 1)[0]
    assert "Each survivor earns 50 XP" in second and "Tordek: 50 XP" in second and "Kira: 350 XP" in second
    awarded = between(out, "> /dm award xp target:party amount:600", "> /as Brenna")
    assert "Kira: 950 XP — ready" in awarded and "Tordek: 650 XP — ready" in awarded, awarded
    assert "Tordek reaches level 2" in between(out, "Brenna> /character levelup", "> /as Mara")
    assert "Kira reaches level 3" in between(out, "Brenna> /as Mara", "Mara> /character rest")
    veiled = between(out, "I torture the last goblin", "Mara> ")
    assert "fades to black" in veiled and "tortur" not in veiled.split("\n", 1)[1]
    recap = between(out, "Mara> /recap", "> /as Player")
    for told in ("Combat starts against 3 × Goblin", "Goblin 1 is slain", "Tordek falls", "Tordek dies"):
        assert told in recap, (told, recap)
    assert "Tordek is slain" not in recap  # told once: "Tordek dies"
    assert "Kira gains 150 XP" in recap and "Kira reaches level 2" in recap and "goblin tracks" in recap
    for told in ("The DM revives Tordek", "Tordek drinks a Potion of Healing", "The DM awards 600 XP to Kira, Tordek"):
        assert told in recap, (told, recap)
    assert "Tordek reaches level 2" in recap and "Kira reaches level 3" in recap
    assert "Turn 7 is retconned" in out
    after = between(out, "Player> /recap", "Player> /session end")
    assert "goblin tracks" not in after and "Goblin 1 is slain" in after
    ended_session = between(out, "Player> /session end", "Player> /campaign export")
    assert "Attended\n  ┃   Kira, Tordek" in ended_session and "goblin tracks" not in ended_session
    dice = ended_session.split("The dice this session", 1)[1]
    assert "@Mara:" in dice and "@Brenna:" in dice and "player 1" not in dice, dice  # names, not ids
    assert not re.search(r"\b1 (?:rolls|d20s)\b", dice), dice
    previously = between(out, "Session 2 begins. Previously…", "Player> /quit")
    assert 1 <= previously.count("•") <= 5, previously
    exported = json.loads((tmp_path / "data" / "exports" / "goblin-road.json").read_text())
    texts = " ".join(e["text"] for e in exported["events"])
    assert "Goblin 1 is slain" in texts and "goblin tracks" not in texts and "tortur" not in texts.lower()
