"""Generated content: encounter budgets by the SRD tables, loot and tables deterministic under a seed."""

from __future__ import annotations

import random

import pytest

from bot.data.srd import load_srd
from bot.engine import generate as gen
from bot.engine.dice import Dice
from bot.errors import InvalidInput

SRD = load_srd()


def make(seed: int) -> gen.Generator:
    return gen.Generator(SRD, Dice(random.Random(seed)))


def test_party_budget_sums_the_srd_thresholds() -> None:
    # SRD: level 3 → 75/150/225/400, level 5 → 250/500/750/1,100
    assert gen.party_budget(SRD, [3, 3, 5]) == {"easy": 400, "medium": 800, "hard": 1200, "deadly": 1900}
    with pytest.raises(InvalidInput):
        gen.party_budget(SRD, [])
    with pytest.raises(InvalidInput):
        gen.party_budget(SRD, [21])


def test_adjusted_xp_uses_the_group_multiplier_and_party_size() -> None:
    assert gen.adjusted_xp(SRD, [(4, 50)], 4) == (200, 2.0, 400)  # 4 goblins: 3-6 monsters ×2
    assert gen.adjusted_xp(SRD, [(1, 450), (2, 50)], 4) == (550, 2.0, 1100)
    assert gen.adjusted_xp(SRD, [(4, 50)], 2) == (200, 2.5, 500)  # fewer than 3 characters: one step up
    assert gen.adjusted_xp(SRD, [(4, 50)], 6) == (200, 1.5, 300)  # six or more: one step down


@pytest.mark.parametrize("difficulty", gen.DIFFICULTIES)
@pytest.mark.parametrize("levels", [[1, 1, 1, 1], [3, 4, 5], [10, 10, 11, 12, 9], [17, 18]])
def test_encounters_land_in_the_asked_band(difficulty: gen.Difficulty, levels: list[int]) -> None:
    for seed in range(5):
        found = make(seed).encounter(levels, difficulty)
        assert found.rated == difficulty
        base, multiplier, adjusted = gen.adjusted_xp(SRD, [(g.count, g.xp_each) for g in found.groups], len(levels))
        assert (found.base_xp, found.multiplier, found.adjusted_xp) == (base, multiplier, adjusted)
        assert all(g.xp_each == SRD.xp_for_cr(g.cr) and SRD.monster(g.monster).cr == g.cr for g in found.groups)
        assert 1 <= found.monster_count <= gen.MAX_MONSTERS + 6


def test_encounters_are_deterministic_under_a_seed() -> None:
    assert make(7).encounter([3, 3, 3, 3], "hard") == make(7).encounter([3, 3, 3, 3], "hard")
    seen = {make(seed).encounter([3, 3, 3, 3], "hard").groups for seed in range(10)}
    assert len(seen) > 3  # and they vary across seeds


def test_themes_pick_monster_types_because_the_srd_has_no_environments() -> None:
    crypt = make(1).encounter([5, 5, 5, 5], "medium", theme="crypt")
    assert all(SRD.monster(g.monster).type == "undead" for g in crypt.groups)
    assert "no environments" in crypt.note
    beasts = make(2).encounter([2, 2], "easy", theme="beast")
    assert all(SRD.monster(g.monster).type == "beast" for g in beasts.groups)
    with pytest.raises(InvalidInput, match="Themes"):
        make(1).encounter([3], "easy", theme="spaceships")


def test_a_theme_too_small_for_the_band_gets_the_closest_group() -> None:
    found = make(3).encounter([20, 20, 20, 20, 20, 20], "deadly", theme="ooze")
    assert found.groups and all(SRD.monster(g.monster).type == "ooze" for g in found.groups)


def test_encounter_text_is_short_and_names_the_numbers() -> None:
    lines = make(4).encounter([3, 3, 3], "medium").lines()
    assert len(lines) <= 3 and "adjusted: medium" in lines[-1]


def test_loot_is_deterministic_and_scales_with_cr() -> None:
    assert make(11).loot(3, "hoard") == make(11).loot(3, "hoard")
    low = [make(s).loot(1) for s in range(30)]
    high = [make(s).loot(18) for s in range(30)]

    def gp(loot: gen.Loot) -> float:
        values = {"cp": 0.01, "sp": 0.1, "ep": 0.5, "gp": 1, "pp": 10}
        return sum(values[c] * n for c, n in loot.coins.items())

    assert max(gp(x) for x in low) < min(gp(x) for x in high)
    assert all(not x.magic_items for x in low)  # individual treasure: coins only


def test_hoard_magic_items_come_from_the_srd_by_rarity() -> None:
    rarities = {"Common", "Uncommon"}
    items = [item for s in range(40) for item in make(s).loot(2, "hoard").magic_items]
    assert items
    for item in items:
        assert SRD.magic_item(item.index).rarity == item.rarity and item.rarity in rarities
    high = [item for s in range(20) for item in make(s).loot(20, "hoard").magic_items]
    assert {SRD.magic_item(i.index).rarity for i in high} <= {"Very Rare", "Legendary"}
    assert "(legendary)" in " ".join(line for s in range(20) for line in make(s).loot(20, "hoard").lines())
    with pytest.raises(InvalidInput):
        make(1).loot(31)


def test_npcs_locations_and_hooks_come_from_the_tables() -> None:
    npc = make(5).npc()
    assert npc == make(5).npc()
    assert npc.personality in gen.PERSONALITIES and npc.voice in gen.VOICES
    assert npc.motive in gen.MOTIVES and npc.secret in gen.SECRETS
    named = make(5).npc(name="Mira", role="smuggler")
    assert (named.name, named.role) == ("Mira", "smuggler")
    for kind in gen.LOCATION_KINDS:
        place = make(6).location(kind)
        assert place == make(6).location(kind) and place.kind == kind
        assert 3 <= len(place.lines()) <= 4
    assert make(6).location("tavern").name.startswith("The ")
    assert make(6).location("temple").keeper is not None
    with pytest.raises(InvalidInput):
        make(6).location("castle")  # type: ignore[arg-type]
    hook = make(8).quest_hook(party_level=5)
    assert hook == make(8).quest_hook(party_level=5)
    assert hook.task in gen.TASKS and hook.target in gen.OBJECTS[hook.task] and hook.reward_gp % 125 == 0
    assert all(len(line) < 200 for line in hook.lines())


def test_every_theme_names_monster_types_the_srd_has() -> None:
    from bot.data.srd import load_srd
    from bot.engine.generate import THEMES

    types = {m.type.casefold() for m in load_srd().data.monsters}
    for theme, wanted in THEMES.items():
        assert set(wanted) & types, f"theme {theme!r} matches no SRD monster type"
    assert "swarm of tiny beasts" in types  # "swarms" finds the swarms, not only plain beasts
