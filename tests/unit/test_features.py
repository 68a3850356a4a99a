"""Class features with uses and what features change, without I/O: the SRD's uses by level (worked out from
the class tables), spending, the rests that bring them back, custom counters, and the numbers of Rage, Extra
Attack, Sneak Attack, Improved Critical, Martial Arts, Divine Smite, Dark One's Blessing and temporary HP."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.engine import combat_rules as cr
from bot.engine.features import rules, uses
from bot.engine.rests import long_rest
from bot.engine.sheet import Sheet
from bot.errors import InvalidInput, NotFound

SCORES = {"str": 16, "dex": 14, "con": 14, "int": 10, "wis": 12, "cha": 16}  # Cha +3


def sheet(klass: str, level: int, subclass: str | None = None) -> Sheet:
    return Sheet(
        id=1, guild_id=1, owner_id=1, campaign_id=None, name="Ash", active=True, version=1, race="human",
        subrace=None, class_index=klass, background="acolyte", level=level, xp=0, levelup_allowed=False,
        base_scores=SCORES, bonus_scores={}, hp_max=30, hp_current=30, hp_temp=0, hit_dice_used=0,
        death_successes=0, death_failures=0, proficiencies={}, expertise=(), languages=(), features=(),
        inventory=(), coins={}, slots_max=(), slots_current=(), conditions=(), subclass=subclass,
    )  # fmt: skip


def table(s: Sheet) -> dict[str, tuple[int, str]]:
    return {u.name: (u.maximum, u.reset) for u in uses.uses_of(s)}


@pytest.mark.parametrize(
    ("klass", "level", "expected"),
    [
        ("barbarian", 1, {"Rage": (2, "long")}),
        ("barbarian", 5, {"Rage": (3, "long")}),  # 3 at levels 3-5
        ("barbarian", 11, {"Rage": (4, "long")}),  # 4 at 6-11
        ("barbarian", 20, {"Rage": (99, "long")}),  # unlimited
        ("bard", 1, {"Bardic Inspiration": (3, "long")}),  # Cha mod +3
        ("bard", 5, {"Bardic Inspiration": (3, "short")}),  # Font of Inspiration
        ("cleric", 1, {}),
        ("cleric", 5, {"Channel Divinity": (1, "short")}),
        ("cleric", 11, {"Channel Divinity": (2, "short")}),
        ("cleric", 20, {"Channel Divinity": (3, "short")}),
        ("druid", 2, {"Wild Shape": (2, "short")}),
        ("fighter", 1, {"Second Wind": (1, "short")}),
        ("fighter", 11, {"Second Wind": (1, "short"), "Action Surge": (1, "short"), "Indomitable": (1, "long")}),
        ("fighter", 20, {"Second Wind": (1, "short"), "Action Surge": (2, "short"), "Indomitable": (3, "long")}),
        ("monk", 1, {}),
        ("monk", 5, {"Ki": (5, "short")}),  # ki points = monk level
        ("paladin", 1, {"Lay on Hands": (5, "long"), "Divine Sense": (4, "long")}),  # 5 × level; 1 + Cha
        ("paladin", 11, {"Lay on Hands": (55, "long"), "Divine Sense": (4, "long")}),
        ("sorcerer", 5, {"Sorcery Points": (5, "long")}),
        ("wizard", 5, {"Arcane Recovery": (1, "long")}),  # once a day, after a short rest
        ("ranger", 5, {}),
        ("warlock", 5, {}),
        ("rogue", 5, {}),
    ],
)
def test_uses_by_class_and_level(klass: str, level: int, expected: dict[str, tuple[int, str]]) -> None:
    assert table(sheet(klass, level)) == expected


def test_spending_refusals_and_the_rests_that_bring_uses_back() -> None:
    fighter, _ = uses.spend(sheet("fighter", 2), "Action Surge")
    fighter, left = uses.spend(fighter, "second wind")
    assert left.left == 0
    with pytest.raises(InvalidInput, match="0 uses of Second Wind left; it comes back on a short rest"):
        uses.spend(fighter, "Second Wind")
    with pytest.raises(NotFound, match="no feature with uses called “Rage”"):
        uses.spend(fighter, "Rage")
    back, names = uses.after_rest(fighter, "short")
    assert names == ("Second Wind", "Action Surge") and not back.feature_spent

    barbarian, _ = uses.spend(sheet("barbarian", 3), "Rage")
    assert uses.after_rest(barbarian, "short") == (barbarian, ())  # rages come back on a long rest only
    assert long_rest(barbarian).features_regained == ("Rage",)

    paladin, left = uses.spend(sheet("paladin", 3), "Lay on Hands", 7)  # a pool, spent by the point
    assert (left.left, left.maximum) == (8, 15)
    with pytest.raises(InvalidInput, match="one use at a time"):
        uses.spend(paladin, "Divine Sense", 2)


def test_custom_counters_add_spend_reset_and_remove() -> None:
    s = uses.add_counter(sheet("rogue", 3), "Luck", 3, "long")
    s = uses.add_counter(s, "Hex charges", 2, "never")
    s, _ = uses.spend(s, "luck", 2)
    s, _ = uses.spend(s, "Hex charges")
    with pytest.raises(InvalidInput, match="already has “Luck”"):
        uses.add_counter(s, "luck", 5, "short")
    with pytest.raises(InvalidInput, match="short` rest"):
        uses.add_counter(s, "Other", 1, "daily")
    rested, names = uses.after_rest(s, "long")
    assert names == ("Luck",)
    assert {c.name: c.spent for c in rested.counters} == {"Luck": 0, "Hex charges": 1}  # never resets
    gone, counter = uses.remove_counter(rested, "Luck")
    assert counter.name == "Luck" and [c.name for c in gone.counters] == ["Hex charges"]


def test_the_numbers_features_change() -> None:
    assert [rules.attacks_per_action(sheet("fighter", n)) for n in (1, 5, 11, 20)] == [1, 2, 3, 4]
    assert [rules.attacks_per_action(sheet(k, 5)) for k in ("barbarian", "monk", "paladin", "ranger", "rogue")] == [
        2, 2, 2, 2, 1
    ]  # fmt: skip
    assert [rules.rage_damage(sheet("barbarian", n)) for n in (1, 9, 16)] == [2, 3, 4]
    assert [rules.sneak_attack_dice(sheet("rogue", n)) for n in (1, 3, 5, 20)] == ["1d6", "2d6", "3d6", "10d6"]
    assert rules.sneak_attack_dice(sheet("fighter", 5)) is None
    assert [rules.crit_from(sheet("fighter", n, "champion")) for n in (2, 3, 15)] == [20, 19, 18]
    assert rules.crit_from(sheet("fighter", 5)) == 20  # no subclass: no Improved Critical
    assert [rules.martial_arts_die(sheet("monk", n)) for n in (1, 5, 11, 17)] == [4, 6, 8, 10]
    assert rules.smite_dice(1, "humanoid") == "2d8" and rules.smite_dice(1, "undead") == "3d8"
    assert rules.smite_dice(4, "fiend") == "6d8" and rules.smite_dice(5, None) == "5d8"  # 5d8 at most, +1d8
    assert rules.dark_ones_blessing(sheet("warlock", 3, "fiend")) == 6  # Cha +3 + level 3
    assert rules.dark_ones_blessing(sheet("warlock", 3)) == 0
    assert rules.temp_hp(5, 3) == 5 and rules.temp_hp(2, 6) == 6  # they don't stack: the higher stays
    assert cr.resolve_attack(19, 5, 30, crit_from=19) == cr.AttackResolution(True, True, "natural 19")
    assert cr.resolve_attack(19, 5, 30).hit is False
    rage = rules.rage_effect()
    assert rage.resistances == ("bludgeoning", "piercing", "slashing") and rage.edges["save:str"] == "advantage"


def test_damage_takes_temporary_hit_points_first() -> None:
    from bot.engine.hit_points import damaged

    hurt = damaged(replace(sheet("warlock", 3), hp_temp=6), 8)
    assert (hurt.hp_temp, hurt.hp_current) == (0, 28)


def test_every_srd_class_feature_but_the_subclass_choices_has_a_sentence() -> None:
    from bot.data.srd import load_srd
    from bot.engine.features.data import describe

    srd = load_srd()
    names = {f for c in srd.data.classes for row in c.levels for f in row.features}
    choices = ("Archetype", "College", "Domain", "Circle", "Tradition", "Path", "Oath", "Origin", "Patron")
    missing = {n for n in names if not describe(n) and not any(word in n for word in choices)}
    assert not missing, missing  # "Flexible Casting: ..." reads as Flexible Casting
    assert describe("Action Surge (1 use)") == describe("Action Surge") and describe("Spellcasting: Bard")
