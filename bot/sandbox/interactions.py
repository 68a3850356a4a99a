"""Interactions: building INTERACTION_CREATE payloads from the synced command schema (which
bot/discord_contract.py has checked), and the ``InteractionHandle`` a test holds to see how the bot answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.messages import Attachment, Message
from bot.sandbox.world import ATTACHMENT_SIZE_LIMIT, DM_CHANNEL, Channel, Guild, Member, User, World

# Interaction types
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Callback (response) types
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

# Application command option types
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11

_TYPE_NAMES = {USER: "user", CHANNEL: "channel", ROLE: "role", MENTIONABLE: "user or role"}


class Signal:
    """Wakes every waiter when sandbox state changes; waiters re-check their own condition."""

    POLL = 0.01

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    # Also poll: a predicate may look at the bot's side, which never notifies us.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._event.wait(), self.POLL)
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}") from None


# -- building interaction payloads ---------------------------------------------------------------


@dataclass
class Actor:
    """Who acts where: the user, their member record (in a guild), the channel and the guild."""

    user: User
    channel: Channel
    guild: Guild | None
    member: Member | None

    @property
    def permissions(self) -> int:
        return self.guild.permissions_of(self.user.id) if self.guild else 0


def find_command(commands: list[dict[str, Any]], path: str, cmd_type: int = 1) -> dict[str, Any]:
    top = path.split()[0]
    for cmd in commands:
        if cmd["name"] == top and cmd.get("type", 1) == cmd_type:
            return cmd
    names = sorted(c["name"] for c in commands)
    raise LookupError(f"no synced command /{top}; synced: {names} (did the bot sync its tree?)")


def build_command_data(
    command: dict[str, Any],
    path: str,
    values: Mapping[str, Any],
    world: World,
    actor: Actor,
    *,
    focused: str | None = None,
) -> dict[str, Any]:
    """``data`` of a type 2 (or, with ``focused``, type 4) interaction for ``/path`` with ``values``."""
    options, resolved = make_options(
        leaf_options(command, path), values, world, actor, focused=focused, where=f"/{path}"
    )
    # Wrap the leaf options in their subcommand (and group) from the inside out.
    chain = _subcommand_chain(command, path)
    for name, kind in reversed(chain):
        options = [{"name": name, "type": kind, "options": options}]
    data: dict[str, Any] = {
        "id": command["id"],
        "name": command["name"],
        "type": command.get("type", 1),
        "options": options,
    }
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    if resolved:
        data["resolved"] = resolved
    return data


def _subcommand_chain(command: dict[str, Any], path: str) -> list[tuple[str, int]]:
    chain: list[tuple[str, int]] = []
    options: list[dict[str, Any]] = command.get("options") or []
    for sub in path.split()[1:]:
        opt = next(o for o in options if o["name"] == sub)
        chain.append((sub, int(opt["type"])))
        options = opt.get("options") or []
    return chain


def leaf_options(command: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The option schemas of the (sub)command ``path`` names."""
    options: list[dict[str, Any]] = command.get("options") or []
    for sub in path.split()[1:]:
        for opt in options:
            if opt["name"] == sub and opt["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
                options = opt.get("options") or []
                break
        else:
            subs = [o["name"] for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
            raise LookupError(f"/{path}: no subcommand {sub!r}; there are {subs}")
    if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options):
        subs = [o["name"] for o in options]
        raise LookupError(f"/{path} is a group; name one of its subcommands: {subs}")
    return options


def make_options(
    schemas: list[dict[str, Any]],
    values: Mapping[str, Any],
    world: World,
    actor: Actor,
    *,
    focused: str | None,
    where: str,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Typed option payloads for ``values``; raises loudly where a Discord client would not send."""
    by_name = {o["name"]: o for o in schemas}
    for name in values:
        if name not in by_name:
            raise LookupError(f"{where} has no option {name!r}; options: {sorted(by_name)}")
    if focused is not None and focused not in values:
        raise LookupError(f"{where}: the focused option {focused!r} needs a (partial) value")
    if focused is None:
        missing = [o["name"] for o in schemas if o.get("required") and o["name"] not in values]
        if missing:
            raise ValueError(f"{where}: required option(s) missing: {missing}")
    out: list[dict[str, Any]] = []
    resolved: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        schema = by_name[name]
        if name == focused:  # a half-typed value goes out as the raw string the user typed
            out.append({"name": name, "type": schema["type"], "value": value, "focused": True})
            continue
        wire = _wire_value(schema, value, world, actor, resolved, f"{where} {name}")
        out.append({"name": name, "type": schema["type"], "value": wire})
    return out, resolved


def _wire_value(
    schema: dict[str, Any],
    value: Any,
    world: World,
    actor: Actor,
    resolved: dict[str, dict[str, Any]],
    where: str,
) -> Any:
    kind = schema["type"]
    if kind == STRING:
        if not isinstance(value, str):
            raise TypeError(f"{where}: expected a string, got {value!r}")
        if not schema.get("min_length", 0) <= len(value) <= schema.get("max_length", 6000):
            raise ValueError(f"{where}: length {len(value)} outside the option's min/max length")
        _check_choice(schema, value, where)
        return value
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise TypeError(f"{where}: expected a bool, got {value!r}")
        return value
    if kind in (INTEGER, NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{where}: expected a number, got {value!r}")
        if kind == INTEGER and not isinstance(value, int):
            raise TypeError(f"{where}: expected an integer, got {value!r}")
        low, high = schema.get("min_value"), schema.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"{where}: {value} is outside [{low}, {high}]")
        _check_choice(schema, value, where)
        return value
    if kind == ATTACHMENT:
        # Discord's client uploads the file first; the option's value is the attachment's id and the
        # attachment itself goes in data.resolved.attachments (with its CDN url the bot downloads from).
        if not isinstance(value, Attachment):
            raise TypeError(f"{where}: attach a file (sandbox.File or LocalDiscord.upload), not {value!r}")
        if len(value.data) > ATTACHMENT_SIZE_LIMIT:
            raise ValueError(
                f"{where}: {len(value.data):,} bytes is over the upload limit of {ATTACHMENT_SIZE_LIMIT:,}"
            )
        resolved.setdefault("attachments", {})[str(value.id)] = value.payload()
        return str(value.id)
    snowflake = int(getattr(value, "id", value))
    if kind in (USER, MENTIONABLE) and snowflake in world.users:
        _resolve_user(snowflake, world, actor, resolved)
    elif kind in (ROLE, MENTIONABLE) and actor.guild and snowflake in actor.guild.roles:
        resolved.setdefault("roles", {})[str(snowflake)] = actor.guild.roles[snowflake].payload()
    elif kind == CHANNEL and (channel := world.find_channel(snowflake)) is not None:
        data = world.channel_payload(channel)
        data["permissions"] = str(actor.permissions)
        resolved.setdefault("channels", {})[str(snowflake)] = data
    else:
        raise LookupError(f"{where}: no {_TYPE_NAMES.get(kind, kind)} with id {snowflake} in the world")
    return str(snowflake)


def _check_choice(schema: dict[str, Any], value: Any, where: str) -> None:
    choices = schema.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"{where}: {value!r} is not one of the choices {[c['value'] for c in choices]}")


def _resolve_user(user_id: int, world: World, actor: Actor, resolved: dict[str, dict[str, Any]]) -> None:
    resolved.setdefault("users", {})[str(user_id)] = world.users[user_id].payload()
    if actor.guild and user_id in actor.guild.members:
        member = actor.guild.members[user_id]
        perms = actor.guild.permissions_of(user_id)
        resolved.setdefault("members", {})[str(user_id)] = member.payload(permissions=perms, with_user=False)


def resolve_select_values(
    component_type: int, values: list[str], world: World, actor: Actor
) -> dict[str, dict[str, Any]]:
    """``data.resolved`` for user/role/mentionable/channel selects (types 5-8)."""
    resolved: dict[str, dict[str, Any]] = {}
    kinds = {5: USER, 6: ROLE, 7: MENTIONABLE, 8: CHANNEL}
    if component_type in kinds:
        schema = {"type": kinds[component_type]}
        for value in values:
            _wire_value(schema, int(value), world, actor, resolved, "select")
    return resolved


def interaction_payload(
    *,
    interaction_id: int,
    token: str,
    kind: int,
    data: dict[str, Any],
    application_id: int,
    actor: Actor,
    world: World,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE body with everything discord.py 2.7 reads."""
    channel = world.channel_payload(actor.channel)
    channel["permissions"] = str(actor.permissions)
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "data": data,
        "token": token,
        "version": 1,
        "channel_id": str(actor.channel.id),
        "channel": channel,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if actor.guild is not None and actor.member is not None:
        guild, bot_id = actor.guild, world.bot_user.id
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": guild.locale, "features": []},
            guild_locale=guild.locale,
            member=actor.member.payload(permissions=actor.permissions),
            app_permissions=str(guild.permissions_of(bot_id)),
            authorizing_integration_owners={"0": str(guild.id)},
            context=0,  # GUILD
        )
    else:
        payload.update(
            user=actor.user.payload(),
            app_permissions="0",
            authorizing_integration_owners={"0": str(actor.user.id)},
            context=1 if actor.channel.type == DM_CHANNEL else 2,  # BOT_DM / PRIVATE_CHANNEL
        )
    if message is not None:
        payload["message"] = message
    return payload


def new_token() -> str:
    return "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)


# -- what a test holds ---------------------------------------------------------------------------


@dataclass
class Callback:
    """One accepted interaction callback (the bot's initial response)."""

    type: int
    data: dict[str, Any]
    at: float
    message: Message | None = None  # the message it created or updated, if any

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices (type 8)."""
        return list(self.data.get("choices") or [])

    @property
    def modal(self) -> dict[str, Any]:
        """The modal (type 9): ``custom_id``, ``title``, ``components``."""
        if self.type != MODAL:
            raise AssertionError(f"the response was type {self.type}, not a modal (9)")
        return self.data


@dataclass(eq=False)
class InteractionHandle:
    """One interaction the sandbox sent, and everything the bot did in answer."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    dispatched_at: float
    user_id: int
    channel_id: int
    guild_id: int | None
    signal: Signal
    source_message: Message | None = None  # the message a clicked component is on
    callback: Callback | None = None
    original: Message | None = None  # what @original is, in its current state
    followups: list[Message] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # why later callbacks were refused
    activity: int = 0  # edits and followups after the initial response

    @property
    def messages(self) -> list[Message]:
        """Every message this interaction produced or updated, in order (original first)."""
        out = [self.original] if self.original is not None else []
        return out + [m for m in self.followups if m is not self.original]

    @property
    def ephemeral(self) -> bool:
        if self.original is not None:
            return self.original.ephemeral
        if self.callback is not None:
            return bool(int(self.callback.data.get("flags") or 0) & 64)
        return False

    @property
    def modal(self) -> dict[str, Any]:
        if self.callback is None:
            raise AssertionError("the bot has not responded yet (await handle.response() first)")
        return self.callback.modal

    async def response(self, timeout: float = 5.0) -> Callback:  # noqa: ASYNC109
        """The bot's initial response (waits for it)."""
        await self.signal.wait(lambda: self.callback is not None, timeout, f"a response to {self._name()}")
        assert self.callback is not None
        return self.callback

    async def wait_for(self, predicate: Callable[[InteractionHandle], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        await self.signal.wait(lambda: predicate(self), timeout, f"a condition on {self._name()}")

    async def done(self, timeout: float = 5.0) -> InteractionHandle:  # noqa: ASYNC109
        """Wait until the answer is complete: a deferral edited or followed up, or a direct answer."""
        await self.signal.wait(self._is_done, timeout, f"{self._name()} to finish answering")
        return self

    def _is_done(self) -> bool:
        cb = self.callback
        if cb is None:
            return False
        if cb.type == DEFERRED_CHANNEL_MESSAGE:
            return self.original is not None and not self.original.loading
        if cb.type == DEFERRED_UPDATE_MESSAGE:
            return self.activity > 0
        return True

    @property
    def text(self) -> str:
        """Every word of every message this interaction produced, embeds included (``Message.text``)."""
        return "\n".join(message.text for message in self.messages)

    @property
    def content(self) -> str:
        """The text of the latest message produced (handy for one-message answers)."""
        msgs = self.messages
        if not msgs:
            raise AssertionError(f"{self._name()} produced no message")
        return msgs[-1].content

    def _name(self) -> str:
        data = self.payload.get("data") or {}
        if self.type in (APPLICATION_COMMAND, AUTOCOMPLETE):
            return f"/{data.get('name')} (interaction {self.id})"
        return f"{data.get('custom_id')!r} (interaction {self.id})"
