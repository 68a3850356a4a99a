"""The monster traits' rules (bot/engine/monster_traits.py) and the facts scripts/derive_srd.py reads for
them from the SRD's sentences: legendary actions and their costs, Legendary Resistance, regeneration, Parry,
and a breath weapon's half damage on a success."""

from __future__ import annotations

from bot.data.srd import load_srd
from bot.engine import monster_traits as traits

SRD = load_srd()


def test_the_derived_facts() -> None:
    dragon = SRD.monster("adult-red-dragon")
    assert dragon.legendary_per_round == 3 and dragon.legendary_resistance == 3
    assert [(a.name, a.cost, a.uses) for a in dragon.legendary] == [
        ("Detect", 1, ()),
        ("Tail Attack", 1, ("Tail",)),
        ("Wing Attack", 2, ()),
    ]
    wing = dragon.legendary[2]
    assert wing.dc is not None and (wing.dc.ability, wing.dc.value, wing.dc.success) == ("dex", 22, "none")
    breath = dragon.action("Fire Breath")
    assert breath.dc is not None and breath.dc.success == "half"  # the source says "none"; its sentence: half
    assert breath.usage is not None and (breath.usage.type, breath.usage.min_value) == ("recharge on roll", 5)
    young = SRD.monster("young-red-dragon")
    assert young.legendary == () and young.legendary_per_round == 0  # the SRD's young dragons have none
    troll = SRD.monster("troll").regeneration
    assert troll is not None and (troll.hp, troll.stopped_by, troll.needs_hp) == (10, ("acid", "fire"), False)
    vampire = SRD.monster("vampire-spawn").regeneration
    assert vampire is not None and vampire.stopped_by == ("radiant",) and vampire.not_in_sunlight
    assert SRD.monster("knight").parry == 2 and SRD.monster("marilith").parry == 5


def test_undead_fortitude() -> None:
    zombie = SRD.monster("zombie")
    assert traits.undead_fortitude_dc(zombie, 9, ["slashing"], critical=False) == 14
    assert traits.undead_fortitude_dc(zombie, 9, ["radiant"], critical=False) is None
    assert traits.undead_fortitude_dc(zombie, 9, ["slashing"], critical=True) is None
    assert traits.undead_fortitude_dc(SRD.monster("goblin"), 9, ["slashing"], critical=False) is None


def test_regeneration() -> None:
    troll, oni = SRD.monster("troll"), SRD.monster("oni")
    assert traits.regenerated(troll, 50, 84, stopped=False, sunlight=False) == 10
    assert traits.regenerated(troll, 80, 84, stopped=False, sunlight=False) == 4  # not past its maximum
    assert traits.regenerated(troll, 50, 84, stopped=True, sunlight=False) == 0
    assert traits.regenerated(oni, 0, 110, stopped=False, sunlight=False) == 0  # needs 1 hit point
    spawn = SRD.monster("vampire-spawn")
    assert traits.regenerated(spawn, 20, 82, stopped=False, sunlight=True) == 0
    assert traits.stops_regeneration(troll, [("fire", 3)]) and not traits.stops_regeneration(troll, [("fire", 0)])
    assert not traits.stops_regeneration(troll, [("cold", 9)])
    assert traits.dies_only_at_its_turn(troll) and not traits.dies_only_at_its_turn(oni)  # oni: needs 1 HP
    assert not traits.dies_only_at_its_turn(SRD.monster("goblin"))


def test_pack_tactics_sunlight_nimble_escape_magic_resistance_threshold() -> None:
    wolf, kobold, goblin = SRD.monster("wolf"), SRD.monster("kobold"), SRD.monster("goblin")
    assert traits.pack_tactics(wolf, 1) and not traits.pack_tactics(wolf, 0) and not traits.pack_tactics(goblin, 3)
    assert traits.sunlight_disadvantage(kobold, True) and not traits.sunlight_disadvantage(kobold, False)
    assert traits.escapes_nimbly(goblin) and not traits.escapes_nimbly(wolf)
    assert traits.save_advantage_against_spells(SRD.monster("balor"))
    assert not traits.save_advantage_against_spells(goblin)
    assert traits.below_threshold(9, 10) and not traits.below_threshold(10, 10) and not traits.below_threshold(9, 0)
