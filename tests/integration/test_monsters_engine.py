"""Monsters as written, in the engine on both databases, with dice scripted where a rule turns on one roll:
legendary actions and resistance, recharge and per-day uses, areas against several targets (damage rolled
once, a save each), Multiattack at several targets, opportunity attacks and Parry (one reaction a round),
Undead Fortitude, regeneration, Pack Tactics, Sunlight Sensitivity, Nimble Escape and a damage threshold."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update
from test_tracker_engine import ALICE, BOB, DM, Table

from bot.engine.checks import CheckService
from bot.engine.combat import CombatService, GenericSpec, Overrides
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Dice
from bot.engine.rolls import RollService
from bot.errors import Forbidden, InvalidInput
from persistence.db import Database
from persistence.models import Campaign, Character

TOUGH = 200


class Scripted(random.Random):
    """A seeded random source that hands out the scripted die faces first (d20's `randrange(size)` and
    `randint(1, 20)` alike), then rolls on from the seed."""

    def __init__(self) -> None:
        super().__init__(11)
        self.faces: list[int] = []

    def randrange(self, start: int, stop: int | None = None, step: int = 1, **_: Any) -> int:
        if not self.faces:
            return super().randrange(start, stop, step)
        face = self.faces.pop(0)
        low, high = (0, start) if stop is None else (start, stop)
        size = high - low
        value = face - 1 + low if stop is None else face
        assert low <= value < high, f"scripted face {face} doesn't fit a die of {size}"
        return value


@pytest.fixture
async def table(database_url: str) -> AsyncIterator[tuple[Table, Scripted]]:
    db = Database(database_url, pool_size=10)
    rng = Scripted()
    dice = Dice(rng)
    characters = CharacterCreation(db, dice)
    checks = CheckService(characters, dice, RollService(db, dice))
    guild, channel = random.randrange(1, 2**62), random.randrange(1, 2**62)
    async with db.transaction() as session:
        row = Campaign(guild_id=guild, channel_id=channel, dm_id=DM, name="T", settings={}, safety={}, scene={})
        session.add(row)
        await session.flush()
        campaign = row.id
    built = Table(db, CombatService(db, dice, characters, checks), guild, channel, campaign)
    for user, name, klass, race, skills in (
        (ALICE, "Tordek", "fighter", "dwarf", ("athletics", "perception")),
        (BOB, "Lia", "wizard", "elf", ("arcana", "history")),
    ):
        draft = await characters.start_draft(
            built.actor(user), name=name, race=race, klass=klass, background="acolyte", method="standard"
        )
        await characters.create(built.actor(user), draft, Choices(skills=skills))
    async with db.transaction() as session:  # tough enough to follow a dragon's numbers, and in the party
        await session.execute(
            update(Character)
            .where(Character.guild_id == guild)
            .values(hp_max=TOUGH, hp_current=TOUGH, campaign_id=campaign)
        )
    yield built, rng
    await db.dispose()


async def fight_with(table: Table, *monsters: str, group: bool = False) -> int:
    combat_id = (await table.combat.start(table.dm, table.campaign, table.channel)).combat_id
    await table.combat.join(table.actor(ALICE), combat_id)
    await table.combat.join(table.actor(BOB), combat_id)
    for monster in monsters:
        await table.combat.add_monsters(table.dm, combat_id, monster, overrides=Overrides(group=group))
    return combat_id


async def entry(table: Table, combat_id: int, name: str) -> Any:
    state = await table.combat.status(combat_id, for_dm=True)
    return next(e for e in state.entries if e.name == name)


async def test_legendary_actions_spent_off_turn_and_restored_at_its_turn(table: tuple[Table, Scripted]) -> None:
    t, rng = table
    combat_id = await fight_with(t, "adult-red-dragon")
    await t.until(combat_id, "Tordek")
    assert (await entry(t, combat_id, "Adult Red Dragon")).legendary == (3, 3)
    rng.faces = [15, 4, 4]  # the tail: 15 + 14 = 29 hits; 2d8+8 = 16
    tail = await t.combat.monster_act(t.dm, combat_id, "Adult Red Dragon", "Tail Attack", "Tordek")
    [report] = tail.reports
    assert report.action == "Tail" and report.hit and report.damage is not None and report.damage.total == 16
    assert report.damage.hp_after == TOUGH - 16
    rng.faces = [6, 6, 10, 3, 3]  # Wing Attack: 2d6+8 = 20 once for both; Tordek's save 10+1 fails, Lia's 3+2
    wing = await t.combat.monster_act(t.dm, combat_id, "Adult Red Dragon", "Wing Attack", "Tordek, Lia")
    assert [r.target for r in wing.reports] == ["Tordek", "Lia"]
    assert all(r.damage is not None and r.damage.total == 20 for r in wing.reports)  # DC 22: none on a success
    assert "legendary actions left 0/3" in wing.notes[-1]
    assert (await entry(t, combat_id, "Adult Red Dragon")).legendary == (0, 3)
    with pytest.raises(InvalidInput, match="costs 1; Adult Red Dragon has 0 legendary actions left"):
        await t.combat.monster_act(t.dm, combat_id, "Adult Red Dragon", "Detect", "Tordek")
    await t.until(combat_id, "Adult Red Dragon")
    with pytest.raises(InvalidInput, match="own turn"):
        await t.combat.monster_act(t.dm, combat_id, "Adult Red Dragon", "Detect", "Tordek")
    assert (await entry(t, combat_id, "Adult Red Dragon")).legendary == (3, 3)
    await t.combat.next_turn(t.dm, combat_id)
    detect = await t.combat.monster_act(t.dm, combat_id, "Adult Red Dragon", "Detect", "Tordek")
    assert detect.reports == () and "the DM describes it" in detect.notes[0]


async def test_legendary_resistance_turns_failures_into_successes_three_times(table: tuple[Table, Scripted]) -> None:
    t, rng = table
    combat_id = await fight_with(t, "adult-red-dragon")
    spec = GenericSpec("Falling Ceiling", 30, 12, "5", "Rocks DC 30 dex 2d6 half")
    await t.combat.add_generic(t.dm, combat_id, spec)
    await t.until(combat_id, "Falling Ceiling")
    notes = []
    for left in (2, 1, 0):
        rng.faces = [3, 3, 2]  # 2d6 = 6, then the dragon's save 2 + 6 = 8 fails DC 30
        turn = await t.combat.monster_act(t.dm, combat_id, "Falling Ceiling", "Rocks", "Adult Red Dragon")
        [report] = turn.reports
        assert report.save is not None and report.save.success and report.save.total == 8
        assert report.damage is not None and report.damage.total == 3  # half of 6 on the "success"
        notes.append(report.save.note)
        assert f"({left} left today)" in report.save.note
    rng.faces = [3, 3, 2]
    [failed] = (await t.combat.monster_act(t.dm, combat_id, "Falling Ceiling", "Rocks", "Adult Red Dragon")).reports
    assert failed.save is not None and not failed.save.success and failed.damage is not None
    assert failed.damage.total == 6


async def test_fire_breath_recharges_on_5_or_6_and_hits_each_target_with_its_own_save(
    table: tuple[Table, Scripted],
) -> None:
    t, rng = table
    combat_id = await fight_with(t, "young-red-dragon")
    await t.until(combat_id, "Young Red Dragon")
    rng.faces = [6] * 10 + [1] * 6 + [16, 5]  # 16d6 = 66 for both; Tordek 16+1 = 17 saves (half), Lia 5+2 fails
    breath = await t.combat.monster_act(t.dm, combat_id, "Young Red Dragon", "Fire Breath", "Tordek, Lia")
    saves = {r.target: (r.save.success if r.save else None, r.damage.total if r.damage else 0) for r in breath.reports}
    assert saves == {"Tordek": (True, 33), "Lia": (False, 66)}
    assert "recharges on a 5–6" in breath.notes[-1]
    assert (await entry(t, combat_id, "Young Red Dragon")).spent == ("Fire Breath",)
    with pytest.raises(InvalidInput, match="isn't recharged"):
        await t.combat.monster_act(t.dm, combat_id, "Young Red Dragon", "Fire Breath", "Tordek")
    options = await t.combat.monster_options(combat_id)
    assert options is not None and "Fire Breath" not in options.actions  # auto mode can't choose it either
    await t.combat.next_turn(t.dm, combat_id)
    rng.faces = [4]  # the recharge roll at the start of its next turn: 4 stays spent
    await t.until(combat_id, "Young Red Dragon")  # the first die rolled on the way: its recharge d6
    assert (await entry(t, combat_id, "Young Red Dragon")).spent == ("Fire Breath",)
    await t.combat.next_turn(t.dm, combat_id)
    rng.faces = [5]
    await t.until(combat_id, "Young Red Dragon")
    assert (await entry(t, combat_id, "Young Red Dragon")).spent == ()
    options = await t.combat.monster_options(combat_id)
    assert options is not None and "Fire Breath" in options.actions
    multi = await t.combat.monster_act(t.dm, combat_id, "Young Red Dragon", "Multiattack", "Tordek, Lia")
    assert [r.target for r in multi.reports] == ["Tordek", "Lia", "Tordek"]  # bite, claw, claw in turn


async def test_opportunity_attacks_and_parry_take_the_reaction_once_a_round(table: tuple[Table, Scripted]) -> None:
    t, rng = table
    combat_id = await fight_with(t, "knight", "goblin")
    await t.until(combat_id, "Knight")
    rng.faces = [14, 5]  # Tordek's longsword: 14 + 5 = 19 hits AC 18; the knight's Parry makes it 20
    parried = await t.combat.opportunity(t.actor(ALICE), combat_id, "Knight", weapon="longsword")
    assert not parried.hit and "parries" in parried.notes[0]
    with pytest.raises(InvalidInput, match="used its reaction"):
        await t.combat.opportunity(t.actor(ALICE), combat_id, "Knight", weapon="longsword")
    with pytest.raises(Forbidden, match="Only the campaign's DM"):  # naming the attacker is the DM's
        await t.combat.opportunity(t.actor(BOB), combat_id, "Knight", attacker="Tordek", weapon="longsword")
    await t.combat.next_turn(t.dm, combat_id)
    await t.until(combat_id, "Goblin")
    with pytest.raises(InvalidInput, match="Nimble Escape"):
        await t.combat.opportunity(t.actor(BOB), combat_id, "Goblin", weapon="dagger")
    with pytest.raises(InvalidInput, match="it's Goblin's turn, not Knight's"):
        await t.combat.opportunity(t.actor(BOB), combat_id, "Knight", weapon="dagger")
    await t.until(combat_id, "Tordek")
    assert not (await entry(t, combat_id, "Tordek")).reaction_used  # back at the start of its turn


async def test_undead_fortitude_regeneration_and_a_threshold(table: tuple[Table, Scripted]) -> None:
    t, rng = table
    combat_id = await fight_with(t, "zombie", "troll")
    await t.combat.damage(t.dm, t.campaign, "Zombie", 12, "slashing")
    rng.faces = [12]  # 10 more drops it: DC 15; 12 + 3 = 15 keeps it at 1 HP
    kept = await t.combat.damage(t.dm, t.campaign, "Zombie", 10, "slashing")
    assert kept.hp_after == 1 and kept.state == "up" and "makes the DC 15 Constitution save (15)" in kept.notes[0]
    radiant = await t.combat.damage(t.dm, t.campaign, "Zombie", 1, "radiant")
    assert radiant.state == "dead" and radiant.notes == ()
    await t.combat.damage(t.dm, t.campaign, "Troll", 30, "slashing")
    change = await _to_turn(t, combat_id, "Troll")
    assert "💚 Troll regenerates 10 HP." in change.notes and (await entry(t, combat_id, "Troll")).hp == 64
    await t.combat.damage(t.dm, t.campaign, "Troll", 4, "fire")
    await t.combat.next_turn(t.dm, combat_id)
    change = await _to_turn(t, combat_id, "Troll")
    assert any("doesn't regenerate" in n for n in change.notes) and (await entry(t, combat_id, "Troll")).hp == 60
    down = await t.combat.damage(t.dm, t.campaign, "Troll", 100, "slashing")  # down, not dead: it may regenerate
    assert down.state == "up" and down.hp_after == 0 and down.health == "down" and "dies only if" in down.notes[0]
    change = await _to_turn(t, combat_id, "Troll")
    assert "💚 Troll regenerates 10 HP." in change.notes and (await entry(t, combat_id, "Troll")).hp == 10
    await t.combat.damage(t.dm, t.campaign, "Troll", 10, "fire")  # down again, and fire stops its regeneration
    change = await _to_turn(t, combat_id, "Troll")
    assert "💀 Troll dies: it starts its turn at 0 HP and doesn't regenerate." in change.notes
    assert (await entry(t, combat_id, "Troll")).state == "dead"
    bridge = GenericSpec("Bridge", 40, 10, "3", None, threshold=10)
    await t.combat.add_generic(t.dm, combat_id, bridge)
    ignored = await t.combat.damage(t.dm, t.campaign, "Bridge", 9)
    assert ignored.hp_after == 40 and "below its damage threshold 10" in ignored.notes[0]
    assert (await t.combat.damage(t.dm, t.campaign, "Bridge", 10)).hp_after == 30


async def _to_turn(t: Table, combat_id: int, name: str) -> Any:
    for _ in range(20):
        change = await t.combat.next_turn(t.dm, combat_id)
        if change.current.name == name:
            return change
    raise AssertionError(f"{name}'s turn never came")


async def test_pack_tactics_and_sunlight(table: tuple[Table, Scripted]) -> None:
    t, _ = table
    combat_id = await fight_with(t, "kobold")
    await t.combat.add_monsters(t.dm, combat_id, "wolf", 2)
    await t.until(combat_id, "Tordek")
    wolf = await t.combat.monster_act(t.dm, combat_id, "Wolf 1", "Bite", "Tordek")
    assert "Pack Tactics" in wolf.reports[0].reasons and wolf.reports[0].roll is not None
    assert wolf.reports[0].roll.expression.startswith("1d20")
    await t.combat.damage(t.dm, t.campaign, "Wolf 2", 100)
    await t.combat.damage(t.dm, t.campaign, "Kobold", 100)
    alone = await t.combat.monster_act(t.dm, combat_id, "Wolf 1", "Bite", "Tordek")
    assert "Pack Tactics" not in alone.reports[0].reasons  # no ally left standing
    await t.combat.end(t.dm, combat_id)
    combat_id = await fight_with(t, "kobold", "goblin")
    await t.combat.set_sunlight(t.dm, combat_id, True)
    await t.until(combat_id, "Tordek")
    kobold = await t.combat.monster_act(t.dm, combat_id, "Kobold", "Dagger", "Tordek")
    assert {"Pack Tactics", "Sunlight Sensitivity"} <= set(kobold.reports[0].reasons)  # they cancel out
    assert kobold.reports[0].roll is not None and kobold.reports[0].roll.advantage.name == "NONE"
    assert (await t.combat.status(combat_id)).sunlight


async def test_per_day_uses_and_a_save_without_damage(table: tuple[Table, Scripted]) -> None:
    t, _ = table
    combat_id = await fight_with(t, "dretch")
    cloud = await t.combat.monster_act(t.dm, combat_id, "Dretch", "Fetid Cloud", "Tordek, Lia")
    assert [r.target for r in cloud.reports] == ["Tordek", "Lia"]
    assert all(r.kind == "save" and r.save is not None and r.damage is None for r in cloud.reports)
    assert "Fetid Cloud: 0 of 1 use left today." in cloud.notes
    with pytest.raises(InvalidInput, match="has used Fetid Cloud once today: none left"):
        await t.combat.monster_act(t.dm, combat_id, "Dretch", "Fetid Cloud", "Tordek")
