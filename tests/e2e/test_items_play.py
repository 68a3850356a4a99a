"""Items and loot through a piped `dmbot play` (issue 12): SRD magic items awarded (the guide's own example),
carried, drunk (potions heal by their dice, waking the dying), attuned (only where the SRD says, three at
most); the DM's custom items; players adding only SRD items; hoards' valuables worth their tier; and the
full inventory a page at a time."""

from __future__ import annotations

import re
from collections.abc import Callable
from subprocess import CompletedProcess

from bot import help_catalog

PlayRun = Callable[[str], CompletedProcess[str]]  # the `run_play` fixture of tests/conftest.py

AWARD_EXAMPLE = "/dm award item target:Tordek item:potion of healing"
CUSTOM_EXAMPLE = "/dm award custom target:Tordek name:Mayor's Seal description:A brass seal weight:0.5 value:20"
USE_EXAMPLE = "/character use-item item:Potion of Healing"
LIST_EXAMPLE = "/character inventory action:list"
ATTUNE_EXAMPLE = "/character inventory action:attune item:Ring of Protection"

SCRIPT = f"""\
/character create name:Tordek race:dwarf class:fighter background:acolyte method:standard
1 Athletics, Perception
3
/campaign create name:Goblin Hill
/campaign join
{AWARD_EXAMPLE}
/dm award item target:Tordek item:Boots of Elvenkind
/dm award item target:Tordek item:Ring of Protection
/dm award item target:Tordek item:Cloak of Protection
/dm award item target:Tordek item:Belt of Dwarvenkind
/dm award item target:Tordek item:Amulet of Health
{CUSTOM_EXAMPLE}
/dm award custom target:Tordek name:Frostbrand Axe weight:4 value:500 damage:1d10 cold
/dm award custom target:Tordek name:Warding Cloak weight:1 value:300 ac_bonus:1
/dm award custom target:Tordek name:Bad Axe damage:1d7 cheese
/character inventory action:equip item:Warding Cloak
/attack weapon:Frostbrand Axe target:goblin
/character show
/as Mara
/dm award custom target:Tordek name:Vorpal Spoon
/character inventory action:add item:Vorpal Spoon
/as Player
/character inventory action:add item:Cloak of Elvenkind
/character inventory action:add item:Lightsaber
/character inventory action:attune item:Boots of Elvenkind
{ATTUNE_EXAMPLE}
/character inventory action:attune item:Cloak of Protection
/character inventory action:attune item:Amulet of Health
/character inventory action:attune item:Belt of Dwarvenkind
{LIST_EXAMPLE}
1
/dm damage target:Tordek amount:16
{USE_EXAMPLE}
{USE_EXAMPLE}
/dm generate loot cr:4 kind:hoard
/dm generate loot cr:12 kind:hoard
/quit
"""


def between(out: str, start: str) -> str:
    return out.split(f"> {start}\n", 1)[1].split("\nPlayer> ", 1)[0].split("\nMara> ", 1)[0]


def test_the_guides_item_examples_are_in_the_catalog() -> None:
    examples = {e.example for e in help_catalog.CATALOG}
    assert {AWARD_EXAMPLE, CUSTOM_EXAMPLE, USE_EXAMPLE} <= examples
    inventory = next(e for e in help_catalog.CATALOG if e.command == "character inventory")
    assert "attune" in inventory.usage and "list" in inventory.usage


def test_magic_items_custom_items_attunement_potions_and_loot(run_play: PlayRun) -> None:
    result = run_play(SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "🎁 The DM awards 1 × Potion of Healing to Tordek." in between(out, AWARD_EXAMPLE)
    assert "🎁 The DM awards 1 × Mayor's Seal to Tordek." in between(out, CUSTOM_EXAMPLE)
    assert "is not an SRD item or magic item" in between(out, "/character inventory action:add item:Lightsaber")
    assert "Added 1 × Cloak of Elvenkind." in between(out, "/character inventory action:add item:Cloak of Elvenkind")
    assert "A custom weapon's damage is dice and a type" in between(
        out, "/dm award custom target:Tordek name:Bad Axe damage:1d7 cheese"
    )
    assert "AC 18 → 19" in between(out, "/character inventory action:equip item:Warding Cloak")
    axe = between(out, "/attack weapon:Frostbrand Axe target:goblin")
    assert re.search(r"Damage: \d+ cold  [12]d10 \(", axe) or "Natural 1" in axe  # whatever the d20 shows
    assert "Frostbrand Axe +4 · 1d10+2 cold" in between(out, "/character show")  # among the sheet's attacks
    assert "Only the DM of Goblin Hill" in between(out, "/dm award custom target:Tordek name:Vorpal Spoon")
    assert "is not an SRD item or magic item" in between(out, "/character inventory action:add item:Vorpal Spoon")
    assert "doesn't require attunement" in between(out, "/character inventory action:attune item:Boots of Elvenkind")
    assert "attunes to Ring of Protection" in between(out, ATTUNE_EXAMPLE)
    fourth = between(out, "/character inventory action:attune item:Belt of Dwarvenkind")
    assert "attuned to 3 items already" in fourth  # the SRD's three at most
    amulet = between(out, "/character inventory action:attune item:Amulet of Health")
    raised = re.search(r"Hit point maximum (\d+) → (\d+)\.", amulet)  # CON 19: healing and rests count it
    assert raised and int(raised[2]) > int(raised[1]), amulet
    listed = between(out, LIST_EXAMPLE)
    assert "Page 1 of 2" in listed and "Next ▶" in listed
    second = out.split(f"> {LIST_EXAMPLE}\n", 1)[1].split("> /dm damage", 1)[0]
    assert "Page 2 of 2" in second and "Ring of Protection · attuned" in second
    assert "Potion of Healing · common magic item · heals 2d4+2" in second
    assert "Mayor's Seal · 20 gp, 0.5 lb · A brass seal" in listed + second
    assert "Frostbrand Axe · 500 gp, 4 lb · weapon, 1d10 cold" in listed + second
    drunk = between(out, USE_EXAMPLE)
    assert re.search(r"2d4 \(\d, \d\) \+ 2 = \d+", drunk) and "Back on their feet from 0 HP." in drunk
    again = out.split(f"> {USE_EXAMPLE}\n")[2].split("\nPlayer> ", 1)[0]
    assert "isn't carrying" in again  # the potion is used up
    for loot in out.split("> /dm generate loot")[1:]:
        values = {int(v.replace(",", "")) for v in re.findall(r"\(([\d,]+) gp each\)", loot)}
        assert len(values) <= 1 and values <= {10, 25, 50, 100, 250, 500, 750, 1000, 2500, 5000, 7500}
    assert re.search(r"\((500|750|1,000) gp each\)", out.split("cr:12 kind:hoard")[1])
