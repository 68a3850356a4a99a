"""The narrator chooses where the engine used tables (issue 5): monsters' actions in auto mode and new NPCs'
personality, voice, motive and secret. The real `openai` client against the local LLM server, on Postgres;
an invalid answer, an outage, a slow model or the offline narrator fall back to the engine's own choice."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from bot.engine import generate
from bot.engine.combat import MonsterTurn
from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.sandbox.llm import Fault, LocalLLM, Reply, ToolCall
from bot.services import Services, open_services
from bot.settings import Settings
from persistence.models import LlmUsage


@dataclass
class Table:
    services: Services
    llm: LocalLLM
    dm: Actor
    alice: Actor
    bob: Actor
    combat_id: int = 0

    async def fight(self) -> int:
        """A goblin against Mira and Bram, in auto mode, up to the goblin's turn."""
        services = self.services
        await services.campaign.campaigns.update_settings(self.dm, services.settings.openai_model, auto_monsters=True)
        self.combat_id, _ = await services.table.fight_for(self.dm, [("goblin", 1)])
        for who in (self.alice, self.bob):
            await services.combat.join(who, self.combat_id)
        for _ in range(5):
            current = (await services.combat.status(self.combat_id)).current
            if current is not None and current.name == "Goblin":
                return self.combat_id
            await services.combat.next_turn(self.dm, self.combat_id)
        raise AssertionError("the goblin never got a turn")

    async def goblin_turn(self, seed: int = 4) -> MonsterTurn:
        auto = await self.services.table.auto_turns(self.combat_id, random.Random(seed))
        assert len(auto.turns) == 1 and auto.turns[0].monster == "Goblin"
        return auto.turns[0]

    async def usage_rows(self) -> int:
        async with self.services.db.transaction() as session:
            query = select(func.count()).select_from(LlmUsage).where(LlmUsage.guild_id == self.dm.guild_id)
            return int((await session.execute(query)).scalar_one())


async def _table(url: str, llm: LocalLLM, *, online: bool) -> AsyncIterator[Table]:
    model = (
        {
            "openai_api_key": "sk-local",
            "openai_base_url": llm.base_url,
            "openai_model": "local-model",
            "openai_max_retries": 0,
        }
        if online
        else {}
    )
    budget = {"daily_token_budget": 1_000_000}  # the host's ceiling: a server's admins may only lower it
    settings = Settings(_env_file=None, database_url=url, **model, **budget)  # type: ignore[call-arg, arg-type]
    guild, channel = random.randrange(1, 2**60), random.randrange(1, 2**60)
    async with open_services(settings, rng=random.Random(7)) as services:
        dm, alice, bob = (Actor(random.randrange(1, 2**60), guild, channel) for _ in range(3))
        for who, name in ((alice, "Mira"), (bob, "Bram")):
            draft = await services.characters.start_draft(
                who, name=name, race="human", klass="fighter", background="acolyte", method="standard"
            )
            await services.characters.create(who, draft, Choices(skills=("athletics", "perception")))
        await services.campaign.campaigns.create(dm, "The Sunken Crypt", "grim", "a drowned chapel")
        await services.campaign.campaigns.join(alice)
        await services.campaign.campaigns.join(bob)
        await services.campaign.usage.set_budget(guild, 1_000_000)
        yield Table(services, llm, dm, alice, bob)


@pytest.fixture
async def llm() -> AsyncIterator[LocalLLM]:
    async with LocalLLM() as server:
        yield server


@pytest.fixture
async def table(postgres_url: str, llm: LocalLLM) -> AsyncIterator[Table]:
    async for built in _table(postgres_url, llm, online=True):
        yield built


@pytest.fixture
async def offline(postgres_url: str, llm: LocalLLM) -> AsyncIterator[Table]:
    async for built in _table(postgres_url, llm, online=False):
        yield built


def choose(action: str, target: str) -> Reply:
    return Reply(tool_calls=[ToolCall("monster_action", {"action": action, "target": target})])


# --- Monsters in auto mode ------------------------------------------------------------------------


async def test_the_narrators_choice_of_action_and_target_is_rolled(table: Table) -> None:
    await table.fight()
    engine = await table.services.combat.choose_monster_action(table.combat_id, "Goblin", random.Random(4))
    assert engine.action == "Scimitar"  # the engine's pick: its best attack
    table.llm.enqueue(choose("Shortbow", "Bram"))
    turn = await table.goblin_turn()
    assert turn.chosen_by == "narrator" and turn.action == "Shortbow"
    assert [r.target for r in turn.reports] == ["Bram"] and turn.reports[0].roll is not None  # the engine rolled
    request = table.llm.requests[-1]
    assert not any(m["role"] == "tool" for m in request.messages)
    [tool] = request.tools
    params = tool["function"]["parameters"]["properties"]
    assert tool["function"]["name"] == "monster_action"
    assert params["action"]["enum"] == ["Scimitar", "Shortbow"]
    assert sorted(params["target"]["enum"]) == ["Bram", "Mira"]
    assert await table.usage_rows() == 1  # billed to the guild like a turn


@pytest.mark.parametrize(
    "answer",
    [choose("Fireball", "Mira"), choose("Scimitar", "Tordek"), Reply(text="The goblin snarls."), Fault.status(500)],
)
async def test_an_unusable_answer_falls_back_to_the_engine(table: Table, answer: Reply | Fault) -> None:
    await table.fight()
    engine = await table.services.combat.choose_monster_action(table.combat_id, "Goblin", random.Random(4))
    table.llm.enqueue(answer)
    turn = await table.goblin_turn(seed=4)
    assert len(table.llm.requests) == 1
    assert turn.chosen_by == "engine" and turn.action == engine.action
    assert [r.target for r in turn.reports] == [engine.target]


async def test_a_dead_target_is_not_offered_and_not_taken(table: Table) -> None:
    await table.fight()
    await table.services.combat.damage(table.dm, (await table.services.table.campaign_id(table.dm)), "Bram", 1000)
    table.llm.enqueue(choose("Scimitar", "Bram"))
    turn = await table.goblin_turn()
    [tool] = table.llm.requests[-1].tools
    assert tool["function"]["parameters"]["properties"]["target"]["enum"] == ["Mira"]
    assert turn.chosen_by == "engine" and [r.target for r in turn.reports] == ["Mira"]


async def test_a_slow_narrator_is_not_waited_for(table: Table) -> None:
    await table.fight()
    assert table.services.table.advice is not None
    table.services.table.advice.timeout = 0.3
    table.llm.enqueue(Fault.timeout(5))
    turn = await table.goblin_turn()
    assert turn.chosen_by == "engine" and turn.action == "Scimitar"


async def test_offline_the_engine_chooses_without_asking(offline: Table) -> None:
    await offline.fight()
    engine = await offline.services.combat.choose_monster_action(offline.combat_id, "Goblin", random.Random(4))
    offline.llm.enqueue(choose("Shortbow", "Bram"))
    turn = await offline.goblin_turn(seed=4)
    assert offline.llm.requests == []
    assert turn.chosen_by == "engine" and turn.action == engine.action
    assert [r.target for r in turn.reports] == [engine.target]


# --- NPCs -----------------------------------------------------------------------------------------


def describe(**fields: str) -> Reply:
    base = {
        "personality": "dry and watchful",
        "voice": "a hoarse whisper",
        "motive": "Wants to find her brother.",
        "secret": "she sold the chapel's bell",
    }
    return Reply(tool_calls=[ToolCall("describe_npc", {**base, **fields})])


def from_tables(sketch: generate.NpcSketch) -> bool:
    return (
        sketch.personality in generate.PERSONALITIES
        and sketch.voice in generate.VOICES
        and sketch.motive in generate.MOTIVES
        and sketch.secret in generate.SECRETS
    )


async def test_the_narrator_describes_a_new_npc(table: Table) -> None:
    table.llm.enqueue(describe())
    info, sketch = await table.services.table.npc_create(table.dm, "Greta", "innkeeper")
    assert (sketch.name, sketch.role) == ("Greta", "innkeeper")
    assert (sketch.personality, sketch.voice, sketch.motive, sketch.secret) == (
        "dry and watchful",
        "a hoarse whisper",
        "find her brother",
        "she sold the chapel's bell",
    )
    assert info.description == (
        "Personality: dry and watchful. Voice: a hoarse whisper. Wants to find her brother. "
        "Secret: she sold the chapel's bell."
    )
    [tool] = table.llm.requests[-1].tools
    assert tool["function"]["name"] == "describe_npc" and "Greta" in table.llm.requests[-1].messages[-1]["content"]
    assert await table.usage_rows() == 1


@pytest.mark.parametrize(
    "answer",
    [
        describe(secret="x" * 200),
        describe(voice=""),
        Fault.status(503),
        Reply(tool_calls=[ToolCall("monster_action", {})]),
    ],
)
async def test_an_unusable_description_falls_back_to_the_tables(table: Table, answer: Reply | Fault) -> None:
    table.llm.enqueue(answer)
    _, sketch = await table.services.table.npc_create(table.dm, "Greta", "innkeeper")
    assert len(table.llm.requests) == 1 and from_tables(sketch)


async def test_offline_npcs_come_from_the_tables(offline: Table) -> None:
    offline.llm.enqueue(describe())
    _, sketch = await offline.services.table.npc_create(offline.dm, None, None)
    assert offline.llm.requests == [] and from_tables(sketch)


async def test_players_are_refused_before_the_narrator_is_asked(table: Table) -> None:
    from bot.errors import Forbidden

    with pytest.raises(Forbidden):
        await table.services.table.npc_create(table.alice, "Greta", None)
    assert table.llm.requests == []
