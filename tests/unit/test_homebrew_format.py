"""docs/HOMEBREW.md against bot/engine/homebrew.py: every field of every kind documented, the required ones
marked, and the example files valid; and a homebrew monster as the SRD's model."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.data.srd import load_srd
from bot.engine import rules
from bot.engine.dice import Dice
from bot.engine.homebrew import SCHEMAS, entries_of_file, to_item, to_monster, validate
from bot.engine.sheet import Item, Sheet, stats
from bot.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "HOMEBREW.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_every_field_is_documented_with_whether_it_is_required(kind: str) -> None:
    table = DOC.split(f"<!-- fields:{kind} -->")[1].split("\n\n")[0]
    rows = re.findall(r"^\| `(\w+)` \| (yes)? \|", table, flags=re.MULTILINE)
    assert [name for name, _ in rows] == list(SCHEMAS[kind]["properties"])
    assert {name for name, required in rows if required} == set(SCHEMAS[kind]["required"])


def test_the_example_files_are_valid_and_the_monster_is_an_srd_shaped_stat_block() -> None:
    dice = Dice()
    [hag] = entries_of_file((ROOT / "docs" / "examples" / "bog-hag.json").read_bytes(), dice)
    kit = entries_of_file((ROOT / "docs" / "examples" / "homebrew-kit.json").read_bytes(), dice)
    assert sorted(e["kind"] for e in kit) == ["feat", "item", "item", "item", "spell"]
    monster = to_monster("hb-1", hag, load_srd())
    assert (monster.ac, monster.hp, monster.hp_roll, monster.xp, monster.proficiency_bonus) == (
        15,
        52,
        "8d8+16",
        700,
        2,
    )
    assert monster.action("Claws").attack_bonus == 5 and monster.action("Multiattack").multiattack_count == 2
    breath = monster.action("Mire Breath").dc
    assert breath is not None and (breath.ability, breath.value, breath.success) == ("con", 13, "half")
    assert monster.damage_resistances == ("cold", "poison")


def test_errors_name_the_field() -> None:
    dice = Dice()
    with pytest.raises(InvalidInput, match="`cr`"):
        validate({"kind": "monster", "name": "X", "ac": 10, "hp_dice": "1d8", "cr": "31",
                  "abilities": dict.fromkeys(("str", "dex", "con", "int", "wis", "cha"), 10),
                  "actions": [{"name": "Hit", "attack_bonus": 2, "damage": [{"dice": "1d4", "type": "bludgeoning"}]}]},
                 dice)  # fmt: skip
    with pytest.raises(InvalidInput, match="Multiattack names Bite"):
        validate({"kind": "monster", "name": "X", "ac": 10, "hp_dice": "1d8", "cr": "1",
                  "abilities": dict.fromkeys(("str", "dex", "con", "int", "wis", "cha"), 10),
                  "actions": [{"name": "Multiattack", "multiattack": [{"action": "Bite", "count": 2}]}]},
                 dice)  # fmt: skip
    with pytest.raises(InvalidInput, match="`category`"):
        validate({"kind": "item", "name": "Rock", "category": "pebble"}, dice)


def test_a_legendary_homebrew_monster_has_the_srds_mechanics() -> None:
    [wyrm] = entries_of_file((ROOT / "docs" / "examples" / "mire-wyrm.json").read_bytes(), Dice())
    monster = to_monster("hb-1", wyrm, load_srd())
    assert monster.legendary_per_round == 3 and monster.legendary_resistance == 1
    assert [(a.name, a.cost, a.uses) for a in monster.legendary] == [
        ("Tail Lash", 1, ("Tail",)),
        ("Churn the Mire", 2, ()),
    ]
    assert monster.regeneration is not None and monster.regeneration.stopped_by == ("fire",)
    assert {"Magic Resistance", "Legendary Resistance"} <= set(monster.special_abilities)  # applied by name
    usage = {a.name: a.usage for a in monster.actions if a.usage}
    assert (usage["Bog Breath"].type, usage["Bog Breath"].min_value) == ("recharge on roll", 5)
    assert (usage["Drowning Roar"].type, usage["Drowning Roar"].times) == ("per day", 1)


BITE = [{"dice": "1d6", "type": "piercing"}]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"legendary_actions": [{"name": "Lash", "uses": "Wing"}]}, "uses `Wing`, which is not one of its actions"),
        (
            {
                "actions": [
                    {
                        "name": "Bite",
                        "attack_bonus": 5,
                        "damage": [{"dice": "1d6", "type": "piercing"}],
                        "recharge": 5,
                        "per_day": 1,
                    }
                ]
            },
            "one limit at most",
        ),
        ({"regeneration": {"hp": 0}}, "`regeneration/hp`"),
    ],
)
def test_legendary_and_limited_actions_are_checked(change: dict[str, object], error: str) -> None:
    base = json.loads((ROOT / "docs" / "examples" / "bog-hag.json").read_text())
    with pytest.raises(InvalidInput) as raised:
        validate({**base, **change}, Dice())
    assert error in raised.value.message


def randal() -> Sheet:
    """The character file's example (Randal: Dex 14, longsword, no armour worn)."""
    from bot.engine.character_import import read_upload

    text = (ROOT / "docs" / "CHARACTER_FORMAT.md").read_text(encoding="utf-8")
    sheet = read_upload(text.split("```json\n")[1].split("```")[0].encode(), load_srd(), guild_id=1, owner_id=2).sheet
    return replace(sheet, inventory=tuple(replace(i, equipped=False) for i in sheet.inventory))


def item(**data: object) -> Item:
    return replace(to_item({"kind": "item", "name": "Test", **data}), equipped=True)


@pytest.mark.parametrize(
    ("data", "ac"),
    [
        ({"category": "armor", "armor_type": "heavy", "armor_class": 17}, 17),  # no Dex
        ({"category": "armor", "armor_type": "medium", "armor_class": 14}, 16),  # Dex +2 at most
        ({"category": "armor", "armor_type": "light", "armor_class": 12}, 14),
        ({"category": "armor", "armor_type": "shield", "armor_class": 3}, 10 + 2 + 3),
        ({"category": "wondrous", "armor_class": 1}, 13),  # a cloak of protection: a bonus while worn
        ({"category": "wondrous", "armor_class": 1, "attunement": True}, 12),  # ... once attuned
    ],
)
def test_homebrew_armour_sets_ac_as_the_srds_does(data: dict[str, object], ac: int) -> None:
    sheet = randal()
    assert rules.modifier(sheet.scores["dex"]) == 2
    worn = replace(sheet, inventory=(*sheet.inventory, item(**data)))
    assert stats(worn, load_srd()).armor_class == ac


def test_a_homebrew_weapons_magic_waits_for_attunement() -> None:
    blade = {"category": "weapon", "attack_bonus": 2, "damage": [{"dice": "1d8", "type": "slashing"}]}
    sheet = randal()
    plain = [a for a in stats(replace(sheet, inventory=(item(**blade),)), load_srd()).attacks if a.name == "Test"]
    bound = replace(item(**blade, attunement=True), attuned=False)
    waiting = [a for a in stats(replace(sheet, inventory=(bound,)), load_srd()).attacks if a.name == "Test"]
    attuned = [a for a in stats(replace(sheet, inventory=(replace(bound, attuned=True),)), load_srd()).attacks]
    assert plain[0].to_hit == waiting[0].to_hit + 2 == attuned[0].to_hit
    assert plain[0].magical and plain[0].damage == attuned[0].damage != waiting[0].damage
