"""Choices through a piped `dmbot play` (issue 16): the creation draft's fighting style and dragonborn
ancestry, the SRD's one subclass taken at once, the level-up view's Ability Score Improvement (a number picks,
Confirm stores, nothing before), the multiclassing prerequisite refused with what it needs, and a fighter 1 /
wizard 1 with 2 first-level slots."""

from __future__ import annotations

from collections.abc import Callable
from subprocess import CompletedProcess

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

SCRIPT = """\
/character create name:Kriv race:dragonborn class:fighter background:acolyte method:standard
1 Athletics, Perception
5 red
6 defense
3
/character create name:Gish race:human class:fighter background:acolyte method:standard
2
15 13 14 12 10 8
1 Athletics, Perception
3
/character use name:Kriv
/as Mara
/campaign create name:Hill
/as Player
/campaign join
/as Mara
/dm award xp target:Kriv amount:2700
/dm damage target:Kriv amount:10 type:fire
/as Player
/character levelup
/character levelup
/character levelup
3
/character levelup
1 str, con
2
/character show
/character levelup class:wizard
/campaign leave
/character use name:Gish
/campaign join
/as Mara
/dm award xp target:Gish amount:300
/as Player
/character levelup class:wizard
/character show
/quit
"""


def reply_to(out: str, command: str, nth: int = 1) -> str:
    return out.split(f"> {command}\n")[nth].split("\nPlayer> ")[0].split("\nMara> ")[0]


def test_choices_at_creation_and_level_up(run_play: PlayRun) -> None:
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    created = out.split("✅ Kriv is ready!")[1].split("Player> ")[0]
    assert "AC 19" in created  # chain mail 16 + shield 2 + Defense 1
    assert "Dragonborn ancestry: Red" in created and "Breath weapon: 2d6 fire, 15 ft cone" in created
    assert "Kriv: ❤️ 7/12 HP" in reply_to(out, "/dm damage target:Kriv amount:10 type:fire")  # red: fire halved
    assert "Kriv reaches level 2!" in reply_to(out, "/character levelup", 1)  # nothing to choose
    archetype = reply_to(out, "/character levelup", 2)  # the SRD's one archetype: nothing to choose
    assert "Kriv reaches level 3!" in archetype and "Martial Archetype: Champion" in archetype
    asi_menu = reply_to(out, "/character levelup", 3)
    assert "Nothing changes before Confirm" in asi_menu and "[2] Confirm" in asi_menu
    assert "Level-up cancelled; nothing changed." in out  # the Cancel of the first ASI view (3)
    asi = reply_to(out, "1 str, con")
    assert "Strength 17 → 18, Constitution 14 → 15" in asi
    shown = reply_to(out, "/character show", 1)
    assert "level 4 Dragonborn Fighter (Champion)" in shown and "STR 18 (+4)" in shown
    assert "Ability Score Improvement (level 4): STR +1, CON +1" in shown
    assert "needs Intelligence 13" in reply_to(out, "/character levelup class:wizard", 1)
    gish = reply_to(out, "/character levelup class:wizard", 2)
    assert "Gish reaches level 2! (Wizard 1)" in gish and "Slots: 1st 2" in gish
    sheet = reply_to(out, "/character show", 2)
    assert "Fighter 1 / Wizard 1" in sheet and "(1d10 + 1d6)" in sheet and "save DC 11" in sheet
