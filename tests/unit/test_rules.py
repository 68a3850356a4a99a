"""The SRD 5.1 rules against worked examples."""

from __future__ import annotations

import pytest

from bot.data.srd import Condition, load_srd
from bot.engine import rules
from bot.engine.dice import Advantage
from bot.errors import InvalidInput

SRD = load_srd()


@pytest.mark.parametrize(
    ("score", "mod"), [(1, -5), (3, -4), (8, -1), (9, -1), (10, 0), (11, 0), (12, 1), (15, 2), (20, 5), (30, 10)]
)
def test_modifier(score: int, mod: int) -> None:
    assert rules.modifier(score) == mod


def test_proficiency_bonus_matches_the_srd_table() -> None:
    assert [rules.proficiency_bonus(level) for level in range(1, 21)] == [
        SRD.proficiency_bonus(lv) for lv in range(1, 21)
    ]
    assert rules.proficiency_bonus(1) == 2 and rules.proficiency_bonus(5) == 3 and rules.proficiency_bonus(17) == 6
    with pytest.raises(InvalidInput):
        rules.proficiency_bonus(21)


def test_point_buy() -> None:
    rules.validate_point_buy(dict(zip(rules.ABILITIES, (15, 15, 15, 8, 8, 8), strict=True)))
    rules.validate_point_buy(dict(zip(rules.ABILITIES, (15, 14, 13, 12, 10, 8), strict=True)))  # 9+7+5+4+2+0
    assert rules.point_buy_cost(dict.fromkeys(rules.ABILITIES, 8)) == 0
    with pytest.raises(InvalidInput, match="cost 28"):
        rules.validate_point_buy(dict(zip(rules.ABILITIES, (15, 15, 15, 9, 8, 8), strict=True)))
    with pytest.raises(InvalidInput, match="8 to 15"):
        rules.validate_point_buy(dict(zip(rules.ABILITIES, (16, 14, 10, 8, 8, 8), strict=True)))
    with pytest.raises(InvalidInput, match="missing"):
        rules.validate_point_buy({"str": 15})


def test_standard_array_assignment() -> None:
    rules.validate_assignment(dict(zip(rules.ABILITIES, (8, 10, 12, 13, 14, 15), strict=True)), rules.STANDARD_ARRAY)
    with pytest.raises(InvalidInput, match="exactly once"):
        rules.validate_assignment(
            dict(zip(rules.ABILITIES, (15, 15, 12, 13, 14, 8), strict=True)), rules.STANDARD_ARRAY
        )


def test_final_scores_add_racial_bonuses() -> None:
    base = dict(zip(rules.ABILITIES, (15, 14, 13, 12, 10, 8), strict=True))
    assert rules.final_scores(base, {"con": 2, "wis": 1}) == {
        "str": 15,
        "dex": 14,
        "con": 15,
        "int": 12,
        "wis": 11,
        "cha": 8,
    }
    assert rules.final_scores({**base, "str": 19}, {"str": 2})["str"] == 20


def test_ac_dwarf_fighter_chain_mail_and_shield() -> None:
    # chain mail 16 (no Dex) + shield 2
    assert rules.armor_class(dex_mod=1, armor=SRD.armor("chain-mail"), shield=SRD.armor("shield")) == 18


def test_ac_light_and_medium_armour() -> None:
    assert rules.armor_class(dex_mod=3, armor=SRD.armor("leather-armor")) == 14  # 11 + 3
    assert rules.armor_class(dex_mod=4, armor=SRD.armor("scale-mail")) == 16  # 14 + max 2
    assert rules.armor_class(dex_mod=-1, armor=SRD.armor("half-plate-armor")) == 14
    assert rules.armor_class(dex_mod=2) == 12  # no armour


def test_unarmoured_defence() -> None:
    monk = {"str": 10, "dex": 16, "con": 12, "int": 10, "wis": 14, "cha": 8}
    bonus = rules.unarmored_bonus("monk", monk, wearing_shield=False)
    assert rules.armor_class(dex_mod=3, unarmored_bonus=bonus) == 15
    assert rules.unarmored_bonus("monk", monk, wearing_shield=True) is None  # a shield ends it for monks
    barbarian = {"str": 16, "dex": 14, "con": 16, "int": 8, "wis": 10, "cha": 10}
    bonus = rules.unarmored_bonus("barbarian", barbarian, wearing_shield=True)
    assert rules.armor_class(dex_mod=2, unarmored_bonus=bonus, shield=SRD.armor("shield")) == 17  # 10+2+3+2
    assert rules.unarmored_bonus("fighter", barbarian, wearing_shield=False) is None


def test_heavy_armour_strength_slows() -> None:
    assert rules.speed(30, armor=SRD.armor("plate-armor"), strength=13) == 20
    assert rules.speed(30, armor=SRD.armor("plate-armor"), strength=15) == 30
    assert rules.speed(25, armor=SRD.armor("chain-mail"), strength=13) == 25


def test_skill_and_save_bonuses() -> None:
    assert rules.skill_bonus(3, 2, proficient=True) == 5
    assert rules.skill_bonus(3, 2, proficient=True, expertise=True) == 7
    assert rules.skill_bonus(-1, 2, proficient=False) == -1
    assert rules.save_bonus(2, 3, proficient=True) == 5
    assert rules.passive_score(3) == 13
    assert rules.passive_score(3, Advantage.ADVANTAGE) == 18
    assert rules.passive_score(3, Advantage.DISADVANTAGE) == 8
    assert rules.initiative_bonus(2) == 2


def test_rogue_rapier_finesse() -> None:
    rapier = SRD.weapon("rapier")
    str_mod, dex_mod = rules.modifier(10), rules.modifier(16)
    ability = rules.weapon_ability(rapier, str_mod, dex_mod)
    assert ability == "dex"
    assert rules.attack_bonus(dex_mod, 2, proficient=True) == 5
    assert rules.damage_expression(rapier.damage_dice or "", dex_mod) == "1d8+3"
    assert rules.damage_expression("1d8", 3, critical=True) == "2d8+3"


def test_weapon_abilities() -> None:
    assert rules.weapon_ability(SRD.weapon("longbow"), 3, 1) == "dex"
    assert rules.weapon_ability(SRD.weapon("longsword"), 1, 3) == "str"
    assert rules.weapon_ability(SRD.weapon("handaxe"), 2, 0) == "str"  # thrown keeps Str
    assert rules.weapon_ability(SRD.weapon("dagger"), 3, 1) == "str"  # finesse takes the better
    assert rules.damage_expression("1d6", 0) == "1d6"
    assert rules.damage_expression("2d6", -1, critical=True) == "4d6-1"


def test_weapon_proficiency() -> None:
    refs = {p.index: p.reference for p in SRD.data.proficiencies}
    assert rules.weapon_proficient(SRD.weapon("rapier"), ["simple-weapons", "rapiers"], refs)
    assert rules.weapon_proficient(SRD.weapon("longsword"), ["martial-weapons"], refs)
    assert not rules.weapon_proficient(SRD.weapon("longsword"), ["simple-weapons", "rapiers"], refs)


def test_hit_points() -> None:
    assert rules.hp_first_level(10, 2) == 12  # fighter, Con 14
    assert rules.hp_first_level(6, -3) == 3
    assert rules.hp_average_gain(8) == 5 and rules.hp_average_gain(12) == 7
    assert rules.hp_gain(1, -2) == 1  # never less than 1 per level
    assert rules.hp_max_average(10, 2, 3) == 12 + 8 + 8
    assert rules.hp_max_average(8, 1, 2, per_level_bonus=1) == 10 + 7  # hill dwarf cleric
    assert rules.hit_dice_regained_on_long_rest(1) == 1
    assert rules.hit_dice_regained_on_long_rest(5) == 2
    assert rules.heal(3, 10, 20) == 10


def test_level_for_xp() -> None:
    thresholds = SRD.data.tables.xp_by_level
    assert rules.level_for_xp(0, thresholds) == 1
    assert rules.level_for_xp(300, thresholds) == 2
    assert rules.level_for_xp(899, thresholds) == 2
    assert rules.level_for_xp(355000, thresholds) == 20


def test_spell_slots_from_the_class_table() -> None:
    assert SRD.spell_slots("wizard", 1)[:2] == (2, 0)
    assert SRD.spell_slots("wizard", 5)[:3] == (4, 3, 2)
    assert set(SRD.spell_slots("fighter", 5)) == {0}


def test_coins() -> None:
    assert rules.apply_coins({"gp": 15}, {"gp": -5, "sp": 3}) == {"cp": 0, "sp": 3, "ep": 0, "gp": 10, "pp": 0}
    with pytest.raises(InvalidInput, match="Not enough"):
        rules.apply_coins({"gp": 1}, {"gp": -2})
    with pytest.raises(InvalidInput, match="not a coin"):
        rules.apply_coins({}, {"xx": 1})
    assert rules.coins_value_cp({"gp": 1, "sp": 2, "cp": 3}) == 123


@pytest.mark.parametrize(
    ("natural", "before", "after"),
    [
        (10, (0, 0), (1, 0, "dying", 0)),
        (9, (0, 0), (0, 1, "dying", 0)),
        (1, (0, 0), (0, 2, "dying", 0)),
        (1, (0, 1), (0, 3, "dead", 0)),
        (20, (1, 2), (0, 0, "revived", 1)),
        (15, (2, 2), (3, 2, "stable", 0)),
        (5, (2, 2), (2, 3, "dead", 0)),
    ],
)
def test_death_saves(natural: int, before: tuple[int, int], after: tuple[int, int, str, int]) -> None:
    result = rules.death_save(natural, natural, *before)
    assert (result.successes, result.failures, result.state, result.hp) == after


def _cond(*names: str, level: int = 1) -> list[tuple[Condition, int]]:
    return [(SRD.condition(n), level) for n in names]


def test_poisoned_gives_disadvantage_on_attacks_and_checks() -> None:
    assert rules.condition_modifiers("attack", _cond("poisoned")).advantage is Advantage.DISADVANTAGE
    assert rules.condition_modifiers("check", _cond("poisoned")).advantage is Advantage.DISADVANTAGE
    assert rules.condition_modifiers("save", _cond("poisoned"), ability="con").advantage is Advantage.NONE


def test_advantage_and_disadvantage_cancel() -> None:
    mods = rules.condition_modifiers("attack", _cond("poisoned"), advantage=True)
    assert mods.advantage is Advantage.NONE
    assert mods.reasons == ("you asked", "poisoned")
    # invisible (advantage) and poisoned (disadvantage) cancel; more of one kind never outweighs
    both = rules.condition_modifiers("attack", _cond("invisible", "poisoned", "prone"))
    assert both.advantage is Advantage.NONE
    assert rules.condition_modifiers("check", [], advantage=True, disadvantage=True).advantage is Advantage.NONE
    assert rules.condition_modifiers("check", [], advantage=True).advantage is Advantage.ADVANTAGE


def test_auto_fail_and_save_disadvantage() -> None:
    assert rules.condition_modifiers("save", _cond("paralyzed"), ability="dex").auto_fail
    assert not rules.condition_modifiers("save", _cond("paralyzed"), ability="wis").auto_fail
    restrained = rules.condition_modifiers("save", _cond("restrained"), ability="dex")
    assert restrained.advantage is Advantage.DISADVANTAGE


def test_exhaustion_levels() -> None:
    assert rules.condition_modifiers("check", _cond("exhaustion", level=1)).advantage is Advantage.DISADVANTAGE
    assert rules.condition_modifiers("attack", _cond("exhaustion", level=2)).advantage is Advantage.NONE
    assert (
        rules.condition_modifiers("save", _cond("exhaustion", level=3), ability="str").advantage
        is Advantage.DISADVANTAGE
    )
    assert rules.exhaustion_speed(30, 2) == 15 and rules.exhaustion_speed(30, 5) == 0
    assert rules.exhaustion_hp_max(20, 4) == 10


def test_stealth_disadvantage_from_armour() -> None:
    mods = rules.condition_modifiers("check", [], skill="stealth", stealth_disadvantage=True)
    assert mods.advantage is Advantage.DISADVANTAGE
    assert (
        rules.condition_modifiers("check", [], skill="athletics", stealth_disadvantage=True).advantage is Advantage.NONE
    )
