"""Properties of the dice engine and the character rules, checked on inputs hypothesis makes up.

The worked examples live in test_dice.py and test_rules.py; these say what must hold for every
input: any text either rolls or is refused with `InvalidInput`, totals stay in their bounds, a
rule never goes backwards as a level or score grows, and advantage sources commute and cancel.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.data.srd import Armor, Condition, load_srd
from bot.engine import rules
from bot.engine.dice import MAX_EXPRESSION_LENGTH, MAX_TOTAL, Advantage, Critical, Dice
from bot.errors import InvalidInput

SRD = load_srd()
ARMOR = [a for a in SRD.data.armor if a.category != "shield"]
SHIELD = next(a for a in SRD.data.armor if a.category == "shield")
CONDITIONS: list[Condition] = list(SRD.data.conditions)
DICE_ALPHABET = "0123456789d+-*/()[]{},.%<>=!khlrrepmiax #`'\"@\\ \u200b\u202e\x00"

# Rolls can be slow-ish (up to 1,000 dice): no per-example deadline, a bounded number of examples.
DICE_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)
scores = st.integers(min_value=rules.MIN_SCORE, max_value=rules.MAX_SCORE)
levels = st.integers(min_value=1, max_value=rules.MAX_LEVEL)
hit_dice = st.sampled_from([6, 8, 10, 12])
mods = st.integers(min_value=-5, max_value=10)
point_buy_scores = st.fixed_dictionaries({a: st.integers(min_value=8, max_value=15) for a in rules.ABILITIES})


def dice_like() -> st.SearchStrategy[str]:
    """Text that is often nearly a dice expression: terms joined by operators, with some noise."""
    term = st.one_of(
        st.builds(
            "{}d{}".format,
            st.one_of(st.integers(1, 60), st.integers(0, 1200)),
            st.sampled_from(["4", "6", "20", "100", "%", "0", "1"]),
        ),
        st.one_of(st.integers(0, 100), st.integers(-(10**30), 10**30)).map(str),
        st.builds(
            "{}d{}{}{}".format,
            st.integers(1, 30),
            st.integers(1, 30),
            st.sampled_from(["kh", "kl", "e", "rr", "ro", "ra", "mi", "ma", "p"]),
            st.integers(0, 40),
        ),
    )
    operators = st.sampled_from(["+", "-", "*", "+", "-", "*", "/", ", ", " ", ""])  # mostly valid joins
    joined = st.lists(st.tuples(term, operators), min_size=1, max_size=12)
    return st.builds(
        lambda parts, wrap: wrap.format("".join(t + o for t, o in parts)[:-1] or "1"),
        joined,
        st.sampled_from(["{}", "({})", "({}, 3)kh1", "(({}))", "{} [fire]"]),
    )


def any_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=MAX_EXPRESSION_LENGTH),
        st.text(alphabet=DICE_ALPHABET, max_size=MAX_EXPRESSION_LENGTH),
        dice_like(),
    )


# --- dice -----------------------------------------------------------------------------------------


@DICE_SETTINGS
@given(text=any_text(), seed=seeds, adv=st.sampled_from(list(Advantage)))
def test_any_text_rolls_or_is_refused_clearly(text: str, seed: int, adv: Advantage) -> None:
    try:
        outcome = Dice(random.Random(seed)).roll(text, advantage=adv)
    except InvalidInput as refused:
        assert 0 < len(refused.message) <= 1000 and "Traceback" not in refused.message
        return
    assert abs(outcome.total) <= MAX_TOTAL  # fits the roll log's BIGINT
    assert outcome.breakdown and len(outcome.expression) <= MAX_EXPRESSION_LENGTH


@DICE_SETTINGS
@given(n=st.integers(1, 100), m=st.integers(1, 1000), k=st.integers(-1000, 1000), seed=seeds)
def test_ndm_plus_k_stays_within_its_bounds(n: int, m: int, k: int, seed: int) -> None:
    total = Dice(random.Random(seed)).roll(f"{n}d{m}{k:+d}").total
    assert n + k <= total <= n * m + k


@DICE_SETTINGS
@given(n=st.integers(1, 30), m=st.integers(1, 100), keep=st.integers(1, 30), seed=seeds)
def test_keeping_dice_never_beats_keeping_them_all(n: int, m: int, keep: int, seed: int) -> None:
    def roll(expression: str) -> int:
        return Dice(random.Random(seed)).roll(expression).total  # the same seed draws the same dice

    everything, highest, lowest = roll(f"{n}d{m}"), roll(f"{n}d{m}kh{keep}"), roll(f"{n}d{m}kl{keep}")
    kept = min(keep, n)
    assert lowest <= highest <= everything
    assert kept <= lowest and highest <= kept * m


@DICE_SETTINGS
@given(k=st.integers(-20, 20), seed=seeds)
def test_advantage_never_lowers_and_disadvantage_never_raises(k: int, seed: int) -> None:
    def roll(adv: Advantage) -> int:
        return Dice(random.Random(seed)).roll(f"1d20{k:+d}", advantage=adv).total

    assert roll(Advantage.DISADVANTAGE) <= roll(Advantage.NONE) <= roll(Advantage.ADVANTAGE)
    assert 1 + k <= roll(Advantage.DISADVANTAGE) and roll(Advantage.ADVANTAGE) <= 20 + k


@DICE_SETTINGS
@given(seed=seeds, adv=st.sampled_from(list(Advantage)))
def test_criticals_follow_the_natural_die(seed: int, adv: Advantage) -> None:
    outcome = Dice(random.Random(seed)).roll("1d20", advantage=adv)
    expected = {20: Critical.SUCCESS, 1: Critical.FAIL}.get(outcome.total, Critical.NONE)
    assert outcome.critical is expected


@DICE_SETTINGS
@given(text=dice_like(), seed=seeds)
def test_the_same_seed_gives_the_same_roll(text: str, seed: int) -> None:
    def attempt() -> tuple[int, list[str]] | str:
        try:
            outcome = Dice(random.Random(seed)).roll(text)
        except InvalidInput as refused:
            return refused.message
        # The same dice, though not always in the same places: d20 rerolls (rr, ro, ra) a set of dice,
        # which it walks in memory-address order, so a reroll's value can land on another die.
        return outcome.total, sorted(re.findall(r"\d+", outcome.full_breakdown))

    assert attempt() == attempt()


@given(advantage=st.booleans(), disadvantage=st.booleans())
def test_advantage_flags_commute_and_cancel(advantage: bool, disadvantage: bool) -> None:
    combined = Advantage.from_flags(advantage, disadvantage)
    assert (combined is Advantage.NONE) == (advantage == disadvantage)
    mirrored = {Advantage.ADVANTAGE: Advantage.DISADVANTAGE, Advantage.DISADVANTAGE: Advantage.ADVANTAGE}
    assert Advantage.from_flags(disadvantage, advantage) is mirrored.get(combined, Advantage.NONE)


# --- conditions: advantage sources ----------------------------------------------------------------

held_conditions = st.lists(st.tuples(st.sampled_from(CONDITIONS), st.integers(1, 6)), max_size=6)
roll_kinds = st.sampled_from(["attack", "check", "save"])
abilities = st.sampled_from(list(rules.ABILITIES))


@given(kind=roll_kinds, held=held_conditions, ability=abilities, data=st.data())
def test_condition_order_does_not_matter(
    kind: rules.RollKind, held: list[tuple[Condition, int]], ability: str, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(held))
    first = rules.condition_modifiers(kind, held, ability=ability, skill="stealth", stealth_disadvantage=True)
    second = rules.condition_modifiers(kind, shuffled, ability=ability, skill="stealth", stealth_disadvantage=True)
    assert (first.advantage, first.auto_fail, sorted(first.reasons)) == (
        second.advantage,
        second.auto_fail,
        sorted(second.reasons),
    )


@given(kind=roll_kinds, held=held_conditions, ability=abilities)
def test_any_advantage_and_any_disadvantage_cancel(
    kind: rules.RollKind, held: list[tuple[Condition, int]], ability: str
) -> None:
    both = rules.condition_modifiers(kind, held, ability=ability, advantage=True, disadvantage=True)
    assert both.advantage is Advantage.NONE
    asked = rules.condition_modifiers(kind, held, ability=ability, advantage=True)
    assert asked.advantage is not Advantage.DISADVANTAGE  # a disadvantage source can only cancel it


# --- abilities, proficiency, point buy ------------------------------------------------------------


@given(score=scores)
def test_modifier_is_half_the_distance_from_ten_rounded_down(score: int) -> None:
    mod = rules.modifier(score)
    assert 2 * mod <= score - 10 < 2 * mod + 2
    assert -5 <= mod <= 10
    if score < rules.MAX_SCORE:
        assert rules.modifier(score + 1) in (mod, mod + 1)


@given(level=levels)
def test_proficiency_bonus_by_level(level: int) -> None:
    bonus = rules.proficiency_bonus(level)
    assert bonus == 2 + (level - 1) // 4 == SRD.proficiency_bonus(level)
    assert 2 <= bonus <= 6
    if level < rules.MAX_LEVEL:
        assert rules.proficiency_bonus(level + 1) - bonus in (0, 1)


@given(level=st.one_of(st.integers(max_value=0), st.integers(min_value=rules.MAX_LEVEL + 1)))
def test_levels_outside_1_to_20_are_refused(level: int) -> None:
    try:
        rules.proficiency_bonus(level)
    except InvalidInput:
        return
    raise AssertionError(f"level {level} was accepted")


@given(chosen=point_buy_scores)
def test_point_buy_cost_is_the_table_sum_and_the_budget_decides(chosen: Mapping[str, int]) -> None:
    cost = rules.point_buy_cost(chosen)
    assert cost == sum(rules.POINT_BUY_COST[s] for s in chosen.values())
    assert 0 <= cost <= 6 * 9
    try:
        rules.validate_point_buy(chosen)
        accepted = True
    except InvalidInput:
        accepted = False
    assert accepted == (cost <= rules.POINT_BUY_BUDGET)


@given(chosen=point_buy_scores, ability=abilities)
def test_raising_a_score_costs_more(chosen: dict[str, int], ability: str) -> None:
    assume(chosen[ability] < 15)
    raised = chosen | {ability: chosen[ability] + 1}
    assert rules.point_buy_cost(raised) > rules.point_buy_cost(chosen)


@given(chosen=point_buy_scores, ability=abilities, bad=st.one_of(st.integers(max_value=7), st.integers(16, 40)))
def test_point_buy_refuses_scores_outside_8_to_15(chosen: dict[str, int], ability: str, bad: int) -> None:
    try:
        rules.point_buy_cost(chosen | {ability: bad})
    except InvalidInput:
        return
    raise AssertionError(f"{ability} {bad} was accepted")


@given(
    base=st.fixed_dictionaries({a: scores for a in rules.ABILITIES}),
    bonuses=st.dictionaries(abilities, st.integers(0, 2)),
)
def test_bonuses_raise_scores_but_never_past_twenty(base: dict[str, int], bonuses: dict[str, int]) -> None:
    final = rules.final_scores(base, bonuses)
    for ability in rules.ABILITIES:
        assert base[ability] <= final[ability] <= max(20, base[ability])


# --- armour class ---------------------------------------------------------------------------------


@given(armor=st.sampled_from(ARMOR), dex=mods, shield=st.booleans())
def test_worn_armour_ac_stays_within_its_category(armor: Armor, dex: int, shield: bool) -> None:
    ac = rules.armor_class(dex_mod=dex, armor=armor, shield=SHIELD if shield else None)
    worn = ac - (SHIELD.base_ac if shield else 0)
    if armor.category == "heavy":
        assert worn == armor.base_ac
    elif armor.category == "medium":
        assert armor.base_ac + min(dex, 0) <= worn <= armor.base_ac + 2
    else:
        assert worn == armor.base_ac + dex
    assert rules.armor_class(dex_mod=dex + 1, armor=armor) >= rules.armor_class(dex_mod=dex, armor=armor)


@given(dex=mods, bonus=st.one_of(st.none(), mods), shield=st.booleans())
def test_unarmoured_ac_is_ten_plus_modifiers(dex: int, bonus: int | None, shield: bool) -> None:
    ac = rules.armor_class(dex_mod=dex, unarmored_bonus=bonus, shield=SHIELD if shield else None)
    assert ac == 10 + dex + (bonus or 0) + (2 if shield else 0)
    assert 0 <= ac <= 32


# --- hit points, coins, death saves, XP -----------------------------------------------------------


@given(die=hit_dice, con=mods, level=st.integers(1, rules.MAX_LEVEL - 1), extra=st.integers(0, 1))
def test_hp_grows_with_every_level(die: int, con: int, level: int, extra: int) -> None:
    now = rules.hp_max_average(die, con, level, per_level_bonus=extra)
    after = rules.hp_max_average(die, con, level + 1, per_level_bonus=extra)
    assert now >= level  # at least 1 per level
    assert after - now == rules.hp_gain(rules.hp_average_gain(die), con, per_level_bonus=extra) >= 1
    assert rules.hp_max_average(die, con + 1, level) >= now


@given(die=hit_dice, rolled=st.integers(1, 12), con=mods)
def test_a_level_always_gives_at_least_one_hp(die: int, rolled: int, con: int) -> None:
    assume(rolled <= die)
    assert rules.hp_gain(rolled, con) >= 1
    assert rules.hp_first_level(die, con) >= 1


coin_purses = st.fixed_dictionaries({c: st.integers(0, 10**6) for c in rules.COIN_VALUES_CP})
coin_deltas = st.dictionaries(st.sampled_from(list(rules.COIN_VALUES_CP)), st.integers(-(10**6), 10**6))


@given(purse=coin_purses, deltas=coin_deltas)
def test_coins_add_up_and_never_go_negative(purse: dict[str, int], deltas: dict[str, int]) -> None:
    try:
        after = rules.apply_coins(purse, deltas)
    except InvalidInput:
        assert any(purse[c] + d < 0 for c, d in deltas.items())
        return
    assert all(v >= 0 for v in after.values())
    assert rules.coins_value_cp(after) == rules.coins_value_cp(purse) + rules.coins_value_cp(deltas)


@given(natural=st.integers(1, 20), bonus=st.integers(-5, 10), successes=st.integers(0, 2), failures=st.integers(0, 2))
def test_death_saves_count_towards_three(natural: int, bonus: int, successes: int, failures: int) -> None:
    save = rules.death_save(natural, natural + bonus, successes, failures)
    assert 0 <= save.successes <= 3 and 0 <= save.failures <= 3
    assert (save.state == "dead") == (save.failures == 3)
    assert (save.state == "revived") == (natural == 20) == (save.hp == 1)
    if save.state == "dying":
        assert save.successes + save.failures > successes + failures  # every roll counts


@given(xp=st.integers(0, 10**6), more=st.integers(0, 10**5))
def test_more_xp_never_means_a_lower_level(xp: int, more: int) -> None:
    table = tuple(SRD.data.tables.xp_by_level)
    assert 1 <= rules.level_for_xp(xp, table) <= rules.level_for_xp(xp + more, table) <= rules.MAX_LEVEL
