"""The local Discord, exercised by an unmodified discord.py bot."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
from discord import app_commands
from discord.ext import commands

from bot.endpoints import discord_py_pointed_at, point_discord_py_at
from bot.sandbox import LocalDiscord, World, default_world
from bot.testbed.bare import PONG, build_bare_bot, build_bare_sharded_bot

# -- a small bot covering the interaction shapes the real bot uses -------------------------------


class Menu(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.button(label="Roll", custom_id="menu:roll")
    async def roll(self, interaction: discord.Interaction, button: discord.ui.Button[Menu]) -> None:
        await interaction.response.edit_message(content=f"rolled by {interaction.user.name}", view=self)

    @discord.ui.select(
        custom_id="menu:class",
        options=[discord.SelectOption(label="Fighter"), discord.SelectOption(label="Wizard")],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Menu]) -> None:
        await interaction.response.send_message(f"you chose {select.values[0]}", ephemeral=True)


class Feedback(discord.ui.Modal, title="Feedback"):
    def __init__(self, custom_id: str) -> None:
        super().__init__(custom_id=custom_id)
        self.summary: discord.ui.TextInput[Feedback] = discord.ui.TextInput(label="Summary", custom_id="summary")
        self.details: discord.ui.TextInput[Feedback] = discord.ui.TextInput(custom_id="details", required=False)
        self.add_item(self.summary)
        self.add_item(discord.ui.Label(text="Details", component=self.details))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.summary.value} / {self.details.value}")


def build_test_bot(**options: Any) -> commands.Bot:
    bot = build_bare_bot(**options)
    tree = bot.tree

    @tree.command(description="Think, then answer in a followup.")
    async def slow(interaction: discord.Interaction, ephemeral: bool = False) -> None:
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking")
        await interaction.followup.send("and a second message")

    @tree.command(description="Think, then edit the original response.")
    async def edit(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="edited", embed=discord.Embed(title="Result"))

    @tree.command(description="A view with a button and a select.")
    async def menu(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pick one", view=Menu())

    @tree.command(description="Open a modal.")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback(custom_id=f"feedback:{interaction.user.id}"))

    @tree.command(description="Roll some dice.")
    @app_commands.describe(dice="a dice expression", times="how often", target="who rolls")
    async def roll(
        interaction: discord.Interaction,
        dice: str,
        times: app_commands.Range[int, 1, 10] = 1,
        target: discord.Member | None = None,
        advantage: bool = False,
        bonus: float = 0.0,
    ) -> None:
        who = target.display_name if target else interaction.user.display_name
        await interaction.response.send_message(f"{who} rolls {dice} x{times} adv={advantage} +{bonus}")

    @tree.command(description="Look up a spell.")
    async def spell(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"spell: {name}")

    @spell.autocomplete("name")
    async def spell_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        spells = ["Fireball", "Fire Bolt", "Shield", "Sleep"]
        return [app_commands.Choice(name=s, value=s) for s in spells if s.lower().startswith(current.lower())]

    character = app_commands.Group(name="character", description="Characters.")
    sheet = app_commands.Group(name="sheet", description="Sheets.", parent=character)

    @character.command(name="show", description="Show a character.")
    async def character_show(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"showing {name}", ephemeral=True)

    @sheet.command(name="export", description="Export a sheet as a file.")
    async def sheet_export(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(
            "here", file=discord.File(__import__("io").BytesIO(b"STR 16"), filename=f"{name}.txt")
        )

    tree.add_command(character)

    @tree.command(description="Server admins only.")
    @app_commands.default_permissions(manage_guild=True)
    async def settings(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("settings", ephemeral=True)

    @tree.command(description="Too long.")
    async def essay(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("x" * 2001)

    @tree.command(description="Too slow.")
    async def dawdle(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        await interaction.response.send_message("finally")

    @tree.command(description="Defer, then follow up far too late.")
    async def stale(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await asyncio.sleep(0.3)
        await interaction.followup.send("too late")

    @tree.command(description="Announce to everyone.")
    async def announce(interaction: discord.Interaction, loud: bool = False) -> None:
        mentions = discord.AllowedMentions(everyone=loud)
        await interaction.response.send_message("@everyone the session starts", allowed_mentions=mentions)

    @tree.command(description="Post in the channel.")
    async def post(interaction: discord.Interaction) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.response.send_message("posting", ephemeral=True)
        msg = await interaction.channel.send("a channel message")
        await msg.edit(content="an edited channel message")

    return bot


# -- harness ---------------------------------------------------------------------------------------


@asynccontextmanager
async def running(
    discord_: LocalDiscord, bot: commands.Bot | commands.AutoShardedBot, *, sync: bool = True
) -> AsyncIterator[None]:
    """Start ``bot`` against the sandbox, wait until it is ready, sync its tree; close it after."""
    with discord_py_pointed_at(discord_.api_base_url, discord_.gateway_url):
        task = asyncio.create_task(bot.start(discord_.token))
        try:
            await discord_.wait_until_ready(timeout=5)
            await asyncio.wait_for(bot.wait_until_ready(), 5)
            if sync:
                await bot.tree.sync()
            yield
        finally:
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)


@pytest.fixture
async def sandbox() -> AsyncIterator[LocalDiscord]:
    async with LocalDiscord() as local:
        async with running(local, build_test_bot()):
            yield local


def user(d: LocalDiscord, name: str) -> int:
    return d.world.user(name).id


# -- basics ----------------------------------------------------------------------------------------


async def test_ping_through_the_wire(sandbox: LocalDiscord) -> None:
    handle = await sandbox.invoke("ping", user_id=user(sandbox, "alice"))
    callback = await handle.response()
    assert callback.type == 4
    assert callback.message is not None and callback.message.content == PONG
    assert handle.original is callback.message and not handle.ephemeral
    assert sandbox.messages(sandbox.world.guild.system_channel_id or 0)[-1].content == PONG
    paths = [r.path for r in sandbox.requests]
    assert "/api/v10/users/@me" in paths and "/api/v10/oauth2/applications/@me" in paths


async def test_sync_stores_schema_with_stable_ids(sandbox: LocalDiscord) -> None:
    names = {c["name"] for c in sandbox.commands()}
    assert {"ping", "roll", "character", "settings"} <= names
    first = {c["name"]: c["id"] for c in sandbox.commands()}
    # A resync keeps ids; a guild sync stores a separate schema.
    async with aiohttp.ClientSession() as http:
        url = f"{sandbox.api_base_url}/applications/{sandbox.application_id}/commands"
        headers = {"Authorization": f"Bot {sandbox.token}", "Content-Type": "application/json"}
        body = [{k: v for k, v in c.items() if k not in ("id", "version")} for c in sandbox.commands()]
        async with http.put(url, data=json.dumps(body), headers=headers) as resp:
            assert resp.status == 200
    assert {c["name"]: c["id"] for c in sandbox.commands()} == first
    assert sandbox.commands(guild_id=sandbox.world.guild.id) == []


async def test_guild_sync_and_guild_commands_preferred() -> None:
    async with LocalDiscord() as local:
        bot = build_bare_bot()
        guild = discord.Object(id=local.world.guild.id)

        @bot.tree.command(name="local", description="Guild only.", guild=guild)
        async def local_cmd(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("guild command")

        async with running(local, bot):
            await bot.tree.sync(guild=guild)
            assert [c["name"] for c in local.commands(guild_id=guild.id)] == ["local"]
            handle = await local.invoke("local", user_id=user(local, "bob"))
            assert (await handle.done()).content == "guild command"


async def test_options_subcommands_and_resolved_members(sandbox: LocalDiscord) -> None:
    bob = sandbox.world.guild.member_named("bob").user
    handle = await sandbox.invoke(
        "roll",
        {"dice": "1d20", "times": 3, "target": bob.id, "advantage": True, "bonus": 1.5},
        user_id=user(sandbox, "alice"),
    )
    assert (await handle.done()).content == "bob rolls 1d20 x3 adv=True +1.5"

    shown = await sandbox.invoke("character show", {"name": "Mira"}, user_id=user(sandbox, "alice"))
    await shown.done()
    assert shown.content == "showing Mira" and shown.ephemeral

    exported = await sandbox.invoke("character sheet export", {"name": "mira"}, user_id=user(sandbox, "bob"))
    await exported.done()
    assert exported.original is not None
    (attachment,) = exported.original.attachments
    assert (attachment.filename, attachment.data) == ("mira.txt", b"STR 16")
    async with aiohttp.ClientSession() as http, http.get(attachment.url) as resp:
        assert await resp.read() == b"STR 16"


async def test_invoke_refuses_what_a_discord_client_cannot_send(sandbox: LocalDiscord) -> None:
    alice = user(sandbox, "alice")
    with pytest.raises(LookupError, match="no synced command"):
        await sandbox.invoke("nope", user_id=alice)
    with pytest.raises(LookupError, match="no option"):
        await sandbox.invoke("roll", {"dice": "1d4", "colour": "red"}, user_id=alice)
    with pytest.raises(ValueError, match="required"):
        await sandbox.invoke("roll", {}, user_id=alice)
    with pytest.raises(ValueError, match="outside"):
        await sandbox.invoke("roll", {"dice": "1d4", "times": 11}, user_id=alice)
    with pytest.raises(LookupError, match="group"):
        await sandbox.invoke("character", user_id=alice)
    with pytest.raises(PermissionError, match="hides"):
        await sandbox.invoke("settings", user_id=alice)
    moderator = sandbox.world.guild.member_named("moderator").user.id
    assert (await (await sandbox.invoke("settings", user_id=moderator)).done()).content == "settings"


async def test_deferral_and_followups(sandbox: LocalDiscord) -> None:
    handle = await sandbox.invoke("slow", user_id=user(sandbox, "carol"))
    assert (await handle.response()).type == 5
    await handle.done()
    # The first followup after a "thinking" deferral replaces it (as on Discord); the second is new.
    await handle.wait_for(lambda h: len(h.followups) == 1)
    assert [m.content for m in handle.messages] == ["done thinking", "and a second message"]
    assert handle.original is not None and not handle.original.loading

    hidden = await sandbox.invoke("slow", {"ephemeral": True}, user_id=user(sandbox, "carol"))
    await hidden.done()
    assert hidden.ephemeral and hidden.original is not None and hidden.original.content == "done thinking"

    edited = await sandbox.invoke("edit", user_id=user(sandbox, "carol"))
    await edited.done()
    assert edited.original is not None
    assert (edited.original.content, edited.original.embeds[0]["title"]) == ("edited", "Result")
    assert len(edited.original.edits) == 1


async def test_view_button_and_select(sandbox: LocalDiscord) -> None:
    alice, bob = user(sandbox, "alice"), user(sandbox, "bob")
    handle = await sandbox.invoke("menu", user_id=alice)
    message = (await handle.response()).message
    assert message is not None

    click = await sandbox.click(message, "menu:roll", user_id=bob)
    assert (await click.response()).type == 7
    assert message.content == "rolled by bob" and click.original is message

    chose = await sandbox.click(message, "menu:class", user_id=alice, values=["Wizard"])
    await chose.done()
    assert chose.content == "you chose Wizard" and chose.ephemeral
    with pytest.raises(ValueError, match="offers"):
        await sandbox.click(message, "menu:class", user_id=alice, values=["Bard"])


async def test_views_are_bound_to_their_message(sandbox: LocalDiscord) -> None:
    """With ``response_message_id`` missing, discord.py would store the view for any message."""
    handle = await sandbox.invoke("menu", user_id=user(sandbox, "alice"))
    original = (await handle.response()).message
    assert original is not None
    impostor = sandbox.new_message(
        original.channel_id,
        author_id=sandbox.bot_user_id,
        body={"content": "same buttons", "components": original.components},
    )
    stray = await sandbox.click(impostor, "menu:roll", user_id=user(sandbox, "bob"))
    with pytest.raises(TimeoutError):
        await stray.response(timeout=0.15)


async def test_modal_with_rows_and_labels(sandbox: LocalDiscord) -> None:
    handle = await sandbox.invoke("feedback", user_id=user(sandbox, "bob"))
    callback = await handle.response()
    assert callback.type == 9 and callback.modal["custom_id"].startswith("feedback:")
    assert [c["type"] for c in callback.modal["components"]] == [1, 18]
    with pytest.raises(ValueError, match="required"):
        await sandbox.submit_modal(handle, {"details": "x"})
    submitted = await sandbox.submit_modal(handle, {"summary": "great", "details": "loved the dragon"})
    await submitted.done()
    assert submitted.content == "thanks: great / loved the dragon"


async def test_autocomplete(sandbox: LocalDiscord) -> None:
    choices = await sandbox.autocomplete("spell", {"name": "fi"}, "name", user_id=user(sandbox, "alice"))
    assert [c["value"] for c in choices] == ["Fireball", "Fire Bolt"]
    handle = sandbox.interactions[-1]
    assert [o.get("focused") for o in handle.payload["data"]["options"]] == [True]


async def test_channel_messages_and_edits(sandbox: LocalDiscord) -> None:
    handle = await sandbox.invoke("post", user_id=user(sandbox, "alice"))
    channel = handle.channel_id
    await sandbox.signal.wait(lambda: any(m.edits for m in sandbox.messages(channel, ephemeral=False)), 2, "the edit")
    posted = [m for m in sandbox.messages(channel, ephemeral=False) if m.interaction_id is None]
    assert [m.content for m in posted] == ["an edited channel message"]
    assert sandbox.messages(channel, ephemeral=True)[-1].content == "posting"


# -- strictness ------------------------------------------------------------------------------------


async def test_too_long_content_refused(sandbox: LocalDiscord) -> None:
    handle = await sandbox.invoke("essay", user_id=user(sandbox, "alice"))
    await sandbox.signal.wait(lambda: bool(sandbox.violations), 2, "a violation")
    (violation,) = sandbox.pop_violations("invalid_form_body")
    assert "content" in violation.detail and "2000" in violation.detail
    assert handle.callback is None


async def test_late_response_refused() -> None:
    async with LocalDiscord(response_deadline=0.1) as local, running(local, build_test_bot()):
        handle = await local.invoke("dawdle", user_id=user(local, "alice"))
        await local.signal.wait(lambda: bool(local.violations), 2, "a violation")
        (violation,) = local.pop_violations("late_response")
        assert violation.detail.startswith("404/10062 Unknown interaction: /dawdle")
        assert handle.callback is None and handle.rejected


async def test_expired_token_refused() -> None:
    async with LocalDiscord(token_lifetime=0.15) as local, running(local, build_test_bot()):
        handle = await local.invoke("stale", user_id=user(local, "alice"))
        await local.signal.wait(lambda: bool(local.violations), 2, "a violation")
        (violation,) = local.pop_violations("expired_token")
        assert "401/50027" in violation.detail
        assert handle.followups == [] and handle.original is not None and handle.original.loading


async def test_answered_twice_refused(sandbox: LocalDiscord) -> None:
    handle = await sandbox.invoke("ping", user_id=user(sandbox, "alice"))
    await handle.response()
    url = f"{sandbox.api_base_url}/interactions/{handle.id}/{handle.token}/callback"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["code"] == 40060
    (violation,) = sandbox.pop_violations("double_response")
    assert "40060" in violation.detail


async def test_mentions_recorded_and_everyone_pings_flagged(sandbox: LocalDiscord) -> None:
    quiet = await sandbox.invoke("announce", user_id=user(sandbox, "alice"))
    await quiet.done()
    assert quiet.original is not None and quiet.original.allowed_mentions == {"parse": []}
    assert not quiet.original.pings_everyone and sandbox.violations == []
    loud = await sandbox.invoke("announce", {"loud": True}, user_id=user(sandbox, "alice"))
    await loud.done()
    assert loud.original is not None and loud.original.pings_everyone
    assert [v.kind for v in sandbox.pop_violations()] == ["mention_everyone"]


async def test_rest_limits_auth_and_unknown_routes() -> None:
    async with LocalDiscord() as local, aiohttp.ClientSession() as http:
        channel = local.world.guild.channel("tavern").id
        url = f"{local.api_base_url}/channels/{channel}/messages"
        auth = {"Authorization": f"Bot {local.token}"}
        embed = {"title": "t" * 257, "fields": [{"name": "n", "value": "v"}] * 26}
        async with http.post(url, json={"embeds": [embed]}, headers=auth) as resp:
            assert resp.status == 400
            errors = (await resp.json())["errors"]["embeds"]["0"]
            assert {"title", "fields"} <= set(errors)
        async with http.post(url, json={"embeds": [{"description": "d" * 4000}] * 2}, headers=auth) as resp:
            assert resp.status == 400  # 8,000 characters over all embeds
        async with http.post(url, json={"content": ""}, headers=auth) as resp:
            assert resp.status == 400  # empty message
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps({"content": "map", "attachments": [{"id": 0}]}))
        form.add_field("files[0]", b"\x89PNG", filename="map.png", content_type="image/png")
        async with http.post(url, data=form, headers=auth) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["attachments"][0]["filename"] == "map.png"
        async with http.get(url, headers={"Authorization": "Bot wrong"}) as resp:
            assert resp.status == 401
        async with http.get(f"{local.api_base_url}/voice/regions", headers=auth) as resp:
            assert resp.status == 404 and (await resp.json())["message"] == "404: Not Found"
        kinds = [v.kind for v in local.pop_violations()]
        assert kinds == ["invalid_form_body"] * 3 + ["unauthorized", "unknown_route"]
        assert local.messages(channel)[0].attachments[0].data == b"\x89PNG"


async def test_strict_mode_raises_at_exit() -> None:
    with pytest.raises(AssertionError, match="unknown_route"):
        async with LocalDiscord() as local, aiohttp.ClientSession() as http:
            async with http.get(f"{local.api_base_url}/nowhere") as resp:
                assert resp.status == 404


# -- gateway ---------------------------------------------------------------------------------------


async def test_resume_replays_missed_events(sandbox: LocalDiscord) -> None:
    session_before = sandbox.gateway_log[-1].session_id
    await sandbox.disconnect(code=4000)
    # Dispatched while the bot is away: kept, then replayed on RESUME.
    handle = await sandbox.invoke("ping", user_id=user(sandbox, "alice"))
    await sandbox.wait_until_ready(timeout=5)
    assert (await handle.response()).message is not None
    resume = next(e for e in sandbox.gateway_log if e.kind == "resume")
    assert resume.session_id == session_before and resume.detail == "replayed 1"
    assert resume.path == "/gateway-resume"  # discord.py resumes at READY's resume_gateway_url
    assert [e.kind for e in sandbox.gateway_log].count("identify") == 1


async def test_non_resumable_close_reidentifies(sandbox: LocalDiscord) -> None:
    await sandbox.disconnect(code=4009)
    await sandbox.wait_until_ready(timeout=5)
    kinds = [e.kind for e in sandbox.gateway_log]
    assert kinds == ["identify", "disconnect", "invalid_session", "identify"]
    handle = await sandbox.invoke("ping", user_id=user(sandbox, "bob"))
    assert (await handle.done()).content == PONG


async def test_shards_get_only_their_guilds() -> None:
    world = default_world()
    for i in range(7):
        world.add_guild(f"guild {i}")
    async with LocalDiscord(world) as local:
        sharded = build_bare_sharded_bot(shard_count=2)
        async with running(local, sharded):
            await local.wait_until_ready(shard_id=0)
            await local.wait_until_ready(shard_id=1)
            for shard_id in (0, 1):
                session = local.gateway.by_shard[shard_id]
                created = [int(f["d"]["id"]) for f in session.sent if f["t"] == "GUILD_CREATE"]
                assert created and all((g >> 22) % 2 == shard_id for g in created)
            assert len(sharded.guilds) == len(world.guilds)
            for guild in world.guilds.values():
                handle = await local.invoke("ping", user_id=guild.owner_id, guild_id=guild.id)
                assert (await handle.done()).content == PONG
                assert handle.payload["guild_id"] == str(guild.id)
            sequences = [f["s"] for f in local.gateway.by_shard[0].sent]
            assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)


async def test_wrong_token_is_refused() -> None:
    async with LocalDiscord() as local:
        with discord_py_pointed_at(local.api_base_url, local.gateway_url):
            bot = build_bare_bot()
            with pytest.raises(discord.LoginFailure):
                await bot.start("not-the-token")
            await bot.close()
        assert [v.kind for v in local.pop_violations()] == ["unauthorized"]


def test_point_discord_py_at_sets_both_addresses() -> None:
    old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        point_discord_py_at("http://127.0.0.1:1/api/v10", "ws://127.0.0.1:1/gateway")
        assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:1/api/v10/users/@me"
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:1/gateway"
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


def test_world_permissions() -> None:
    world: World = default_world()
    guild = world.guild
    alice = guild.member_named("alice").user.id
    moderator = guild.member_named("moderator").user.id
    assert guild.permissions_of(moderator) & (1 << 5)  # Manage Server
    assert not guild.permissions_of(alice) & (1 << 5)
    assert guild.member_named("dungeonmaster").roles == [guild.role("DM").id]
    assert guild.system_channel_id == guild.channel("general").id


async def test_direct_messages_and_user_messages() -> None:
    async with LocalDiscord() as local:
        bot = build_bare_bot()
        seen: list[str] = []

        @bot.listen("on_message")
        async def remember(message: discord.Message) -> None:
            seen.append(f"{message.author.name}@{getattr(message.channel, 'name', 'dm')}")

        async with running(local, bot):
            alice = user(local, "alice")
            dm = local.world.dm_channel(alice)
            handle = await local.invoke("ping", user_id=alice, channel_id=dm.id)
            assert (await handle.done()).content == PONG
            assert "guild_id" not in handle.payload and handle.payload["context"] == 1
            await local.post_message(local.world.guild.channel("tavern").id, alice, "hello bot")
            await local.signal.wait(lambda: "alice@tavern" in seen, 2, "on_message")
