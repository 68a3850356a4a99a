"""`/roll` as people type it (capital D, a trailing label), many times, against a DC, in one embed."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.engine.dice import Dice, fold_case, split_label
from bot.engine.rolls import RollService
from bot.errors import InvalidInput
from bot.ui.embeds import DESCRIPTION_LIMIT, rolls_embed
from persistence.db import Database


@pytest.fixture
def rolls(tmp_path: Path) -> RollService:
    """The roll log's database is never touched by rolling, only by `record`."""
    return RollService(Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite3'}"), Dice(random.Random(5)))


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("1D20+3", "1d20+3"),
        ("2D6+1d4", "2d6+1d4"),
        ("4D6KH3", "4d6kh3"),
        ("2d6[Fire]+1D4[Cold]", "2d6[Fire]+1d4[Cold]"),
    ],
)
def test_case_is_folded_outside_annotations(typed: str, folded: str) -> None:
    assert fold_case(typed) == folded


def test_capital_d_rolls(rolls: RollService) -> None:
    [outcome] = rolls.roll_batch("1D20+3").rolls
    assert outcome.expression == "1d20+3" and 4 <= outcome.total <= 23
    assert 4 <= rolls.roll_batch("2D6 + 1D4").rolls[0].total <= 16


@pytest.mark.parametrize(
    ("typed", "dice", "label"),
    [
        ("1d20+5 stealth", "1d20+5", "stealth"),
        ("1d20 + 5   Stealth  check", "1d20 + 5", "Stealth check"),
        ("1d20 + d6 fire", "1d20 + d6", "fire"),  # `d6` after a space is dice, not the label
        ("2d6+3[slashing]", "2d6+3[slashing]", None),
        ("4d6kh3", "4d6kh3", None),
        ("1d20+ stealth", "1d20+", "stealth"),  # the dice part is still judged on its own (and refused)
    ],
)
def test_words_after_the_dice_are_the_label(typed: str, dice: str, label: str | None) -> None:
    assert split_label(typed) == (dice, label)


def test_a_trailing_label_is_used_unless_one_is_given(rolls: RollService) -> None:
    assert rolls.roll_batch("1d20+5 Stealth").rolls[0].label == "Stealth"
    assert rolls.roll_batch("1d20+5 stealth", label="Sneaking").rolls[0].label == "Sneaking"
    with pytest.raises(InvalidInput, match="a number or dice must follow `\\+`"):
        rolls.roll_batch("1d20+ stealth")


def test_six_ability_scores(rolls: RollService) -> None:
    batch = rolls.roll_batch("4d6kh3", times=6)
    assert len(batch.rolls) == 6 and all(3 <= r.total <= 18 for r in batch.rolls)
    assert len({r.breakdown for r in batch.rolls}) > 1  # each roll rolled afresh
    embed = rolls_embed(batch, "alice").to_dict()
    assert embed["title"] == "🎲 4d6kh3 ×6"
    assert embed["description"].endswith("**Totals:** " + ", ".join(str(r.total) for r in batch.rolls))
    assert embed["description"].count("~~") == 12  # each line strikes its lowest die


def test_each_roll_is_judged_against_the_dc(rolls: RollService) -> None:
    batch = rolls.roll_batch("1d20+5", times=3, dc=13, label="vs goblin AC")
    passes = [r.total >= 13 for r in batch.rolls]
    assert batch.passes == sum(passes)
    embed = rolls_embed(batch, "alice").to_dict()
    assert embed["title"] == f"🎲 vs goblin AC ×3 vs DC 13: {sum(passes)} pass, {3 - sum(passes)} fail"
    lines = embed["description"].split("\n")[:3]
    assert [line.split(" ")[1] == "✅" for line in lines] == passes


def test_meeting_the_dc_passes(rolls: RollService) -> None:
    batch = rolls.roll_batch("10", times=2, dc=10)
    assert batch.passes == 2
    assert rolls.roll_batch("9", dc=10).passes == 0
    assert "❌" in rolls_embed(rolls.roll_batch("9", dc=10), "bob").to_dict()["description"]


def test_one_plain_roll_keeps_its_embed(rolls: RollService) -> None:
    embed = rolls_embed(rolls.roll_batch("4d6kh3"), "alice").to_dict()
    assert embed["title"].startswith("🎲 ") and "Totals" not in embed["description"]


@pytest.mark.parametrize(("times", "dc"), [(0, None), (26, None), (1, 1001), (1, -1001)])
def test_out_of_range_times_and_dc_are_refused(rolls: RollService, times: int, dc: int | None) -> None:
    with pytest.raises(InvalidInput, match="Example"):
        rolls.roll_batch("1d20", times=times, dc=dc)


def test_twenty_five_long_rolls_fit_one_embed(rolls: RollService) -> None:
    """The largest batch of the largest expressions: within 4,096 for the description and 6,000 in all."""
    expression = "+".join(["1d6"] * 50)  # 199 characters, 50 dice: 1,250 in the batch
    batch = rolls.roll_batch(expression, times=25, dc=300, label="x" * 100)
    embed = rolls_embed(batch, "a" * 32)
    data = embed.to_dict()
    assert len(data["description"]) <= DESCRIPTION_LIMIT
    assert len(embed) <= 6000 and len(data["title"]) <= 256
    assert data["description"].count("\n") == 25  # 25 rolls and the totals: every roll still shown


def test_a_batch_rolls_at_most_two_thousand_dice(rolls: RollService) -> None:
    assert len(rolls.roll_batch("80d6", times=25).rolls) == 25  # 2,000 dice
    with pytest.raises(InvalidInput, match=r"25 rolls of `81d6` are 2,025 dice.*at most 24 times"):
        rolls.roll_batch("81d6", times=25)
    with pytest.raises(InvalidInput, match="roll it once at a time"):
        rolls.roll_batch("1000d6+1000d6", times=2)
    assert rolls.roll_batch("1000d6").rolls[0].total >= 1000  # one roll keeps d20's own cap of 1,000
