"""Issue 16's class run: each of the twelve SRD classes levelled 1 to 20 by XP, taking the SRD subclass and
an Ability Score Improvement at every chance (the engine's suggestion: +2 to the class's main score while
it can take it), held at levels 1, 5, 11 and 20 against numbers worked out by hand from the rules.

Every character is a human (+1 to every score) with the standard array placed by the class's priorities
(bot.engine.rules.ABILITY_PRIORITY), HP by the average (d6 → 4, d8 → 5, d10 → 6, d12 → 7 after level 1), and
its default starting kit. Proficiency bonus: +2 (1-4), +3 (5-8), +4 (9-12), +5 (13-16), +6 (17-20).
A Constitution score that rises raises HP for every level, so HP = (die + Con) + (level - 1) × (avg + Con),
with the Con modifier of the level reached.
"""

from __future__ import annotations

import json
import random
from typing import NamedTuple

import pytest

from bot.engine import class_levels
from bot.engine.character_export import sheet_from_export, to_export
from bot.engine.characters import CharacterRef
from bot.engine.creation import CharacterCreation, Choices
from bot.engine.dice import Dice
from bot.engine.sheet import Actor, Sheet
from bot.errors import InvalidInput
from persistence.db import Database


class Numbers(NamedTuple):
    hp: int
    ac: int
    weapon: str
    to_hit: int
    save_dc: int | None
    prof: int


# fmt: off
EXPECTED: dict[str, dict[int, Numbers]] = {
    # STR 16 CON 15 DEX 14 WIS 13 CHA 11 INT 9; ASI: 4 STR 18, 8 STR 20, 12 CON 17, 16 CON 19, 19 DEX 16;
    # 20 Primal Champion: STR 24, CON 23. Unarmored Defense 10 + Dex + Con. Greataxe by STR.
    "barbarian": {
        1: Numbers(12 + 2, 10 + 2 + 2, "Greataxe", 2 + 3, None, 2),
        5: Numbers(14 + 4 * (7 + 2), 10 + 2 + 2, "Greataxe", 3 + 4, None, 3),
        11: Numbers(14 + 10 * (7 + 2), 10 + 2 + 2, "Greataxe", 4 + 5, None, 4),
        20: Numbers((12 + 6) + 19 * (7 + 6), 10 + 3 + 6, "Greataxe", 6 + 7, None, 6),
    },
    # CHA 16 DEX 15 CON 14 WIS 13 INT 11 STR 9; ASI: CHA 18, CHA 20, DEX 17, DEX 19, CON 16 (Lore at 3).
    # Leather armour 11 + Dex; rapier by DEX (finesse); DC 8 + prof + Cha.
    "bard": {
        1: Numbers(8 + 2, 11 + 2, "Rapier", 2 + 2, 8 + 2 + 3, 2),
        5: Numbers(10 + 4 * (5 + 2), 11 + 2, "Rapier", 3 + 2, 8 + 3 + 4, 3),
        11: Numbers(10 + 10 * (5 + 2), 11 + 2, "Rapier", 4 + 2, 8 + 4 + 5, 4),
        20: Numbers((8 + 3) + 19 * (5 + 3), 11 + 4, "Rapier", 6 + 4, 8 + 6 + 5, 6),
    },
    # WIS 16 CON 15 STR 14 DEX 13 CHA 11 INT 9; Life domain at 1; ASI: WIS 18, WIS 20, CON 17, CON 19, STR 16.
    # Scale mail 14 + Dex (1) + shield 2; mace by STR; DC 8 + prof + Wis.
    "cleric": {
        1: Numbers(8 + 2, 14 + 1 + 2, "Mace", 2 + 2, 8 + 2 + 3, 2),
        5: Numbers(10 + 4 * (5 + 2), 17, "Mace", 3 + 2, 8 + 3 + 4, 3),
        11: Numbers(10 + 10 * (5 + 2), 17, "Mace", 4 + 2, 8 + 4 + 5, 4),
        20: Numbers((8 + 4) + 19 * (5 + 4), 17, "Mace", 6 + 3, 8 + 6 + 5, 6),
    },
    # WIS 16 CON 15 DEX 14 INT 13 CHA 11 STR 9; Land at 2; ASI: WIS 18, WIS 20, CON 17, CON 19, DEX 16.
    # Leather 11 + Dex + wooden shield 2; scimitar by DEX (finesse).
    "druid": {
        1: Numbers(8 + 2, 11 + 2 + 2, "Scimitar", 2 + 2, 8 + 2 + 3, 2),
        5: Numbers(10 + 4 * (5 + 2), 15, "Scimitar", 3 + 2, 8 + 3 + 4, 3),
        11: Numbers(10 + 10 * (5 + 2), 15, "Scimitar", 4 + 2, 8 + 4 + 5, 4),
        20: Numbers((8 + 4) + 19 * (5 + 4), 11 + 3 + 2, "Scimitar", 6 + 3, 8 + 6 + 5, 6),
    },
    # STR 16 CON 15 DEX 14; ASI at 4, 6, 8, 12, 14, 16, 19: STR 18, STR 20, CON 17, CON 19, DEX 16, 18, 20.
    # Chain mail 16 + shield 2; the Champion's second style (level 10) is Defense: +1 AC in armour.
    "fighter": {
        1: Numbers(10 + 2, 16 + 2, "Longsword", 2 + 3, None, 2),
        5: Numbers(12 + 4 * (6 + 2), 18, "Longsword", 3 + 4, None, 3),
        11: Numbers((10 + 3) + 10 * (6 + 3), 16 + 2 + 1, "Longsword", 4 + 5, None, 4),
        20: Numbers((10 + 4) + 19 * (6 + 4), 19, "Longsword", 6 + 5, None, 6),
    },
    # DEX 16 WIS 15 CON 14 STR 13; ASI: DEX 18, DEX 20, WIS 17, WIS 19, CON 16. Unarmored 10 + Dex + Wis.
    "monk": {
        1: Numbers(8 + 2, 10 + 3 + 2, "Shortsword", 2 + 3, None, 2),
        5: Numbers(10 + 4 * (5 + 2), 10 + 4 + 2, "Shortsword", 3 + 4, None, 3),
        11: Numbers(10 + 10 * (5 + 2), 10 + 5 + 2, "Shortsword", 4 + 5, None, 4),
        20: Numbers((8 + 3) + 19 * (5 + 3), 10 + 5 + 4, "Shortsword", 6 + 5, None, 6),
    },
    # STR 16 CHA 15 CON 14; ASI: STR 18, STR 20, CHA 17, CHA 19, CON 16. Chain mail + shield, and the
    # Defense style at 2 (+1). Paladins cast from level 2: DC 8 + prof + Cha.
    "paladin": {
        1: Numbers(10 + 2, 16 + 2, "Longsword", 2 + 3, None, 2),
        5: Numbers(12 + 4 * (6 + 2), 16 + 2 + 1, "Longsword", 3 + 4, 8 + 3 + 2, 3),
        11: Numbers(12 + 10 * (6 + 2), 19, "Longsword", 4 + 5, 8 + 4 + 2, 4),
        20: Numbers((10 + 3) + 19 * (6 + 3), 19, "Longsword", 6 + 5, 8 + 6 + 4, 6),
    },
    # DEX 16 WIS 15 CON 14; ASI: DEX 18, DEX 20, WIS 17, WIS 19, CON 16. Scale mail 14 + Dex (2 at most);
    # the Archery style at 2: +2 with the longbow. DC 8 + prof + Wis from level 2.
    "ranger": {
        1: Numbers(10 + 2, 14 + 2, "Longbow", 2 + 3, None, 2),
        5: Numbers(12 + 4 * (6 + 2), 16, "Longbow", 3 + 4 + 2, 8 + 3 + 2, 3),
        11: Numbers(12 + 10 * (6 + 2), 16, "Longbow", 4 + 5 + 2, 8 + 4 + 2, 4),
        20: Numbers((10 + 3) + 19 * (6 + 3), 16, "Longbow", 6 + 5 + 2, 8 + 6 + 4, 6),
    },
    # DEX 16 CON 15 INT 14; ASI at 4, 8, 10, 12, 16, 19: DEX 18, DEX 20, CON 17, CON 19, INT 16, INT 18.
    "rogue": {
        1: Numbers(8 + 2, 11 + 3, "Rapier", 2 + 3, None, 2),
        5: Numbers(10 + 4 * (5 + 2), 11 + 4, "Rapier", 3 + 4, None, 3),
        11: Numbers((8 + 3) + 10 * (5 + 3), 11 + 5, "Rapier", 4 + 5, None, 4),
        20: Numbers((8 + 4) + 19 * (5 + 4), 11 + 5, "Rapier", 6 + 5, None, 6),
    },
    # CHA 16 CON 15 DEX 14; Draconic at 1: Draconic Resilience +1 HP a level and AC 13 + Dex unarmoured.
    # ASI: CHA 18, CHA 20, CON 17, CON 19, DEX 16.
    "sorcerer": {
        1: Numbers(6 + 2 + 1, 13 + 2, "Dagger", 2 + 2, 8 + 2 + 3, 2),
        5: Numbers(9 + 4 * (4 + 2 + 1), 13 + 2, "Dagger", 3 + 2, 8 + 3 + 4, 3),
        11: Numbers(9 + 10 * (4 + 2 + 1), 13 + 2, "Dagger", 4 + 2, 8 + 4 + 5, 4),
        20: Numbers((6 + 4 + 1) + 19 * (4 + 4 + 1), 13 + 3, "Dagger", 6 + 3, 8 + 6 + 5, 6),
    },
    # CHA 16 CON 15 DEX 14; the Fiend at 1; ASI as the sorcerer's. Leather 11 + Dex.
    "warlock": {
        1: Numbers(8 + 2, 11 + 2, "Dagger", 2 + 2, 8 + 2 + 3, 2),
        5: Numbers(10 + 4 * (5 + 2), 13, "Dagger", 3 + 2, 8 + 3 + 4, 3),
        11: Numbers(10 + 10 * (5 + 2), 13, "Dagger", 4 + 2, 8 + 4 + 5, 4),
        20: Numbers((8 + 4) + 19 * (5 + 4), 11 + 3, "Dagger", 6 + 3, 8 + 6 + 5, 6),
    },
    # INT 16 CON 15 DEX 14 STR 9; Evocation at 2; ASI: INT 18, INT 20, CON 17, CON 19, DEX 16. 10 + Dex.
    # The quarterstaff by STR 9 (-1).
    "wizard": {
        1: Numbers(6 + 2, 10 + 2, "Quarterstaff", 2 - 1, 8 + 2 + 3, 2),
        5: Numbers(8 + 4 * (4 + 2), 12, "Quarterstaff", 3 - 1, 8 + 3 + 4, 3),
        11: Numbers(8 + 10 * (4 + 2), 12, "Quarterstaff", 4 - 1, 8 + 4 + 5, 4),
        20: Numbers((6 + 4) + 19 * (4 + 4), 10 + 3, "Quarterstaff", 6 - 1, 8 + 6 + 5, 6),
    },
}
# fmt: on
SUBCLASS = {
    "barbarian": "berserker",
    "bard": "lore",
    "cleric": "life",
    "druid": "land",
    "fighter": "champion",
    "monk": "open-hand",
    "paladin": "devotion",
    "ranger": "hunter",
    "rogue": "thief",
    "sorcerer": "draconic",
    "warlock": "fiend",
    "wizard": "evocation",
}  # fmt: skip
ASI_COUNT = {"fighter": 7, "rogue": 6}  # every other class: 5 (levels 4, 8, 12, 16, 19)


@pytest.fixture
async def service(sqlite_url: str) -> CharacterCreation:
    return CharacterCreation(Database(sqlite_url), Dice(random.Random(16)))


def numbers(service: CharacterCreation, sheet: Sheet, weapon: str) -> Numbers:
    stats = service.stats(sheet)
    attack = next(a for a in stats.attacks if a.name == weapon)
    dc = stats.spellcasting.save_dc if stats.spellcasting else None
    return Numbers(sheet.hp_max, stats.armor_class, weapon, attack.to_hit, dc, stats.proficiency_bonus)


@pytest.mark.parametrize("klass", sorted(EXPECTED))
async def test_a_class_from_1_to_20(service: CharacterCreation, klass: str) -> None:
    actor = Actor(user_id=16, guild_id=16, channel_id=1)
    draft = await service.start_draft(
        actor, name=f"Run {klass}", race="human", klass=klass, background="acolyte", method="standard"
    )
    sheet = await service.create(actor, draft, Choices(skills=draft.skill_options[: draft.skill_choose]))
    seen = {}
    for level in range(1, 21):
        if level > 1:
            await service.grant_xp(actor, CharacterRef(), service.srd.xp_for_level(level) - sheet.xp)
            sheet = (await service.level_up(actor, CharacterRef())).sheet
        if level in EXPECTED[klass]:
            seen[level] = numbers(service, sheet, EXPECTED[klass][level].weapon)
    assert seen == EXPECTED[klass]
    assert sheet.subclass == SUBCLASS[klass]
    assert len(sheet.choices["asi"]) == ASI_COUNT.get(klass, 5)


async def test_fighter_1_wizard_1(service: CharacterCreation) -> None:
    """The SRD's prerequisites (INT 13 for a wizard), and the multiclass table: 1 caster level → 2 slots."""
    actor = Actor(user_id=17, guild_id=16, channel_id=1)
    scores = {"str": 15, "dex": 13, "con": 14, "int": 12, "wis": 10, "cha": 8}  # human: INT 13
    draft = await service.start_draft(actor, name="Gish", race="human", klass="fighter", background="acolyte",
                                      method="standard")  # fmt: skip
    await service.create(actor, draft, Choices(scores=scores, skills=draft.skill_options[:2]))
    await service.grant_xp(actor, CharacterRef(), 300)
    up = await service.level_up(actor, CharacterRef(), klass="wizard")
    assert up.sheet.class_levels == {"fighter": 1, "wizard": 1}
    assert up.sheet.slots_max[:2] == (2, 0)
    assert up.hp_gain == 4 + 2  # a wizard's d6 average and CON 15's +2
    assert up.sheet.subclass is None and "Arcane Recovery" in up.sheet.features
    stats = service.stats(up.sheet)
    assert stats.class_name == "Fighter 1 / Wizard 1"
    assert stats.spellcasting is not None and stats.spellcasting.save_dc == 8 + 2 + 1  # INT 13
    assert stats.proficiency_bonus == 2
    assert class_levels.hit_dice_to_spend(service.srd, up.sheet, 2) == "1d10+1d6"  # the largest first
    data = json.loads(json.dumps(to_export(up.sheet)))  # a dmbot file keeps the classes and the choices
    back = sheet_from_export(data, guild_id=1, owner_id=2)
    assert back.class_levels == up.sheet.class_levels and back.choices == up.sheet.choices


async def test_multiclassing_needs_the_scores(service: CharacterCreation) -> None:
    actor = Actor(user_id=18, guild_id=16, channel_id=1)
    draft = await service.start_draft(actor, name="Brute", race="human", klass="fighter", background="acolyte",
                                      method="standard")  # fmt: skip
    await service.create(actor, draft, Choices(skills=draft.skill_options[:2]))  # INT 9
    await service.grant_xp(actor, CharacterRef(), 300)
    with pytest.raises(InvalidInput, match="Intelligence 13"):
        await service.level_up(actor, CharacterRef(), klass="wizard")


def test_the_multiclass_slot_table_and_pact_magic(service: CharacterCreation) -> None:
    srd = service.srd
    # cleric 2 + paladin 2 // 2 = caster level 3: four 1st-level and two 2nd-level slots
    assert class_levels.spell_slots(srd, {"cleric": 2, "paladin": 2})[:3] == (4, 2, 0)
    # a ranger 1 gives no caster level: a fighter 5 / ranger 1 has none
    assert class_levels.spell_slots(srd, {"fighter": 5, "ranger": 1}) == (0,) * 9
    # a warlock 2 / fighter 1 keeps its two 1st-level pact slots; with a wizard 1 the table gives 2 apart
    assert class_levels.spell_slots(srd, {"warlock": 2, "fighter": 1})[:1] == (2,)
    assert class_levels.spell_slots(srd, {"warlock": 2, "wizard": 1})[:1] == (2,)
    assert class_levels.pact_slots(srd, {"warlock": 2, "wizard": 1})[:1] == (2,)
    assert class_levels.pact_slots(srd, {"warlock": 2, "fighter": 1}) == (0,) * 9


async def test_a_fighter_warlock_keeps_pact_magic(service: CharacterCreation) -> None:
    """A warlock level on a fighter: its pact slots are the sheet's, back after a short rest."""
    actor = Actor(user_id=19, guild_id=16, channel_id=1)
    scores = {"str": 15, "dex": 13, "con": 14, "int": 8, "wis": 10, "cha": 12}  # human: CHA 13
    draft = await service.start_draft(actor, name="Hexblade", race="human", klass="fighter", background="acolyte",
                                      method="standard")  # fmt: skip
    await service.create(actor, draft, Choices(scores=scores, skills=draft.skill_options[:2]))
    await service.grant_xp(actor, CharacterRef(), 300)
    up = await service.level_up(actor, CharacterRef(), klass="warlock")
    assert up.sheet.slots_max[:1] == (1,) and class_levels.slots_are_pact(up.sheet)
    assert up.sheet.subclass is None and up.sheet.choices["subclasses"] == {"warlock": "fiend"}
