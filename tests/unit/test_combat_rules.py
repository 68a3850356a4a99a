"""The combat rules as pure functions, against worked examples from the SRD."""

from __future__ import annotations

import itertools

import pytest

from bot.data.srd import Condition, QualifiedDamage, load_srd
from bot.engine import combat_rules as cr
from bot.engine.dice import Advantage
from bot.errors import InvalidInput

SRD = load_srd()


def conditions(*names: str) -> list[tuple[Condition, int]]:
    found: list[tuple[Condition, int]] = []
    for name in names:
        condition = SRD.condition(name)
        found.append((condition, 1))
        found += [(SRD.condition(i), 1) for i in condition.effects.implies]
    return found


# --- Initiative ---------------------------------------------------------------------------------


def test_initiative_highest_first_ties_by_dex_then_roll_off() -> None:
    slots = [
        cr.InitiativeSlot(1, 12, 14, 3),
        cr.InitiativeSlot(2, 18, 10, 1),
        cr.InitiativeSlot(3, 12, 16, 1),  # same initiative, better Dex: before 1
        cr.InitiativeSlot(4, 12, 14, 17),  # same initiative and Dex as 1, won the roll-off
    ]
    assert [s.id for s in cr.initiative_order(slots)] == [2, 3, 4, 1]


def test_roll_off_rerolls_until_no_rival_has_the_same() -> None:
    rolls = iter([5, 5, 9, 12])
    assert cr.roll_off(lambda: next(rolls), {5, 9}) == 12
    others = [cr.InitiativeSlot(1, 15, 12, 4), cr.InitiativeSlot(2, 15, 13, 7), cr.InitiativeSlot(3, 15, 12, 11)]
    assert cr.tied_rivals(15, 12, others) == {4, 11}


def test_roll_off_gives_up_when_every_face_is_taken() -> None:
    assert cr.roll_off(lambda: 7, set(range(1, 21))) == 0


# --- Attacks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("natural", "total", "ac", "hit", "critical"),
    [
        (1, 30, 10, False, False),  # a natural 1 misses whatever the bonus
        (20, 21, 30, True, True),  # a natural 20 hits whatever the AC, and crits
        (12, 15, 15, True, False),  # meeting the AC hits
        (11, 14, 15, False, False),
    ],
)
def test_attack_resolution(natural: int, total: int, ac: int, hit: bool, critical: bool) -> None:
    result = cr.resolve_attack(natural, total, ac)
    assert (result.hit, result.critical) == (hit, critical)


def test_a_hit_on_a_paralysed_target_within_5_feet_is_critical() -> None:
    assert cr.resolve_attack(10, 15, 12, auto_crit=True).critical
    assert not cr.resolve_attack(10, 11, 12, auto_crit=True).hit
    assert cr.auto_crit(conditions("paralyzed"), melee=True)
    assert not cr.auto_crit(conditions("paralyzed"), melee=False)
    assert cr.auto_crit(conditions("unconscious"), melee=True)


def test_critical_hits_double_the_dice_not_the_modifiers() -> None:
    assert cr.crit_dice("1d8+3") == "2d8+3"
    assert cr.crit_dice("2d6+1d4+3") == "4d6+2d4+3"
    assert cr.crit_dice("d12") == "2d12"
    assert cr.crit_dice("4") == "4"


def test_attack_modifiers_from_both_sides() -> None:
    poisoned = cr.attack_modifiers(conditions("poisoned"), [], melee=True)
    assert poisoned.advantage is Advantage.DISADVANTAGE and poisoned.reasons == ("poisoned",)
    restrained_target = cr.attack_modifiers([], conditions("restrained"), melee=False)
    assert restrained_target.advantage is Advantage.ADVANTAGE
    both = cr.attack_modifiers(conditions("poisoned"), conditions("restrained"), melee=True)
    assert both.advantage is Advantage.NONE  # one of each cancels
    prone_near = cr.attack_modifiers([], conditions("prone"), melee=True)
    prone_far = cr.attack_modifiers([], conditions("prone"), melee=False)
    assert (prone_near.advantage, prone_far.advantage) == (Advantage.ADVANTAGE, Advantage.DISADVANTAGE)
    unconscious = cr.attack_modifiers([], conditions("unconscious"), melee=True)
    assert unconscious.advantage is Advantage.ADVANTAGE  # and prone within 5 ft: still advantage
    tired = cr.attack_modifiers([(SRD.condition("exhaustion"), 3)], [], melee=True)
    assert tired.advantage is Advantage.DISADVANTAGE
    asked = cr.attack_modifiers([], [], melee=True, advantage=True)
    assert asked.advantage is Advantage.ADVANTAGE and asked.reasons == ("you asked",)


def test_incapacitated_creatures_are_named() -> None:
    assert cr.incapacitated_by(conditions("stunned")) == ["stunned", "incapacitated"]
    assert cr.incapacitated_by(conditions("poisoned")) == []


# --- Damage -------------------------------------------------------------------------------------

WEAPON = cr.DamageSource(weapon=True)
MAGIC_WEAPON = cr.DamageSource(weapon=True, magical=True)
SPELL = cr.DamageSource(spell=True)


def test_resistance_halves_rounding_down_vulnerability_doubles_immunity_zeroes() -> None:
    skeleton = cr.Defences.of_monster(SRD.monster("skeleton"))  # vulnerable: bludgeoning, immune: poison
    assert cr.modify_damage(7, "bludgeoning", skeleton, WEAPON).amount == 14
    assert cr.modify_damage(7, "poison", skeleton, WEAPON) == cr.DamageTaken(7, 0, "poison", "immune")
    ghost = cr.Defences.of_monster(SRD.monster("ghost"))  # resistant: fire
    assert cr.modify_damage(7, "fire", ghost, SPELL) == cr.DamageTaken(7, 3, "fire", "resistant")
    assert cr.modify_damage(7, "force", ghost, SPELL).amount == 7


def test_nonmagical_weapon_resistance_is_conditional() -> None:
    ghost = cr.Defences.of_monster(SRD.monster("ghost"))  # b/p/s from nonmagical attacks
    assert cr.modify_damage(9, "slashing", ghost, WEAPON).amount == 4
    assert cr.modify_damage(9, "slashing", ghost, MAGIC_WEAPON).amount == 9
    assert cr.modify_damage(9, "slashing", ghost, cr.DamageSource()).amount == 9  # not a weapon: a falling rock


def test_silvered_and_adamantine_qualifiers() -> None:
    silver = QualifiedDamage(types=("piercing",), qualifier="nonmagical-non-silvered")
    defences = cr.Defences(special_resistances=(silver,))
    assert cr.modify_damage(10, "piercing", defences, WEAPON).amount == 5
    assert cr.modify_damage(10, "piercing", defences, cr.DamageSource(weapon=True, silvered=True)).amount == 10
    adamantine = QualifiedDamage(types=("slashing",), qualifier="nonmagical-non-adamantine")
    golem = cr.Defences(special_immunities=(adamantine,))
    assert cr.modify_damage(10, "slashing", golem, WEAPON).amount == 0
    assert cr.modify_damage(10, "slashing", golem, cr.DamageSource(weapon=True, adamantine=True)).amount == 10
    spells = cr.Defences(special_resistances=(QualifiedDamage(types=(), qualifier="spells"),))
    assert cr.modify_damage(10, "fire", spells, SPELL).amount == 5
    assert cr.modify_damage(10, "fire", spells, WEAPON).amount == 10
    odd = cr.Defences(special_resistances=(QualifiedDamage(types=(), qualifier="magic-weapons-wielded-by-good"),))
    assert cr.modify_damage(10, "fire", odd, MAGIC_WEAPON).amount == 10  # unknown to the engine: never applied


def test_every_conditional_defence_in_the_srd_is_understood_or_ignored() -> None:
    qualifiers = {
        q.qualifier
        for m in SRD.data.monsters
        for q in itertools.chain(
            m.damage_resistances_special, m.damage_immunities_special, m.damage_vulnerabilities_special
        )
    }
    known = {"nonmagical", "nonmagical-non-silvered", "nonmagical-non-adamantine", "spells"}
    assert qualifiers - known == {"magic-weapons-wielded-by-good"}


def test_resistance_and_vulnerability_together() -> None:
    both = cr.Defences(resistances=frozenset({"fire"}), vulnerabilities=frozenset({"fire"}))
    assert cr.modify_damage(7, "fire", both, SPELL) == cr.DamageTaken(7, 6, "fire", "resistant, vulnerable")


def test_petrified_resists_everything_and_is_immune_to_poison() -> None:
    stone = cr.Defences().with_conditions(conditions("petrified"))
    assert cr.modify_damage(9, "fire", stone, SPELL).amount == 4
    assert cr.modify_damage(9, "poison", stone, SPELL).amount == 0


def test_racial_resistances_from_traits() -> None:
    dwarf = cr.Defences.of_traits(["Darkvision", "Dwarven Resilience"])
    assert cr.modify_damage(9, "poison", dwarf, SPELL).amount == 4
    assert cr.modify_damage(9, "fire", dwarf, SPELL).amount == 9


def test_untyped_damage_is_taken_as_it_is() -> None:
    assert cr.modify_damage(5, None, cr.Defences(resist_all=True), WEAPON).amount == 5
    assert cr.modify_damage(-3, "fire", cr.Defences(), SPELL).amount == 0


# --- Hit points and death -----------------------------------------------------------------------


def test_temporary_hp_absorb_damage_first() -> None:
    hit = cr.damage_character(cr.Vitals(hp=10, hp_max=10, temp=4), 6)
    assert (hit.after.hp, hit.after.temp, hit.dropped) == (8, 0, False)


def test_dropping_to_zero_starts_dying_and_clears_old_saves() -> None:
    hit = cr.damage_character(cr.Vitals(hp=5, hp_max=12, successes=2, failures=1), 9)
    assert (hit.after.hp, hit.dropped, hit.after.state) == (0, True, "dying")
    assert (hit.after.successes, hit.after.failures) == (0, 0)


def test_massive_damage_kills_outright() -> None:
    hit = cr.damage_character(cr.Vitals(hp=6, hp_max=12), 18)  # 12 left over after 0 = the HP maximum
    assert hit.instant_death and hit.after.state == "dead"
    survive = cr.damage_character(cr.Vitals(hp=6, hp_max=12), 17)
    assert not survive.instant_death and survive.after.state == "dying"


def test_damage_at_zero_hp_is_a_failed_death_save_and_a_critical_two() -> None:
    dying = cr.Vitals(hp=0, hp_max=12, successes=1, failures=0)
    one = cr.damage_character(dying, 3)
    assert (one.failures_added, one.after.failures, one.after.state) == (1, 1, "dying")
    two = cr.damage_character(dying, 3, critical=True)
    assert (two.failures_added, two.after.failures) == (2, 2)
    third = cr.damage_character(cr.Vitals(hp=0, hp_max=12, failures=2), 1)
    assert third.after.state == "dead" and third.failures_added == 1
    massive = cr.damage_character(dying, 12)
    assert massive.instant_death and massive.after.state == "dead"


def test_a_stable_character_hit_starts_dying_again() -> None:
    stable = cr.Vitals(hp=0, hp_max=10, successes=3, failures=1)
    assert stable.state == "stable"
    hit = cr.damage_character(stable, 2)
    assert (hit.after.state, hit.after.successes, hit.after.failures) == ("dying", 0, 2)


def test_the_dead_take_no_more_damage_and_heal_none() -> None:
    dead = cr.Vitals(hp=0, hp_max=10, failures=3)
    assert cr.damage_character(dead, 5).after == dead
    with pytest.raises(InvalidInput, match="revivify"):
        cr.heal_character(dead, 5)


def test_healing_from_zero_clears_the_death_saves() -> None:
    healed = cr.heal_character(cr.Vitals(hp=0, hp_max=10, successes=1, failures=2), 4)
    assert (healed.hp, healed.successes, healed.failures, healed.state) == (4, 0, 0, "up")
    assert cr.heal_character(cr.Vitals(hp=8, hp_max=10), 5).hp == 10


def test_monsters_die_at_zero() -> None:
    assert cr.damage_monster(7, 5) == (2, False)
    assert cr.damage_monster(7, 9) == (0, True)


def test_monster_hp_average_or_rolled() -> None:
    goblin = SRD.monster("goblin")
    assert cr.monster_hp(goblin, "average", lambda _: 99) == 7
    asked: list[str] = []

    def roll(expression: str) -> int:
        asked.append(expression)
        return 0

    assert cr.monster_hp(goblin, "rolled", roll) == 1  # at least 1
    assert asked == ["2d6"]
    with pytest.raises(InvalidInput):
        cr.monster_hp(goblin, "max", lambda _: 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hp", "word"), [(20, "unhurt"), (15, "hurt"), (10, "bloodied"), (6, "bloodied"), (5, "near death"), (0, "down")]
)
def test_health_in_words(hp: int, word: str) -> None:
    assert cr.health_word(hp, 20) == word
    assert cr.health_word(hp, 20, dead=True) == "dead"  # at 0 HP a monster is dead, but a troll is only down


# --- Conditions and turns -----------------------------------------------------------------------


def test_conditions_tick_on_their_phase_and_expire() -> None:
    held = [
        cr.TimedCondition("poisoned", 2),
        cr.TimedCondition("restrained", 1),
        cr.TimedCondition("prone"),  # until removed
        cr.TimedCondition("blinded", 1, ends="start"),
    ]
    kept, expired = cr.tick_conditions(held, "end")
    assert expired == ("restrained",)
    assert [(c.name, c.rounds) for c in kept] == [("poisoned", 1), ("prone", None), ("blinded", 1)]
    kept, expired = cr.tick_conditions(kept, "start")
    assert expired == ("blinded",)


def test_turns_skip_the_dead_and_count_rounds() -> None:
    alive = [True, False, True]
    first = cr.advance_turn(alive, 0, 0)
    assert (first.round, first.index, first.new_round) == (1, 0, True)
    second = cr.advance_turn(alive, 1, 0)
    assert (second.round, second.index, second.skipped, second.new_round) == (1, 2, (1,), False)
    wrap = cr.advance_turn(alive, 1, 2)
    assert (wrap.round, wrap.index, wrap.new_round) == (2, 0, True)
    lead_dead = cr.advance_turn([False, True], 0, 0)
    assert (lead_dead.round, lead_dead.index, lead_dead.skipped) == (1, 1, (0,))
    with pytest.raises(InvalidInput, match="Nobody is left"):
        cr.advance_turn([False, False], 3, 1)


# --- XP and monster actions ---------------------------------------------------------------------


def test_xp_split_among_survivors_rounded_down() -> None:
    goblins = 4 * SRD.xp_for_cr(0.25)
    assert cr.xp_share(goblins, 3) == 66  # 200 / 3
    assert cr.xp_share(goblins, 0) == 0


def test_monster_action_choice_and_multiattack_routines() -> None:
    assert cr.pick_action(SRD.monster("goblin")).name == "Scimitar"  # type: ignore[union-attr]
    dragon = SRD.monster("adult-red-dragon")
    multi = cr.pick_action(dragon)
    assert multi is not None and multi.multiattack
    steps = [(a.name if a else None, name, n) for a, name, n in cr.multiattack_steps(dragon, multi)]
    assert steps == [(None, "Frightful Presence", 1), ("Bite", "Bite", 1), ("Claw", "Claw", 2)]
    hydra = SRD.monster("hydra")
    assert [n for _, _, n in cr.multiattack_steps(hydra, hydra.action("Multiattack"))] == [1]
    assert cr.average_damage("2d6+3") == 10
    assert cr.average_damage("1d4-1") == 1.5
