"""The initiative tracker's DM tools on both databases: previous, move, skip, hold and ready, reroll, groups,
generic combatants, the Lair Actions entry, and timed effects that attacks and saves read and that tick down."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import update

from bot.engine.checks import CheckService
from bot.engine.combat import CombatService, CustomParts, GenericSpec, Overrides, TrackerState
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Dice
from bot.engine.rolls import RollService
from bot.engine.sheet import Actor
from bot.errors import Forbidden, InvalidInput
from persistence.db import Database
from persistence.models import Campaign, Character

DM, ALICE, BOB = 900, 901, 902


@dataclass
class Table:
    db: Database
    combat: CombatService
    guild: int
    channel: int
    campaign: int

    def actor(self, user: int) -> Actor:
        return Actor(user_id=user, guild_id=self.guild, channel_id=self.channel)

    @property
    def dm(self) -> Actor:
        return self.actor(DM)

    async def order(self, combat_id: int) -> list[str]:
        return [e.name for e in (await self.combat.status(combat_id, for_dm=True)).entries]

    async def current(self, combat_id: int) -> str:
        entry = (await self.combat.status(combat_id)).current
        return entry.name if entry else ""  # round 0: nobody's turn yet

    async def until(self, combat_id: int, name: str) -> None:
        for _ in range(40):
            if await self.current(combat_id) == name:
                return
            await self.combat.next_turn(self.dm, combat_id)
        raise AssertionError(f"{name}'s turn never came")


async def make_table(url: str) -> Table:
    db = Database(url, pool_size=10)
    dice = Dice(random.Random(7))
    characters = CharacterCreation(db, dice)
    checks = CheckService(characters, dice, RollService(db, dice))
    guild, channel = random.randrange(1, 2**62), random.randrange(1, 2**62)
    async with db.transaction() as session:
        row = Campaign(guild_id=guild, channel_id=channel, dm_id=DM, name="T", settings={}, safety={}, scene={})
        session.add(row)
        await session.flush()
        campaign = row.id
    table = Table(db, CombatService(db, dice, characters, checks), guild, channel, campaign)
    for user, name, klass, race, skills in (
        (ALICE, "Tordek", "fighter", "dwarf", ("athletics", "perception")),
        (BOB, "Lia", "wizard", "elf", ("arcana", "history")),
    ):
        actor = table.actor(user)
        draft = await characters.start_draft(
            actor, name=name, race=race, klass=klass, background="acolyte", method="standard"
        )
        await characters.create(actor, draft, Choices(skills=skills))
    async with db.transaction() as session:  # the party: only a campaign's characters join its fights
        await session.execute(update(Character).where(Character.guild_id == guild).values(campaign_id=campaign))
    return table


@pytest.fixture
async def table(database_url: str) -> AsyncIterator[Table]:
    built = await make_table(database_url)
    yield built
    await built.db.dispose()


async def started(table: Table) -> int:
    combat_id = (await table.combat.start(table.dm, table.campaign, table.channel)).combat_id
    await table.combat.join(table.actor(ALICE), combat_id)
    await table.combat.join(table.actor(BOB), combat_id)
    return combat_id


async def test_a_pack_of_wolves_is_one_entry_in_the_order_each_with_its_own_hp(table: Table) -> None:
    combat_id = await started(table)
    added = await table.combat.add_monsters(table.dm, combat_id, "wolf", 3, overrides=Overrides(group=True))
    assert added.names == ("Wolf 1", "Wolf 2", "Wolf 3") and len(set(added.initiatives)) == 1
    order = await table.order(combat_id)
    at = order.index("Wolf 1")
    assert order[at : at + 3] == ["Wolf 1", "Wolf 2", "Wolf 3"]  # together in the order
    await table.until(combat_id, "Wolf 1")
    state = await table.combat.status(combat_id)
    assert [e.name for e in state.entries if e.current] == ["Wolf 1", "Wolf 2", "Wolf 3"]  # one turn for all
    pack = await table.combat.run_monster_turn(table.dm, combat_id, random.Random(3))  # auto mode: all attack
    assert pack.monster == "Wolf" and {r.attacker for r in pack.reports} == {"Wolf 1", "Wolf 2", "Wolf 3"}
    await table.combat.heal(table.dm, table.campaign, "Tordek", 50)
    await table.combat.heal(table.dm, table.campaign, "Lia", 50)
    await table.combat.damage(table.dm, table.campaign, "Wolf 2", 5)
    wolves = {e.name: e.hp for e in (await table.combat.status(combat_id, for_dm=True)).entries if e.group}
    assert wolves == {"Wolf 1": 11, "Wolf 2": 6, "Wolf 3": 11}
    change = await table.combat.next_turn(table.dm, combat_id)
    assert not change.current.name.startswith("Wolf")  # the pack's turn ends at once
    with pytest.raises(InvalidInput, match="already in this fight"):
        await table.combat.add_monsters(table.dm, combat_id, "wolf", 2, overrides=Overrides(group=True))


async def test_overrides_and_a_generic_collapsing_bridge(table: Table) -> None:
    combat_id = await started(table)
    changes = Overrides(hp=30, ac=9, initiative="17")
    ogre = await table.combat.add_monsters(table.dm, combat_id, "ogre", overrides=changes)
    assert ogre.hp == (30,) and ogre.initiatives == (17,)
    entry = next(e for e in ogre.state.entries if e.name == "Ogre")
    assert (entry.hp, entry.hp_max, entry.ac) == (30, 30, 9)
    spec = GenericSpec(
        "Collapsing Bridge",
        hp=25,
        ac=12,
        initiative="+0",
        attacks="Falling Stones DC 12 dex 2d6 bludgeoning half; Snapping Rope +4 1d4",
    )
    bridge = await table.combat.add_generic(table.dm, combat_id, spec)
    assert bridge.names == ("Collapsing Bridge",) and bridge.hp == (25,)
    assert await table.combat.action_names(combat_id, "Collapsing Bridge") == ["Falling Stones", "Snapping Rope"]
    turn = await table.combat.monster_act(table.dm, combat_id, "Collapsing Bridge", "Falling Stones", "Tordek")
    [report] = turn.reports
    assert report.kind == "save" and report.save is not None and report.save.ability == "dex"
    assert report.save.dc == 12 and report.damage_rolls
    rope = await table.combat.monster_act(table.dm, combat_id, "Collapsing Bridge", "Snapping Rope", "Lia")
    assert rope.reports[0].kind == "attack" and rope.reports[0].to_hit == 4
    with pytest.raises(InvalidInput, match="isn't an attack line"):
        await table.combat.add_generic(table.dm, combat_id, GenericSpec("Trap", 5, 10, attacks="bites hard"))
    with pytest.raises(InvalidInput, match="generic combatant with `name`, `hit_points` and `ac`"):
        await table.combat.add_generic(table.dm, combat_id, GenericSpec("Trap", None, 10))
    with pytest.raises(Forbidden):
        await table.combat.add_generic(table.actor(ALICE), combat_id, GenericSpec("", None, None))
    await table.combat.damage(table.dm, table.campaign, "Collapsing Bridge", 25)
    ended = await table.combat.end(table.dm, combat_id)
    assert "Collapsing Bridge" in ended.defeated  # no XP for a bridge, but it counts as beaten


async def test_lair_actions_act_on_20_and_lose_ties(table: Table) -> None:
    combat_id = await started(table)
    await table.combat.add_monsters(table.dm, combat_id, "goblin", overrides=Overrides(initiative="20"))
    lair = await table.combat.add_lair(table.dm, combat_id)
    assert lair.initiatives == (20,)
    order = await table.order(combat_id)
    assert order.index("Goblin") < order.index("Lair Actions")
    with pytest.raises(InvalidInput, match="not a creature"):
        await table.combat.attack(table.dm, combat_id, "Tordek", "Lair Actions", "longsword")
    with pytest.raises(InvalidInput, match="already has its Lair Actions"):
        await table.combat.add_generic(table.dm, combat_id, GenericSpec("lair actions", 1, 1))
    await table.combat.reroll(table.dm, combat_id)
    entry = next(e for e in (await table.combat.status(combat_id)).entries if e.name == "Lair Actions")
    assert entry.initiative == 20  # rerolls leave the lair on 20


async def test_prev_move_skip_delay_ready(table: Table) -> None:
    combat_id = await started(table)
    await table.combat.add_monsters(table.dm, combat_id, "goblin", 2)
    await table.combat.move(table.dm, combat_id, "Tordek", position=1)
    await table.combat.move(table.dm, combat_id, "Lia", position=2)
    assert (await table.order(combat_id))[:2] == ["Tordek", "Lia"]
    moved = await table.combat.move(table.dm, combat_id, "Goblin 2", initiative=40)
    assert moved.entries[0].name == "Goblin 2" and moved.entries[0].initiative == 40
    order = await table.order(combat_id)
    first = await table.combat.next_turn(table.dm, combat_id)
    assert first.current.name == order[0] and first.round == 1
    second = await table.combat.next_turn(table.dm, combat_id)
    back = await table.combat.previous_turn(table.dm, combat_id)
    assert back.current.name == first.current.name and back.previous == second.current.name
    with pytest.raises(InvalidInput, match="first turn"):
        await table.combat.previous_turn(table.dm, combat_id)
    skipped = await table.combat.skip(table.dm, combat_id)
    assert skipped.current.name == order[1]
    top = await table.combat.skip(table.dm, combat_id, rest_of_round=True)
    assert top.round == 2 and top.new_round and top.current.name == order[0]
    await table.until(combat_id, "Tordek")
    with pytest.raises(Forbidden):
        await table.combat.delay(table.actor(BOB), combat_id)  # not Lia's turn
    held = await table.combat.delay(table.actor(ALICE), combat_id)
    assert held.current.name == "Lia" and next(e for e in held.state.entries if e.name == "Tordek").held
    back_in = await table.combat.ready(table.actor(ALICE), combat_id)
    names = [e.name for e in back_in.entries]
    assert names.index("Tordek") == names.index("Lia") + 1 and not back_in.entries[names.index("Tordek")].held
    assert (await table.combat.next_turn(table.actor(BOB), combat_id)).current.name == "Tordek"
    with pytest.raises(InvalidInput, match="isn't holding"):
        await table.combat.ready(table.dm, combat_id, "Tordek")


async def test_reroll_every_round(table: Table) -> None:
    combat_id = await started(table)
    await table.combat.add_monsters(table.dm, combat_id, "goblin", 4)
    await table.combat.reroll(table.dm, combat_id, every_round=True)
    await table.combat.next_turn(table.dm, combat_id)
    seen = set()
    for _ in range(4):  # four new rounds: with 6 combatants, one order every time is all but impossible
        await table.combat.skip(table.dm, combat_id, rest_of_round=True)
        seen.add(tuple(await table.order(combat_id)))
    assert len(seen) > 1


def effects_of(state: TrackerState, name: str) -> tuple[str, ...]:
    return next(e for e in state.entries if e.name == name).effects


async def test_bless_and_a_custom_effect_tick_down_and_expire(table: Table) -> None:
    combat_id = await started(table)
    await table.combat.add_monsters(table.dm, combat_id, "goblin")
    await table.combat.next_turn(table.dm, combat_id)
    blessed = await table.combat.add_effect(table.dm, combat_id, "Tordek", "bless", rounds=2, concentration="Lia")
    assert effects_of(blessed.state, "Tordek") == ("Bless (2 rounds, concentration: Lia)",)
    parts = CustomParts(ac=3, edges={"attacked": "disadvantage"}, resistances=("fire",))
    grove = await table.combat.add_effect(table.dm, combat_id, "Goblin", "Bark Skin", rounds=1, parts=parts)
    assert effects_of(grove.state, "Goblin") == ("Bark Skin (1 round)",)
    dm_view = await table.combat.status(combat_id, for_dm=True)
    assert next(e for e in dm_view.entries if e.name == "Goblin").ac == 18  # 15 + 3
    await table.until(combat_id, "Tordek")
    attack = await table.combat.attack(table.dm, combat_id, "Tordek", "Goblin", "longsword")
    assert [name for name, _, _ in attack.bonus_rolls] == ["Bless"] and attack.ac == 18
    assert "target Bark Skin" in attack.reasons
    expired: list[str] = []
    for _ in range(8):
        expired += (await table.combat.next_turn(table.dm, combat_id)).expired
    assert "Goblin: Bark Skin" in expired and "Tordek: Bless" in expired  # ticked on Lia's turns, twice
    assert effects_of(await table.combat.status(combat_id), "Tordek") == ()


async def test_concentration_ends_with_another_spell_or_a_fall(table: Table) -> None:
    combat_id = await started(table)
    await table.combat.add_monsters(table.dm, combat_id, "goblin")
    await table.combat.add_effect(table.dm, combat_id, "Tordek", "Bless", concentration="Lia")
    await table.combat.add_effect(table.dm, combat_id, "Lia", "bless", concentration="Lia")
    swapped = await table.combat.add_effect(table.dm, combat_id, "Goblin", "Bane", concentration="Lia")
    assert set(swapped.ended) == {"Tordek: Bless", "Lia: Bless"}
    shield = await table.combat.add_effect(table.dm, combat_id, "Tordek", "Shield of Faith", concentration="Tordek")
    assert effects_of(shield.state, "Goblin") == ("Bane (10 rounds, concentration: Lia)",)
    fall = await table.combat.damage(table.dm, table.campaign, "Lia", 50)
    assert fall.concentration_ended == ("Goblin: Bane",)
    ended = await table.combat.remove_effect(table.dm, combat_id, "Tordek", "concentration")
    assert ended.ended == ("Tordek: Shield of Faith",)
    with pytest.raises(InvalidInput, match="isn't a preset"):
        await table.combat.add_effect(table.dm, combat_id, "Tordek", "Haste")
    with pytest.raises(InvalidInput, match="No effect"):
        await table.combat.remove_effect(table.dm, combat_id, "Tordek", "Bless")
    with pytest.raises(Forbidden):
        await table.combat.add_effect(table.actor(ALICE), combat_id, "Tordek", "Bless")
