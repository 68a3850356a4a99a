"""Visibility: EVERY read path, discovered from the synced command schema (as the permission matrix in
test_dm_table does), walked as a player, a member of no campaign, another campaign's DM and the DM, with a
secret planted in every kind of record. Whatever a user could read (their replies, files and autocomplete
choices, and everything posted in the channel) must hold none of the DM's secrets; the DM's own export
holds them all."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update

from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.messages import File, Message
from bot.testbed.commands import leaves as schema_leaves
from bot.testbed.harness import SandboxSession, isolated_settings, running_bot
from persistence.models import Campaign

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ARENA, OTHER = "arena", "elsewhere"
HIDDEN_NPC = "Greta Hiddenname"  # an NPC the DM created and has not shown
SHOWN_NPC = "Osric Shownname"  # an NPC the DM showed the players; its secret stays the DM's
SECRETS = {
    "canon": "SECRET-CANON: the mayor is the vampire lord",
    "npc": "Hiddenname",
    "npc secret": "SECRET-NPC poisons the ale",
    "shown npc secret": "SECRET-SHOWN sold the bells",
    "persona": "SECRET-PERSONA speaks like a raven",
    "model": "secret-host-model-7b",
}
PUBLIC = {"canon": "Open canon: the bells ring at dusk", "npc": SHOWN_NPC}
# Commands that change who someone is in the campaign (or ask to confirm): walking them would change the roles.
SKIPPED = {"campaign leave", "character delete", "dm end", "dm transfer", "dm kick", "dm pause"}
WALKERS = {"player": "alice", "non-member": "dave", "other campaign's DM": "carol"}


@pytest.fixture
async def table(postgres_url: str, redis_url: str, key_prefix: str) -> AsyncIterator[SandboxSession]:
    settings = isolated_settings(
        postgres_url,
        redis_url=redis_url,
        rate_redis_key_prefix=key_prefix,
        narrator_models=[SECRETS["model"]],
        rate_user_capacity=10_000,
        rate_guild_capacity=10_000,
    )
    async with running_bot(settings, rng=random.Random(13)) as s:
        guild = s.world.guild
        s.world.add_member(guild.id, name="dave")
        for name in (ARENA, OTHER):
            s.world.add_channel(guild.id, name)
        await s.make_character("alice", "Tordek")
        await s.make_character("bob", "Brom")
        assert not (await s.run("campaign create", {"name": "Arena"}, user="dungeonmaster", channel=ARENA)).ephemeral
        await s.run("campaign create", {"name": "Next Door"}, user="carol", channel=OTHER)
        for user in ("alice", "bob"):
            await s.run("campaign join", user=user, channel=ARENA)
        await plant_secrets(s)
        yield s
        s.discord.assert_no_violations()
        async with s.services.db.transaction() as db:  # the next test's local Discord hands out the same ids
            await db.execute(update(Campaign).where(Campaign.status != "ended").values(status="ended"))


async def plant_secrets(s: SandboxSession) -> None:
    async def dm(command: str, options: dict[str, Any]) -> InteractionHandle:
        handle = await s.run(command, options, user="dungeonmaster", channel=ARENA, timeout=15)
        assert "⚠️" not in handle.content, (command, handle.content)
        return handle

    await dm("session start", {})
    await dm("dm pin", {"fact": SECRETS["canon"]})
    await dm("dm pin", {"fact": PUBLIC["canon"], "public": True})
    await dm("dm npc create", {"name": HIDDEN_NPC, "role": "innkeeper"})
    await dm("dm npc edit", {"name": HIDDEN_NPC, "secret": SECRETS["npc secret"]})
    await dm("dm npc create", {"name": SHOWN_NPC, "role": "bell-ringer"})
    await dm("dm npc edit", {"name": SHOWN_NPC, "secret": SECRETS["shown npc secret"], "public": True})
    await dm("dm settings", {"persona": SECRETS["persona"]})
    await dm("dm narrate", {"text": "The bells of the old town ring out over the square."})
    await s.run("narrate", {"action": f"I ask {SHOWN_NPC} about the bells"}, user="alice", channel=ARENA, timeout=20)
    await dm("session end", {})
    await dm("session start", {})  # the "previously…" recap of the session just ended, posted publicly


def seen(messages: list[Message]) -> str:
    """Everything a reader of these messages can read: text, embeds and attached files."""
    parts = []
    for message in messages:
        parts += [message.content, json.dumps(message.embeds, ensure_ascii=False)]
        parts += [a.data.decode("utf-8", "replace") for a in message.attachments]
    return "\n".join(parts)


def value(option: dict[str, Any], s: SandboxSession) -> Any:
    kind = option["type"]
    if kind == 11:  # an attachment: JSON that is no character (an import refuses it)
        return File("hero.json", b"{}", "application/json")
    if kind in (6, 9):
        return s.user_id("bob")
    if kind == 8:
        return s.world.guild.role("DM").id
    if kind == 5:
        return True
    if kind in (4, 10):
        return max(1, option.get("min_value", 1))
    if option.get("choices"):
        return option["choices"][0]["value"]
    return {"monster": "goblin", "item": "dagger", "condition": "prone"}.get(option["name"], "Tordek")


async def walk(s: SandboxSession, user: str, leaves: list[tuple[str, list[dict[str, Any]]]]) -> str:
    """Every command and every autocomplete as `user` in the campaign's channel: what they could read."""
    out = []
    for path, options in leaves:
        if path in SKIPPED:
            continue
        for option in options:
            if option.get("autocomplete"):
                name = option["name"]
                choices = await s.discord.autocomplete(
                    path, {name: ""}, name, user_id=s.user_id(user), channel_id=s.channel_id(ARENA)
                )
                out.append(f"/{path} {name}: {json.dumps(choices, ensure_ascii=False)}")
        values = {o["name"]: value(o, s) for o in options if o.get("required")}
        handle = await s.invoke(path, values, user=user, channel=ARENA)
        try:
            await handle.done(timeout=20)
        except (TimeoutError, AssertionError):
            pass  # views and modals wait for clicks; what they showed so far is collected all the same
        out.append(f"/{path}: {seen(handle.messages)}")
    return "\n".join(out)


def leaks(text: str) -> list[str]:
    return [what for what, secret in SECRETS.items() if secret.casefold() in text.casefold()]


async def test_no_read_path_shows_a_secret_to_anyone_but_the_dm(table: SandboxSession) -> None:
    s = table
    for scope in (s.world.guild.id, None):  # a server may open any command to anyone: the engine filters
        for command in s.discord._commands.get(scope, []):
            command.pop("default_member_permissions", None)
    schema = s.discord.commands(s.world.guild.id) + s.discord.commands(None)
    leaves = [(leaf.path, list(leaf.options)) for leaf in schema_leaves(schema)]
    assert len(leaves) >= 70  # every command, from the schema
    for role, user in WALKERS.items():
        text = await walk(s, user, leaves)
        found = {
            what: [line[:120] for line in text.splitlines() if SECRETS[what].casefold() in line.casefold()]
            for what in leaks(text)
        }
        assert not found, f"{role} ({user}) could read the DM's secrets: {found}"
    public = seen(s.discord.messages(s.channel_id(ARENA), ephemeral=False))
    assert "the bells of the old town" in public.casefold()  # the recap and summaries were posted
    assert not leaks(public), f"posted for everyone in the channel: {leaks(public)}"


async def test_a_players_export_holds_what_they_may_see_and_the_dms_holds_everything(table: SandboxSession) -> None:
    s = table

    async def export(user: str) -> tuple[str, str]:
        handle = await s.run("campaign export", user=user, channel=ARENA, timeout=15)
        files = {a.filename.rsplit(".", 1)[-1]: a.data.decode() for m in handle.messages for a in m.attachments}
        return handle.content, files.get("md", "") + files.get("json", "")

    for outsider in ("dave", "carol"):  # no campaign here: what the channel reads anyway
        _, public = await export(outsider)
        assert PUBLIC["canon"] in public and "## Event log" in public and not leaks(public), leaks(public)
        assert '"exported_for": "channel"' in public and '"settings"' not in public
    _, player = await export("alice")
    assert PUBLIC["canon"] in player and SHOWN_NPC in player and "Tordek" in player
    assert not leaks(player), leaks(player)
    _, dm = await export("dungeonmaster")
    assert set(leaks(dm)) == set(SECRETS) - {"model"} and PUBLIC["canon"] in dm  # the host's model is not in play
    data = json.loads(dm[dm.index('{\n  "campaign"') :])
    assert data["exported_for"] == "dm" and data["campaign"]["settings"]["persona"] == SECRETS["persona"]


async def test_the_dm_still_reads_every_secret_through_their_own_commands(table: SandboxSession) -> None:
    s = table
    shown = await s.run("dm npc show", {"name": HIDDEN_NPC}, user="dungeonmaster", channel=ARENA)
    assert SECRETS["npc secret"] in seen(shown.messages)
    canon = await s.run("dm canon", user="dungeonmaster", channel=ARENA)
    assert SECRETS["canon"] in seen(canon.messages) and PUBLIC["canon"] in seen(canon.messages)
    names = await s.discord.autocomplete(
        "dm npc show", {"name": ""}, "name", user_id=s.user_id("dungeonmaster"), channel_id=s.channel_id(ARENA)
    )
    assert {c["value"] for c in names} == {HIDDEN_NPC, SHOWN_NPC}
    models = await s.discord.autocomplete(
        "dm settings", {"model": ""}, "model", user_id=s.user_id("dungeonmaster"), channel_id=s.channel_id(ARENA)
    )
    assert SECRETS["model"] in {c["value"] for c in models}
    for user in WALKERS.values():  # naming the hidden NPC outright gets a refusal, not the NPC
        probe = await s.run("dm npc show", {"name": HIDDEN_NPC}, user=user, channel=ARENA)
        assert probe.ephemeral and SECRETS["npc secret"] not in seen(probe.messages)
    player_names = await s.discord.autocomplete(
        "dm npc show", {"name": ""}, "name", user_id=s.user_id("alice"), channel_id=s.channel_id(ARENA)
    )
    assert {c["value"] for c in player_names} == {SHOWN_NPC}  # the players know of the NPC the DM showed
