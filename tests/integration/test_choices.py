"""Choices at the levels the SRD gives them (issue 16): in the creation draft and at level-up, checked, stored
in Sheet.choices and applied to the numbers they change."""

from __future__ import annotations

import random

import pytest

from bot.engine import casting, choices, levelup, spells
from bot.engine.characters import CharacterRef
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Dice
from bot.engine.sheet import Actor, Sheet
from bot.errors import InvalidInput
from persistence.db import Database

ACTOR = Actor(user_id=21, guild_id=21, channel_id=1)


@pytest.fixture
async def service(sqlite_url: str) -> CharacterCreation:
    return CharacterCreation(Database(sqlite_url), Dice(random.Random(21)))


async def make(service: CharacterCreation, race: str, klass: str, **picks: tuple[str, ...]) -> Sheet:
    draft = await service.start_draft(ACTOR, name=klass, race=race, klass=klass, background="acolyte",
                                      method="standard")  # fmt: skip
    skills = draft.skill_options[: draft.skill_choose]
    return await service.create(ACTOR, draft, Choices(skills=skills, picks={**draft.suggested_picks, **picks}))


async def up_to(service: CharacterCreation, sheet: Sheet, level: int) -> Sheet:
    """XP for `level`, then level up to `level - 2` with the suggested choices: the caller takes the rest."""
    await service.grant_xp(ACTOR, CharacterRef(), service.srd.xp_for_level(level) - sheet.xp)
    while sheet.level < level - 2:
        sheet = (await service.level_up(ACTOR, CharacterRef())).sheet
    return sheet


async def test_dragonborn_ancestry_and_the_dueling_style(service: CharacterCreation) -> None:
    sheet = await make(service, "dragonborn", "fighter", dragonborn_ancestry=("red",), fighting_style=("dueling",))
    assert sheet.choices == {"dragonborn_ancestry": "red", "fighting_style": ["dueling"]}
    assert "Fighting Style: Dueling" in sheet.features
    stats = service.stats(sheet)
    longsword = next(a for a in stats.attacks if a.name == "Longsword")
    assert longsword.damage == "1d8+5 slashing"  # with the shield: one-handed, STR 17 (+3) and Dueling's +2
    crossbow = next(a for a in stats.attacks if a.name == "Crossbow, light")
    assert crossbow.damage == "1d8+1 piercing"  # ranged: no Dueling
    # 2d6 fire in a 15 ft cone, DC 8 + CON 14 (+2) + proficiency 2
    assert choices.breath_weapon(service.srd, sheet) == (
        "Breath weapon: 2d6 fire, 15 ft cone (DEX save DC 12); resistance to fire"
    )
    assert choices.resistances(service.srd, sheet) == ("fire",)


async def test_a_draft_refuses_a_choice_not_offered(service: CharacterCreation) -> None:
    draft = await service.start_draft(ACTOR, name="Bad", race="human", klass="fighter", background="acolyte",
                                      method="standard")  # fmt: skip
    with pytest.raises(InvalidInput, match="isn't one of the Fighting Style options"):
        await service.create(ACTOR, draft, Choices(skills=draft.skill_options[:2], picks={"fighting_style": ("x",)}))


async def test_ability_score_improvement_and_the_grappler_feat(service: CharacterCreation) -> None:
    await up_to(service, await make(service, "human", "fighter"), 5)  # level 3; STR 16 CON 15 DEX 14
    plan = await service.level_plan(ACTOR, CharacterRef())
    assert [a.key for a in plan.asks] == ["asi"]
    assert plan.suggested == {"asi": ("str",)}
    with pytest.raises(InvalidInput, match="Choose 1 or 2"):
        await service.level_up(ACTOR, CharacterRef(), picks={"asi": ("str", "dex", "con")})
    with pytest.raises(InvalidInput, match="feat takes the whole"):
        await service.level_up(ACTOR, CharacterRef(), picks={"asi": ("str", "feat:grappler")})
    up = await service.level_up(ACTOR, CharacterRef(), picks={"asi": ("dex", "con")})
    assert up.sheet.scores["dex"] == 15 and up.sheet.scores["con"] == 16
    assert up.hp_gain == (6 + 2) + 4 * 1  # the level's 6 + CON +2, and CON 16's new +3 for all four levels
    assert up.choices == ("Ability Score Improvement (level 4): DEX +1, CON +1",)
    await service.grant_xp(ACTOR, CharacterRef(), 14_000 - up.sheet.xp)
    await service.level_up(ACTOR, CharacterRef())  # 5
    feat = await service.level_up(ACTOR, CharacterRef(), picks={"asi": ("feat:grappler",)})  # fighter 6
    assert "Feat: Grappler" in feat.sheet.features and feat.sheet.choices["feats"] == ["grappler"]


async def test_an_asi_never_passes_20(service: CharacterCreation) -> None:
    from dataclasses import replace

    sheet = await make(service, "human", "fighter")
    plan = levelup.plan(service.srd, sheet)
    nineteen = replace(replace_scores(sheet, str=19), subclass="champion")
    asked = choices.asks(service.srd, nineteen, "fighter", 4)
    with pytest.raises(InvalidInput, match="would pass 20"):
        choices.apply(service.srd, nineteen, asked, {"asi": ("str",)}, 4)
    assert plan.class_level == 2


def replace_scores(sheet: Sheet, **scores: int) -> Sheet:
    from dataclasses import replace

    return replace(sheet, base_scores={**sheet.base_scores, **scores}, bonus_scores={})


async def test_life_domain_spells_are_always_prepared(service: CharacterCreation) -> None:
    sheet = await make(service, "human", "cleric")
    assert sheet.subclass == "life" and "Disciple of Life" in sheet.features
    castable = {s.index for s in casting.castable(sheet, service.srd)}
    assert {"bless", "cure-wounds"} <= castable and sheet.spells.prepared == ()


async def test_a_land_druid_prepares_its_lands_circle_spells(service: CharacterCreation) -> None:
    sheet = await up_to(service, await make(service, "human", "druid"), 3)  # XP for 3; still level 1
    plan = await service.level_plan(ACTOR, CharacterRef())
    assert [a.key for a in plan.asks] == ["subclass", "druid_land"]
    await service.level_up(ACTOR, CharacterRef(), picks={"subclass": ("land",), "druid_land": ("mountain",)})
    third = (await service.level_up(ACTOR, CharacterRef())).sheet
    assert third.choices["druid_land"] == "mountain"
    granted = {s.index for s in spells.granted(third, service.srd)}
    assert granted == {"spider-climb", "spike-growth"}  # Mountain's 3rd-level circle spells
    assert sheet.level == 1


async def test_rogue_expertise_warlock_invocations_and_pact(service: CharacterCreation) -> None:
    rogue = await make(service, "human", "rogue")
    asked = choices.asks(service.srd, replace_level(rogue, 5), "rogue", 6)
    expertise = next(a for a in asked if a.key == "expertise")
    assert expertise.low == 2 and {v for v, _ in expertise.options} <= set(rogue.proficiencies["skills"]) | {
        "thieves-tools"
    }
    warlock = await make(service, "human", "warlock")
    two = choices.asks(service.srd, warlock, "warlock", 2)
    assert [(a.key, a.low) for a in two] == [("invocations", 2)]
    assert "agonizing-blast" not in {v for v, _ in two[0].options}  # needs Eldritch Blast, not known yet
    three = choices.asks(service.srd, replace_level(warlock, 2), "warlock", 3)
    assert [v for v, _ in three[0].options] == ["pact-of-the-chain", "pact-of-the-blade", "pact-of-the-tome"]


def replace_level(sheet: Sheet, level: int) -> Sheet:
    from dataclasses import replace

    return replace(sheet, level=level)


async def test_a_second_class_gives_its_multiclass_proficiencies(service: CharacterCreation) -> None:
    scores = {"str": 15, "dex": 13, "con": 14, "int": 12, "wis": 10, "cha": 8}  # human: DEX 14
    draft = await service.start_draft(ACTOR, name="Scout", race="human", klass="fighter", background="acolyte",
                                      method="standard")  # fmt: skip
    await service.create(ACTOR, draft, Choices(scores=scores, skills=("athletics", "perception")))
    await service.grant_xp(ACTOR, CharacterRef(), 300)
    plan = await service.level_plan(ACTOR, CharacterRef(), "rogue")
    assert [a.key for a in plan.asks] == ["multiclass_skill", "expertise"]
    picks = {"multiclass_skill": ("stealth",), "expertise": ("athletics", "perception")}
    up = await service.level_up(ACTOR, CharacterRef(), klass="rogue", picks=picks)
    assert "thieves-tools" in up.sheet.proficiencies["tools"] and "stealth" in up.sheet.proficiencies["skills"]
    assert up.sheet.expertise == ("athletics", "perception")
    assert up.sheet.class_levels == {"fighter": 1, "rogue": 1} and up.hp_gain == 5 + 2


async def test_a_rogues_first_expertise_may_take_thieves_tools(service: CharacterCreation) -> None:
    draft = await service.start_draft(ACTOR, name="Sly", race="human", klass="rogue", background="acolyte",
                                      method="standard")  # fmt: skip
    skills = ("stealth", "perception", "acrobatics", "deception")
    with pytest.raises(InvalidInput, match="expertise"):
        await service.create(ACTOR, draft, Choices(skills=skills, expertise=("stealth", "arcana")))
    sheet = await service.create(ACTOR, draft, Choices(skills=skills, expertise=("stealth", "thieves-tools")))
    assert service.stats(sheet).skills["stealth"] == 3 + 2 * 2  # DEX 16 and double proficiency
    assert sheet.expertise == ("stealth", "thieves-tools")


async def test_a_character_made_before_subclasses_gets_one_at_its_next_level(service: CharacterCreation) -> None:
    from dataclasses import replace

    sheet = await up_to(service, await make(service, "human", "fighter"), 6)  # level 4
    sheet = (await service.level_up(ACTOR, CharacterRef())).sheet  # 5
    old = replace(sheet, subclass=None, features=tuple(f for f in sheet.features if f != "Improved Critical"))
    asked = choices.asks(service.srd, old, "fighter", 6)
    assert [a.key for a in asked] == ["subclass", "asi"]
    caught_up = choices.apply(
        service.srd, replace(old, level=6), asked, {"subclass": ("champion",), "asi": ("str",)}, 6
    )
    assert caught_up.subclass == "champion" and "Improved Critical" in caught_up.features
