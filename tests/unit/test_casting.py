"""The pure rules of casting (bot.engine.casting, bot.engine.spell_effects and the spell parts of
bot.engine.effects), with the SRD's numbers written out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.data.srd import load_srd
from bot.engine import casting, effects, spell_effects
from bot.engine.sheet import Sheet, Spells
from bot.errors import InvalidInput

SRD = load_srd()


def sheet(
    klass: str,
    level: int,
    *,
    cantrips: tuple[str, ...] = (),
    known: tuple[str, ...] = (),
    book: tuple[str, ...] = (),
    prepared: tuple[str, ...] = (),
) -> Sheet:
    slots = SRD.spell_slots(klass, level)
    return Sheet(
        id=1, guild_id=1, owner_id=1, campaign_id=None, name="Mira", active=True, version=1, race="human",
        subrace=None, class_index=klass, background="acolyte", level=level, xp=0, levelup_allowed=False,
        base_scores=dict.fromkeys(("str", "dex", "con", "int", "wis", "cha"), 14), bonus_scores={},
        hp_max=10, hp_current=10, hp_temp=0, hit_dice_used=0, death_successes=0, death_failures=0,
        proficiencies={}, expertise=(), languages=(), features=(), inventory=(), coins={},
        slots_max=slots, slots_current=slots, conditions=(), spells=Spells(cantrips, known, book, prepared),
    )  # fmt: skip


def test_slots_are_spent_upcast_and_refused_when_none_are_left() -> None:
    wizard = sheet("wizard", 3, book=("magic-missile", "detect-magic"), prepared=("magic-missile",))
    missile = SRD.spell("magic-missile")
    assert casting.slot_for(wizard, missile, None, ritual=False) == 1
    assert casting.slot_for(wizard, missile, 2, ritual=False) == 2
    with pytest.raises(InvalidInput, match="no level-3 spell slots"):
        casting.slot_for(wizard, missile, 3, ritual=False)
    empty = replace(wizard, slots_current=(0, 2, 0, 0, 0, 0, 0, 0, 0))
    with pytest.raises(InvalidInput, match=r"no level-1 slots left.*long rest"):
        casting.slot_for(empty, missile, 1, ritual=False)
    assert casting.spent(wizard, 2).slots_current[:2] == (4, 1)  # a level-3 wizard: 4 and 2


def test_a_warlock_casts_at_its_pact_level() -> None:
    warlock = sheet("warlock", 5, known=("hellish-rebuke",))
    rebuke = SRD.spell("hellish-rebuke")
    assert warlock.slots_max[:3] == (0, 0, 2)  # Pact Magic at level 5: two 3rd-level slots
    assert casting.slot_for(warlock, rebuke, None, ritual=False) == 3
    with pytest.raises(InvalidInput, match="pact slots are all level 3"):
        casting.slot_for(warlock, rebuke, 1, ritual=False)


def test_rituals_by_class() -> None:
    wizard = sheet("wizard", 1, book=("detect-magic",))
    detect = SRD.spell("detect-magic")
    assert casting.slot_for(wizard, detect, None, ritual=True) is None  # from the book, unprepared
    assert detect in casting.castable(wizard, SRD)
    sorcerer = sheet("sorcerer", 1, known=("detect-magic",))
    with pytest.raises(InvalidInput, match="can't be cast as a ritual"):
        casting.slot_for(sorcerer, detect, None, ritual=True)
    with pytest.raises(InvalidInput, match="isn't a ritual"):
        casting.slot_for(wizard, SRD.spell("magic-missile"), None, ritual=True)


def test_dice_by_slot_and_character_level() -> None:
    assert casting.damage_dice(SRD.spell("fireball"), 5, 9) == "10d6"  # 8d6 + 1d6 a slot above 3rd
    assert casting.damage_dice(SRD.spell("fire-bolt"), None, 5) == "2d10"
    assert casting.damage_dice(SRD.spell("fire-bolt"), None, 17) == "4d10"
    assert casting.heal_dice(SRD.spell("cure-wounds"), 2, 3) == "2d8+3"  # 1d8 + MOD, +1d8 a slot
    assert casting.heal_dice(SRD.spell("cure-wounds"), 1, 0) == "1d8"
    assert casting.shape(SRD.spell("magic-missile"), 3, 5) == casting.Shape("darts", 5, "1d4+1")
    assert casting.shape(SRD.spell("eldritch-blast"), None, 5).count == 2  # a second beam at level 5
    assert casting.shape(SRD.spell("eldritch-blast"), None, 17).count == 4
    assert casting.shape(SRD.spell("scorching-ray"), 4, 7) == casting.Shape("rays", 5, "2d6")
    assert casting.shape(SRD.spell("sleep"), 3, 5).dice == "9d8"  # 5d8 + 2d8 a slot above 1st


def test_sleep_takes_the_lowest_hit_points_first() -> None:
    asleep, left = casting.sleep_order([("orc", 15), ("goblin a", 7), ("goblin b", 7), ("down", 0)], 20)
    assert asleep == ["goblin a", "goblin b"] and left == 6  # 15 is more than the 6 left


def test_targets_and_concentration_dc() -> None:
    assert casting.max_targets(SRD.spell("bless"), 1) == 3 and casting.max_targets(SRD.spell("bless"), 3) == 5
    assert casting.max_targets(SRD.spell("hold-person"), 4) == 3  # one more per slot above 2nd
    assert casting.max_targets(SRD.spell("shield"), 1) == 1
    assert casting.concentration_dc(7) == 10 and casting.concentration_dc(30) == 15
    assert casting.target_names(" Goblin 1 ,, goblin  2 ") == ["Goblin 1", "goblin 2"]
    assert casting.completing("Goblin 1, gob", ["Goblin 1", "Goblin 2", "Orc"]) == ["Goblin 1, Goblin 2"]
    assert casting.spell_of_action("cast  Fireball") == "Fireball" and casting.spell_of_action("Scimitar") is None


def test_timed_effect_spells_as_effects() -> None:
    bless = spell_effects.effect_for(
        "bless", "Bless", caster="sera", concentration=True, slot=1, spell_level=1, target="tordek"
    )
    assert bless.bonuses == {"attack": "+1d4", "save": "+1d4"} and bless.rounds == 10 and bless.caster == "sera"
    armour = spell_effects.effect_for(
        "mage-armor", "Mage Armor", caster="mira", concentration=False, slot=1, spell_level=1, target="mira",
        target_dex_mod=3,
    )  # fmt: skip
    assert armour.ac_base == 16 and armour.rounds == 4800 and effects.armour_class(13, [armour]) == 16
    assert effects.armour_class(18, [armour]) == 18  # worn armour that beats it stays
    mark = spell_effects.effect_for(
        "hunters-mark", "Hunter's Mark", caster="ranger", concentration=True, slot=3, spell_level=1, target="orc"
    )
    assert mark.against == "orc" and mark.rounds == 8 * 600
    assert effects.damage_bonus([mark], "orc") == (("Hunter's Mark", "+1d6"),) and not effects.damage_bonus([mark], "x")
    haste = spell_effects.effect_for(
        "haste", "Haste", caster="w", concentration=True, slot=3, spell_level=3, target="f"
    )
    assert effects.rolls_for("save", [haste], ability="dex").advantage == ("Haste",)
    assert not effects.rolls_for("save", [haste], ability="wis").advantage
    aid = spell_effects.effect_for("aid", "Aid", caster="c", concentration=False, slot=3, spell_level=2, target="f")
    assert aid.bonuses["hp_max"] == "+10"  # +5, and 5 more a slot above 2nd
    assert spell_effects.rounds_of("Up to 1 minute") == 10 and spell_effects.rounds_of("8 hours") == 4800
    assert spell_effects.rounds_of("Instantaneous") is None


def test_effects_round_trip_and_time_passing() -> None:
    held = spell_effects.condition_effect(
        "Hold Person", ("paralyzed",), caster="sera", concentration=True, rounds=10, save=("wis", 13)
    )
    assert effects.from_json(effects.to_json(held)) == held
    assert effects.label(held) == "Hold Person (10 rounds): paralyzed"
    assert effects.conditions_of([held]) == ("paralyzed",)
    long = replace(held, rounds=4800, conditions=())
    kept, ended = effects.elapsed([held, long], 600)
    assert kept == (replace(long, rounds=4200),) and ended == ("Hold Person",)
    assert effects.duration_words(4800) == "8 h" and effects.duration_words(100) == "10 min"
    assert effects.duration_words(4799) == "8 h" and effects.duration_words(3605) == "6 h 1 min"  # part-way: minutes up
    asleep = replace(held, ends_on_damage=True)
    assert effects.damaged([asleep, long]) == ((long,), ("Hold Person",))


def test_an_aid_that_ends_takes_its_hit_points_back() -> None:
    aid = spell_effects.effect_for("aid", "Aid", caster="c", concentration=False, slot=2, spell_level=2, target="f")
    aided = replace(sheet("fighter", 1), hp_max=15, hp_current=15, effects=(aid,))
    after = casting.pass_time(aided, 4800)
    assert (after.hp_max, after.hp_current, after.effects) == (10, 10, ())


def test_only_the_books_rituals_are_castable_unprepared() -> None:
    wizard = sheet("wizard", 1, book=("detect-magic", "burning-hands"), prepared=())
    assert [s.index for s in casting.castable(wizard, SRD)] == ["detect-magic"]
    with pytest.raises(InvalidInput, match="ready to cast"):
        casting.find_castable(wizard, SRD, SRD.spell("burning-hands"))
    with pytest.raises(InvalidInput, match="cast it as a ritual"):
        casting.find_castable(wizard, SRD, SRD.spell("detect-magic"))
    casting.find_castable(wizard, SRD, SRD.spell("detect-magic"), ritual=True)


def test_a_monsters_ready_spells_and_the_slot_each_would_spend() -> None:
    from bot.engine.combat import monster_spells
    from persistence.models import Combatant

    mage = SRD.monster("mage")
    row = Combatant(name="Mage", name_key="mage", kind="monster", spells_used={"1": 4, "5": 1})
    ready = {s.index: slot for s, slot in monster_spells.ready(SRD, row, mage)}
    assert ready["fire-bolt"] is None  # a cantrip
    assert ready["magic-missile"] == 2  # its four 1st-level slots are spent: the next one up
    assert "cone-of-cold" not in ready  # its one 5th-level slot is gone
    glabrezu = SRD.monster("glabrezu")
    used = Combatant(name="Glabrezu", name_key="glabrezu", kind="monster", spells_used={"uses:power-word-stun": 1})
    innate = {s.index for s, _ in monster_spells.ready(SRD, used, glabrezu)}
    assert "darkness" in innate and "power-word-stun" not in innate  # at will; 1/day, used
    assert monster_spells.weapon_worth(SRD.monster("goblin")) == pytest.approx(5.5 * monster_spells.HIT_CHANCE)
