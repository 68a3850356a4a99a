"""The sandbox's world: users, guilds, roles, channels and members, plus their Discord payloads.

Plain dataclasses; the ``*_payload`` functions render them exactly as the gateway and REST API
would, which is all discord.py ever sees of them.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Discord's epoch (2015-01-01) in ms; snowflakes are (ms since epoch) << 22 | counters.
DISCORD_EPOCH_MS = 1_420_070_400_000
_SANDBOX_START_MS = 1_700_000_000_000 - DISCORD_EPOCH_MS

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_MESSAGES | MANAGE_ROLES | MANAGE_CHANNELS
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

TEXT_CHANNEL = 0
DM_CHANNEL = 1


class Snowflakes:
    """Deterministic ids; each id advances the timestamp part by 1 ms.

    Advancing the timestamp (not only the counter) spreads guilds over shards, because a shard is
    chosen by ``(guild_id >> 22) % shard_count``.
    """

    def __init__(self, start_ms: int = _SANDBOX_START_MS) -> None:
        self._counter = itertools.count()
        self._start_ms = start_ms

    def next(self) -> int:
        n = next(self._counter)
        return ((self._start_ms + n) << 22) | (n & 0xFFF)


def named_id(name: str) -> int:
    """An id that is the same for a name in every run, so a local database remembers the player by it.

    Its timestamp lies before every counted id (``Snowflakes`` starts at the sandbox start), so the two never meet.
    """
    return ((_SANDBOX_START_MS - (1 << 33) + zlib.crc32(name.casefold().encode())) << 22) | 1


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    id: int
    name: str
    bot: bool = False
    global_name: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.global_name or self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    mentionable: bool = False
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }


@dataclass
class Channel:
    id: int
    name: str
    guild_id: int | None
    type: int = TEXT_CHANNEL
    position: int = 0
    topic: str | None = None
    recipient_ids: list[int] = field(default_factory=list)  # DM channels only

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": str(self.id), "type": self.type, "name": self.name}
        if self.type == DM_CHANNEL:
            data["recipients"] = []  # filled in by World.channel_payload (needs the users)
            data["last_message_id"] = None
            return data
        data.update(
            {
                "guild_id": str(self.guild_id),
                "position": self.position,
                "topic": self.topic,
                "nsfw": False,
                "parent_id": None,
                "rate_limit_per_user": 0,
                "last_message_id": None,
                "permission_overwrites": [],
                "flags": 0,
            }
        )
        return data


@dataclass
class Member:
    user: User
    roles: list[int] = field(default_factory=list)
    permissions: int = 0  # extra bits on top of the roles (sandbox shortcut for "a permission")
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    def payload(self, *, permissions: int | None = None, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    system_channel_id: int | None = None
    locale: str = "en-US"

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]  # Discord gives @everyone the guild's id

    def role(self, name: str) -> Role:
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"guild {self.name!r} has no role {name!r}")

    def channel(self, name: str) -> Channel:
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(f"guild {self.name!r} has no channel {name!r}")

    def member(self, user_id: int) -> Member:
        try:
            return self.members[user_id]
        except KeyError:
            raise KeyError(f"user {user_id} is not a member of guild {self.name!r}") from None

    def member_named(self, name: str) -> Member:
        for member in self.members.values():
            if member.user.name == name:
                return member
        raise KeyError(f"guild {self.name!r} has no member named {name!r}")

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions as Discord computes them (owner and Administrator get all)."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.member(user_id)
        bits = self.everyone.permissions | member.permissions
        for role_id in member.roles:
            bits |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits

    def create_payload(self, bot_user_id: int) -> dict[str, Any]:
        """The GUILD_CREATE body; ``member_count == len(members)`` so discord.py never chunks."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": str(self.system_channel_id) if self.system_channel_id else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.locale,
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [m.payload() for m in self.members.values()],
            "channels": [c.payload() for c in self.channels.values()],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "application_id": None,
        }


@dataclass
class World:
    """Everything that exists in the sandbox. Mutate it with the ``add_*`` methods."""

    ids: Snowflakes = field(default_factory=Snowflakes)
    users: dict[int, User] = field(default_factory=dict)
    guilds: dict[int, Guild] = field(default_factory=dict)
    dm_channels: dict[int, Channel] = field(default_factory=dict)
    bot_user: User = field(init=False)
    application_id: int = field(init=False)
    owner: User = field(init=False)  # the application's owner (a human)

    def __post_init__(self) -> None:
        self.application_id = self.ids.next()
        self.bot_user = self.add_user("DungeonBot", bot=True, user_id=self.application_id)
        self.owner = self.add_user("appowner")

    # -- building -------------------------------------------------------------------------------

    def add_user(self, name: str, *, bot: bool = False, user_id: int | None = None) -> User:
        user = User(id=user_id if user_id is not None else self.ids.next(), name=name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner_id: int | None = None,
        guild_id: int | None = None,
        channels: Iterable[str] = ("general",),
        everyone_permissions: int = EVERYONE_PERMISSIONS,
    ) -> Guild:
        """A guild with @everyone, a "DM" role, the bot as member and the named text channels.

        The first channel is the system channel. The owner (a new user unless given) is a member.
        """
        gid = guild_id if guild_id is not None else self.ids.next()
        owner = self.users[owner_id] if owner_id is not None else self.add_user(f"owner-{gid}")
        guild = Guild(id=gid, name=name, owner_id=owner.id)
        guild.roles[gid] = Role(id=gid, name="@everyone", permissions=everyone_permissions)
        self.guilds[gid] = guild
        self.add_role(gid, "DM", mentionable=True)
        bot_role = self.add_role(gid, "DungeonBot", permissions=BOT_PERMISSIONS)
        bot_role.managed = True
        for channel_name in channels:
            self.add_channel(gid, channel_name)
        guild.system_channel_id = next(iter(guild.channels), None)
        self.add_member(gid, owner.id)
        self.add_member(gid, self.bot_user.id, roles=[bot_role.id])
        return guild

    def add_role(self, guild_id: int, name: str, *, permissions: int = 0, mentionable: bool = False) -> Role:
        guild = self.guilds[guild_id]
        role = Role(
            id=self.ids.next(),
            name=name,
            permissions=permissions,
            position=len(guild.roles),
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        return role

    def add_channel(self, guild_id: int, name: str, *, topic: str | None = None) -> Channel:
        guild = self.guilds[guild_id]
        channel = Channel(id=self.ids.next(), name=name, guild_id=guild_id, position=len(guild.channels), topic=topic)
        guild.channels[channel.id] = channel
        return channel

    def add_member(
        self,
        guild_id: int,
        user_id: int | None = None,
        name: str | None = None,
        *,
        roles: Sequence[int | str] = (),
        permissions: int = 0,
    ) -> Member:
        """Add a user (an existing one by id, or a new one by name) to a guild.

        ``roles`` are role ids or names; ``permissions`` are extra bits on top of the roles.
        """
        guild = self.guilds[guild_id]
        if user_id is None or user_id not in self.users:
            if name is None:
                raise ValueError("add_member needs the id of a known user or a name for a new one")
            user = self.add_user(name, user_id=user_id)
        else:
            user = self.users[user_id]
        role_ids = [r if isinstance(r, int) else guild.role(r).id for r in roles]
        member = Member(user=user, roles=role_ids, permissions=permissions)
        guild.members[user.id] = member
        return member

    def named_member(self, guild_id: int, name: str) -> Member:
        """The member called ``name`` (any case); a new one, with its own ``named_id``, if there is none."""
        guild = self.guilds[guild_id]
        for member in guild.members.values():
            if member.user.name.casefold() == name.casefold():
                return member
        return self.add_member(guild_id, named_id(name), name=name)

    def dm_channel(self, user_id: int) -> Channel:
        """The DM channel between the bot and a user (created on first use)."""
        if user_id not in self.dm_channels:
            channel = Channel(id=self.ids.next(), name="", guild_id=None, type=DM_CHANNEL, recipient_ids=[user_id])
            self.dm_channels[user_id] = channel
        return self.dm_channels[user_id]

    # -- looking up -----------------------------------------------------------------------------

    @property
    def guild(self) -> Guild:
        """The first guild (the default world has exactly one)."""
        return next(iter(self.guilds.values()))

    def user(self, name: str) -> User:
        for user in self.users.values():
            if user.name == name:
                return user
        raise KeyError(f"no user named {name!r}")

    def find_channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        for channel in self.dm_channels.values():
            if channel.id == channel_id:
                return channel
        return None

    def channel_payload(self, channel: Channel) -> dict[str, Any]:
        data = channel.payload()
        if channel.type == DM_CHANNEL:
            data["recipients"] = [self.users[uid].payload() for uid in channel.recipient_ids]
        return data


def default_world() -> World:
    """One guild, "The Yawning Portal": an admin (owner, Manage Server), a DM and three players.

    Channels: #general (system channel), #tavern, #dm-screen.
    """
    world = World()
    admin = world.add_user("admin")
    guild = world.add_guild("The Yawning Portal", owner_id=admin.id, channels=("general", "tavern", "dm-screen"))
    world.add_role(guild.id, "Admin", permissions=MANAGE_GUILD | MANAGE_CHANNELS)
    guild.member(admin.id).roles.append(guild.role("Admin").id)
    world.add_member(guild.id, name="moderator", roles=["Admin"])
    world.add_member(guild.id, name="dungeonmaster", roles=["DM"])
    for player in ("alice", "bob", "carol"):
        world.add_member(guild.id, name=player)
    return world
