"""Attachment options (type 11) through the local Discord and the terminal: the file is uploaded first, the
option's value is its id, `data.resolved.attachments` carries it, and the bot downloads it from its URL."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.commandline import ATTACHMENT, CommandLineError, attach
from bot.sandbox.interactions import Actor, make_options
from bot.sandbox.messages import File
from bot.sandbox.server import LocalDiscord
from bot.sandbox.world import ATTACHMENT_SIZE_LIMIT

SCHEMA = [{"name": "file", "type": ATTACHMENT, "description": "a file", "required": True}]


async def test_an_uploaded_file_is_resolved_and_served() -> None:
    async with LocalDiscord() as discord:
        world = discord.world
        guild = world.guild
        member = next(iter(guild.members.values()))
        actor = Actor(member.user, next(iter(guild.channels.values())), guild, member)
        uploaded = discord.upload(File("hero.json", b'{"a": 1}', "application/json"))
        options, resolved = make_options(SCHEMA, {"file": uploaded}, world, actor, focused=None, where="/x")
        assert options == [{"name": "file", "type": ATTACHMENT, "value": str(uploaded.id)}]
        payload = resolved["attachments"][str(uploaded.id)]
        assert payload["filename"] == "hero.json" and payload["size"] == 8 and payload["ephemeral"] is True
        async with aiohttp.ClientSession() as http, http.get(payload["url"]) as response:
            assert response.status == 200 and await response.read() == b'{"a": 1}'
        with pytest.raises(TypeError, match="attach a file"):
            make_options(SCHEMA, {"file": "hero.json"}, world, actor, focused=None, where="/x")
        big = discord.upload(File("big.bin", b"x" * (ATTACHMENT_SIZE_LIMIT + 1)))
        with pytest.raises(ValueError, match="over the upload limit"):
            make_options(SCHEMA, {"file": big}, world, actor, focused=None, where="/x")


def test_the_terminal_attaches_a_local_file_by_its_path(tmp_path: Path) -> None:
    (tmp_path / "hero.json").write_text("{}")
    file = attach(str(tmp_path / "hero.json"), "/character import file")
    assert (file.filename, file.data, file.content_type) == ("hero.json", b"{}", "application/json")
    with pytest.raises(CommandLineError, match="there is no file"):
        attach(str(tmp_path / "missing.json"), "/character import file")
