"""Campaigns on real Postgres: turns from two processes serialise, two creates in one channel at once leave one
campaign, full-text recall over a long log, and a 10,000-event campaign's prompt stays inside its budget with
every canon fact."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.engine.campaign_info import CampaignInfo
from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.engine.turns import TurnOutcome, TurnTicket
from bot.errors import InvalidInput
from bot.narrator import NarratorEvent, ProposedCall, TextDelta, ToolCallsProposed, ToolSpec, Usage
from bot.services import Services, open_services
from bot.settings import Settings
from persistence.models import CampaignEvent
from persistence.repositories import EventRepository

pytestmark = pytest.mark.postgres


class Slow:
    """A narrator that takes its time: it damages the acting character, then narrates what it saw."""

    name = "slow"
    model = "gpt-4o-mini"

    def __init__(self, target: str, log: list[tuple[str, str, float]]) -> None:
        self.target = target
        self.log = log
        self.prompts: list[str] = []

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[ToolSpec], *, max_tokens: int | None = None
    ) -> AsyncIterator[NarratorEvent]:
        self.log.append((self.target, "start", time.monotonic()))
        self.prompts.append(json.dumps(messages, ensure_ascii=False))
        await asyncio.sleep(0.15)
        if not any(m["role"] == "tool" for m in messages):
            damage = {"target": self.target, "amount": 2, "damage_type": "cold", "reason": "icy water"}
            call = ProposedCall(f"c_{self.target}", "apply_damage", damage, None, json.dumps(damage))
            yield ToolCallsProposed([call])
        else:
            yield TextDelta(f"{self.target} shivers in the icy water.")
        self.log.append((self.target, "end", time.monotonic()))
        yield Usage(self.model, 100, 10, False, 0.15)

    async def probe(self) -> float:
        return 0.0

    async def aclose(self) -> None:
        return None


class Sink:
    async def status(self, text: str) -> None:
        return None

    async def text(self, delta: str) -> None:
        return None

    async def reset(self, note: str) -> None:
        return None

    async def finish(self, outcome: TurnOutcome) -> None:
        return None


def settings(postgres_url: str, **overrides: Any) -> Settings:
    return Settings(_env_file=None, database_url=postgres_url, **overrides)  # type: ignore[call-arg]


async def seat(services: Services, guild: int, channel: int) -> tuple[Actor, Actor, Actor]:
    dm, alice, bob = (Actor(random.randrange(1, 2**60), guild, channel) for _ in range(3))
    for who, name in ((alice, "Mira"), (bob, "Bram")):
        draft = await services.characters.start_draft(
            who, name=name, race="human", klass="fighter", background="acolyte", method="standard"
        )
        await services.characters.create(who, draft, Choices(skills=("athletics", "perception")))
    await services.campaign.campaigns.create(dm, "Two Processes")
    await services.campaign.campaigns.join(alice)
    await services.campaign.campaigns.join(bob)
    return dm, alice, bob


async def test_turns_from_two_processes_run_one_at_a_time(postgres_url: str) -> None:
    guild, channel = random.randrange(1, 2**60), random.randrange(1, 2**60)
    log: list[tuple[str, str, float]] = []
    async with open_services(settings(postgres_url)) as one, open_services(settings(postgres_url)) as two:
        _, alice, bob = await seat(one, guild, channel)
        mira, bram = Slow("Mira", log), Slow("Bram", log)
        one.campaign.turns.narrators.default = mira  # two engines: two in-process locks, one advisory lock
        two.campaign.turns.narrators.default = bram
        hp = {who: (await one.characters.get(who)).hp_current for who in (alice, bob)}
        tickets: list[tuple[Services, TurnTicket]] = [
            (one, await one.campaign.turns.prepare(alice, "I wade in", "Alice")),
            (two, await two.campaign.turns.prepare(bob, "I wade in after her", "Bob")),
        ]
        outcomes = await asyncio.gather(*(s.campaign.turns.run(t, Sink()) for s, t in tickets))
        assert [o.narration for o in outcomes] == ["Mira shivers in the icy water.", "Bram shivers in the icy water."]
        assert {who: (await one.characters.get(who)).hp_current for who in hp} == {w: h - 2 for w, h in hp.items()}
    spans = {
        who: (min(t for w, _, t in log if w == who), max(t for w, _, t in log if w == who)) for who in ("Mira", "Bram")
    }
    first, second = sorted(spans.values())
    assert first[1] <= second[0], spans  # no overlap: the second turn began after the first had ended
    later = bram if spans["Bram"] == second else mira
    earlier_name = "Mira" if later is bram else "Bram"
    assert f"{earlier_name} shivers in the icy water." in later.prompts[0]  # it saw the whole first turn


async def seed(services: Services, campaign_id: int, count: int) -> None:
    """`count` events in one transaction, one of them long ago about a key and a priest."""
    filler = "the party trudges on through dripping tunnels; torches sputter and the water rises."
    rows = [
        CampaignEvent(campaign_id=campaign_id, kind="narration", text=f"Turn {i}: {filler}", data={})
        for i in range(count)
    ]
    rows[42] = CampaignEvent(
        campaign_id=campaign_id,
        kind="npc",
        data={"audience": "channel"},  # the narrator's
        text="NPC Brother Aldous (priest): he hid the silver key beneath the drowned altar.",
    )
    async with services.db.transaction() as tx:
        EventRepository(tx).add_all(rows)


async def test_a_ten_thousand_event_campaign_recalls_old_facts_inside_the_budget(postgres_url: str) -> None:
    guild, channel = random.randrange(1, 2**60), random.randrange(1, 2**60)
    async with open_services(settings(postgres_url, prompt_token_budget=6000)) as services:
        dm, alice, _ = await seat(services, guild, channel)
        campaigns = services.campaign.campaigns
        facts = [f"Fact {i}: the bell of Saltmarsh tolls for the drowned." for i in range(20)]
        for fact in facts:
            await campaigns.add_canon(dm, fact)
        info = await campaigns.here(dm)
        await seed(services, info.id, 10_000)
        turns = services.campaign.turns
        ticket = await turns.prepare(alice, "I ask Brother Aldous where he hid the silver key", "Alice")
        started = time.perf_counter()
        _, prompt = await turns.build_prompt(ticket)
        seconds = time.perf_counter() - started
    text = json.dumps(prompt.messages, ensure_ascii=False)
    assert prompt.tokens <= 6000
    assert all(fact in text for fact in facts)
    assert "he hid the silver key beneath the drowned altar" in text  # recalled by full-text search
    assert prompt.recalled_included >= 1 and prompt.recent_included > 10
    assert seconds < 2.0, seconds


async def test_two_creates_in_one_channel_at_once_leave_one_campaign_and_a_clear_refusal(postgres_url: str) -> None:
    """Two processes, one channel: whichever loses (to the channel check or to the unique index, reported by the
    repository as a conflict) gets the same actionable answer, never a database error."""
    guild, channel = random.randrange(1, 2**60), random.randrange(1, 2**60)
    dm = Actor(random.randrange(1, 2**60), guild, channel)
    async with open_services(settings(postgres_url)) as one, open_services(settings(postgres_url)) as two:
        results = await asyncio.gather(
            one.campaign.campaigns.create(dm, "First"),
            two.campaign.campaigns.create(dm, "Second"),
            return_exceptions=True,
        )
        here = await one.campaign.campaigns.list_here(dm)
    made = [r for r in results if isinstance(r, CampaignInfo)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(made) == 1 and len(refused) == 1, results
    assert "already has a campaign" in refused[0].message
    assert [c.name for c in here if c.channel_id == channel] == [made[0].name]
