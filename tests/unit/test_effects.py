"""The timed-effect model and the pure turn-order rules the tracker tools use, with worked examples."""

from __future__ import annotations

import pytest

from bot.engine import combat_rules as cr
from bot.engine import effects
from bot.engine.combat.custom import initiative_of, parse_attacks
from bot.errors import InvalidInput


def bless(rounds: int | None = 2, *, on: str = "lia", caster: str | None = "lia") -> effects.Effect:
    preset = effects.preset("  BLESS ")
    assert preset is not None
    return effects.timed(preset, rounds, on=on, phase="end", caster=caster)


def test_bonuses_are_signed_dice_or_numbers_and_nothing_else() -> None:
    assert [effects.bonus_term(t) for t in ("1d4", "+2", "-1d4", " 1d4 + 1 ")] == ["+1d4", "+2", "-1d4", "+1d4+1"]
    for bad in ("d4", "1d4*2", "100d6", "bless", "", "1d4+1d6+2"):
        with pytest.raises(InvalidInput, match="isn't a bonus"):
            effects.bonus_term(bad)
    with pytest.raises(InvalidInput, match="Extra damage"):
        effects.make("Curse", damage="-1d4")
    with pytest.raises(InvalidInput, match="AC by -10 to \\+10"):
        effects.make("Wall", ac=11)


def test_rounds_tick_only_on_the_named_creatures_turn_and_phase() -> None:
    shield = effects.timed(effects.PRESETS["shield"], 1, on="lia", phase="start", caster=None)
    on_tordek = (bless(2), shield)
    kept, expired = effects.tick(on_tordek, "tordek", "end")  # Tordek's own turn: not theirs to count
    assert kept == on_tordek and expired == ()
    kept, expired = effects.tick(on_tordek, "lia", "end")
    assert [e.rounds for e in kept] == [1, 1] and expired == ()
    kept, expired = effects.tick(kept, "lia", "start")  # Shield: until the start of Lia's next turn
    assert [e.name for e in kept] == ["Bless"] and expired == ("Shield",)
    assert effects.tick(kept, "lia", "end") == ((), ("Bless",))
    forever = (bless(None),)
    assert effects.tick(forever, "lia", "end") == (forever, ())


def test_concentration_ends_the_casters_effects_but_the_one_kept() -> None:
    bane = effects.timed(effects.PRESETS["bane"], 10, on="lia", phase="end", caster="lia")
    other = bless(caster="mira")
    kept, gone = effects.without_concentration((bless(), bane, other), "lia", keep="bane")
    assert [e.name for e in kept] == ["Bane", "Bless"] and kept[1].caster == "mira" and gone == ("Bless",)


def test_what_effects_do_to_rolls_and_ac() -> None:
    fire = effects.PRESETS["faerie fire"]
    own = (bless(), effects.make("Rage", damage="2", edges={"check": "advantage"}), effects.PRESETS["shield of faith"])
    attack = effects.rolls_for("attack", own, against=(fire,))
    assert attack.dice == (("Bless", "+1d4"),) and attack.advantage == ("target Faerie Fire",)
    assert effects.rolls_for("check", own).advantage == ("Rage",)
    assert effects.rolls_for("save", own, against=(fire,)).advantage == ()  # attacked_by is for attacks only
    assert effects.damage_bonus(own) == (("Rage", "+2"),) and effects.ac_bonus(own) == 2
    assert effects.resistances((effects.make("Stone Skin", resistances=["Slashing"]),)) == {"slashing"}
    assert effects.describe(own[1]) == "+2 damage, advantage on checks"


def test_effects_survive_json_and_the_added_list_replaces_by_name() -> None:
    again = effects.load(effects.dump((bless(), effects.PRESETS["faerie fire"])))
    assert again == (bless(), effects.PRESETS["faerie fire"])
    assert (
        effects.load(None) == ()
        and effects.from_json({"name": "Odd", "rounds": "3", "edges": {"x": "no"}}).rounds is None
    )
    stacked = effects.added((bless(2),), bless(5))
    assert [e.rounds for e in stacked] == [5]
    with pytest.raises(InvalidInput, match="Its effects: Bless"):
        effects.removed(stacked, "Haste")
    with pytest.raises(InvalidInput, match="at most 12"):
        effects.added(tuple(effects.make(f"E{i}") for i in range(12)), effects.make("One more"))


def slots(*rows: tuple[int, int, int, int]) -> list[cr.InitiativeSlot]:
    return [cr.InitiativeSlot(*row) for row in rows]


def test_place_at_lands_exactly_where_asked_and_sorts_back_that_way() -> None:
    order = slots((1, 18, 12, 0), (2, 15, 14, 0), (3, 12, 10, 0), (4, 8, 10, 0))
    for position in range(4):
        placed = cr.place_at(order, [4], position)
        ids = [s.id for s in placed]
        assert ids.index(4) == position and [s.id for s in cr.initiative_order(placed)] == ids
    pack = cr.place_at(order, [3, 4], 0)
    assert [s.id for s in cr.initiative_order(pack)] == [3, 4, 1, 2]


def test_turn_takers_back_turn_and_groups() -> None:
    alive, held = [True, False, True, True, True], [False, False, False, True, False]
    groups = ["wolf", "wolf", "wolf", None, None]
    assert cr.turn_takers(alive, held, groups) == [True, False, False, False, True]
    assert cr.turn_takers([False, True, True], [False] * 3, ["w", "w", "w"]) == [False, True, False]
    back = cr.back_turn([True, False, True], 2, 0)
    assert (back.round, back.index, back.new_round) == (1, 2, True)
    with pytest.raises(InvalidInput, match="first turn"):
        cr.back_turn([True, True], 1, 0)


def test_generic_attack_lines_and_initiative() -> None:
    stones, rope = parse_attacks("Falling Stones DC 12 dex 2d6 half; Rope +4 1d4 piercing", ["piercing", "bludgeoning"])
    assert stones.dc is not None and (stones.dc.ability, stones.dc.value, stones.dc.success) == ("dex", 12, "half")
    assert stones.damage[0].type == "bludgeoning" and (rope.attack_bonus, rope.damage[0].type) == (4, "piercing")
    with pytest.raises(InvalidInput, match="not a damage type"):
        parse_attacks("Zap +3 1d6 plasma", ["fire"])
    assert (
        initiative_of("15", 7, 2) == (15, 2)
        and initiative_of("+3", 7, 2) == (10, 3)
        and initiative_of(None, 7, 2) == (9, 2)
    )
    with pytest.raises(InvalidInput, match="Initiative is a number"):
        initiative_of("fast", 7, 2)


def test_barkskin_sets_a_floor_of_16_and_haste_leaves_lethargy_when_it_ends() -> None:
    from bot.engine import spell_effects

    bark = spell_effects.effect_for(
        "barkskin", "Barkskin", caster="ida", concentration=True, slot=2, spell_level=2, target="tordek"
    )
    assert (effects.armour_class(12, [bark]), effects.armour_class(18, [bark])) == (16, 18)
    haste = spell_effects.effect_for(
        "haste", "Haste", caster="mira", concentration=True, slot=3, spell_level=3, target="tordek"
    )
    assert effects.ruled_by([haste], effects.EXTRA_ACTION) is haste
    kept, gone = effects.without_concentration([haste], "mira")
    tired = effects.with_lethargy([haste], kept, "tordek", own_turn=False)
    assert gone == ("Haste",) and [(e.name, e.rounds, e.ticks_on) for e in tired] == [("Haste lethargy", 1, "tordek")]
    assert effects.ruled_by(tired, effects.NO_ACTIONS) is not None
    assert effects.from_json(effects.to_json(tired[0])) == tired[0]  # stored as JSON on the combatant


def test_effects_of_an_absent_caster_tick_on_their_holders_turns() -> None:
    held = bless(3, on="sera", caster="sera")
    kept, _ = effects.tick([held], "tordek", "end", holder="tordek", present={"tordek", "goblin"})
    assert kept[0].rounds == 2  # Sera is not in the fight: Tordek's turns keep the clock
    kept, _ = effects.tick([held], "tordek", "end", holder="tordek", present={"tordek", "sera"})
    assert kept[0].rounds == 3  # she is: her turns do
