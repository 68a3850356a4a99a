"""The SRD loader returns the SRD's numbers: spot checks a player would notice if wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.data.srd import SRD, Armor, Gear, Weapon, cr_label, load_srd, parse_cr


@pytest.fixture(scope="module")
def srd() -> SRD:
    return load_srd()


def test_load_is_cached(srd: SRD) -> None:
    assert load_srd() is srd


def test_models_are_frozen(srd: SRD) -> None:
    fighter = srd.klass("fighter")
    with pytest.raises(ValidationError):  # assignment to a frozen model
        fighter.hit_die = 12


def test_attribution_is_shipped(srd: SRD) -> None:
    assert "System Reference Document 5.1" in srd.data.meta.attribution
    assert "Creative Commons Attribution 4.0" in srd.data.meta.attribution


def test_fighter(srd: SRD) -> None:
    fighter = srd.klass("fighter")
    assert fighter.hit_die == 10
    assert fighter.saving_throws == ("str", "con")
    assert fighter.skill_choice is not None and fighter.skill_choice.choose == 2
    assert "athletics" in fighter.skill_choice.options
    assert "martial-weapons" in fighter.proficiencies.weapons
    assert fighter.spellcasting_ability is None
    assert fighter.level(1).features == ("Fighting Style", "Second Wind")
    assert fighter.subclasses == ("champion",)
    first = fighter.starting_equipment_options[0]
    assert first.choose == 1 and first.options[0].item == "chain-mail"
    assert [o.item for o in first.options[1].all_of] == ["leather-armor", "longbow", "arrow"]


def test_wizard_spellcasting(srd: SRD) -> None:
    wizard = srd.klass("Wizard")
    assert wizard.spellcasting_ability == "int"
    assert srd.spell_slots("wizard", 1) == (2, 0, 0, 0, 0, 0, 0, 0, 0)
    assert srd.spell_slots("wizard", 5) == (4, 3, 2, 0, 0, 0, 0, 0, 0)
    assert srd.spell_slots("wizard", 20) == (4, 3, 3, 3, 3, 2, 2, 1, 1)
    assert wizard.level(1).cantrips_known == 3
    assert srd.spell_slots("fighter", 3) == (0,) * 9
    assert srd.spell_slots("paladin", 2)[0] == 2


def test_elf_and_high_elf(srd: SRD) -> None:
    elf = srd.race("elf")
    assert elf.ability_bonuses == {"dex": 2}
    assert elf.speed == 30 and elf.size == "Medium"
    assert elf.proficiencies.skills == ("perception",)
    assert "Darkvision" in elf.traits
    assert elf.subraces == ("high-elf",)
    high = srd.subrace("high-elf")
    assert high.race == "elf" and high.ability_bonuses == {"int": 1}
    assert "longswords" in high.proficiencies.weapons
    assert high.language_choice is not None and high.language_choice.choose == 1


def test_race_choices(srd: SRD) -> None:
    half_elf = srd.race("Half-Elf")
    assert half_elf.ability_bonus_choice is not None and half_elf.ability_bonus_choice.choose == 2
    assert half_elf.proficiency_choices[0].choose == 2
    assert srd.race("dwarf").speed == 25
    assert srd.race("human").ability_bonuses == dict.fromkeys(("str", "dex", "con", "int", "wis", "cha"), 1)


def test_background_and_skill(srd: SRD) -> None:
    acolyte = srd.background("acolyte")
    assert acolyte.skill_proficiencies == ("insight", "religion")
    assert acolyte.feature == "Shelter of the Faithful"
    assert acolyte.language_choice is not None and acolyte.language_choice.any_of == "languages"
    assert acolyte.starting_gold is not None and acolyte.starting_gold.cp == 1500
    assert srd.skill("stealth").ability == "dex"
    assert srd.skill("Sleight of Hand").index == "sleight-of-hand"


def test_longsword(srd: SRD) -> None:
    sword = srd.weapon("longsword")
    assert (sword.damage_dice, sword.damage_type, sword.two_handed_dice) == ("1d8", "slashing", "1d10")
    assert sword.has("versatile") and sword.category == "martial" and sword.range_type == "melee"
    dagger = srd.weapon("Dagger")
    assert {"finesse", "light", "thrown"} <= set(dagger.properties)
    assert (dagger.throw_normal, dagger.throw_long) == (20, 60)
    longbow = srd.weapon("longbow")
    assert (longbow.range_normal, longbow.range_long) == (150, 600)


def test_armor(srd: SRD) -> None:
    chain = srd.armor("chain-mail")
    assert chain.base_ac == 16 and not chain.dex_bonus
    assert chain.str_minimum == 13 and chain.stealth_disadvantage
    assert chain.ac(dex_modifier=3) == 16
    assert srd.armor("breastplate").ac(dex_modifier=3) == 16  # medium: Dex capped at +2
    assert srd.armor("leather armor").ac(dex_modifier=3) == 14
    assert srd.armor("shield").category == "shield"


def test_item_lookup_spans_equipment(srd: SRD) -> None:
    assert isinstance(srd.item("longsword"), Weapon)
    assert isinstance(srd.item("chain-mail"), Armor)
    pack = srd.item("explorers-pack")
    assert isinstance(pack, Gear) and pack.contents
    assert srd.magic_item("bag-of-holding").rarity == "Uncommon"


def test_goblin(srd: SRD) -> None:
    goblin = srd.monster("goblin")
    assert goblin.cr == 0.25 and goblin.xp == 50
    assert goblin.ac == 15 and goblin.hp == 7 and goblin.hit_dice == "2d6"
    scimitar = goblin.action("Scimitar")
    assert scimitar.attack_bonus == 4
    assert [(d.dice, d.type) for d in scimitar.damage] == [("1d6+2", "slashing")]
    assert goblin.modifier("dex") == 2 and goblin.skills == {"stealth": 6}


def test_monster_structures(srd: SRD) -> None:
    dragon = srd.monster("Adult Red Dragon")
    multi = dragon.action("multiattack")
    assert multi.multiattack and multi.multiattack_count == 3
    breath = dragon.action("fire breath")
    assert breath.dc is not None and (breath.dc.ability, breath.dc.value) == ("dex", 21)
    assert breath.usage is not None and breath.usage.min_value == 5
    assert "fire" in dragon.damage_immunities and dragon.legendary_actions
    werewolf = srd.monster("werewolf-human")
    assert werewolf.damage_immunities_special[0].qualifier == "nonmagical-non-silvered"


def test_fireball(srd: SRD) -> None:
    fireball = srd.spell("fireball")
    assert fireball.level == 3 and fireball.school == "evocation"
    assert fireball.damage_at_slot_level[3] == "8d6" and fireball.damage_type == "fire"
    assert fireball.save is not None and (fireball.save.ability, fireball.save.success) == ("dex", "half")
    assert fireball.area is not None and fireball.area.size == 20
    assert fireball.damage_at(slot_level=5) == "10d6"
    assert srd.spell("fire bolt").damage_at(character_level=5) == "2d10"
    assert srd.spell("cure-wounds").heal_at_slot_level[1] == "1d8 + MOD"
    assert fireball in srd.spells_for_class("wizard", level=3)


def test_conditions(srd: SRD) -> None:
    poisoned = srd.condition("poisoned").effects
    assert (poisoned.attack, poisoned.ability_check) == ("disadvantage", "disadvantage")
    paralyzed = srd.condition("Paralyzed").effects
    assert paralyzed.auto_fail_saves == ("str", "dex") and paralyzed.crit_within_5ft
    assert paralyzed.attacked_by == "advantage" and paralyzed.incapacitated
    restrained = srd.condition("restrained").effects
    assert restrained.save_disadvantage == ("dex",) and restrained.speed_zero
    assert len(srd.condition("exhaustion").effects.levels) == 6
    assert len(srd.data.conditions) == 15


@pytest.mark.parametrize(("level", "bonus"), [(1, 2), (4, 2), (5, 3), (9, 4), (13, 5), (17, 6), (20, 6)])
def test_proficiency_bonus(srd: SRD, level: int, bonus: int) -> None:
    assert srd.proficiency_bonus(level) == bonus


def test_xp_tables(srd: SRD) -> None:
    assert srd.xp_for_level(1) == 0 and srd.xp_for_level(2) == 300 and srd.xp_for_level(20) == 355000
    assert srd.level_for_xp(0) == 1
    assert srd.level_for_xp(299) == 1 and srd.level_for_xp(300) == 2
    assert srd.level_for_xp(6499) == 4 and srd.level_for_xp(6500) == 5
    assert srd.level_for_xp(10**7) == 20
    assert all(srd.level_for_xp(srd.xp_for_level(lv)) == lv for lv in range(1, 21))


@pytest.mark.parametrize("bad", [0, 21, -1])
def test_level_bounds(srd: SRD, bad: int) -> None:
    with pytest.raises(ValueError):
        srd.proficiency_bonus(bad)
    with pytest.raises(ValueError):
        srd.xp_for_level(bad)


def test_cr_helpers(srd: SRD) -> None:
    assert parse_cr("1/4") == 0.25 and parse_cr(3) == 3.0 and cr_label(0.125) == "1/8"
    assert srd.xp_for_cr(0.25) == 50 and srd.xp_for_cr("1/2") == 100 and srd.xp_for_cr(30) == 155000
    assert srd.xp_for_cr(0) == 10
    with pytest.raises(KeyError):
        srd.xp_for_cr(31)
    quarter = srd.monsters_by_cr("1/4")
    assert srd.monster("goblin") in quarter and all(m.cr == 0.25 for m in quarter)
    assert srd.monsters_by_cr(18) == ()


def test_monster_xp_matches_cr_table(srd: SRD) -> None:
    for monster in srd.data.monsters:
        assert monster.xp in (srd.xp_for_cr(monster.cr), 0), monster.index


def test_encounter_tables(srd: SRD) -> None:
    first = srd.encounter_thresholds(1)
    assert (first.easy, first.medium, first.hard, first.deadly) == (25, 50, 75, 100)
    assert srd.encounter_thresholds(20).deadly == 12700
    party = srd.party_thresholds([3, 3, 3, 3])
    assert (party.level, party.easy, party.deadly) == (4, 300, 1600)
    counts = (1, 2, 3, 6, 7, 10, 11, 14, 15, 30)
    expected = (1.0, 1.5, 2.0, 2.0, 2.5, 2.5, 3.0, 3.0, 4.0, 4.0)
    assert tuple(srd.encounter_multiplier(n) for n in counts) == expected
    assert srd.encounter_multiplier(1, party_size=2) == 1.5
    assert srd.encounter_multiplier(1, party_size=6) == 0.5
    assert srd.encounter_multiplier(15, party_size=1) == 5.0


def test_lookup_by_name_and_unknown(srd: SRD) -> None:
    assert srd.monster("GOBLIN").index == "goblin"
    assert srd.armor("  Chain Mail ").index == "chain-mail"
    assert "goblin" in srd.lookup("monster")
    for getter in (srd.race, srd.klass, srd.monster, srd.spell, srd.weapon, srd.item, srd.condition):
        with pytest.raises(KeyError):
            getter("no-such-thing")


def test_search(srd: SRD) -> None:
    hits = srd.search("spell", "fire")
    names = [name for _, name in hits]
    assert names[:4] == ["Fire Bolt", "Fire Shield", "Fire Storm", "Fireball"]  # prefix first
    assert "Delayed Blast Fireball" in names  # then substring
    assert len(srd.search("monster", "", limit=25)) == 25
    assert srd.search("monster", "gob", limit=1) == [("goblin", "Goblin")]
    assert srd.search("spell", "zzzz") == []
    with pytest.raises(ValueError):
        srd.search("planet", "x")  # type: ignore[arg-type]


def test_reference_lists(srd: SRD) -> None:
    assert [a.index for a in srd.data.ability_scores] == sorted(["str", "dex", "con", "int", "wis", "cha"])
    assert len(srd.data.skills) == 18 and len(srd.data.damage_types) == 13
    assert {"finesse", "versatile", "two-handed"} <= {p.index for p in srd.data.weapon_properties}
    assert srd.language("Elvish").type == "standard"
    assert srd.proficiency("longswords").reference == "longsword"
    assert "longsword" in srd.equipment_category("martial-weapons").equipment
    assert srd.draconic_ancestry("draconic-ancestry-red").damage_type == "fire"
