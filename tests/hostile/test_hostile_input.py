"""Hostile input through the local Discord, to every string option of every synced command.

The commands are read from the synced schema, so commands added later are covered without editing
this file. Every interaction must be answered in time and once (the sandbox records violations),
without an apology for an unexpected error, without a ping, and with no error line in the log;
afterwards nothing may be stored that should not be (names with invisible characters or past
their limit, rows that appeared or vanished where the command creates nothing).

Run size: the whole corpus goes to `/roll expression`, `/roll label`, `/attack target` and
`/character create name` (each draft confirmed, so names are really stored); every other string
option gets an even sample of the corpus, and so does every autocomplete. Control characters (NUL
first) go to every free-text option and every modal field in full, and no stored text or JSON may keep one.
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import re
import time
import unicodedata
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from corpus import CORPUS, sample
from sqlalchemy.ext.asyncio import create_async_engine

from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.sandbox.interactions import (
    ATTACHMENT,
    AUTOCOMPLETE_RESULT,
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
from bot.sandbox.messages import File, Message
from bot.sandbox.server import LocalDiscord
from bot.sandbox.world import World, default_world
from bot.testbed.commands import Leaf, leaves
from bot.testbed.databases import create_database, drop_database
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import Base

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

FULL = {("roll", "expression"), ("roll", "label"), ("attack", "target"), ("character create", "name")}
SAMPLE_PER_OPTION = 24
SAMPLE_PER_AUTOCOMPLETE = 16
IN_FLIGHT = 8
CREATORS = 24  # extra players, so the confirmed drafts stay under the 20-characters-per-player cap
# Tables any command may append to: logs, usage, and the guild row made on first contact.
LOG_TABLE = re.compile(r"(^guilds$|_log$|_events$|_usage$|^llm_usage$)")
CREATING_VERBS = {"create", "add", "new", "start", "join", "pin", "spawn", "begin", "npc", "narrate", "generate"}
# Typed text is cleaned on the way in (bot/inbound.py), so a hostile name can read as one an earlier `add` saved:
# removing that one is the command doing its job. Only `remove` commands may shrink a table, and only its own.
REMOVED_BY = {"alias remove": "aliases"}
INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
APOLOGY = "Something went wrong on our side"
PLAIN_DEFAULTS = {"expression": "1d20", "dice": "1d20", "damage": "1d6"}


# --- the schema -----------------------------------------------------------------------------------


def fit(text: str, schema: dict[str, Any]) -> str | None:
    """The input as a Discord client sends it: cut to the option's max_length; None if too short."""
    text = text[: schema.get("max_length", 6000)]
    return text if len(text) >= schema.get("min_length", 1) else None


# --- the harness ----------------------------------------------------------------------------------


@dataclass
class Driver:
    """Sends interactions with valid defaults for everything but the option under attack."""

    session: SandboxSession
    defaults: dict[tuple[str, str], Any] = field(default_factory=dict)
    handles: list[InteractionHandle] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def discord(self) -> LocalDiscord:
        return self.session.discord

    def uid(self, name: str = "alice") -> int:
        return self.session.user_id(name)

    async def default(self, leaf: Leaf, schema: dict[str, Any], user: str) -> Any:
        key = (leaf.path, schema["name"])
        if key not in self.defaults:
            self.defaults[key] = await self._default(leaf, schema, user)
        return self.defaults[key]

    async def _default(self, leaf: Leaf, schema: dict[str, Any], user: str) -> Any:
        guild = self.session.world.guild
        kind = schema["type"]
        if schema.get("choices"):
            return schema["choices"][0]["value"]
        if kind == STRING and schema.get("autocomplete"):
            offered = await self.discord.autocomplete(
                leaf.path, {schema["name"]: ""}, schema["name"], user_id=self.uid(user)
            )
            return offered[0]["value"] if offered else "Tordek"
        if kind == STRING:
            return PLAIN_DEFAULTS.get(schema["name"], "Tordek")
        if kind in (INTEGER, NUMBER):
            low, high = schema.get("min_value", 1), schema.get("max_value", 10**6)
            return min(max(1, low), high)
        if kind == BOOLEAN:
            return False
        if kind in (USER, MENTIONABLE):
            return self.uid("alice")
        if kind == CHANNEL:
            return guild.channel("tavern").id
        if kind == ROLE:
            return guild.role("DM").id
        if kind == ATTACHMENT:  # a file that is JSON but no character: the import must refuse it clearly
            return File("hero.json", b"{}", "application/json")
        raise LookupError(f"no default for option type {kind}")

    async def options_for(self, leaf: Leaf, target: str | None, value: str | None, user: str) -> dict[str, Any]:
        options: dict[str, Any] = {}
        for schema in leaf.options:
            if target is not None and schema["name"] == target:
                options[target] = value
            elif schema.get("required"):
                options[schema["name"]] = await self.default(leaf, schema, user)
        return options

    async def send(
        self, leaf: Leaf, target: str | None, value: str | None, user: str = "alice", channel_id: int | None = None
    ) -> InteractionHandle:
        user = "admin" if leaf.admin_only else user
        options = await self.options_for(leaf, target, value, user)
        handle = await self.discord.invoke(
            leaf.path, options, user_id=self.uid(user), channel_id=channel_id or self.session.channel_id("tavern")
        )
        self.handles.append(handle)
        return await handle.done(timeout=15)


def fresh_channel(driver: Driver) -> int:
    world = driver.session.world
    return world.add_channel(world.guild.id, f"hostile-{len(world.guild.channels)}").id


# Tasks in which the bot (sharing this event loop) still works on an interaction: discord.py's own
# command and view dispatch tasks, and the coalesced edits of narrations and combat trackers.
BUSY_TASKS = ("CommandTree-invoker", "discord-ui-", "narration-", "tracker-edit-")


def bot_busy() -> bool:
    return any(t.get_name().startswith(BUSY_TASKS) and not t.done() for t in asyncio.all_tasks())


async def settle(driver: Driver, quiet: float = 0.2, limit: float = 60.0) -> None:
    """Wait until the bot has finished everything it started: an answer can be complete while work
    goes on behind it (a narration queued behind another turn, the roll log)."""
    discord, started = driver.discord, time.monotonic()
    seen, since = -1, time.monotonic()
    while bot_busy() or time.monotonic() - since < quiet:
        assert time.monotonic() - started < limit, "the bot kept working for a minute after the last answer"
        if len(discord.requests) != seen:
            seen, since = len(discord.requests), time.monotonic()
        await asyncio.sleep(0.05)
    await driver.session.services.rolls.flush()


async def in_parallel(jobs: Iterable[Callable[[], Awaitable[None]]], limit: int = IN_FLIGHT) -> None:
    gate = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(run(job) for job in jobs))


# --- what must hold -------------------------------------------------------------------------------


def check_messages(handle: InteractionHandle, what: str) -> None:
    assert handle.callback is not None, f"{what}: never answered"
    for message in handle.messages:
        check_message(message, what)


def check_message(message: Message, what: str) -> None:
    assert not message.pings_everyone, f"{what}: pings @everyone: {message.content[:200]!r}"
    assert not message.pinged_role_ids, f"{what}: pings roles {message.pinged_role_ids}"
    assert not message.pinged_user_ids, f"{what}: pings users {message.pinged_user_ids}"
    texts = [message.content, json.dumps(message.embeds, ensure_ascii=False)]
    assert not any(APOLOGY in t for t in texts), f"{what}: an unexpected error: {message.content[:300]!r}"


def error_lines(log: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("level") in ("error", "critical")]


async def row_counts(engine: Any) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())
            for table in Base.metadata.sorted_tables
        }


def creates(driver: Driver, leaf: Leaf) -> bool:
    """Whether the command, as sent, may create rows: by its name, or by a choice (`/dm canon action:add`)."""
    chosen = [str(v) for (path, _), v in driver.defaults.items() if path == leaf.path]
    return any(word in CREATING_VERBS for word in [leaf.path.split()[-1], *chosen])


def check_growth(before: dict[str, int], after: dict[str, int], path: str, *, may_create: bool = False) -> None:
    shrunk = {t: (before[t], after[t]) for t in before if after[t] < before[t] and REMOVED_BY.get(path) != t}
    assert not shrunk, f"/{path}: hostile input removed rows: {shrunk}"
    if may_create:
        return
    grew = {t: (before[t], after[t]) for t in before if after[t] > before[t] and not LOG_TABLE.search(t)}
    assert not grew, f"/{path} creates nothing, yet rows appeared: {grew}"


def bad_name(value: str, limit: int | None) -> str | None:
    if any(unicodedata.category(c) in INVISIBLE for c in value):
        return "invisible or control characters"
    if value != value.strip() or "  " in value:
        return "untrimmed whitespace"
    if not value:
        return "empty"
    if limit is not None and len(value) > limit:
        return f"longer than {limit}"
    return None


async def stored_names(engine: Any) -> list[tuple[str, str, str]]:
    """(table, name, problem) for every stored name that should not have been stored."""
    problems: list[tuple[str, str, str]] = []
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if "name" not in table.c:
                continue
            limit = getattr(table.c.name.type, "length", None)
            for (value,) in await conn.execute(sa.select(table.c.name)):
                problem = bad_name(value, limit)
                if problem:
                    problems.append((table.name, value[:80], problem))
    return problems


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A database of this test's own: row counts and stored names are this test's alone."""
    url = await create_database(prefix="dmbot_hostile")
    try:
        yield url
    finally:
        await drop_database(url)


def hostile_world() -> World:
    world = default_world()
    for n in range(CREATORS):
        world.add_member(world.guild.id, name=f"creator{n}")
    return world


@pytest.fixture
async def driver(database: str, redis_url: str, key_prefix: str, json_log: io.StringIO) -> AsyncIterator[Driver]:
    settings = isolated_settings(
        database,
        redis_url=redis_url,
        rate_redis_key_prefix=key_prefix,
        rate_user_capacity=10**9,
        rate_guild_capacity=10**9,
        log_level="WARNING",
    )
    async with (
        LocalDiscord(hostile_world(), strict=False) as local,
        running_bot(settings, discord=local, rng=random.Random(7)) as session,
    ):
        driver = Driver(session)
        await give_alice_a_character(session)
        await open_a_campaign(driver)
        yield driver


async def give_alice_a_character(session: SandboxSession) -> None:
    actor = Actor(user_id=session.user_id("alice"), guild_id=session.world.guild.id)
    service = session.services.characters
    draft = await service.start_draft(
        actor, name="Tordek", race="dwarf", klass="fighter", background="acolyte", method="standard"
    )
    await service.create(actor, draft, Choices(skills=("athletics", "perception")))


CAMPAIGN_SETUP = ("campaign create", "campaign join", "session start")


async def open_a_campaign(driver: Driver) -> None:
    """When campaign commands exist: Alice opens one in #tavern (so she is its DM and the DM commands
    reach their real code), joins it with her character and starts a session. Best effort: a refusal
    here only means the commands that need it answer with that refusal."""
    by_path = {leaf.path: leaf for leaf in leaves(driver.discord.commands())}
    for path in CAMPAIGN_SETUP:
        if path in by_path:
            await driver.send(by_path[path], None, None)
    await settle(driver)


async def assert_clean(driver: Driver, log: io.StringIO) -> None:
    await settle(driver)
    for handle in driver.handles:
        check_messages(handle, f"/{handle.payload['data'].get('name')} {handle.payload['data'].get('options')!r:.300}")
    assert not driver.discord.violations, "\n".join(str(v) for v in driver.discord.violations[:20])
    errors = error_lines(log)
    assert not errors, json.dumps(errors[:3], indent=1, ensure_ascii=False)[:4000]


# --- the tests ------------------------------------------------------------------------------------


def inputs_for(leaf: Leaf, option: str) -> list[tuple[str, str]]:
    if (leaf.path, option) in FULL:
        return CORPUS
    return sample(SAMPLE_PER_OPTION, salt=zlib.crc32(f"{leaf.path}:{option}".encode()))


async def test_every_string_option_of_every_command(driver: Driver, json_log: io.StringIO) -> None:
    engine = create_async_engine(driver.session.services.settings.database_url)
    started, sent = time.perf_counter(), 0
    targets = [(leaf, name) for leaf in leaves(driver.discord.commands()) for name in leaf.free_text]
    assert ("roll", "expression") in {(leaf.path, name) for leaf, name in targets}
    try:
        for leaf, name in targets:
            if (leaf.path, name) == ("character create", "name"):
                continue  # its own test, which confirms the drafts
            before = await row_counts(engine)
            values = [v for _, text in inputs_for(leaf, name) if (v := fit(text, leaf.option(name))) is not None]

            def job(value: str, leaf: Leaf = leaf, name: str = name) -> Callable[[], Awaitable[None]]:
                # One channel per input for `... create`: a channel holds one campaign (or game), and a
                # refusal because the channel is taken would hide what the name itself does.
                channel = fresh_channel(driver) if leaf.path.endswith("create") else None
                return lambda: driver.send(leaf, name, value, channel_id=channel)  # type: ignore[return-value]

            await in_parallel(job(v) for v in values)
            sent += len(values)
            await settle(driver)
            check_growth(before, await row_counts(engine), leaf.path, may_create=creates(driver, leaf))
        assert not await stored_names(engine)
    finally:
        await engine.dispose()
    elapsed = time.perf_counter() - started
    print(f"\n{sent} hostile interactions to {len(targets) - 1} string options in {elapsed:.1f} s")
    await assert_clean(driver, json_log)


async def test_character_names_are_stored_clean(driver: Driver, json_log: io.StringIO) -> None:
    """The whole corpus as `/character create name`, each accepted draft confirmed."""
    leaf = next(x for x in leaves(driver.discord.commands()) if x.path == "character create")
    started, stored = time.perf_counter(), 0
    creators = [f"creator{n}" for n in range(CREATORS)]

    async def create(index: int, text: str) -> None:
        nonlocal stored
        value = fit(text, leaf.option("name"))
        if value is None:
            return
        user = creators[index % len(creators)]
        handle = await driver.send(leaf, "name", value, user=user)
        if await confirm_draft(driver, handle, user):
            stored += 1

    await in_parallel(lambda i=i, t=t: create(i, t) for i, (_, t) in enumerate(CORPUS))  # type: ignore[misc]
    engine = create_async_engine(driver.session.services.settings.database_url)
    try:
        assert not await stored_names(engine)
        counts = await row_counts(engine)
    finally:
        await engine.dispose()
    assert counts["characters"] == 1 + stored  # Alice's, and one per confirmed draft
    print(
        f"\n{len(CORPUS)} names, {stored} stored, {len(driver.handles)} interactions "
        f"in {time.perf_counter() - started:.1f} s"
    )
    await assert_clean(driver, json_log)


async def confirm_draft(driver: Driver, handle: InteractionHandle, user: str) -> bool:
    """Fill every select of a creation draft with its first options, then Confirm; True if stored."""
    draft = handle.messages[-1] if handle.messages else None
    if draft is None or not any(c.get("custom_id", "").endswith(":confirm") for c in draft.iter_components()):
        return False
    uid = driver.uid(user)
    for comp in [c for c in draft.iter_components() if c.get("type") == 3]:
        values = [o["value"] for o in comp["options"][: max(1, comp.get("min_values", 1))]]
        click = await driver.discord.click(draft, comp["custom_id"], user_id=uid, values=values)
        driver.handles.append(await click.done(timeout=15))
    confirm = next(c["custom_id"] for c in draft.iter_components() if c.get("custom_id", "").endswith(":confirm"))
    done = await (await driver.discord.click(draft, confirm, user_id=uid)).done(timeout=15)
    driver.handles.append(done)
    return "is ready" in done.messages[-1].content


async def test_modal_text_inputs(driver: Driver, json_log: io.StringIO) -> None:
    """Every command that opens a modal (found by invoking each with defaults) gets hostile text in each
    of the modal's inputs, one input at a time, the others left as the bot filled them in."""
    engine = create_async_engine(driver.session.services.settings.database_url)
    submitted, modals = 0, 0
    try:
        for leaf in leaves(driver.discord.commands()):
            opened = await driver.send(leaf, None, None)
            if opened.callback is None or opened.callback.type != 9:
                continue
            modals += 1
            before = await row_counts(engine)
            for position, field in enumerate(text_inputs(opened.modal)):
                field_name = field["custom_id"].rsplit(":", 1)[-1]  # custom ids are unique per modal
                for _, text in sample(SAMPLE_PER_AUTOCOMPLETE, salt=zlib.crc32(field_name.encode())):
                    submitted += await submit_hostile(driver, leaf, position, text)
            check_growth(before, await row_counts(engine), leaf.path, may_create=creates(driver, leaf))
        assert not await stored_names(engine)
    finally:
        await engine.dispose()
    assert modals and submitted
    print(f"\n{modals} modals, {submitted} hostile submissions")
    await assert_clean(driver, json_log)


def text_inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    from bot.sandbox.messages import iter_components

    return [c for c in iter_components(list(modal["components"])) if c.get("type") == 4]


async def submit_hostile(driver: Driver, leaf: Leaf, position: int, text: str) -> int:
    """Open the modal afresh (a rename changes what it shows), put `text` in one input, submit."""
    opened = await driver.send(leaf, None, None)
    if opened.callback is None or opened.callback.type != 9:
        return 0  # e.g. a rename made the default name stale; nothing to submit
    schema = text_inputs(opened.modal)[position]
    field_id = schema["custom_id"]
    value = text[: schema.get("max_length", 4000)]
    if len(value) < schema.get("min_length", 0):
        return 0
    done = await (await driver.discord.submit_modal(opened, {field_id: value})).done(timeout=15)
    driver.handles.append(done)
    driver.defaults.clear()  # the modal may have renamed what the defaults point at
    return 1


async def test_autocomplete_with_hostile_text(driver: Driver, json_log: io.StringIO) -> None:
    """What a player half-types goes to the bot's autocomplete too: answered in time, with valid choices."""
    asked = 0
    for leaf in leaves(driver.discord.commands()):
        for schema in [o for o in leaf.options if o.get("autocomplete")]:
            for _, text in sample(SAMPLE_PER_AUTOCOMPLETE, salt=zlib.crc32(leaf.path.encode())):
                value = text[: schema.get("max_length", 6000)]
                choices = await driver.discord.autocomplete(
                    leaf.path, {schema["name"]: value}, schema["name"], user_id=driver.uid()
                )
                asked += 1
                assert len(choices) <= 25
                for choice in choices:
                    assert 1 <= len(choice["name"]) <= 100 and len(str(choice["value"])) <= 100, choice
    assert asked
    print(f"\n{asked} hostile autocompletes")
    answered = [h for h in driver.discord.interactions if h.callback is not None]
    assert all(h.callback.type == AUTOCOMPLETE_RESULT for h in answered if h.type == 4)  # type: ignore[union-attr]
    await assert_clean(driver, json_log)


# Control characters every typed text must lose before it is stored: NUL first (Postgres refuses it,
# in text and in JSON), terminal escapes, and every other C0 control.
CONTROL_PAYLOADS = ("Nul\x00name", "\x00Tordek", "Esc\x1b[31mred\x1b[0m", "".join(chr(c) for c in range(1, 32)) + "x")
KEPT_CONTROLS = frozenset("\n\t")


def controls_in(value: Any) -> bool:
    """Whether a stored value (text, or JSON holding text) keeps a control character."""
    if isinstance(value, str):
        return any(unicodedata.category(c) == "Cc" and c not in KEPT_CONTROLS for c in value)
    if isinstance(value, dict):
        return any(controls_in(k) or controls_in(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(controls_in(v) for v in value)
    return False


async def stored_controls(engine: Any) -> list[tuple[str, str, str]]:
    """(table, column, value) for every stored text or JSON value that keeps a control character."""
    found: list[tuple[str, str, str]] = []
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.c if isinstance(c.type, sa.String | sa.JSON)]
            for column in columns:
                for (value,) in await conn.execute(sa.select(column)):
                    if controls_in(value):
                        found.append((table.name, column.name, repr(value)[:120]))
    return found


async def test_control_characters_reach_no_stored_field(driver: Driver, json_log: io.StringIO) -> None:
    """Every free-text option of every command and every text input of every modal (both found from the
    synced schema and by opening each command) gets control characters, NUL first, with every input stored
    as typed where the command stores it: nothing may fail, and no stored text may keep one."""
    engine = create_async_engine(driver.session.services.settings.database_url)
    all_leaves = leaves(driver.discord.commands())
    targets = [(leaf, name) for leaf in all_leaves for name in leaf.free_text]
    assert ("dm npc create", "name") in {(leaf.path, name) for leaf, name in targets}

    def job(leaf: Leaf, name: str, payload: str) -> Callable[[], Awaitable[None]]:
        channel = fresh_channel(driver) if leaf.path.endswith("create") and leaf.path != "dm npc create" else None
        value = fit(payload, leaf.option(name))
        return lambda: driver.send(leaf, name, value, channel_id=channel)  # type: ignore[return-value]

    fields = 0
    try:
        await in_parallel(job(leaf, name, p) for leaf, name in targets for p in CONTROL_PAYLOADS)
        for leaf in all_leaves:
            opened = await driver.send(leaf, None, None)
            if opened.callback is not None and opened.callback.type == 9:
                for position, _ in enumerate(text_inputs(opened.modal)):
                    fields += 1
                    for payload in CONTROL_PAYLOADS:
                        await submit_hostile(driver, leaf, position, payload)
        await settle(driver)
        assert not await stored_controls(engine)
    finally:
        await engine.dispose()
    assert fields
    print(f"\n{len(targets)} options and {fields} modal fields, {len(driver.handles)} interactions")
    await assert_clean(driver, json_log)
