"""Caps with clear errors, on both databases: NPCs per campaign (the DM's and the narrator's), pinned facts,
characters per player, campaigns per server, and changes waiting for the DM. Each cap is a setting; here
each is set to 2 so the third of a kind is refused."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.engine.caps import CapReached
from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.engine.tool_calls import TurnTally
from bot.narrator import ProposedCall
from bot.services import Services, open_services
from bot.settings import Settings

CAP = 2


@pytest.fixture
async def services(database_url: str) -> AsyncIterator[Services]:
    caps: dict[str, Any] = {
        name: CAP
        for name in (
            "max_npcs_per_campaign",
            "max_canon_facts",
            "max_characters_per_user",
            "max_campaigns_per_guild",
            "max_pending_changes",
        )
    }
    settings = Settings(_env_file=None, database_url=database_url, narrator="offline", **caps)  # type: ignore[call-arg]
    async with open_services(settings) as built:
        yield built


def someone(guild: int) -> Actor:
    return Actor(random.randrange(1, 2**60), guild, random.randrange(1, 2**60))


async def character(services: Services, who: Actor, name: str) -> None:
    draft = await services.characters.start_draft(
        who, name=name, race="human", klass="fighter", background="acolyte", method="standard"
    )
    await services.characters.create(who, draft, Choices(skills=("athletics", "perception")))


async def test_the_third_of_each_kind_is_refused_with_a_clear_message(services: Services) -> None:
    guild = random.randrange(1, 2**60)
    dm = someone(guild)
    campaigns = services.campaign.campaigns
    await campaigns.create(dm, "First Table")
    await campaigns.create(Actor(dm.user_id, guild, random.randrange(1, 2**60)), "Second Table")
    with pytest.raises(CapReached, match=r"This server runs 2 campaigns, the most it may \(2\).*`/campaign end`"):
        await campaigns.create(Actor(dm.user_id, guild, random.randrange(1, 2**60)), "Third Table")

    for n in range(CAP):
        await campaigns.add_canon(dm, f"Fact {n}: the river runs north.")
    with pytest.raises(CapReached, match=r"at most 2 facts.*`/dm unpin`"):
        await campaigns.add_canon(dm, "One fact too many.")

    for name in ("Berta", "Corwin"):
        await services.table.npc_create(dm, name, "villager")
    with pytest.raises(CapReached, match=r"First Table has 2 NPCs, the most a campaign keeps here \(2\)"):
        await services.table.npc_create(dm, "Dagna", "smith")

    player = someone(guild)
    await character(services, player, "Mira")
    await character(services, player, "Nell")
    with pytest.raises(CapReached, match=r"You have 2 characters on this server.*`/character delete`"):
        await character(services, player, "Orla")


async def test_the_narrator_meets_the_caps_too(services: Services) -> None:
    guild = random.randrange(1, 2**60)
    dm, player = someone(guild), someone(guild)
    player = Actor(player.user_id, guild, dm.channel_id)
    info = await services.campaign.campaigns.create(dm, "Narrated Table")
    await character(services, player, "Mira")
    await services.campaign.campaigns.join(player)
    executor = services.campaign.turns.executor

    def proposed(n: int, tool: str, **arguments: Any) -> ProposedCall:
        return ProposedCall(f"c{n}", tool, arguments, None, json.dumps(arguments))

    gifts = [proposed(n, "give_item", target="Mira", item="torch", quantity=1) for n in range(3)]
    results = await executor.execute(info.id, gifts, actor=player, is_dm=False, turn_id=None, tally=TurnTally())
    kinds = [r.action.kind for r in results]
    assert kinds[:CAP] == ["pending"] * CAP and kinds[CAP] == "refused", kinds
    assert "2 changes already wait for the DM's approval" in results[CAP].action.detail

    npcs = [
        proposed(n, "introduce_npc", name=name, role="guard", description="A guard.")
        for n, name in enumerate(("Hale", "Ivo", "Jory"))
    ]
    results = await executor.execute(info.id, npcs, actor=dm, is_dm=True, turn_id=None, tally=TurnTally())
    assert [r.action.kind for r in results] == ["npc", "npc", "refused"], results
    assert "cast is full" in results[2].action.detail
