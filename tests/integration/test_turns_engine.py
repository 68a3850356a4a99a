"""The turn engine with a scripted narrator, on Postgres and SQLite: validation against the campaign,
approvals, retcon exactness, the fallback mid-turn, the budget and the canon limit."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from bot.engine.characters import CharacterRef
from bot.engine.creation import Choices
from bot.engine.events import state_of
from bot.engine.sheet import Actor, Sheet
from bot.engine.tool_calls import EngineAction
from bot.engine.turns import TurnOutcome
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.narrator import NarratorEvent, NarratorUnavailable, ProposedCall, TextDelta, ToolCallsProposed, ToolSpec, Usage
from bot.services import Services, open_services
from bot.settings import Settings

Step = Sequence[NarratorEvent | BaseException]
_ids = itertools.count(1)


def call(tool: str, /, **arguments: Any) -> ProposedCall:
    return ProposedCall(f"call_{next(_ids)}", tool, arguments, None, json.dumps(arguments))


class Scripted:
    """A narrator that plays a script: one list of events (or an exception to raise) per call."""

    name = "scripted"
    model = "gpt-4o-mini"

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[tuple[list[dict[str, Any]], list[ToolSpec]]] = []

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[ToolSpec], *, max_tokens: int | None = None
    ) -> AsyncIterator[NarratorEvent]:
        self.requests.append((list(messages), list(tools)))
        step: Step = self.steps.pop(0) if self.steps else [TextDelta("The story goes on.")]
        for item in step:
            if isinstance(item, BaseException):
                raise item
            yield item
        yield Usage(self.model, 1000, 50, False, 0.2, 0.0)

    async def probe(self) -> float:
        return 0.0

    async def aclose(self) -> None:
        return None


class Sink:
    """What a reply would show: the streamed text, notes, and the outcome."""

    def __init__(self) -> None:
        self.shown = ""
        self.notes: list[str] = []
        self.outcome: TurnOutcome | None = None

    async def status(self, text: str) -> None:
        self.notes.append(text)

    async def text(self, delta: str) -> None:
        self.shown += delta

    async def reset(self, note: str) -> None:
        self.shown = ""
        self.notes.append(note)

    async def finish(self, outcome: TurnOutcome) -> None:
        self.outcome = outcome


@dataclass
class Table:
    services: Services
    dm: Actor
    alice: Actor
    bob: Actor

    @property
    def turns(self) -> Any:
        return self.services.campaign.turns

    async def sheet(self, who: Actor) -> Sheet:
        return await self.services.characters.get(who)

    async def play(
        self, narrator: Scripted, action: str = "I hum a tune by the fire", who: Actor | None = None
    ) -> TurnOutcome:
        """A turn the model's script plays; the default action calls for no check of the engine's own."""
        self.turns.narrators.default = narrator
        ticket = await self.turns.prepare(who or self.alice, action, "Alice")
        sink = Sink()
        outcome: TurnOutcome = await self.turns.run(ticket, sink)
        return outcome


@pytest.fixture
async def table(database_url: str) -> AsyncIterator[Table]:
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    guild, channel = random.randrange(1, 2**60), random.randrange(1, 2**60)
    async with open_services(settings, rng=random.Random(11)) as services:
        dm, alice, bob = (Actor(random.randrange(1, 2**60), guild, channel) for _ in range(3))
        for who, name, klass, skills in (
            (alice, "Mira", "rogue", ("stealth", "athletics", "acrobatics", "deception")),
            (bob, "Bram", "fighter", ("athletics", "perception")),
        ):
            draft = await services.characters.start_draft(
                who, name=name, race="human", klass=klass, background="acolyte", method="standard"
            )
            await services.characters.create(who, draft, Choices(skills=skills))
        campaigns = services.campaign.campaigns
        await campaigns.create(dm, "The Sunken Crypt", "grim", "a drowned chapel")
        await campaigns.join(alice)
        await campaigns.join(bob)
        yield Table(services, dm, alice, bob)


def tool_results(narrator: Scripted, request: int = 1) -> list[dict[str, Any]]:
    messages = narrator.requests[request][0]
    return [json.loads(m["content"]) for m in messages if m["role"] == "tool"]


async def exported(services: Services, actor: Actor) -> dict[str, Any]:
    """The JSON file of the actor's `/campaign export`."""
    async with services.campaign.exports.files(actor) as export:
        path = next(p for name, p in export.files if name.endswith(".json"))
        return dict(json.loads(path.read_text(encoding="utf-8")))


def kinds(actions: Iterable[EngineAction]) -> list[str]:
    return [a.kind for a in actions]


async def test_valid_calls_are_applied_and_their_results_go_back(table: Table) -> None:
    before = await table.sheet(table.alice)
    narrator = Scripted(
        [
            ToolCallsProposed(
                [
                    call("request_check", character="Mira", skill_or_ability="stealth", dc=12, reason="the guards"),
                    call("apply_damage", target="mira", amount=4, damage_type="fire", reason="a brazier tips"),
                    call("take_item", target="Mira", item="rope (50 feet)", quantity=1),
                    call("introduce_npc", name="Brother Aldous", role="priest", description="Old and nervous."),
                ]
            )
        ],
        [TextDelta("The fire bites; "), TextDelta("Aldous gasps.")],
    )
    outcome = await table.play(narrator, "I sneak past the guards")
    after = await table.sheet(table.alice)
    assert after.hp_current == before.hp_current - 4
    assert before.carried("rope-hempen-50-feet") is not None and after.carried("rope-hempen-50-feet") is None
    results = tool_results(narrator)
    assert [r["ok"] for r in results] == [True, True, True, True]
    assert results[1]["damage"]["hp_after"] == after.hp_current
    assert kinds(outcome.actions) == ["check", "damage", "item", "npc"]
    check = outcome.actions[0]
    assert check.numbers["total"] == results[0]["check"]["total"] and check.dice.startswith("1d20")
    assert outcome.narration == "The fire bites; Aldous gasps."
    assert len(narrator.requests) == 2 and narrator.requests[1][1]  # tools offered again after the results
    info = await table.services.campaign.campaigns.here(table.alice)
    assert "Brother Aldous" in info.scene.npcs
    usage = await table.services.campaign.usage.report(table.alice.guild_id or 0)
    assert usage.day.calls == 2 and usage.day.prompt_tokens == 2000 and usage.day.cost_usd > 0


async def test_calls_the_rules_forbid_are_refused_and_the_turn_goes_on(table: Table) -> None:
    before = {who: state_of(await table.sheet(who)) for who in (table.alice, table.bob)}
    narrator = Scripted(
        [
            ToolCallsProposed(
                [
                    call("apply_damage", target="Zed", amount=3, damage_type="fire", reason="not in the campaign"),
                    call(
                        "apply_damage", target="Bram", amount=3, damage_type="fire", reason="another player's character"
                    ),
                    call("apply_damage", target="Mira", amount=31, damage_type="fire", reason="above the bound"),
                    call("heal", target="Mira", amount=1000),
                    call("give_item", target="Mira", item="gold", quantity=100),
                    call("give_item", target="Mira", item="Vorpal Sword", quantity=1),
                ]
            )
        ],
        [
            ToolCallsProposed(
                [
                    call("give_item", target="Mira", item="longsword", quantity=6),
                    call("take_item", target="Mira", item="abacus", quantity=1),
                    call("remove_condition", target="Mira", condition="poisoned"),
                    call("summon_tarrasque", count=99),
                    ProposedCall("bad", "apply_damage", None, "apply_damage: arguments are not valid JSON.", "{"),
                    call("award_xp", targets=["Bram"], amount=50),
                ]
            )
        ],
    )
    outcome = await table.play(narrator)
    results = tool_results(narrator, 2)
    assert [r["ok"] for r in results] == [False] * 12, results
    reasons = " | ".join(r["error"] for r in results)
    for expected in (
        "no player character called “Zed”",
        "only their own character",
        "above the campaign's bound",
        "not an SRD item",
        "magic item",
        "carries 0",
        "isn't poisoned",
        "Unknown tool",
        "not valid JSON",
    ):
        assert expected in reasons, expected
    assert {who: state_of(await table.sheet(who)) for who in (table.alice, table.bob)} == before
    assert set(kinds(outcome.actions)) == {"refused"} and outcome.narration == "The story goes on."


async def test_changes_above_the_bound_wait_for_the_dm(table: Table) -> None:
    before = await table.sheet(table.alice)
    narrator = Scripted(
        [
            ToolCallsProposed(
                [
                    call("apply_damage", target="Mira", amount=12, damage_type="cold", reason="the river"),
                    call("award_xp", targets="party", amount=100),
                    call("apply_damage", target="Mira", amount=2, damage_type="cold", reason="spray"),
                ]
            )
        ]
    )
    outcome = await table.play(narrator)
    assert kinds(outcome.actions) == ["pending", "pending", "damage"]
    assert tool_results(narrator)[0]["pending"] is True
    assert (await table.sheet(table.alice)).hp_current == before.hp_current - 2
    turns = table.turns
    with pytest.raises(Forbidden):
        await turns.approve(table.alice)
    waiting = await turns.pending(table.dm)
    assert waiting[0].summary.startswith("12 cold damage to Mira")
    item, actions = await turns.approve(table.dm)
    assert item.id == waiting[0].id and kinds(actions) == ["damage"]
    assert (await table.sheet(table.alice)).hp_current == max(0, before.hp_current - 14)
    denied = await turns.deny(table.dm)
    assert denied.id == waiting[1].id
    assert (await table.sheet(table.alice)).xp == before.xp and (await table.sheet(table.bob)).xp == 0
    with pytest.raises(InvalidInput, match="Nothing is waiting"):
        await turns.approve(table.dm)
    await table.services.campaign.campaigns.update_settings(table.dm, "gpt-4o-mini", auto_approve=True)
    await table.play(Scripted([ToolCallsProposed([call("award_xp", targets="party", amount=100)])]))
    assert (await table.sheet(table.bob)).xp == 100


async def test_retcon_restores_the_state_exactly(table: Table) -> None:
    services = table.services
    await services.characters.set_condition(table.alice, CharacterRef(), "poisoned", add=True)
    mira = CharacterRef("Mira", table.alice.user_id)  # in a campaign, the DM hands out items
    await services.characters.inventory(table.dm, mira, "add", "torch", 3)
    await services.campaign.campaigns.update_settings(table.dm, "gpt-4o-mini", auto_approve=True)
    await services.campaign.campaigns.set_scene(table.dm, "The chapel nave, pews rotting.", "The chapel nave")
    before = state_of(await table.sheet(table.alice))
    scene_before = (await services.campaign.campaigns.here(table.alice)).scene
    narrator = Scripted(
        [
            ToolCallsProposed(
                [
                    call("apply_damage", target="Mira", amount=5, damage_type="piercing", reason="a dart trap"),
                    call("heal", target="Mira", amount=2),
                    call("add_condition", target="Mira", condition="prone", rounds=None),
                    call("remove_condition", target="Mira", condition="poisoned"),
                    call("give_item", target="Mira", item="rope (50 feet)", quantity=2),
                    call("take_item", target="Mira", item="torch", quantity=3),
                    call("award_xp", targets=["Mira"], amount=75),
                ]
            )
        ],
        [
            ToolCallsProposed(
                [
                    call("introduce_npc", name="Sister Vell", role="ghost", description="Pale, sorrowful."),
                    call("move_scene", location="The bell tower", description="Wind howls through broken slats."),
                ]
            )
        ],
    )
    outcome = await table.play(narrator)
    assert "refused" not in kinds(outcome.actions), outcome.actions
    assert state_of(await table.sheet(table.alice)) != before
    report = await table.turns.retcon(table.dm)
    assert report.turn_number == outcome.number and len(report.undone) >= 8
    assert state_of(await table.sheet(table.alice)) == before
    info = await services.campaign.campaigns.here(table.alice)
    assert info.scene == scene_before
    export = await exported(services, table.dm)
    assert export["npcs"] == []
    turn_events = [e for e in export["events"] if e["turn_id"] == outcome.turn_id]
    assert [e["kind"] for e in turn_events] == ["retcon"]  # the retconned events are left out; the retcon says it
    assert not turn_events[0]["retconned"]
    with pytest.raises(InvalidInput, match="no turn to undo"):
        await table.turns.retcon(table.dm)


async def test_retcon_keeps_a_change_made_after_the_turn(table: Table) -> None:
    before = await table.sheet(table.alice)
    await table.play(
        Scripted(
            [
                ToolCallsProposed(
                    [
                        call("apply_damage", target="Mira", amount=3, damage_type="fire", reason="sparks"),
                        call("give_item", target="Mira", item="torch", quantity=1),
                    ]
                )
            ]
        )
    )
    await table.services.characters.inventory(table.dm, CharacterRef("Mira", table.alice.user_id), "add", "torch", 2)
    await table.turns.retcon(table.dm)
    after = await table.sheet(table.alice)
    assert after.hp_current == before.hp_current
    held = before.carried("torch")
    assert after.carried("torch") is not None
    assert after.carried("torch").quantity == (held.quantity if held else 0) + 2  # type: ignore[union-attr]


async def test_an_outage_mid_turn_undoes_the_turn_and_the_offline_narrator_answers(table: Table) -> None:
    before = state_of(await table.sheet(table.alice))
    narrator = Scripted(
        [ToolCallsProposed([call("apply_damage", target="Mira", amount=6, damage_type="acid", reason="a slime")])],
        [TextDelta("The slime"), NarratorUnavailable("connection dropped", partial=True)],
    )
    table.turns.narrators.default = narrator
    ticket = await table.turns.prepare(table.alice, "I look for the exit", "Alice")
    sink = Sink()
    outcome = await table.turns.run(ticket, sink)
    assert state_of(await table.sheet(table.alice)) == before
    assert outcome.narrator.startswith("offline") and outcome.fallback_reason
    assert "connection dropped" in outcome.fallback_reason
    assert sink.notes and "offline narrator answered" in sink.notes[-1]
    assert "The slime" not in sink.shown and sink.shown.strip()
    assert [a.kind for a in outcome.actions] in (["check"], [])  # the offline narrator only asks for checks
    export = await exported(table.services, table.dm)
    live = [e["kind"] for e in export["events"] if e["turn_id"] == outcome.turn_id and not e["retconned"]]
    assert live.count("action") == 1 and live.count("narration") == 1 and "damage" not in live


async def test_past_the_daily_budget_the_offline_narrator_answers(table: Table) -> None:
    guild = table.alice.guild_id or 0
    await table.services.campaign.usage.set_budget(guild, 500)
    narrator = Scripted([TextDelta("never heard")])
    outcome = await table.play(narrator)
    assert narrator.requests == [] and outcome.narrator.startswith("offline")
    assert "daily token budget" in (outcome.fallback_reason or "")
    await table.services.campaign.usage.set_budget(guild, 0)
    outcome = await table.play(Scripted())
    assert "set the narrator's daily token budget to 0" in (outcome.fallback_reason or "")
    with pytest.raises(InvalidInput):
        await table.services.campaign.usage.set_budget(guild, -1)


async def test_a_risky_check_failed_badly_hurts_within_the_bounds(table: Table) -> None:
    before = await table.sheet(table.alice)
    narrator = Scripted(
        [
            ToolCallsProposed(
                [
                    call(
                        "request_check", character="Mira", skill_or_ability="athletics", dc=30, reason="a sheer cliff"
                    ),
                ]
            )
        ]
    )
    outcome = await table.play(narrator)
    assert kinds(outcome.actions) == ["check", "consequence"]
    hurt = outcome.actions[1].numbers["amount"]
    assert 1 <= hurt <= 6
    assert (await table.sheet(table.alice)).hp_current == max(0, before.hp_current - hurt)
    assert tool_results(narrator)[0]["consequence"]["damage"] == hurt


async def test_canon_is_refused_once_it_would_not_fit(database_url: str) -> None:
    # Tiny on purpose: the tool schemas take about 2,050 tokens of it (cast_spell included), the rest a few facts.
    settings = Settings(_env_file=None, database_url=database_url, prompt_token_budget=3300)  # type: ignore[call-arg]
    dm = Actor(random.randrange(1, 2**60), random.randrange(1, 2**60), random.randrange(1, 2**60))
    async with open_services(settings) as services:
        campaigns = services.campaign.campaigns
        await campaigns.create(dm, "Tiny")
        fact = "The " + "very " * 50 + "old bell rings at midnight."
        with pytest.raises(InvalidInput, match="would not fit the narrator's prompt"):
            for _ in range(50):
                await campaigns.add_canon(dm, fact)
        pinned = await campaigns.canon(dm)
        assert 1 <= len(pinned) < 50
        removed = await campaigns.remove_canon(dm, 1)
        assert removed.text == fact and len(await campaigns.canon(dm)) == len(pinned) - 1


async def test_prepare_refuses_before_anything_is_deferred(table: Table) -> None:
    turns = table.turns
    with pytest.raises(InvalidInput):
        await turns.prepare(table.alice, " \u200b ", "Alice")
    with pytest.raises(NotFound, match="no campaign"):
        await turns.prepare(Actor(table.alice.user_id, table.alice.guild_id, 42), "I wait", "Alice")
    stranger = Actor(random.randrange(1, 2**60), table.alice.guild_id, table.alice.channel_id)
    with pytest.raises(NotFound, match="no character in The Sunken Crypt"):
        await turns.prepare(stranger, "I wait", "Zed")
    ticket = await turns.prepare(table.dm, "The bells ring", "DM")
    assert ticket.is_dm and ticket.character_name is None


async def fighting(table: Table) -> bool:
    """Whether `/campaign info` shows a fight (read from the fight tables, the one source of truth)."""
    return (await table.services.campaign.campaigns.overview(table.alice)).fight is not None


async def test_the_narrators_start_combat_starts_a_real_fight_with_the_named_srd_monsters(table: Table) -> None:
    combat = table.services.combat
    channel = table.alice.channel_id or 0
    unknown = Scripted(
        [
            ToolCallsProposed(
                [
                    call(
                        "start_combat",
                        enemies=[{"monster": "Goblin", "count": 1}, {"monster": "Mind Flayer Overlord", "count": 1}],
                    )
                ]
            )
        ]
    )
    outcome = await table.play(unknown, "I hum a tune by the fire")
    [refused] = tool_results(unknown)
    assert refused["ok"] is False and "Not SRD monsters: Mind Flayer Overlord" in refused["error"]
    assert kinds(outcome.actions) == ["refused"] and await combat.active_in_channel(channel) is None
    assert not await fighting(table)

    narrator = Scripted(
        [
            ToolCallsProposed(
                [call("start_combat", enemies=[{"monster": "goblin", "count": 2}, {"monster": "Wolf", "count": 1}])]
            )
        ]
    )
    outcome = await table.play(narrator, "I attack the goblins")
    [started] = tool_results(narrator)
    combat_id = await combat.active_in_channel(channel)
    assert started["ok"] is True and combat_id is not None and started["combat"]["id"] == combat_id
    assert "players `/combat join`" in started["combat"]["note"]
    assert kinds(outcome.actions) == ["combat"]
    state = await combat.status(combat_id, for_dm=True)
    info = await table.services.campaign.campaigns.here(table.alice)
    assert state.campaign_id == info.id and await fighting(table)
    monsters = {e.name: e for e in state.entries if e.kind == "monster"}
    assert sorted(monsters) == ["Goblin 1", "Goblin 2", "Wolf"]
    assert monsters["Goblin 1"].hp_max == 7 and monsters["Wolf"].hp_max == 11  # the SRD's average HP
    added = await combat.add_monsters(table.dm, combat_id, "goblin")  # the campaign's DM runs the fight
    assert added.names == ("Goblin 3",)

    again = Scripted([ToolCallsProposed([call("start_combat", enemies=[{"monster": "Orc", "count": 1}])])])
    await table.play(again, "I attack the orc")
    assert tool_results(again)[0]["ok"] is False and await combat.active_in_channel(channel) == combat_id


async def test_start_combat_while_the_dm_runs_a_fight_is_refused_and_leaves_the_scene(table: Table) -> None:
    combat = table.services.combat
    info = await table.services.campaign.campaigns.here(table.alice)
    state = await combat.start(table.dm, info.id, table.dm.channel_id or 0)  # `/dm-combat start`
    narrator = Scripted([ToolCallsProposed([call("start_combat", enemies=[{"monster": "Goblin", "count": 3}])])])
    outcome = await table.play(narrator, "I attack the goblins")
    [refused] = tool_results(narrator)
    assert refused["ok"] is False and "already running" in refused["error"]
    assert kinds(outcome.actions) == ["refused"]
    assert await fighting(table)  # the DM's fight, which the fight tables (the one truth) show
    after = await combat.status(state.combat_id)
    assert after.status == "active" and not [e for e in after.entries if e.kind == "monster"]


async def test_retconning_a_narrated_start_combat_ends_the_fight_it_started(table: Table) -> None:
    combat = table.services.combat
    channel = table.alice.channel_id or 0
    narrator = Scripted([ToolCallsProposed([call("start_combat", enemies=[{"monster": "Goblin", "count": 2}])])])
    await table.play(narrator, "I attack the goblins")
    assert await combat.active_in_channel(channel) is not None
    await table.turns.retcon(table.dm)
    assert await combat.active_in_channel(channel) is None  # the fight went with the turn
    assert not await fighting(table)


async def test_the_wired_characters_ask_the_campaign_who_its_dm_is(table: Table) -> None:
    """`open_services` hands the character service its campaign-DM lookup: the DM may change a player's
    character, another player of the same campaign may not."""
    mira = CharacterRef("Mira", table.alice.user_id)
    with pytest.raises(Forbidden):
        await table.services.characters.coins(table.bob, mira, {"gp": 5})
    before = (await table.sheet(table.alice)).coins.get("gp", 0)
    after = await table.services.characters.coins(table.dm, mira, {"gp": 5})
    assert after.coins["gp"] == before + 5
