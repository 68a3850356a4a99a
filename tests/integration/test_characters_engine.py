"""The character engine on real databases (Postgres and SQLite, both built by the migrations)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.engine import rules
from bot.engine.characters import CharacterRef, may_edit
from bot.engine.checks import CheckService
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Advantage, Dice
from bot.engine.rolls import RollService
from bot.engine.sheet import Actor, Sheet, clean_name
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database
from persistence.repositories import RollLogRepository


@pytest.fixture
def alice() -> Actor:
    """A guild of this test's own: the Postgres database is shared by the whole run."""
    return Actor(user_id=1, guild_id=random.randrange(1, 2**62), channel_id=10)


@pytest.fixture
def bob(alice: Actor) -> Actor:
    return Actor(user_id=2, guild_id=alice.guild_id, channel_id=10)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def service(db: Database) -> CharacterCreation:
    return CharacterCreation(db, Dice(random.Random(7)))


@pytest.fixture
def checks(service: CharacterCreation, db: Database) -> CheckService:
    return CheckService(service, service.dice, RollService(db, service.dice))


async def make(
    service: CharacterCreation,
    actor: Actor,
    *,
    name: str = "Tordek",
    race: str = "dwarf",
    klass: str = "fighter",
    method: str = "standard",
    skills: tuple[str, ...] = ("athletics", "perception"),
    **choices: object,
) -> Sheet:
    draft = await service.start_draft(actor, name=name, race=race, klass=klass, background="acolyte", method=method)
    return await service.create(actor, draft, Choices(skills=skills, **choices))  # type: ignore[arg-type]


async def test_dwarf_fighter_level_one(alice: Actor, service: CharacterCreation) -> None:
    sheet = await make(service, alice)
    stats = service.stats(sheet)
    assert sheet.subrace == "hill-dwarf" and sheet.active
    # suggested: STR 15 CON 14 DEX 13 WIS 12 CHA 10 INT 8, then +2 Con, +1 Wis
    assert stats.scores == {"str": 15, "dex": 13, "con": 16, "int": 8, "wis": 13, "cha": 10}
    assert stats.armor_class == 18  # chain mail + shield
    assert sheet.hp_max == 10 + 3 + 1  # d10 + Con 3 + Dwarven Toughness
    assert stats.speed == 25
    assert stats.saves["str"] == 4 and stats.saves["dex"] == 1
    assert stats.skills["athletics"] == 4 and stats.skills["insight"] == 3  # acolyte: insight, religion
    assert stats.passive_perception == 13
    assert stats.stealth_disadvantage
    assert sheet.coins["gp"] == 15
    longsword = next(a for a in stats.attacks if a.weapon == "longsword")
    assert (longsword.to_hit, longsword.damage) == (4, "1d8+2 slashing")
    assert "Second Wind" in sheet.features and "Shelter of the Faithful" in sheet.features


async def test_monk_unarmoured_and_rogue_rapier(alice: Actor, service: CharacterCreation) -> None:
    monk = await make(
        service,
        alice,
        name="Ember",
        race="human",
        klass="monk",
        method="pointbuy",
        skills=("acrobatics", "stealth"),
        scores={"str": 10, "dex": 15, "con": 13, "int": 8, "wis": 13, "cha": 8},
    )
    stats = service.stats(monk)
    assert stats.scores["dex"] == 16 and stats.scores["wis"] == 14
    assert stats.armor_class == 15
    lidda = await make(
        service,
        alice,
        name="Lidda",
        race="halfling",
        klass="rogue",
        skills=("stealth", "perception", "acrobatics", "deception"),
        scores={"str": 10, "dex": 15, "con": 14, "int": 12, "wis": 13, "cha": 8},
        method="pointbuy",
        expertise=("stealth", "perception"),
    )
    change = await service.inventory(alice, CharacterRef(), "add", "Rapier")
    line = next(a for a in service.stats(change.sheet).attacks if a.weapon == "rapier")
    assert service.stats(lidda).scores["dex"] == 17  # halfling +2
    assert (line.ability, line.to_hit, line.damage) == ("dex", 5, "1d8+3 piercing")
    assert service.stats(lidda).skills["stealth"] == 3 + 4  # expertise doubles proficiency


async def test_rolled_method_logs_six_rolls(alice: Actor, service: CharacterCreation, db: Database) -> None:
    draft = await service.start_draft(
        alice, name="Rolly", race="elf", klass="wizard", background="acolyte", method="rolled"
    )
    assert len(draft.rolls) == 6 and all(3 <= v <= 18 for v in draft.pool)
    assert sorted(draft.suggested.values()) == sorted(draft.pool)
    async with db.transaction() as session:
        log = await RollLogRepository(session).recent(user_id=alice.user_id, guild_id=alice.guild_id)
    assert [e.expression for e in log] == ["4d6kh3"] * 6
    with pytest.raises(InvalidInput, match="exactly once"):
        service.parse_scores(draft, "18 18 18 18 18 18")
    sheet = await service.create(alice, draft, Choices(skills=("arcana", "history")))
    assert sheet.slots_max[0] == 2 and sheet.proficient("skills", "perception")  # elves are keen-sensed


async def test_nothing_is_stored_before_create(alice: Actor, service: CharacterCreation) -> None:
    await service.start_draft(
        alice, name="Ghost", race="human", klass="wizard", background="acolyte", method="standard"
    )
    assert await service.list_characters(alice) == []


@pytest.mark.parametrize(
    ("field", "value", "error", "match"),
    [
        ("race", "orcish", NotFound, "not an SRD race"),
        ("klass", "gunslinger", NotFound, "not an SRD class"),
        ("background", "pirate", NotFound, "not an SRD background"),
        ("method", "dice", InvalidInput, "ability method"),
        ("name", "\u200b\u200d \n", InvalidInput, "visible"),
        ("name", "x" * 65, InvalidInput, "at most 64"),
    ],
)
async def test_bad_draft_input(
    alice: Actor, service: CharacterCreation, field: str, value: str, error: type, match: str
) -> None:
    options = {"name": "A", "race": "human", "klass": "fighter", "background": "acolyte", "method": "standard"}
    with pytest.raises(error, match=match):
        await service.start_draft(alice, **{**options, field: value})


async def test_bad_choices_change_nothing(alice: Actor, service: CharacterCreation) -> None:
    draft = await service.start_draft(
        alice, name="Tess", race="half-elf", klass="fighter", background="acolyte", method="pointbuy"
    )
    assert draft.bonus_choose == 2 and draft.race_skill_choose == 2
    bad = [
        (Choices(skills=("athletics",)), "exactly 2"),
        (Choices(skills=("athletics", "arcana")), "can't be chosen"),
        (Choices(skills=("athletics", "perception"), scores=dict.fromkeys(rules.ABILITIES, 15)), "too many"),
        (
            Choices(
                skills=("athletics", "perception"), bonus_abilities=("str", "cha"), race_skills=("arcana", "stealth")
            ),
            "can't be chosen",
        ),
        (
            Choices(
                skills=("athletics", "perception"),
                bonus_abilities=("str", "dex"),
                race_skills=("perception", "stealth"),
            ),
            "twice",
        ),
        (Choices(skills=("athletics", "perception"), subrace="hill-dwarf"), "no subraces"),
    ]
    for choices, match in bad:
        with pytest.raises(InvalidInput, match=match):
            await service.create(alice, draft, choices)
    assert await service.list_characters(alice) == []
    ok = Choices(skills=("athletics", "perception"), bonus_abilities=("str", "con"), race_skills=("arcana", "stealth"))
    sheet = await service.create(alice, draft, ok)
    assert sheet.bonus_scores == {"str": 1, "con": 1, "cha": 2}
    assert sheet.proficient("skills", "arcana")


async def test_names_unique_case_insensitively(alice: Actor, bob: Actor, service: CharacterCreation) -> None:
    await make(service, alice, name="Tordek")
    with pytest.raises(InvalidInput, match="already have"):
        await make(service, alice, name="  TORDEK ")
    await make(service, bob, name="Tordek")  # another player may
    await make(service, replace(alice, guild_id=(alice.guild_id or 0) + 1), name="Tordek")  # and another guild
    assert clean_name("Ann\u200be\x00 \t Smith") == "Anne Smith"


async def test_list_use_edit_delete(alice: Actor, bob: Actor, service: CharacterCreation) -> None:
    await make(service, alice, name="One")
    await make(service, alice, name="Two")
    listed = await service.list_characters(alice)
    assert [(s.name, s.active) for s in listed] == [("One", False), ("Two", True)]
    await service.use(alice, "one")
    assert (await service.get(alice)).name == "One"
    edited = await service.edit(
        alice, CharacterRef(), name="Uno", notes="likes ale", portrait_url="https://x.test/a.png"
    )
    assert (edited.name, edited.notes, edited.portrait_url) == ("Uno", "likes ale", "https://x.test/a.png")
    with pytest.raises(InvalidInput, match="already have"):
        await service.edit(alice, CharacterRef(), name="two")
    with pytest.raises(InvalidInput, match="https"):
        await service.edit(alice, CharacterRef(), portrait_url="javascript:alert(1)")
    with pytest.raises(NotFound):
        await service.delete(bob, "Uno")
    assert await service.delete(alice, "uno") == "Uno"
    assert (await service.get(alice)).name == "Two"  # the active mark moved on
    with pytest.raises(NotFound, match="no character called"):
        await service.use(alice, "Uno")


async def join_campaign(db: Database, character_id: int, dm_id: int) -> int:
    """A real campaign row (the characters' foreign key needs one) with the character in it."""
    from persistence.models import Campaign, Character

    async with db.transaction() as session:
        campaign = Campaign(guild_id=1, channel_id=character_id, dm_id=dm_id, name="Test campaign")
        session.add(campaign)
        await session.flush()
        row = await session.get(Character, character_id)
        assert row is not None
        row.campaign_id = campaign.id
        return campaign.id


async def test_only_owner_or_campaign_dm_changes(alice: Actor, bob: Actor, db: Database) -> None:
    dm_of: dict[int, int] = {}

    async def campaign_dm(campaign_id: int) -> int | None:
        return dm_of.get(campaign_id)

    service = CharacterCreation(db, Dice(random.Random(1)), campaign_dm=campaign_dm)
    await make(service, alice)
    ref = CharacterRef(owner_id=alice.user_id)
    with pytest.raises(Forbidden):
        await service.coins(bob, ref, {"gp": 5})
    assert may_edit(bob, alice.user_id, bob.user_id) and not may_edit(bob, alice.user_id, None)
    campaign_id = await join_campaign(db, (await service.get(alice)).id, bob.user_id)
    dm_of[campaign_id] = bob.user_id
    sheet = await service.coins(bob, ref, {"gp": 5})
    assert sheet.coins["gp"] == 20
    with pytest.raises(NotFound):  # the DM may change the character, but deleting is the owner's alone
        await service.delete(bob, "Tordek")


async def test_level_up(alice: Actor, service: CharacterCreation) -> None:
    await make(service, alice)
    with pytest.raises(InvalidInput, match="Outside a campaign a character levels as its XP allows"):
        await service.level_up(alice, CharacterRef(), "average")
    await service.grant_xp(alice, CharacterRef(), 355_000)  # outside a campaign a level takes its XP
    result = await service.level_up(alice, CharacterRef(), "average")
    assert (result.old_level, result.new_level, result.hp_gain) == (1, 2, 6 + 3 + 1)
    assert result.features == ("Action Surge (1 use)",)
    assert result.sheet.hp_max == 14 + 10
    rolled = await service.level_up(alice, CharacterRef(), "roll")
    assert rolled.hp_roll is not None and rolled.hp_gain == max(1, rolled.hp_roll.total + 3 + 1)
    assert rolled.proficiency_bonus == 2
    for _ in range(17):
        await service.level_up(alice, CharacterRef())
    with pytest.raises(InvalidInput, match="highest level"):
        await service.level_up(alice, CharacterRef())


async def test_level_up_in_a_campaign_needs_xp_or_the_dm(
    alice: Actor, service: CharacterCreation, db: Database
) -> None:
    sheet = await make(service, alice, klass="wizard", skills=("arcana", "history"))
    await join_campaign(db, sheet.id, dm_id=424242)
    with pytest.raises(InvalidInput, match="needs 300"):
        await service.level_up(alice, CharacterRef())
    await service.grant_xp(alice, CharacterRef(), 300)
    up = await service.level_up(alice, CharacterRef())
    assert up.slots[:2] == (3, 0) and up.sheet.slots_current[:1] == (3,)
    await service.grant_xp(alice, CharacterRef(), 0, allow_levelup=True)
    assert (await service.level_up(alice, CharacterRef())).new_level == 3


async def test_rests(alice: Actor, service: CharacterCreation) -> None:
    sheet = await make(service, alice)
    await service.grant_xp(alice, CharacterRef(), 2_700)  # outside a campaign a level takes its XP
    for _ in range(3):
        await service.level_up(alice, CharacterRef())
    async with service.db.transaction() as session:
        from persistence.models import Character

        row = await session.get(Character, sheet.id)
        assert row is not None
        row.hp_current, row.slots_current = 1, [0] * 9
    short = await service.rest(alice, CharacterRef(), "short", dice=2)
    assert short.roll is not None and short.roll.expression == "2d10+6"
    assert short.sheet.hit_dice_used == 2 and short.sheet.hp_current == min(short.sheet.hp_max, 1 + short.roll.total)
    with pytest.raises(InvalidInput, match="2 hit dice"):
        await service.rest(alice, CharacterRef(), "short", dice=3)
    long = await service.rest(alice, CharacterRef(), "long")
    assert long.sheet.hp_current == long.sheet.hp_max
    assert long.hit_dice_regained == 2 and long.sheet.hit_dice_used == 0


async def test_inventory_and_coins(alice: Actor, service: CharacterCreation) -> None:
    await make(service, alice)
    ref = CharacterRef()
    change = await service.inventory(alice, ref, "unequip", "shield")
    assert (change.ac_before, change.ac_after) == (18, 16)
    change = await service.inventory(alice, ref, "add", "Plate Armor")
    change = await service.inventory(alice, ref, "equip", "plate armor")
    assert change.ac_after == 18 and not change.sheet.carried("chain-mail").equipped  # type: ignore[union-attr]
    change = await service.inventory(alice, ref, "add", "torch", 5)
    assert change.sheet.carried("torch").quantity == 15  # type: ignore[union-attr]  # 10 from the pack
    with pytest.raises(InvalidInput, match="can't remove 16"):
        await service.inventory(alice, ref, "remove", "torch", 16)
    change = await service.inventory(alice, ref, "remove", "torch", 15)
    assert change.sheet.carried("torch") is None
    with pytest.raises(InvalidInput, match="isn't carrying"):
        await service.inventory(alice, ref, "remove", "torch")
    with pytest.raises(NotFound, match="not an SRD item"):
        await service.inventory(alice, ref, "add", "lightsaber")
    with pytest.raises(InvalidInput, match="quantity"):
        await service.inventory(alice, ref, "add", "torch", 0)
    sheet = await service.coins(alice, ref, {"gp": -10, "sp": 4})
    assert (sheet.coins["gp"], sheet.coins["sp"]) == (5, 4)
    with pytest.raises(InvalidInput, match="Not enough"):
        await service.coins(alice, ref, {"gp": -6})
    assert (await service.get(alice)).coins["gp"] == 5


async def test_checks_saves_attacks(alice: Actor, service: CharacterCreation, checks: CheckService) -> None:
    await make(service, alice)
    perception = await checks.check(alice, "perception")
    assert perception.bonus == 3 and perception.outcome is not None
    assert perception.outcome.expression == "1d20+3"
    strength = await checks.check(alice, "Strength", advantage=True)
    assert strength.outcome is not None and strength.outcome.advantage is Advantage.ADVANTAGE
    save = await checks.save(alice, "con")
    assert save.bonus == 5
    with pytest.raises(InvalidInput, match="neither a skill"):
        await checks.check(alice, "juggling")
    attack = await checks.attack(alice, "longsword", target="Goblin")
    assert attack.attack.expression == "1d20+4" and attack.target == "Goblin"
    with pytest.raises(NotFound, match="isn't carrying"):
        await checks.attack(alice, "rapier")
    unarmed = await checks.attack(alice, "unarmed")
    assert unarmed.to_hit == 4
    init = await checks.initiative(alice)
    assert init.bonus == 1
    await checks.record(alice, attack)


async def test_conditions_apply(alice: Actor, service: CharacterCreation, checks: CheckService) -> None:
    await make(service, alice)
    ref = CharacterRef()
    await service.set_condition(alice, ref, "poisoned", add=True, rounds=3)
    assert (await checks.check(alice, "athletics")).outcome.advantage is Advantage.DISADVANTAGE  # type: ignore[union-attr]
    attack = await checks.attack(alice, "longsword")
    assert attack.attack.advantage is Advantage.DISADVANTAGE and "poisoned" in attack.reasons
    cancelled = await checks.attack(alice, "longsword", advantage=True)
    assert cancelled.attack.advantage is Advantage.NONE
    await service.set_condition(alice, ref, "poisoned", add=False)
    await service.set_condition(alice, ref, "paralyzed", add=True)
    save = await checks.save(alice, "dex")
    assert save.auto_fail and save.outcome is None
    with pytest.raises(InvalidInput, match="can't attack"):
        await checks.attack(alice, "longsword")
    with pytest.raises(InvalidInput, match="isn't poisoned"):
        await service.set_condition(alice, ref, "poisoned", add=False)


async def test_critical_doubles_damage_dice(alice: Actor, service: CharacterCreation, checks: CheckService) -> None:
    await make(service, alice)
    for seed in range(200):
        service.dice.rng.seed(seed)
        attack = await checks.attack(alice, "longsword")
        if attack.critical:
            assert attack.damage is not None and attack.damage.expression == "2d8+2"
            return
    pytest.fail("no natural 20 in 200 seeds")


async def test_death_saves(alice: Actor, service: CharacterCreation, checks: CheckService, db: Database) -> None:
    sheet = await make(service, alice)
    with pytest.raises(InvalidInput, match="only for a character at 0 HP"):
        await checks.death_save(alice)
    from persistence.models import Character

    async with db.transaction() as session:
        row = await session.get(Character, sheet.id)
        assert row is not None
        row.hp_current = 0
    states = []
    for _ in range(5):
        try:
            result = await checks.death_save(alice)
        except InvalidInput:
            break
        states.append(result.state)
        if result.state != "dying":
            break
    assert states[-1] in ("dead", "stable", "revived")
    async with db.transaction() as session:
        log = await RollLogRepository(session).recent(user_id=alice.user_id, guild_id=alice.guild_id)
    assert sum(1 for e in log if e.label and "Death save" in e.label) == len(states)
