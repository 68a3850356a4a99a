"""bot/engine/items.py and bot/engine/weapons.py as pure rules: every magic item the loot generator can draw is
awardable by the name it shows, a family of items asks which one, potions heal by their SRD dice, attunement
stops at three, a shield and a two-handed weapon never share hands, and spent ammunition is counted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.data.srd import load_srd
from bot.engine import items, levelup, weapons
from bot.engine.dice import Dice
from bot.engine.sheet import Item, Sheet, stats, with_magic_hp
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


# --- The SRD magic items' numbers: AC, saves, checks, scores, attacks ---------------------------------


def magic(index: str, *, attuned: bool = False, equipped: bool = False) -> Item:
    return Item(index, SRD.magic_item(index).name, 1, equipped=equipped, attuned=attuned)


def test_the_derived_data_has_the_plain_numbers() -> None:
    bonus = {m.index: m.bonus for m in SRD.data.magic_items if m.bonus is not None}
    assert bonus["cloak-of-protection"].ac == bonus["cloak-of-protection"].saves == 1
    assert bonus["ring-of-protection"].ac == bonus["ring-of-protection"].saves == 1
    assert (bonus["bracers-of-defense"].ac, bonus["bracers-of-defense"].needs) == (2, "unarmored")
    assert [bonus[f"armor-{n}"].ac for n in (1, 2, 3)] == [1, 2, 3] and bonus["armor-1"].needs == "armor"
    assert [(bonus[f"weapon-{n}"].attack, bonus[f"weapon-{n}"].damage) for n in (1, 2, 3)] == [(1, 1), (2, 2), (3, 3)]
    assert dict(bonus["amulet-of-health"].scores) == {"con": 19}
    assert dict(bonus["gauntlets-of-ogre-power"].scores) == {"str": 19}
    assert dict(bonus["headband-of-intellect"].scores) == {"int": 19}
    belts = {k: dict(b.scores)["str"] for k, b in bonus.items() if k.startswith("belt-of-giant-strength-")}
    assert sorted(belts.values()) == [21, 23, 23, 25, 27, 29]
    luck = bonus["stone-of-good-luck-luckstone"]
    assert (luck.checks, luck.saves) == (1, 1)
    assert bonus["ioun-stone-of-protection"].ac == 1
    assert "ioun-stone" not in bonus and "rod-of-alertness" not in bonus  # a family's text; a planted rod's aura


def test_protection_counts_once_attuned() -> None:
    plain = stats(carrying(), SRD)
    carried = stats(carrying(magic("cloak-of-protection"), magic("ring-of-protection")), SRD)
    assert (carried.armor_class, carried.saves) == (plain.armor_class, plain.saves)
    both = carrying(magic("cloak-of-protection", attuned=True), magic("ring-of-protection", attuned=True))
    worn = stats(both, SRD)
    assert worn.armor_class == plain.armor_class + 2
    assert all(worn.saves[a] == plain.saves[a] + 2 for a in plain.saves)
    assert ("Cloak of Protection", "+1 AC, +1 saves") in worn.magic


def test_bracers_only_without_armour_or_shield() -> None:
    bracers = magic("bracers-of-defense", attuned=True)
    assert stats(carrying(bracers), SRD).armor_class == 12
    armoured = carrying(bracers, Item("leather-armor", "Leather Armor", 1, equipped=True))
    assert stats(armoured, SRD).armor_class == 11
    shielded = carrying(bracers, Item("shield", "Shield", 1, equipped=True))
    assert stats(shielded, SRD).armor_class == 12


def test_magic_armour_counts_while_worn() -> None:
    assert stats(carrying(magic("armor-2")), SRD).armor_class == 10
    assert stats(carrying(magic("armor-2", equipped=True)), SRD).armor_class == 12


def test_scores_set_by_items_and_the_numbers_that_follow() -> None:
    amulet, belt = magic("amulet-of-health", attuned=True), magic("belt-of-giant-strength-storm", attuned=True)
    numbers = stats(carrying(amulet, belt, Item("greataxe", "Greataxe", 1, equipped=True)), SRD)
    assert numbers.scores["con"] == 19 and numbers.scores["str"] == 29
    axe = next(a for a in numbers.attacks if a.weapon == "greataxe")
    assert axe.damage.startswith("1d12+9")
    assert stats(carrying(magic("amulet-of-health")), SRD).scores["con"] == 10  # not attuned


def test_an_amulet_of_health_raises_hit_points_and_con_saves() -> None:
    carried = carrying(magic("amulet-of-health"))
    attuned = with_magic_hp(carried, carrying(magic("amulet-of-health", attuned=True)), SRD)
    assert (attuned.hp_max, attuned.hp_current) == (carried.hp_max + 4, carried.hp_current + 4)  # CON 10 -> 19
    assert stats(attuned, SRD).hp_max == carried.hp_max + 4
    assert stats(attuned, SRD).saves["con"] == stats(carried, SRD).saves["con"] + 4
    ended = with_magic_hp(attuned, replace(attuned, inventory=carried.inventory), SRD)
    assert (ended.hp_max, ended.hp_current) == (carried.hp_max, carried.hp_current)
    assert with_magic_hp(carried, carrying(), SRD) == carrying()  # an unattuned amulet adds nothing


def test_a_level_gained_wearing_an_amulet_of_health_counts_its_constitution() -> None:
    carried = carrying(magic("amulet-of-health"))
    attuned = with_magic_hp(carried, carrying(magic("amulet-of-health", attuned=True)), SRD)  # 12 + 4 = 16
    levelled, gained = levelup.apply(SRD, levelup.plan(SRD, attuned), die_value=5)
    assert gained == 5 + 4 and levelled.hp_max == 25  # the d8's 5 and CON 19's +4, not CON 10's +0
    ended = with_magic_hp(levelled, replace(levelled, inventory=carried.inventory), SRD)
    assert ended.hp_max == 12 + 5  # without the amulet: the two levels at CON 10


def test_luck_adds_to_checks_and_saves() -> None:
    plain = stats(carrying(), SRD)
    lucky = stats(carrying(magic("stone-of-good-luck-luckstone", attuned=True)), SRD)
    assert lucky.check_bonus == 1 and lucky.skills["stealth"] == plain.skills["stealth"] + 1
    assert lucky.saves["wis"] == plain.saves["wis"] + 1 and lucky.initiative == plain.initiative + 1
    assert lucky.armor_class == plain.armor_class


def test_the_inventory_line_says_what_the_item_does() -> None:
    line = items.describe(SRD, magic("cloak-of-protection", attuned=True))
    assert "+1 AC, +1 saves (attuned)" in line
    assert "Strength 21 (attuned)" in items.describe(SRD, magic("belt-of-giant-strength-hill"))


def test_a_magic_weapon_without_its_base_weapon_claims_nothing_on_the_sheet() -> None:
    held = stats(carrying(magic("weapon-1", equipped=True)), SRD)
    assert held.magic == () and all(a.weapon != "weapon-1" for a in held.attacks)


def test_plus_weapons_armour_and_shields_by_their_base_item() -> None:
    sword, mail, shield = (items.resolve(SRD, k) for k in ("+1 longsword", "Chain Mail, +2", "shield +3"))
    assert (sword.index, sword.name) == ("weapon-1:longsword", "Longsword, +1")
    held = [Item(r.index, r.name, 1, details=r.details) for r in (sword, mail, shield)]
    numbers = stats(carrying(*held), SRD)
    line = next(a for a in numbers.attacks if a.name == "Longsword, +1")
    plain = stats(carrying(Item("longsword", "Longsword", 1)), SRD).attacks[0]
    assert line.to_hit == plain.to_hit + 1 and line.damage == "1d10+1 slashing" and line.magical  # two hands free
    worn = [replace(i, equipped=True) for i in held]
    assert stats(carrying(*worn), SRD).armor_class == 16 + 2 + 2 + 3
    assert "rare magic item" in items.describe(SRD, held[1]) and "+2 AC when equipped" in items.describe(SRD, held[1])
