"""The real dmbot, running against the local Discord: shared by the e2e tests, the benchmarks and `dmbot play`.

It lives in the test bed, not in `bot/sandbox/`: it imports the engine and the services, which the local Discord
must not."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.app import DMBot, create_bot
from bot.engine.creation import Choices
from bot.engine.sheet import Actor
from bot.sandbox.interactions import InteractionHandle
from bot.sandbox.server import LocalDiscord
from bot.sandbox.world import World
from bot.services import Services, open_services
from bot.settings import Settings

CLASS_SKILLS = {
    "fighter": ("athletics", "perception"),
    "wizard": ("arcana", "history"),
    "druid": ("nature", "survival"),
}


@dataclass
class SandboxSession:
    """A running bot, its services and the local Discord it is connected to."""

    discord: LocalDiscord
    bot: DMBot
    services: Services

    @property
    def world(self) -> World:
        return self.discord.world

    def user_id(self, name: str) -> int:
        return self.world.user(name).id

    def channel_id(self, name: str = "tavern") -> int:
        return self.world.guild.channel(name).id

    async def invoke(
        self, command: str, options: Mapping[str, Any] | None = None, *, user: str = "alice", channel: str = "tavern"
    ) -> InteractionHandle:
        """`/command` as the named member of the default guild, in the named channel."""
        return await self.discord.invoke(
            command, options, user_id=self.user_id(user), channel_id=self.channel_id(channel)
        )

    async def make_character(
        self, user: str = "alice", name: str = "Tordek", *, race: str = "dwarf", klass: str = "fighter"
    ) -> Actor:
        """A finished level-1 character, made through the engine (the creation views have tests of their
        own); it replaces the user's earlier characters here, so each test starts from one sheet."""
        actor = Actor(self.user_id(user), self.world.guild.id)
        characters = self.services.characters
        for old in await characters.list_characters(actor):
            await characters.delete(actor, old.name)
        draft = await characters.start_draft(
            actor, name=name, race=race, klass=klass, background="acolyte", method="standard"
        )
        await characters.create(actor, draft, Choices(skills=CLASS_SKILLS[klass]))
        return actor

    async def run(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: str = "alice",
        channel: str = "tavern",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionHandle:
        """`invoke`, then wait until the answer is complete."""
        handle = await self.invoke(command, options, user=user, channel=channel)
        return await handle.done(timeout)


def isolated_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests and benchmarks: nothing read from the environment's .env, limits out of the way."""
    values: dict[str, Any] = {"database_url": database_url, "rate_user_capacity": 1000, "rate_guild_capacity": 10000}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def sandbox_settings(settings: Settings, discord: LocalDiscord) -> Settings:
    """The same settings, pointed at the local Discord with its token."""
    from pydantic import SecretStr

    return settings.model_copy(
        update={
            "discord_api_base_url": discord.api_base_url,
            "discord_gateway_url": discord.gateway_url,
            "discord_token": SecretStr(discord.token),
        }
    )


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    discord: LocalDiscord | None = None,
    rng: random.Random | None = None,
    **bot_options: Any,
) -> AsyncIterator[SandboxSession]:
    """Start a local Discord (unless given one), connect dmbot to it, publish its commands, and yield."""
    async with _discord(discord) as local:
        wired = sandbox_settings(settings, local)
        async with open_services(wired, rng=rng) as services:
            bot_options.setdefault("guild_ready_timeout", 0.05)
            bot = create_bot(services, **bot_options)
            task = asyncio.create_task(bot.start(local.token), name="dmbot")
            try:
                await local.wait_until_ready()
                await asyncio.wait_for(bot.wait_until_ready(), timeout=15)
                await bot.tree.sync()
                yield SandboxSession(discord=local, bot=bot, services=services)
            finally:
                await bot.close()
                await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def _discord(given: LocalDiscord | None) -> AsyncIterator[LocalDiscord]:
    if given is not None:
        yield given
        return
    async with LocalDiscord() as local:
        yield local
