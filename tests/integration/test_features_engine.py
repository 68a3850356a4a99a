"""Features with uses through the engine on Postgres and SQLite: the narrator sees what each character has
left in the party block and spends a feature the player invoked (`use_feature`), refused when none is left or
on another player's character; a short rest brings Second Wind back; custom counters persist."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import select
from test_cast_tool import Scripted, Sink, call  # the scripted narrator the cast tool's tests use

from bot.engine.characters import CharacterRef
from bot.engine.creation import Choices
from bot.engine.sheet import Actor, Sheet
from bot.errors import InvalidInput
from bot.narrator import ToolCallsProposed
from bot.services import Services, open_services
from bot.settings import Settings
from persistence.models import Character


@pytest.fixture
async def table(database_url: str) -> AsyncIterator[tuple[Services, Actor, Actor]]:
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    guild, channel = random.randrange(1, 2**60), random.randrange(1, 2**60)
    async with open_services(settings, rng=random.Random(7)) as services:
        dm, alice, bob = (Actor(random.randrange(1, 2**60), guild, channel) for _ in range(3))
        for who, name, klass in ((alice, "Grog", "barbarian"), (bob, "Bram", "fighter")):
            draft = await services.characters.start_draft(
                who, name=name, race="human", klass=klass, background="acolyte", method="standard"
            )
            await services.characters.create(who, draft, Choices(skills=("athletics", "perception")))
        await services.campaign.campaigns.create(dm, "The Sunken Crypt", "grim", "a drowned chapel")
        await services.campaign.campaigns.join(alice)
        await services.campaign.campaigns.join(bob)
        yield services, alice, bob


async def test_the_narrator_spends_a_feature_the_player_invoked(table: tuple[Services, Actor, Actor]) -> None:
    services, _, bob = table

    async def hurt(_: object, sheet: Sheet, __: object) -> tuple[Sheet, None]:
        return replace(sheet, hp_current=3), None

    await services.characters.change(bob, CharacterRef(), hurt)
    narrator = Scripted(
        [
            ToolCallsProposed(
                [
                    call(1, "use_feature", character="Bram", feature="Second Wind", amount=None),
                    call(2, "use_feature", character="Bram", feature="Second Wind", amount=None),
                    call(3, "use_feature", character="Bram", feature="Rage", amount=None),
                    call(4, "use_feature", character="Grog", feature="Rage", amount=None),
                ]
            )
        ]
    )
    turns = services.campaign.turns
    turns.narrators.default = narrator
    ticket = await turns.prepare(bob, "I catch my breath behind the pillar", "Bob")
    await turns.run(ticket, Sink())
    prompt = " ".join(str(m["content"]) for m in narrator.requests[0])
    assert "features left: Second Wind 1/1" in prompt and "Rage 2/2" in prompt  # the party block
    results = [json.loads(m["content"]) for m in narrator.requests[1] if m["role"] == "tool"]
    assert [r["ok"] for r in results] == [True, False, False, False], results
    assert results[0]["feature"] == {"character": "Bram", "used": "Second Wind", "left": 0, "maximum": 1}
    assert "0 uses of Second Wind left" in results[1]["error"]
    assert "no feature with uses called “Rage”" in results[2]["error"]
    assert "Bob's turn" in results[3]["error"] or "only their own character" in results[3]["error"]
    bram = await services.characters.get(bob)
    assert bram.hp_current > 3 and bram.feature_spent == {"second-wind": 1}  # 1d10 + 1 healed
    rest = await services.characters.rest(bob, CharacterRef(), "short")
    assert rest.features_regained == ("Second Wind",) and not rest.sheet.feature_spent


async def test_custom_counters_are_kept_on_the_sheet(table: tuple[Services, Actor, Actor]) -> None:
    services, alice, _ = table
    features = services.combat.features
    await features.add_counter(alice, "Luck", 3, "long")
    used = await features.use(alice, None, "Luck", 2)
    assert used.uses is not None and (used.uses.left, used.uses.maximum) == (1, 3)
    raged = await features.use(alice, None, "rage")
    assert "Rage left: 1/2" in raged.lines[0]
    sheet = await services.characters.get(alice)
    assert [(c.name, c.spent) for c in sheet.counters] == [("Luck", 2)] and sheet.feature_spent == {"rage": 1}
    assert "Rage" in [e.name for e in sheet.effects]  # raging for a minute, outside a fight too
    assert await features.names(alice, "") == ["Rage", "Luck"]  # Reckless Attack comes at level 2
    assert await features.remove_counter(alice, "luck") == "Luck"
    rested = await services.characters.rest(alice, CharacterRef(), "long")
    assert rested.features_regained == ("Rage",) and not rested.sheet.counters


async def test_one_bonus_action_a_turn_in_a_fight(table: tuple[Services, Actor, Actor]) -> None:
    """Rage takes Grog's bonus action: Frenzy's attack (also one) waits for his next turn; Bram's Second Wind
    (a bonus action too) waits for Bram's own turn."""
    services, alice, bob = table
    async with services.db.transaction() as session:
        grog = (await session.scalars(select(Character).where(Character.owner_id == alice.user_id))).one()
        grog.level, grog.subclass = 3, "berserker"  # Frenzy from level 3
    campaign = await services.campaign.campaigns.here(alice)
    dm = Actor(campaign.dm_id, alice.guild_id, alice.channel_id)
    combat = services.combat
    fight = (await combat.start(dm, campaign.id, alice.channel_id or 0)).combat_id
    await combat.join(alice, fight)
    await combat.next_turn(dm, fight)  # Grog alone: his turn
    features = services.combat.features
    raged = await features.use(alice, alice.channel_id, "Rage")
    assert "rages" in " ".join(raged.lines)
    with pytest.raises(InvalidInput, match=r"taken this turn's bonus action \(Rage\): one a turn"):
        await features.use(alice, alice.channel_id, "Frenzy")
    await combat.join(bob, fight)
    with pytest.raises(InvalidInput, match="Second Wind is used on Bram's own turn"):
        await features.use(bob, bob.channel_id, "second wind")
    await combat.next_turn(dm, fight)
    while getattr((await combat.status(fight)).current, "name", None) != "Grog":  # his next turn: it is back
        await combat.next_turn(dm, fight)
    frenzied = await features.use(alice, alice.channel_id, "Frenzy")
    assert "frenzies" in " ".join(frenzied.lines)
