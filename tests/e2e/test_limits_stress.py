"""Valid worst cases through the local Discord: every command answered, every message within Discord's limits.

Each request the bot sent is checked against Discord's documented limits by one checker
(tests/message_limits.py). The worst cases:
- every free-text string option of every synced command at its maximum length (the commands are read
  from the synced schema, as tests/hostile does, so new commands are covered without editing this file);
- a fight of 40 combatants with 64-character names (Markdown, so escaping doubles them) and four conditions
  each: the tracker, `/combat status`, `/combat next` skipping the dead, `/dm-combat end`;
- 50 NPCs at their longest names and roles, `/dm npc list`;
- 500 turns' worth of story, then `/recap` and the session's summary (`/session end`);
- a campaign export of 10,000 events (the files within Discord's upload limit, split if need be).
Setup is bulk-inserted through the models rather than played (500 narrated turns would take minutes): the
combatants are renamed and conditioned in place, the NPCs and events inserted as the engine stores them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from bot.engine.sheet import name_key
from bot.sandbox.interactions import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    USER,
    InteractionHandle,
)
from bot.sandbox.messages import File
from bot.testbed.commands import Leaf, leaves
from bot.testbed.harness import SandboxSession
from bot.testbed.message_limits import log_violations
from persistence.models import Campaign, CampaignEvent, Combat, Combatant, Npc

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOM = "stress"
DM = "dungeonmaster"
MARKDOWN = "Ab_*~`|>"  # every character but the letters doubles when escaped
APOLOGY = "Something went wrong on our side"
CONDITIONS = [
    {"name": c, "rounds": 10, "ends": "end", "level": None} for c in ("poisoned", "frightened", "restrained", "blinded")
]
SKIPPED = {"campaign end", "dm transfer", "dm kick"}  # they end the table the other cases need; they confirm first


def long_text(length: int, tag: str = "") -> str:
    return (tag + MARKDOWN * (length // len(MARKDOWN) + 1))[:length]


@dataclass
class Table:
    session: SandboxSession
    campaign: int
    channel: int
    handles: list[InteractionHandle]

    async def run(self, command: str, options: dict[str, Any] | None = None, *, user: str = DM) -> InteractionHandle:
        handle = await self.session.run(command, options, user=user, channel=ROOM, timeout=20)
        self.handles.append(handle)
        return handle

    async def insert(self, model: type[Any], rows: list[dict[str, Any]]) -> None:
        """In batches: the bot's statements time out fast (an outage must answer within 3 s), a busy machine is slow."""
        for start in range(0, len(rows), 500):
            async with self.session.services.db.transaction() as db:
                await db.execute(insert(model), rows[start : start + 500])


@pytest.fixture
async def table(session: SandboxSession) -> AsyncIterator[Table]:
    session.world.add_channel(session.world.guild.id, ROOM)
    await session.make_character("alice", long_text(64, "Al"))
    handles: list[InteractionHandle] = []
    created = await session.run("campaign create", {"name": long_text(100, "Camp")}, user=DM, channel=ROOM)
    handles.append(created)
    async with session.services.db.transaction() as db:
        live = (Campaign.channel_id == session.channel_id(ROOM)) & (Campaign.status != "ended")
        campaign = (await db.execute(select(Campaign.id).where(live))).scalar_one()  # ids repeat across tests
    yield Table(session, campaign, session.channel_id(ROOM), handles)


# --- the worst cases ------------------------------------------------------------------------------


async def a_fight_of_forty(table: Table) -> None:
    await table.run("dm-combat start")
    for _ in range(2):
        await table.run("dm-combat add", {"monster": "goblin", "count": 20})
    async with table.session.services.db.transaction() as db:
        combat = (await db.execute(select(Combat.id).where(Combat.campaign_id == table.campaign))).scalar_one()
        rows = (await db.execute(select(Combatant.id).where(Combatant.combat_id == combat))).scalars().all()
        assert len(rows) == 40
        for n, row_id in enumerate(rows):
            name = long_text(64, f"G{n:02}")
            await db.execute(
                update(Combatant)
                .where(Combatant.id == row_id)
                .values(name=name, name_key=name_key(name), conditions=CONDITIONS)
            )
    await table.run("combat status")
    await table.run("combat next")
    async with table.session.services.db.transaction() as db:  # all but the last two die: /combat next skips them
        await db.execute(update(Combatant).where(Combatant.id.in_(rows[:38])).values(dead=True, hp=0))
    for _ in range(3):
        await table.run("combat next")
    await table.run("combat status")
    await table.run("dm-combat end")


async def fifty_npcs(table: Table) -> None:
    names = [long_text(64, f"N{n:02}") for n in range(50)]  # the longest a name may be
    await table.insert(
        Npc,
        [
            {
                "campaign_id": table.campaign,
                "name": name,
                "name_key": name_key(name),
                "role": long_text(80),
                "description": long_text(500),
            }
            for name in names
        ],
    )
    await table.run("dm npc list")
    await table.run("dm npc show", {"name": names[-1]})


async def five_hundred_turns(table: Table) -> None:
    await table.run("session start")
    alice = table.session.user_id("alice")
    events: list[dict[str, object]] = [
        {
            "campaign_id": table.campaign,
            "kind": kind,
            "actor_id": alice,
            "text": long_text(400, f"Turn {n}. "),
            "data": {},
            "retconned": False,
        }
        for n in range(500)
        for kind in ("action", "narration")
    ]
    await table.insert(CampaignEvent, events)
    await table.run("recap")
    await table.run("session end")


async def an_export_of_ten_thousand_events(table: Table) -> None:
    events: list[dict[str, object]] = [
        {
            "campaign_id": table.campaign,
            "kind": "narration",
            "actor_id": None,
            "text": long_text(600, f"Event {n}. "),
            "data": {"n": n},
            "retconned": False,
        }
        for n in range(10_000)
    ]
    await table.insert(CampaignEvent, events)
    export = await table.run("campaign export")
    last = re.compile(r"part (\d+) of \1:")  # a big export comes in parts, each a message; wait for the last
    if "part 1 of" in export.messages[-1].content:
        await export.wait_for(lambda h: bool(last.search(h.messages[-1].content)), timeout=20)
    uploads = [r for r in table.session.discord.requests if r.files]
    names = [name for r in uploads for name, _ in r.files]
    assert any(n.endswith(".md") for n in names) and any(n.endswith(".json") for n in names), names
    sizes = [size for r in uploads for _, size in r.files]
    print(f"export of 10,000 events: {len(sizes)} file(s), {sum(sizes):,} bytes in {len(uploads)} message(s)")


async def every_string_option_at_its_longest(table: Table) -> None:
    commands = table.session.discord.commands()
    for leaf in leaves(commands):
        if leaf.path in SKIPPED:
            continue
        for option in leaf.free_text:
            await table.run(leaf.path, await options_for(table, leaf, option), user=user_of(leaf))


def user_of(leaf: Leaf) -> str:
    return "admin" if leaf.admin_only else DM


async def options_for(table: Table, leaf: Leaf, longest: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for schema in leaf.options:
        if schema["name"] == longest:
            values[longest] = long_text(schema.get("max_length", 6000), "1d20 ")
        elif schema.get("required"):
            values[schema["name"]] = await default(table, leaf, schema)
    return values


async def default(table: Table, leaf: Leaf, schema: dict[str, Any]) -> Any:
    session, kind = table.session, schema["type"]
    if schema.get("choices"):
        return schema["choices"][0]["value"]
    if kind == STRING and schema.get("autocomplete"):
        user_id = session.user_id(user_of(leaf))
        typed = {schema["name"]: ""}
        offered = await session.discord.autocomplete(
            leaf.path, typed, schema["name"], user_id=user_id, channel_id=table.channel
        )
        return offered[0]["value"] if offered else "Tordek"
    if kind == STRING:
        return {"expression": "1d20", "dice": "1d20", "damage": "1d6"}.get(schema["name"], "Tordek")
    if kind in (INTEGER, NUMBER):
        return max(1, schema.get("min_value", 1))
    if kind == BOOLEAN:
        return False
    if kind in (USER, MENTIONABLE):
        return session.user_id("alice")
    if kind == CHANNEL:
        return table.channel
    if kind == ROLE:
        return session.world.guild.role("DM").id
    if kind == ATTACHMENT:
        return File("hero.json", b"{}", "application/json")
    raise LookupError(f"no default for option type {kind} of /{leaf.path}")


# --- the test -------------------------------------------------------------------------------------


async def test_valid_worst_cases_are_all_answered_within_discords_limits(table: Table) -> None:
    began = time.monotonic()
    for case in (
        a_fight_of_forty,
        fifty_npcs,
        five_hundred_turns,
        an_export_of_ten_thousand_events,
        every_string_option_at_its_longest,
    ):
        await case(table)
    await _settled(table)
    requests = table.session.discord.requests
    unanswered = [h.payload.get("data", {}).get("name") for h in table.handles if h.callback is None]
    apologies = [
        h
        for h in table.handles
        for m in h.messages
        if APOLOGY in m.content or APOLOGY in json.dumps(m.embeds, ensure_ascii=False)
    ]
    print(f"{len(table.handles)} interactions, {len(requests)} requests checked in {time.monotonic() - began:.1f} s")
    assert not unanswered
    assert not apologies, [m.content[:200] for h in apologies for m in h.messages]
    assert log_violations(requests) == []


async def _settled(table: Table) -> None:

    board = table.session.services.board
    async with table.session.services.db.transaction() as db:
        for combat_id in (await db.execute(select(Combat.id).where(Combat.campaign_id == table.campaign))).scalars():
            await board.settled(combat_id)
