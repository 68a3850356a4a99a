"""The combat engine on real databases: a whole fight, who may do what, and the concurrency cases on Postgres."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import update

from bot.engine.characters import CharacterRef
from bot.engine.checks import CheckService
from bot.engine.combat import CombatService, InChannel, NoFight, TurnMoved
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Dice
from bot.engine.rolls import RollService
from bot.engine.sheet import Actor
from bot.errors import Forbidden, GameError, InvalidInput, NotFound
from persistence.db import Database
from persistence.errors import Conflict
from persistence.models import Campaign, Character, Combat
from persistence.repositories import CombatRepository

DM, ALICE, BOB, OTHER_DM = 900, 901, 902, 903


@dataclass
class World:
    db: Database
    characters: CharacterCreation
    combat: CombatService
    guild: int
    channel: int
    campaign: int

    def actor(self, user: int) -> Actor:
        return Actor(user_id=user, guild_id=self.guild, channel_id=self.channel)

    @property
    def dm(self) -> Actor:
        return self.actor(DM)


async def make_campaign(db: Database, guild: int, channel: int, dm: int) -> int:
    async with db.transaction() as session:
        row = Campaign(guild_id=guild, channel_id=channel, dm_id=dm, name="Test", settings={}, safety={}, scene={})
        session.add(row)
        await session.flush()
        return row.id


async def make_character(world: World, user: int, name: str, klass: str = "fighter", race: str = "dwarf") -> None:
    actor = world.actor(user)
    skills = {"fighter": ("athletics", "perception"), "wizard": ("arcana", "history")}[klass]
    draft = await world.characters.start_draft(
        actor, name=name, race=race, klass=klass, background="acolyte", method="standard"
    )
    await world.characters.create(actor, draft, Choices(skills=skills))


def running_fight_row(world: World) -> Combat:
    """A fight row as `start` writes it, for inserting one behind the engine's back."""
    return Combat(
        campaign_id=world.campaign,
        guild_id=world.guild,
        channel_id=world.channel,
        status="active",
        round=0,
        turn_index=0,
        version=1,
        started_by=DM,
    )


async def build(url: str, seed: int = 5) -> World:
    db = Database(url, pool_size=20)
    dice = Dice(random.Random(seed))
    characters = CharacterCreation(db, dice)
    checks = CheckService(characters, dice, RollService(db, dice))
    guild, channel = random.randrange(1, 2**62), random.randrange(1, 2**62)
    campaign = await make_campaign(db, guild, channel, DM)
    world = World(db, characters, CombatService(db, dice, characters, checks), guild, channel, campaign)
    await make_character(world, ALICE, "Tordek")
    await make_character(world, BOB, "Lia", klass="wizard", race="elf")
    async with db.transaction() as session:  # the party: only a campaign's characters join its fights
        await session.execute(update(Character).where(Character.guild_id == guild).values(campaign_id=campaign))
    return world


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    built = await build(database_url)
    yield built
    await built.db.dispose()


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[World]:
    built = await build(postgres_url, seed=11)
    yield built
    await built.db.dispose()


async def fight(world: World, *monsters: tuple[str, int]) -> int:
    state = await world.combat.start(world.dm, world.campaign, world.channel)
    for monster, count in monsters:
        await world.combat.add_monsters(world.dm, state.combat_id, monster, count)
    await world.combat.join(world.actor(ALICE), state.combat_id)
    await world.combat.join(world.actor(BOB), state.combat_id)
    return state.combat_id


async def to_turn_of(world: World, combat_id: int, name: str) -> None:
    for _ in range(20):
        current = (await world.combat.status(combat_id)).current
        if current is not None and current.name == name:
            return
        await world.combat.next_turn(world.dm, combat_id)
    raise AssertionError(f"{name} never got a turn")


# --- A whole fight --------------------------------------------------------------------------------


async def test_a_whole_fight_start_to_xp(world: World) -> None:
    combat_id = await fight(world, ("goblin", 2))
    state = await world.combat.status(combat_id)
    assert [e.name for e in state.entries] and {e.name for e in state.entries} == {
        "Goblin 1",
        "Goblin 2",
        "Tordek",
        "Lia",
    }
    assert state.round == 0 and state.current is None
    initiatives = [e.initiative for e in state.entries]
    assert initiatives == sorted(initiatives, reverse=True)
    change = await world.combat.next_turn(world.dm, combat_id)
    assert change.round == 1 and change.new_round and change.current.id == state.entries[0].id
    for goblin in ("Goblin 1", "Goblin 2"):
        for _ in range(40):
            report = await world.combat.attack(world.dm, combat_id, "Tordek", goblin, "longsword")
            assert report.to_hit == 4 and report.ac == 15
            if report.damage and report.damage.state == "dead":
                break
        else:
            raise AssertionError(f"{goblin} never died")
    state = await world.combat.status(combat_id)
    assert [e.health for e in state.entries if e.kind == "monster"] == ["dead", "dead"]
    end = await world.combat.end(world.dm, combat_id)
    assert (end.xp_total, end.share) == (100, 50)
    assert {r.name: r.xp for r in end.rewards} == {"Tordek": 50, "Lia": 50}
    assert (await world.characters.get(world.actor(ALICE))).xp == 50
    with pytest.raises(InvalidInput, match="over"):
        await world.combat.next_turn(world.dm, combat_id)
    assert await world.combat.active_in_channel(world.channel) is None


async def test_player_and_monster_views(world: World) -> None:
    combat_id = await fight(world, ("goblin", 1))
    player = await world.combat.status(combat_id)
    dm = await world.combat.view(world.dm, combat_id)
    goblin = next(e for e in player.entries if e.kind == "monster")
    assert (goblin.hp, goblin.ac, goblin.health) == (None, None, "unhurt")
    assert next(e for e in dm.entries if e.kind == "monster").hp == 7 and dm.for_dm
    tordek = next(e for e in player.entries if e.name == "Tordek")
    assert (tordek.hp, tordek.hp_max, tordek.ac) == (14, 14, None)  # players see characters' HP
    assert not (await world.combat.view(world.actor(ALICE), combat_id)).for_dm


async def test_monster_names_hp_and_limits(world: World) -> None:
    combat_id = (await world.combat.start(world.dm, world.campaign, world.channel)).combat_id
    added = await world.combat.add_monsters(world.dm, combat_id, "Goblin", 2, hp="rolled")
    assert added.names == ("Goblin 1", "Goblin 2") and all(2 <= hp <= 12 for hp in added.hp)
    more = await world.combat.add_monsters(world.dm, combat_id, "goblin", 1)
    assert more.names == ("Goblin 3",)
    boss = await world.combat.add_monsters(world.dm, combat_id, "bugbear", 1, name="Klarg")
    assert boss.names == ("Klarg",) and boss.hp == (27,)
    with pytest.raises(NotFound, match="not an SRD monster"):
        await world.combat.add_monsters(world.dm, combat_id, "beholder")
    with pytest.raises(InvalidInput):
        await world.combat.add_monsters(world.dm, combat_id, "goblin", 21)
    with pytest.raises(InvalidInput, match="already running"):
        await world.combat.start(world.dm, world.campaign, world.channel)


async def test_a_second_running_fight_in_a_channel_is_a_storage_conflict(world: World) -> None:
    """The unique key behind "one fight per channel" reaches the engine as `Conflict`, never as SQLAlchemy's."""
    await world.combat.start(world.dm, world.campaign, world.channel)
    with pytest.raises(Conflict):
        async with world.db.transaction() as session:
            await CombatRepository(session).insert(running_fight_row(world))


async def test_joining_mid_round_keeps_the_current_turn(world: World) -> None:
    combat_id = (await world.combat.start(world.dm, world.campaign, world.channel)).combat_id
    await world.combat.add_monsters(world.dm, combat_id, "goblin", 3)
    await world.combat.next_turn(world.dm, combat_id)
    await world.combat.next_turn(world.dm, combat_id)
    before = (await world.combat.status(combat_id)).current
    joined = await world.combat.join(world.actor(ALICE), combat_id)
    assert joined.state.current is not None and joined.state.current.id == before.id  # type: ignore[union-attr]
    with pytest.raises(InvalidInput, match="already in this fight"):
        await world.combat.join(world.actor(ALICE), combat_id)


# --- Who may do what --------------------------------------------------------------------------------


async def test_permissions(world: World) -> None:
    alice, bob = world.actor(ALICE), world.actor(BOB)
    with pytest.raises(Forbidden):
        await world.combat.start(alice, world.campaign, world.channel)
    combat_id = await fight(world, ("goblin", 1))
    for call in (
        world.combat.add_monsters(alice, combat_id, "goblin"),
        world.combat.monster_act(alice, combat_id, "Goblin", "Scimitar", "Lia"),
        world.combat.end(world.actor(OTHER_DM), combat_id),
        world.combat.damage(alice, world.campaign, "Goblin", 3),
        world.combat.heal(bob, world.campaign, "Lia", 3),
        world.combat.set_condition(alice, combat_id, "Goblin", "prone", add=True),
        world.combat.join(bob, combat_id, CharacterRef(owner_id=ALICE)),
        world.combat.next_turn(alice, combat_id),  # round 0: the DM starts the fight
        world.combat.attack(alice, combat_id, "Lia", "Goblin", "dagger"),  # not her character
        world.combat.attack(alice, combat_id, "Goblin", "Lia", "Scimitar"),
    ):
        with pytest.raises(Forbidden):
            await call
    await world.combat.next_turn(world.dm, combat_id)
    await to_turn_of(world, combat_id, "Lia")
    with pytest.raises(Forbidden, match="Lia's turn"):
        await world.combat.next_turn(alice, combat_id)
    with pytest.raises(InvalidInput, match="Lia's turn"):
        await world.combat.attack(alice, combat_id, "Tordek", "Goblin", "longsword")
    change = await world.combat.next_turn(bob, combat_id)  # her own turn: allowed
    assert change.previous == "Lia"


async def test_only_the_next_player_is_pinged(world: World) -> None:
    combat_id = await fight(world, ("goblin", 1))
    pings = set()
    for _ in range(6):
        change = await world.combat.next_turn(world.dm, combat_id)
        expected = {"Tordek": ALICE, "Lia": BOB}.get(change.current.name)
        assert change.ping_user_id == expected
        pings.add(change.ping_user_id)
    assert pings == {ALICE, BOB, None}


# --- Rules through the engine -----------------------------------------------------------------------


async def test_resistances_apply_to_weapon_attacks_and_dm_damage(world: World) -> None:
    combat_id = await fight(world, ("ghost", 1))
    report = None
    for _ in range(40):
        report = await world.combat.attack(world.dm, combat_id, "Tordek", "Ghost", "longsword")
        if report.hit:
            break
    assert report is not None and report.damage is not None
    assert report.damage.parts[0].effect == "resistant"
    assert report.damage.total == report.damage.parts[0].raw // 2
    magic = await world.combat.damage(world.dm, world.campaign, "ghost", 10, "slashing", magical=True)
    assert magic.total == 10
    fire = await world.combat.damage(world.dm, world.campaign, "ghost", 10, "fire")
    assert (fire.total, fire.parts[0].effect) == (5, "resistant")
    cold = await world.combat.damage(world.dm, world.campaign, "ghost", 10, "cold")
    assert (cold.total, cold.parts[0].effect) == (0, "immune")
    with pytest.raises(InvalidInput, match="damage type"):
        await world.combat.damage(world.dm, world.campaign, "ghost", 1, "sonic")


async def test_characters_drop_roll_death_saves_and_die(world: World) -> None:
    combat_id = await fight(world, ("goblin", 1))
    down = await world.combat.damage(world.dm, world.campaign, "Lia", 30)  # Lia: 7 HP, overflow 23 ≥ 7
    assert down.instant_death and down.state == "dead"
    hurt = await world.combat.damage(world.dm, world.campaign, "Tordek", 14)  # exactly to 0
    assert (hurt.hp_after, hurt.dropped, hurt.state, hurt.death_saves) == (0, True, "dying", (0, 0))
    sheet = await world.characters.get(world.actor(ALICE))
    assert "unconscious" in [c.name for c in sheet.conditions]
    report = None
    for _ in range(40):  # melee against an unconscious target: advantage, and any hit is a critical
        report = await world.combat.attack(world.dm, combat_id, "Goblin", "Tordek", "Scimitar")
        if report.hit:
            break
    assert report is not None and report.critical and "target unconscious" in report.reasons
    assert report.damage is not None and report.damage.failures_added == 2
    healed = await world.combat.heal(world.dm, world.campaign, "Tordek", 5)
    assert (healed.hp_after, healed.state, healed.death_saves) == (5, "up", None)
    sheet = await world.characters.get(world.actor(ALICE))
    assert (sheet.death_failures, "unconscious" in [c.name for c in sheet.conditions]) == (0, False)
    with pytest.raises(InvalidInput, match="revivify"):
        await world.combat.heal(world.dm, world.campaign, "Lia", 5)
    state = await world.combat.status(combat_id)
    assert next(e for e in state.entries if e.name == "Lia").state == "dead"
    end = await world.combat.end(world.dm, combat_id)
    assert [r.name for r in end.rewards] == ["Tordek"]  # the dead get no share (and no goblin died: 0 XP)
    assert end.xp_total == 0


async def test_dead_combatants_are_skipped(world: World) -> None:
    combat_id = await fight(world, ("goblin", 2))
    await world.combat.damage(world.dm, world.campaign, "Goblin 1", 50)
    await world.combat.damage(world.dm, world.campaign, "Lia", 50)
    seen = [(await world.combat.next_turn(world.dm, combat_id)).current.name for _ in range(6)]
    assert "Goblin 1" not in seen and "Lia" not in seen
    assert set(seen) == {"Goblin 2", "Tordek"}
    with pytest.raises(InvalidInput, match="already dead"):
        await world.combat.attack(world.dm, combat_id, "Tordek", "Goblin 1", "longsword")


async def test_timed_conditions_tick_on_their_creatures_turns(world: World) -> None:
    combat_id = await fight(world, ("goblin", 1))
    await world.combat.set_condition(world.dm, combat_id, "Goblin", "poisoned", add=True, rounds=1)
    await world.combat.set_condition(world.dm, combat_id, "Tordek", "restrained", add=True, rounds=2)
    await world.combat.set_condition(world.dm, combat_id, "Goblin", "blinded", add=True, rounds=1, ends="start")
    with pytest.raises(InvalidInput, match="immune"):
        skeleton = await world.combat.add_monsters(world.dm, combat_id, "skeleton")
        await world.combat.set_condition(world.dm, combat_id, skeleton.names[0], "poisoned", add=True)
    expired: list[str] = []
    for _ in range(10):
        expired += (await world.combat.next_turn(world.dm, combat_id)).expired
    assert {"Goblin: poisoned", "Goblin: blinded", "Tordek: restrained"} <= set(expired)
    assert (await world.characters.get(world.actor(ALICE))).conditions == ()


async def test_monster_turns_by_the_dm_and_in_auto_mode(world: World) -> None:
    combat_id = await fight(world, ("adult-red-dragon", 1), ("goblin", 1))
    await world.combat.damage(world.dm, world.campaign, "Tordek", 1)
    turn = await world.combat.monster_act(world.dm, combat_id, "Adult Red Dragon", "Multiattack", "Tordek")
    assert "Frightful Presence: the DM resolves it." in turn.notes
    assert [r.action for r in turn.reports][:1] == ["Bite"]
    if turn.reports[0].hit:  # bite: piercing and fire, each typed (Tordek resists neither)
        assert [p.damage_type for p in turn.reports[0].damage.parts] == ["piercing", "fire"]  # type: ignore[union-attr]
    breath = await world.combat.monster_act(world.dm, combat_id, "Adult Red Dragon", "Fire Breath", "Lia")
    assert breath.reports[0].kind == "save" and breath.reports[0].save is not None
    assert "Fire Breath is spent: it recharges on a 5–6." in breath.notes  # tracked now (issue 17)
    plan = await world.combat.choose_monster_action(combat_id, "Goblin", random.Random(3))
    again = await world.combat.choose_monster_action(combat_id, "Goblin", random.Random(3))
    assert plan == again and plan.action == "Scimitar"
    with pytest.raises(InvalidInput, match="player character"):
        await world.combat.monster_act(world.dm, combat_id, "Tordek", "Scimitar", "Lia")
    with pytest.raises(NotFound, match="Its actions"):
        await world.combat.monster_act(world.dm, combat_id, "Goblin", "Fireball", "Lia")
    await to_turn_of(world, combat_id, "Goblin")
    auto = await world.combat.run_monster_turn(world.dm, combat_id, random.Random(4))
    assert auto.monster == "Goblin" and auto.action == "Scimitar" and auto.reports[0].target in {"Tordek", "Lia"}


async def test_damage_and_healing_outside_a_fight(world: World) -> None:
    async with world.db.transaction() as session:  # Lia leaves the party
        await session.execute(
            update(Character)
            .where(Character.owner_id == BOB, Character.guild_id == world.guild)
            .values(campaign_id=None)
        )
    hurt = await world.combat.damage(world.dm, world.campaign, "tordek", 4, "poison")
    assert (hurt.total, hurt.hp_after, hurt.parts[0].effect) == (2, 12, "resistant")  # Dwarven Resilience
    healed = await world.combat.heal(world.dm, world.campaign, "Tordek", 10)
    assert healed.hp_after == 14
    with pytest.raises(NotFound):
        await world.combat.damage(world.dm, world.campaign, "Lia", 4)  # not in the campaign
    with pytest.raises(Forbidden):
        await world.combat.damage(world.actor(OTHER_DM), world.campaign, "Tordek", 4)


async def test_no_fight_in_a_channel_is_its_own_error(world: World) -> None:
    """`/attack` falls back to a free roll on `NoFight` alone; a wrong target in a running fight is not that."""
    with pytest.raises(NoFight, match="No fight is running"):
        await world.combat.player_attack(world.actor(ALICE), InChannel(world.channel), "longsword", "Goblin")
    with pytest.raises(NoFight):
        await world.combat.next_turn(world.dm, InChannel(world.channel))
    combat_id = await fight(world, ("goblin", 1))
    with pytest.raises(NotFound) as missing:
        await world.combat.player_attack(world.actor(ALICE), InChannel(world.channel), "longsword", "Dragon")
    assert not isinstance(missing.value, NoFight)
    with pytest.raises(NotFound) as gone:
        await world.combat.status(combat_id + 1000)
    assert not isinstance(gone.value, NoFight)


async def test_a_player_attack_uses_their_character_on_their_turn(world: World) -> None:
    combat_id = await fight(world, ("goblin", 1))
    await world.combat.next_turn(world.dm, combat_id)
    await to_turn_of(world, combat_id, "Tordek")
    report = await world.combat.player_attack(world.actor(ALICE), combat_id, "longsword", "gob")
    assert (report.attacker, report.target, report.action) == ("Tordek", "Goblin", "Longsword")
    assert report.version == (await world.combat.status(combat_id)).version
    with pytest.raises(NotFound, match="isn't carrying"):
        await world.combat.player_attack(world.actor(ALICE), combat_id, "longbow", "Goblin")
    with pytest.raises(NotFound, match="In it"):
        await world.combat.player_attack(world.actor(ALICE), combat_id, "longsword", "Dragon")
    with pytest.raises(InvalidInput, match="no character in this fight"):
        await world.combat.player_attack(world.actor(OTHER_DM), combat_id, "longsword", "Goblin")


# --- Concurrency on Postgres --------------------------------------------------------------------------


@pytest.mark.postgres
async def test_concurrent_attacks_on_one_target_lose_no_damage(pg: World) -> None:
    combat_id = await fight(pg, ("ogre", 1), ("adult-red-dragon", 1))
    reports = await asyncio.gather(
        *(pg.combat.attack(pg.dm, combat_id, "Ogre", "Adult Red Dragon", "Greatclub") for _ in range(12))
    )
    dealt = sum(r.damage.total for r in reports if r.damage)
    dragon = next(
        e
        for e in (await pg.combat.status(combat_id, for_dm=True)).entries
        if e.kind == "monster" and e.name == "Adult Red Dragon"
    )
    assert dealt > 0 and dragon.hp == 256 - dealt
    hps = sorted(r.damage.hp_after for r in reports if r.damage)
    assert len(set(hps)) == len(hps)  # each attack saw the one before it


@pytest.mark.postgres
async def test_concurrent_damage_to_one_character_is_all_kept(pg: World) -> None:
    combat_id = await fight(pg, ("goblin", 1))
    await asyncio.gather(*(pg.combat.damage(pg.dm, pg.campaign, "Tordek", 1) for _ in range(10)))
    tordek = next(e for e in (await pg.combat.status(combat_id)).entries if e.name == "Tordek")
    assert tordek.hp == 4


@pytest.mark.postgres
async def test_a_start_racing_another_is_refused_in_words(pg: World) -> None:
    """Both see no fight, both insert: the unique key stops the second (its insert waits for the first to
    commit), and the player reads "already running", not a database error."""
    async with pg.db.transaction() as session:
        await CombatRepository(session).insert(running_fight_row(pg))
        racing = asyncio.create_task(pg.combat.start(pg.dm, pg.campaign, pg.channel))
        await asyncio.sleep(0.5)  # the racing start has read "no fight" and now waits on the unique key
    with pytest.raises(InvalidInput, match="already running"):
        await racing


@pytest.mark.postgres
async def test_two_nexts_by_the_player_advance_once(pg: World) -> None:
    combat_id = await fight(pg, ("goblin", 1))
    await pg.combat.next_turn(pg.dm, combat_id)
    await to_turn_of(pg, combat_id, "Tordek")
    before = await pg.combat.status(combat_id)
    results = await asyncio.gather(
        *(pg.combat.next_turn(pg.actor(ALICE), combat_id) for _ in range(2)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, TurnMoved | Forbidden) for r in results if isinstance(r, Exception))
    after = await pg.combat.status(combat_id)
    assert after.version == before.version + 1 and after.current.name != "Tordek"  # type: ignore[union-attr]


@pytest.mark.postgres
async def test_two_nexts_by_the_dm_advance_once(pg: World) -> None:
    """The DM may end anyone's turn, so only the turn seen as the fight was locked (before waiting for the
    other `next`'s lock) tells the second click from a new one."""
    combat_id = await fight(pg, ("goblin", 3))
    await pg.combat.next_turn(pg.dm, combat_id)
    before = await pg.combat.status(combat_id)
    async with pg.db.transaction() as session:  # both find the turn, then wait for this lock
        await CombatRepository(session).combat(combat_id, lock=True)
        racing = [asyncio.create_task(pg.combat.next_turn(pg.dm, combat_id)) for _ in range(2)]
        await asyncio.sleep(0.5)
    results = await asyncio.gather(*racing, return_exceptions=True)
    assert sum(isinstance(r, TurnMoved) for r in results) == 1, results
    after = await pg.combat.status(combat_id)
    assert after.version == before.version + 1


@pytest.mark.postgres
async def test_two_nexts_seen_at_the_same_turn_advance_once(pg: World) -> None:
    combat_id = await fight(pg, ("goblin", 3))
    await pg.combat.next_turn(pg.dm, combat_id)
    seen = (await pg.combat.status(combat_id)).turn_key
    results = await asyncio.gather(
        pg.combat.next_turn(pg.dm, combat_id, expected=seen),
        pg.combat.next_turn(pg.dm, combat_id, expected=seen),
        *(pg.combat.attack(pg.dm, combat_id, "Tordek", "Goblin 1", "longsword") for _ in range(3)),
        return_exceptions=True,
    )
    moved = [r for r in results[:2] if isinstance(r, TurnMoved)]
    assert len(moved) == 1 and "already ended" in moved[0].message
    assert not any(isinstance(r, Exception) and not isinstance(r, GameError) for r in results)
    after = await pg.combat.status(combat_id)
    assert after.round == 1 and after.turn_key != seen
    position = [e.id for e in after.entries].index(after.current.id)  # type: ignore[union-attr]
    assert position == 1  # one step from the top


@pytest.mark.postgres
async def test_concurrent_joins_and_monsters_keep_a_consistent_order(pg: World) -> None:
    combat_id = (await pg.combat.start(pg.dm, pg.campaign, pg.channel)).combat_id
    await asyncio.gather(
        pg.combat.join(pg.actor(ALICE), combat_id),
        pg.combat.join(pg.actor(BOB), combat_id),
        pg.combat.add_monsters(pg.dm, combat_id, "goblin", 3),
        pg.combat.add_monsters(pg.dm, combat_id, "wolf", 2),
    )
    state = await pg.combat.status(combat_id)
    assert len(state.entries) == 7 and len({e.name for e in state.entries}) == 7
    keys = [e.initiative for e in state.entries]
    assert keys == sorted(keys, reverse=True)
