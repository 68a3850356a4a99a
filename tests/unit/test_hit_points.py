"""SRD hit points on a sheet, without I/O: temporary HP first, unconscious at 0, death saves, massive damage,
and healing that wakes a dying character."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.engine.hit_points import damaged, healed, hit
from bot.engine.sheet import ActiveCondition, Sheet
from bot.errors import InvalidInput

HP_MAX = 12


def sheet(hp: int = HP_MAX, temp: int = 0, failures: int = 0, successes: int = 0) -> Sheet:
    return Sheet(
        id=1,
        guild_id=1,
        owner_id=1,
        campaign_id=None,
        name="Mira",
        active=True,
        version=1,
        race="human",
        subrace=None,
        class_index="rogue",
        background="acolyte",
        level=1,
        xp=0,
        levelup_allowed=False,
        base_scores={},
        bonus_scores={},
        hp_max=HP_MAX,
        hp_current=hp,
        hp_temp=temp,
        hit_dice_used=0,
        death_successes=successes,
        death_failures=failures,
        proficiencies={},
        expertise=(),
        languages=(),
        features=(),
        inventory=(),
        coins={},
        slots_max=(),
        slots_current=(),
        conditions=(),
    )


def unconscious(s: Sheet) -> bool:
    return any(c.name == "unconscious" for c in s.conditions)


def test_temporary_hit_points_absorb_damage_first() -> None:
    after = damaged(sheet(hp=10, temp=3), 5)
    assert (after.hp_temp, after.hp_current, unconscious(after)) == (0, 8, False)


def test_dropping_to_zero_knocks_out_without_a_failed_save() -> None:
    after = damaged(sheet(hp=4), 9)
    assert (after.hp_current, after.death_failures, unconscious(after)) == (0, 0, True)


def test_what_is_left_at_zero_equal_to_the_maximum_kills_outright() -> None:
    assert damaged(sheet(hp=4), 4 + HP_MAX).death_failures == 3
    assert damaged(sheet(hp=4), 3 + HP_MAX).death_failures == 0


def test_damage_at_zero_is_a_failed_death_save_and_massive_damage_is_death() -> None:
    down = replace(sheet(hp=0, failures=1), conditions=(ActiveCondition("unconscious"),))
    assert damaged(down, 2).death_failures == 2
    assert damaged(down, HP_MAX).death_failures == 3
    assert damaged(replace(down, death_failures=2), 1).death_failures == 3


def test_healing_caps_at_the_maximum_and_wakes_the_dying_with_fresh_death_saves() -> None:
    assert healed(sheet(hp=10), 5).hp_current == HP_MAX
    down = replace(sheet(hp=0, failures=2, successes=1), conditions=(ActiveCondition("unconscious"),))
    awake = healed(down, 3)
    assert (awake.hp_current, awake.death_failures, awake.death_successes, unconscious(awake)) == (3, 0, 0, False)


def test_the_dead_get_no_hit_points_back() -> None:
    dead = replace(sheet(hp=0, failures=3), conditions=(ActiveCondition("unconscious"),))
    with pytest.raises(InvalidInput, match="dead"):
        healed(dead, 5)


def test_a_critical_hit_at_zero_is_two_failed_death_saves_on_every_path() -> None:
    down = replace(sheet(hp=0), conditions=(ActiveCondition("unconscious"),))
    after, result = hit(down, 1, critical=True)
    assert (after.death_failures, result.failures_added) == (2, 2)
    assert damaged(down, 1).death_failures == 1
