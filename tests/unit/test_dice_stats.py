"""The sums of /stats (bot/engine/stats.py) and its charts, without a database."""

from __future__ import annotations

import random
import time
from types import SimpleNamespace

from bot.engine.dice import Advantage, Dice
from bot.engine.stats import campaign_stats, expected_total, natural_d20, player_stats, summarise_d20
from bot.ui.stats_views import d20_chart, damage_chart


def test_the_kept_d20_is_read_from_real_breakdowns() -> None:
    dice = Dice(random.Random(7))
    for advantage, mode in ((Advantage.NONE, ""), (Advantage.ADVANTAGE, "kh1"), (Advantage.DISADVANTAGE, "kl1")):
        for _ in range(200):
            outcome = dice.roll("1d20+3", advantage=advantage)
            found = natural_d20(outcome.full_breakdown or outcome.breakdown)
            assert found is not None and found[1] == mode and found[0] == outcome.total - 3
    assert natural_d20(dice.roll("4d6kh3").breakdown) is None
    assert natural_d20(dice.roll("2d6+3").breakdown) is None


def test_expected_totals_of_plain_dice_only() -> None:
    assert expected_total("2d6+1d4+3") == 7 + 2.5 + 3
    assert expected_total("1d8-1") == 3.5
    assert expected_total("2d6+3[slashing]") == 10
    assert expected_total("4d6kh3") is None and expected_total("1d20rr1") is None


def test_a_fair_die_averages_near_its_expectation_and_advantage_is_counted_as_such() -> None:
    rng = random.Random(11)
    straight = summarise_d20((rng.randint(1, 20), "") for _ in range(20_000))
    assert abs(straight.mean - 10.5) < 0.15 and straight.expected == 10.5
    assert straight.count == 20_000 and straight.nat20 == straight.faces[19]
    mixed = summarise_d20([(20, "kh1"), (1, "kl1")])
    assert mixed.expected == (13.825 + 7.175) / 2 and mixed.nat20 == 1 and mixed.nat1 == 1


def roll(label: str | None, breakdown: str, expression: str = "1d20", total: int = 0, channel: int = 5) -> object:
    return SimpleNamespace(
        user_id=1, channel_id=channel, label=label, breakdown=breakdown, expression=expression, total=total
    )


def test_player_stats_by_character_and_campaign() -> None:
    rows = [
        roll("Tordek: Athletics check", "1d20 (**20**) + 5 = `25`", "1d20+5", 25),
        roll("Tordek: Longsword attack", "2d20kh1 (~~3~~, 12) + 5 = `17`", "1d20+5", 17, channel=9),
        roll(None, "2d6 (3, 4) = `7`", "2d6", 7),
        roll("stealth", "1d20 (**1**) = `1`", "1d20", 1),
    ]
    stats = player_stats(1, rows, {5: "The Crypt"})
    assert stats.rolls == 4 and stats.d20.count == 3 and stats.d20.nat20 == 1 and stats.d20.nat1 == 1
    assert stats.plain_rolls == 1 and stats.plain_mean == 7 and stats.plain_expected == 7
    assert [(g.name, g.rolls) for g in stats.by_character] == [("Tordek", 2), ("Dice rolled by hand", 2)]
    assert [(g.name, g.rolls) for g in stats.by_campaign] == [("The Crypt", 3)]


def outcome(attacker: str, target: str, *, hit: bool, damage: int = 0, dropped: bool = False) -> object:
    hero = attacker == "Tordek"
    return SimpleNamespace(
        attacker=attacker, attacker_kind="character" if hero else "monster", attacker_owner_id=1 if hero else None,
        target=target, target_kind="monster" if hero else "character", target_owner_id=None if hero else 1,
        hit=hit, critical=False, natural=None, damage=damage, dropped=dropped,
    )  # fmt: skip


def test_campaign_stats_count_hits_damage_and_drops() -> None:
    newest_first = [
        outcome("Tordek", "Goblin", hit=True, damage=5, dropped=True),
        outcome("Goblin", "Tordek", hit=True, damage=4),
        outcome("Tordek", "Goblin", hit=False),
    ]
    stats = campaign_stats("Crypt", [], newest_first)  # type: ignore[arg-type]
    tordek, goblin = stats.fighters
    assert (tordek.attacks, tordek.hits, tordek.dealt, tordek.taken, tordek.dropped) == (2, 1, 5, 4, ["Goblin"])
    assert (goblin.attacks, goblin.dealt, goblin.taken, goblin.downed) == (1, 4, 5, 1)


def test_charts_are_small_pngs_drawn_fast() -> None:
    rng = random.Random(3)
    d20 = summarise_d20((rng.randint(1, 20), "") for _ in range(500))
    d20_chart(d20, "warm-up")  # the first chart loads matplotlib and its fonts
    began = time.perf_counter()
    png = d20_chart(d20, "Tordek")
    elapsed = time.perf_counter() - began
    assert png.startswith(b"\x89PNG") and len(png) < 100_000 and elapsed < 1.0
    fight = campaign_stats("Crypt", [], [outcome("Tordek", "Goblin", hit=True, damage=5)])  # type: ignore[list-item]
    assert damage_chart(fight.fighters, "Crypt").startswith(b"\x89PNG")
