"""bot/engine/items.py and bot/engine/weapons.py as pure rules: every magic item the loot generator can draw is
awardable by the name it shows, a family of items asks which one, potions heal by their SRD dice, attunement
stops at three, a shield and a two-handed weapon never share hands, and spent ammunition is counted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.data.srd import load_srd
from bot.engine import items, weapons
from bot.engine.dice import Dice
from bot.engine.sheet import Item, Sheet
from bot.errors import InvalidInput

SRD = load_srd()
SCORES = {a: 10 for a in ("str", "dex", "con", "int", "wis", "cha")}


def carrying(*inventory: Item, hp: int = 12) -> Sheet:
    """A level-1 rogue with plain scores, carrying `inventory`."""
    return Sheet(
        id=1,
        guild_id=1,
        owner_id=1,
        campaign_id=None,
        name="Mira",
        active=True,
        version=1,
        race="human",
        subrace=None,
        class_index="rogue",
        background="acolyte",
        level=1,
        xp=0,
        levelup_allowed=False,
        base_scores=SCORES,
        bonus_scores={},
        hp_max=12,
        hp_current=hp,
        hp_temp=0,
        hit_dice_used=0,
        death_successes=0,
        death_failures=0,
        proficiencies={},
        expertise=(),
        languages=(),
        features=(),
        inventory=inventory,
        coins={},
        slots_max=(),
        slots_current=(),
        conditions=(),
    )


def test_every_magic_item_the_loot_shows_is_awardable_by_its_name() -> None:
    drawable = [i for i in SRD.data.magic_items if not i.variants]  # what generate._magic_item draws from
    assert drawable and all(items.resolve(SRD, i.name).name == i.name for i in drawable)
    assert items.resolve(SRD, "potion of healing").index == "potion-of-healing-common"
    with pytest.raises(InvalidInput, match="several kinds; say which: Ammunition, \\+1"):
        items.resolve(SRD, "Ammunition, +1, +2, or +3")


def test_a_potion_heals_by_its_dice_and_is_used_up() -> None:
    rolled: list[str] = []

    def roll(expression: str, label: str) -> Any:
        rolled.append(expression)
        return Dice().roll(expression, label=label)

    used = items.use(
        carrying(Item("potion-of-healing-greater", "Potion of Greater Healing", 2), hp=0),
        "potion of greater healing",
        roll,
    )
    assert rolled == ["4d4+4"] and used.woke and 8 <= used.sheet.hp_current <= 12
    assert used.sheet.inventory == (Item("potion-of-healing-greater", "Potion of Greater Healing", 1),)
    with pytest.raises(InvalidInput, match="no use the engine can roll"):
        items.use(carrying(Item("rope-hempen-50-feet", "Rope", 1)), "rope", roll)


def test_attunement_only_where_the_srd_says_and_three_at_most() -> None:
    rings = [
        Item(i, SRD.magic_item(i).name, 1) for i in ("ring-of-protection", "cloak-of-protection", "amulet-of-health")
    ]
    sheet = carrying(
        *rings, Item("belt-of-dwarvenkind", "Belt of Dwarvenkind", 1), Item("boots-of-elvenkind", "Boots", 1)
    )
    with pytest.raises(InvalidInput, match="doesn't require attunement"):
        items.attune(SRD, sheet, "boots-of-elvenkind", on=True)
    for ring in rings:
        inventory, _ = items.attune(SRD, sheet, ring.item, on=True)
        sheet = replace(sheet, inventory=inventory)
    with pytest.raises(InvalidInput, match="attuned to 3 items already"):
        items.attune(SRD, sheet, "belt-of-dwarvenkind", on=True)


def test_custom_items_validate_what_the_dm_says() -> None:
    axe = items.custom_item(SRD, items.CustomSpec("Frost Axe", "cold", 4, 500, damage="1d10 cold"))
    assert axe.item == "custom:frost axe" and axe.details and axe.details["weapon"] == {"dice": "1d10", "type": "cold"}
    with pytest.raises(InvalidInput, match="dice and a type"):
        items.custom_item(SRD, items.CustomSpec("Bad", damage="1d7 cheese"))
    with pytest.raises(InvalidInput, match="1 to 5"):
        items.custom_item(SRD, items.CustomSpec("Ward", ac_bonus=9))


def test_hands_and_ammunition() -> None:
    shield = Item("shield", "Shield", 1, equipped=True)
    bow = SRD.weapon("longbow")
    with pytest.raises(InvalidInput, match="needs both hands"):
        weapons.grip(carrying(shield, Item("longbow", "Longbow", 1)), SRD, bow, None)
    with pytest.raises(InvalidInput, match="unequip it before the shield"):
        weapons.check_equip(
            carrying(Item("longbow", "Longbow", 1, equipped=True), Item("shield", "Shield", 1)), SRD, "shield"
        )
    longsword = SRD.weapon("longsword")
    assert weapons.grip(carrying(Item("longsword", "Longsword", 1)), SRD, longsword, None) is True
    assert weapons.grip(carrying(shield, Item("longsword", "Longsword", 1)), SRD, longsword, None) is False
    archer = carrying(Item("longbow", "Longbow", 1), Item("arrow", "Arrow", 1))
    shot = weapons.spend(archer, SRD, "longbow", thrown=False)
    assert shot.ammunition == "arrow" and shot.note == "0 arrows left" and shot.sheet.carried("arrow") is None
    with pytest.raises(InvalidInput, match="no arrows left"):
        weapons.spend(shot.sheet, SRD, "longbow", thrown=False)
    tally = weapons.counted_spent(weapons.counted_spent({}, shot), shot)
    back, lines = weapons.recovered(shot.sheet, SRD, tally)
    assert tally == {"ammunition": {"arrow": 2}} and back.carried("arrow") == Item("arrow", "Arrow", 1)
    assert lines == ("Mira recovers 1 × Arrow",)
