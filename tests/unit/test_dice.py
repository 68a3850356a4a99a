"""The dice engine: d20's syntax, our guards around it, and deterministic rolls from a seeded source."""

from __future__ import annotations

import random

import pytest

from bot.engine.dice import Advantage, Critical, Dice
from bot.errors import InvalidInput


@pytest.fixture
def dice() -> Dice:
    return Dice(random.Random(1234))


def test_keep_highest_strikes_the_dropped_die(dice: Dice) -> None:
    outcome = dice.roll("4d6kh3")
    assert 3 <= outcome.total <= 18
    assert outcome.breakdown.count("~~") == 2  # exactly one die struck through
    assert outcome.breakdown.endswith(f"= `{outcome.total}`")


def test_same_seed_same_rolls() -> None:
    first = [Dice(random.Random(7)).roll("10d20").total for _ in range(3)]
    assert first == [Dice(random.Random(7)).roll("10d20").total for _ in range(3)]


def test_rolls_cover_every_face(dice: Dice) -> None:
    seen = {dice.roll("1d6").total for _ in range(300)}
    assert seen == {1, 2, 3, 4, 5, 6}


@pytest.mark.parametrize(
    ("flags", "expected"),
    [((True, False), Advantage.ADVANTAGE), ((False, True), Advantage.DISADVANTAGE), ((True, True), Advantage.NONE)],
)
def test_advantage_flags_cancel(flags: tuple[bool, bool], expected: Advantage) -> None:
    assert Advantage.from_flags(*flags) is expected


def test_advantage_rolls_two_d20_and_keeps_the_higher(dice: Dice) -> None:
    for _ in range(50):
        outcome = dice.roll("1d20+5", advantage=Advantage.ADVANTAGE)
        assert outcome.breakdown.startswith("2d20kh1")
        kept = outcome.total - 5
        assert 1 <= kept <= 20


def test_disadvantage_keeps_the_lower(dice: Dice) -> None:
    outcome = dice.roll("1d20", advantage=Advantage.DISADVANTAGE)
    assert outcome.breakdown.startswith("2d20kl1")


def test_advantage_needs_a_leading_d20(dice: Dice) -> None:
    with pytest.raises(InvalidInput, match="starts with `1d20`"):
        dice.roll("2d6+3", advantage=Advantage.ADVANTAGE)


def test_natural_twenty_and_one_are_marked() -> None:
    crits = {Dice(random.Random(seed)).roll("1d20").critical for seed in range(200)}
    assert crits == {Critical.SUCCESS, Critical.FAIL, Critical.NONE}


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("1d20+", "a number or dice must follow `+`"),
        ("", "Type a dice expression"),
        ("   ", "Type a dice expression"),
        ("abc", "can't read `abc`"),
        ("1d20 (", "can't read"),
        ("(1d20", "close every `(`"),
        ("x" * 201, "201 characters"),
        ("1d20" + "+1" * 300, "characters"),
        ("(" * 400 + "1" + ")" * 400, "characters"),
        ("(" * 25 + "1" + ")" * 25, "nests parentheses"),
        ("1/0", "divide by zero"),
        ("1%0", "divide by zero"),
        ("1d0", "0-sided"),
        ("1001d6", "too many dice"),
        ("1d1e1", "explode forever"),
        ("1d6e<7", "explode forever"),
        ("1d2rr<3", "reroll forever"),
        ("1d20+`rm -rf`", "not a dice expression"),
    ],
)
def test_bad_input_names_the_problem_and_shows_an_example(dice: Dice, expression: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        dice.roll(expression)
    assert fragment in caught.value.message
    assert "/roll" in caught.value.message


def test_recursion_bombs_under_the_length_cap_are_caught(dice: Dice) -> None:
    # 99 additions parse and roll; d20 recursion only bites far past the cap.
    assert dice.roll("1+" * 99 + "1").total == 100


def test_huge_breakdown_is_shortened_but_total_kept(dice: Dice) -> None:
    outcome = dice.roll("1000d6")
    assert 1000 <= outcome.total <= 6000
    assert len(outcome.breakdown) < 200
    assert len(outcome.full_breakdown) > 1000


def test_backticks_cannot_break_out_of_the_quoted_input(dice: Dice) -> None:
    with pytest.raises(InvalidInput) as caught:
        dice.roll("`1d20`")
    assert caught.value.message.count("`") % 2 == 0
