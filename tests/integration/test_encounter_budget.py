"""The narrator's `start_combat` is bounded by the SRD's encounter budget for the party's levels: past twice
the deadly threshold it is refused (no Tarrasque, no twenty goblins for one level-1 character), and a
fight rated above the campaign's `fights_wait_above` waits for the DM's approval, then starts as proposed."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.engine.creation import Choices
from bot.engine.encounters import encounter
from bot.engine.sheet import Actor
from bot.engine.tool_calls import TurnTally
from bot.narrator import ProposedCall
from bot.services import Services, open_services
from bot.settings import Settings


@pytest.fixture
async def services(database_url: str) -> AsyncIterator[Services]:
    settings = Settings(_env_file=None, database_url=database_url, narrator="offline")  # type: ignore[call-arg]
    async with open_services(settings) as built:
        yield built


def start(*enemies: tuple[str, int]) -> ProposedCall:
    arguments: dict[str, Any] = {"enemies": [{"monster": m, "count": c} for m, c in enemies]}
    return ProposedCall("c1", "start_combat", arguments, None, json.dumps(arguments))


class Table:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.guild, self.channel = random.randrange(1, 2**60), random.randrange(1, 2**60)
        self.dm, self.player = (Actor(random.randrange(1, 2**60), self.guild, self.channel) for _ in range(2))

    async def seat(self) -> Table:
        self.info = await self.services.campaign.campaigns.create(self.dm, "Budgeted Table")
        draft = await self.services.characters.start_draft(
            self.player, name="Mira", race="human", klass="fighter", background="acolyte", method="standard"
        )
        await self.services.characters.create(self.player, draft, Choices(skills=("athletics", "perception")))
        await self.services.campaign.campaigns.join(self.player)
        return self

    async def propose(self, call: ProposedCall) -> tuple[str, str]:
        executor = self.services.campaign.turns.executor
        [result] = await executor.execute(
            self.info.id, [call], actor=self.player, is_dm=False, turn_id=None, tally=TurnTally()
        )
        return result.action.kind, result.action.detail


async def test_the_narrators_fights_stay_within_the_partys_budget(services: Services) -> None:
    table = await Table(services).seat()
    srd = services.characters.srd
    one_goblin = encounter(srd, [1], [{"monster": "Goblin", "count": 1}])  # 50 XP × 1.5 (a party under three)
    assert (one_goblin.adjusted, one_goblin.rating, one_goblin.ceiling) == (75, "hard", 200)
    for huge in (start(("Tarrasque", 1), ("Goblin", 19)), start(("Goblin", 20)), start(("Goblin", 3))):
        kind, detail = await table.propose(huge)
        assert kind == "refused" and "far past deadly for this party" in detail, detail
    assert await services.combat.active_in_channel(table.channel) is None

    await services.campaign.campaigns.update_settings(table.dm, "gpt-4o-mini", fights_wait_above="medium")
    kind, detail = await table.propose(start(("Goblin", 1)))
    assert kind == "pending" and await services.combat.active_in_channel(table.channel) is None, (kind, detail)
    [waiting] = await services.campaign.turns.pending(table.dm)
    assert "a hard fight against 1 × Goblin" in waiting.summary
    _, actions = await services.campaign.turns.approve(table.dm, waiting.id)
    assert [a.kind for a in actions] == ["combat"]
    assert await services.combat.active_in_channel(table.channel) is not None


async def test_a_fight_within_the_setting_starts_at_once(services: Services) -> None:
    table = await Table(services).seat()
    await services.campaign.campaigns.update_settings(table.dm, "gpt-4o-mini", fights_wait_above="medium")
    kind, detail = await table.propose(start(("Rat", 1)))
    assert kind == "combat", detail
    assert await services.combat.active_in_channel(table.channel) is not None
