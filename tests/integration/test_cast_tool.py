"""The narrator's `cast_spell` tool, validated like the others, with a scripted narrator on Postgres and
SQLite: the caster's own spells and slots, a player's own character only, refusals back to the model."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from bot.engine.characters import CharacterRef
from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.engine.spellbook import SpellService
from bot.engine.turns import TurnOutcome
from bot.narrator import NarratorEvent, ProposedCall, TextDelta, ToolCallsProposed, ToolSpec, Usage
from bot.services import Services, open_services
from bot.settings import Settings


def call(n: int, tool: str, /, **arguments: Any) -> ProposedCall:
    return ProposedCall(f"call_{n}", tool, arguments, None, json.dumps(arguments))


class Scripted:
    name = "scripted"
    model = "gpt-4o-mini"

    def __init__(self, *steps: Sequence[NarratorEvent]) -> None:
        self.steps = list(steps)
        self.requests: list[list[dict[str, Any]]] = []

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[ToolSpec], *, max_tokens: int | None = None
    ) -> AsyncIterator[NarratorEvent]:
        self.requests.append(list(messages))
        for item in self.steps.pop(0) if self.steps else [TextDelta("Sparks fly.")]:
            yield item
        yield Usage(self.model, 1000, 50, False, 0.2, 0.0)

    async def probe(self) -> float:
        return 0.0

    async def aclose(self) -> None:
        return None


class Sink:
    outcome: TurnOutcome | None = None

    async def status(self, text: str) -> None: ...

    async def text(self, delta: str) -> None: ...

    async def reset(self, note: str) -> None: ...

    async def finish(self, outcome: TurnOutcome) -> None:
        self.outcome = outcome


@pytest.fixture
async def table(database_url: str) -> AsyncIterator[tuple[Services, Actor, Actor]]:
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    guild, channel = random.randrange(1, 2**60), random.randrange(1, 2**60)
    async with open_services(settings, rng=random.Random(12)) as services:
        dm, alice, bob = (Actor(random.randrange(1, 2**60), guild, channel) for _ in range(3))
        wizard = Choices(skills=("arcana", "history"), cantrips=("fire-bolt",), spells=("magic-missile",))
        for who, name, klass, choices in (
            (alice, "Mira", "wizard", wizard),
            (bob, "Bram", "fighter", Choices(skills=("athletics", "perception"))),
        ):
            draft = await services.characters.start_draft(
                who, name=name, race="human", klass=klass, background="acolyte", method="standard"
            )
            await services.characters.create(who, draft, choices)
        campaigns = services.campaign.campaigns
        await campaigns.create(dm, "The Sunken Crypt", "grim", "a drowned chapel")
        await campaigns.join(alice)
        await campaigns.join(bob)
        yield services, alice, bob


async def test_the_narrator_casts_the_casters_own_spells_and_is_refused_the_rest(
    table: tuple[Services, Actor, Actor],
) -> None:
    services, alice, _ = table
    await SpellService(services.characters).prepare(alice, CharacterRef(), "magic-missile")
    narrator = Scripted(
        [
            ToolCallsProposed(
                [
                    call(1, "cast_spell", caster="Mira", spell="magic-missile", level=None, targets=[]),
                    call(2, "cast_spell", caster="Mira", spell="Magic Missile", level=1, targets=["Mira"]),
                    call(3, "cast_spell", caster="Mira", spell="magic-missile", level=None, targets=[]),
                    call(4, "cast_spell", caster="Mira", spell="cure-wounds", level=None, targets=["Bram"]),
                    call(5, "cast_spell", caster="Bram", spell="fire-bolt", level=None, targets=[]),
                    call(6, "cast_spell", caster="Zed", spell="fire-bolt", level=None, targets=[]),
                    call(7, "cast_spell", caster="Mira", spell="hex", level=None, targets=[]),
                    call(8, "cast_spell", caster="Mira", spell="fire-bolt", level=None, targets=["Bram"]),
                ]
            )
        ]
    )
    turns = services.campaign.turns
    turns.narrators.default = narrator
    ticket = await turns.prepare(alice, "I weave a spell", "Alice")
    sink = Sink()
    await turns.run(ticket, sink)
    results = [json.loads(m["content"]) for m in narrator.requests[1] if m["role"] == "tool"]
    assert [r["ok"] for r in results] == [True, True, False, False, False, False, False, False], results
    first = results[0]["spell"]
    assert first["slot"] == "level-1 slot" and "dice are rolled for the DM" in first["notes"][0]
    on_self = results[1]["spell"]["results"][0]
    assert on_self["target"] == "Mira" and "3 darts" in on_self["result"]  # she can aim it at herself
    reasons = [r.get("error", "") for r in results]
    assert "no level-1 slots left" in reasons[2]  # a level-1 wizard's two slots are spent
    assert "doesn't have Cure Wounds ready" in reasons[3]
    assert "Only Bram's player" in reasons[4]
    assert "not a player character" in reasons[5]
    assert "not an SRD 5.1 spell" in reasons[6]
    assert "the DM's to rule" in reasons[7]  # out of a fight, Fire Bolt at another player's character
    mira = await services.characters.get(alice)
    assert mira.slots_current[0] == 0 and mira.hp_current < mira.hp_max  # her own darts hit her
