"""A local Discord: REST API and gateway websocket on 127.0.0.1 that unmodified discord.py talks to.

Tests and ``dmbot play`` drive a real bot through it, and it refuses what Discord refuses::

    async with LocalDiscord(response_deadline=0.5) as discord:
        point_discord_py_at(discord.api_base_url, discord.gateway_url)   # bot/endpoints.py
        bot = build_bare_bot()                                           # or the real dmbot
        task = asyncio.create_task(bot.start(discord.token))
        await discord.wait_until_ready()
        await bot.tree.sync()                                            # stored: discord.commands()
        alice = discord.world.user("alice")
        handle = await discord.invoke("ping", user_id=alice.id)
        assert (await handle.response()).message.content == "pong"
        await bot.close(); await task

What it checks (each refusal is also appended to ``discord.violations``; a strict LocalDiscord
raises at the end of its ``async with`` block, or call ``assert_no_violations()`` yourself):
every request body against Discord's published contract (bot/discord_contract.py: the route's
schema from Discord's OpenAPI description plus its documented limits; a refusal is Discord's
400/50035 with the field path; ``enforce_contract=False`` turns it off), an interaction answered
twice (400/40060), answered after ``response_deadline`` seconds (404/10062), a followup or edit
after ``token_lifetime`` seconds (401/50027), unknown routes (404), and messages that would ping
@everyone. Every REST request is logged in ``discord.requests``.

Rate limits (``ratelimits.py``; ``rate_limits=False`` turns them off): per-route buckets with
``X-RateLimit-*`` headers and 429 + ``retry_after`` past them, as on Discord; discord.py waits.
A 429 is not a violation (discord.py retries), but ``discord.rate_limited`` lists them, so a test
can assert a run saw none.

Gateway: HELLO → heartbeats → IDENTIFY (token and ``shard`` honoured) → READY → GUILD_CREATE per
guild of the shard → dispatches. ``disconnect(shard, code)`` closes a socket; a resumable code
lets discord.py RESUME (missed events are replayed), a non-resumable one (4009, 4007) makes the
RESUME fail with INVALID_SESSION so discord.py identifies afresh. Codes discord.py never retries
(4004, 4010-4014) stop the bot, as on Discord.

Driving the bot: ``invoke`` (slash commands, built from the synced schema and refused loudly
if a Discord client could not send them), ``autocomplete``, ``click`` (buttons and selects on a
stored message), ``submit_modal`` and ``post_message``; each interaction returns an
``InteractionHandle`` (``response()``, ``done()``, ``original``, ``followups``, ``messages``).

Two discord.py habits to know: it sleeps 5 s before every IDENTIFY but the first (also per extra
shard), so sandbox bots override ``before_identify_hook`` (see ``bare.py``); and it stores a
view or modal only after reading the callback's HTTP response, so ``click``/``submit_modal`` wait
``reaction_time`` (50 ms) after the bot's last change, as a person would.

Layout: ``world.py`` (guilds, members, payloads), ``messages.py`` (messages and Discord's
limits), ``interactions.py`` (command schema, interaction payloads, handles), ``gateway.py``,
``rest.py``, and this file, which ties them together.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.sandbox.gateway import INVALID_SESSION, RECONNECT, Gateway, GatewayEvent
from bot.sandbox.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Actor,
    Callback,
    InteractionHandle,
    Signal,
    build_command_data,
    find_command,
    interaction_payload,
    new_token,
    resolve_select_values,
)
from bot.sandbox.messages import Attachment, File, Message, RequestRecord, Violation, iter_components
from bot.sandbox.ratelimits import RateLimits
from bot.sandbox.rest import build_app
from bot.sandbox.world import DM_CHANNEL, World, default_world

SANDBOX_TOKEN = "MTE5NjQ5OTUxMjM0NTY3ODkw.sandbox.bG9jYWwtZGlzY29yZC1ib3QtdG9rZW4"
SELECTS = (3, 5, 6, 7, 8)


class LocalDiscord:
    """The local Discord. See the module docstring for an example."""

    def __init__(
        self,
        world: World | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = SANDBOX_TOKEN,
        strict: bool = True,
        enforce_contract: bool = True,
        rate_limits: bool = True,
        response_deadline: float = 3.0,
        token_lifetime: float = 15 * 60.0,
        heartbeat_interval_ms: int = 41_250,
        recommended_shards: int = 1,
        reaction_time: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.world = world if world is not None else default_world()
        self.host, self.port = host, port
        self.token = token
        self.strict = strict
        self.enforce_contract = enforce_contract  # refuse bodies Discord's published contract refuses
        self.rate_limits = RateLimits(clock) if rate_limits else None
        self.response_deadline = response_deadline
        self.token_lifetime = token_lifetime
        self.recommended_shards = recommended_shards
        self.reaction_time = reaction_time
        self.clock = clock
        self.signal = Signal()
        self.gateway = Gateway(self, heartbeat_interval_ms)
        self.requests: list[RequestRecord] = []
        self.violations: list[Violation] = []
        self.interactions: list[InteractionHandle] = []
        self._interactions_by_id: dict[int, InteractionHandle] = {}
        self._interactions_by_token: dict[str, InteractionHandle] = {}
        self._messages: dict[int, Message] = {}
        self.uploads: dict[int, Attachment] = {}  # files users attached to slash commands
        self._channel_messages: dict[int, list[Message]] = {}
        self._commands: dict[int | None, list[dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> LocalDiscord:
        self._runner = web.AppRunner(build_app(self), access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = int(self._runner.addresses[0][1])  # the real port when asked for port 0
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self.gateway.close_all()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalDiscord:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
        if self.strict and exc is None:
            self.assert_no_violations()

    # -- addresses and identities ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        # A distinct path, so tests can see that discord.py resumes where READY told it to.
        return f"ws://{self.host}:{self.port}/gateway-resume"

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def bot_user_id(self) -> int:
        return self.world.bot_user.id

    # -- what tests read -------------------------------------------------------------------------

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The synced command schema (global, or of one guild), as the bot last PUT it."""
        return copy.deepcopy(self._commands.get(guild_id, []))

    def messages(
        self, channel_id: int, *, ephemeral: bool | None = None, include_deleted: bool = False
    ) -> list[Message]:
        """The channel's messages, oldest first; ``ephemeral=False`` keeps only public ones."""
        return [
            m
            for m in self._channel_messages.get(channel_id, [])
            if (include_deleted or not m.deleted) and (ephemeral is None or m.ephemeral == ephemeral)
        ]

    def message(self, message_id: int) -> Message:
        return self._messages[message_id]

    @property
    def rate_limited(self) -> list[RequestRecord]:
        """The requests answered 429 (discord.py waited and retried them): a run should have none."""
        return [r for r in self.requests if r.status == 429]

    def held_back_for(self) -> float:
        """Seconds the bot may still be waiting on a rate limit before sending what it queued."""
        return self.rate_limits.held_back_for() if self.rate_limits else 0.0

    @property
    def gateway_log(self) -> list[GatewayEvent]:
        return self.gateway.log

    def violation(self, kind: str, detail: str, method: str = "", path: str = "") -> None:
        self.violations.append(Violation(kind, detail, method, path))

    def pop_violations(self, kind: str | None = None) -> list[Violation]:
        """Take (and forget) the violations of ``kind`` (all if None): for tests that expect them."""
        taken = [v for v in self.violations if kind is None or v.kind == kind]
        self.violations = [v for v in self.violations if not (kind is None or v.kind == kind)]
        return taken

    def assert_no_violations(self) -> None:
        if self.violations:
            lines = "\n  ".join(str(v) for v in self.violations)
            raise AssertionError(f"the bot did {len(self.violations)} thing(s) Discord refuses:\n  {lines}")

    # -- gateway controls ------------------------------------------------------------------------

    async def wait_until_ready(self, shard_id: int | None = None, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the shard (all shards if None) is identified/resumed and connected."""
        what = "the bot to connect" if shard_id is None else f"shard {shard_id} to connect"
        await self.signal.wait(lambda: self.gateway.is_ready(shard_id), timeout, what)

    async def disconnect(self, shard_id: int | None = None, code: int = 4000) -> None:
        await self.gateway.disconnect(shard_id, code)

    async def request_reconnect(self, shard_id: int = 0) -> None:
        """Op 7: discord.py closes and RESUMEs."""
        await self.gateway.send_op(shard_id, RECONNECT)

    async def invalidate_session(self, shard_id: int = 0, *, resumable: bool = False) -> None:
        """Op 9: discord.py identifies afresh (or resumes, if ``resumable``)."""
        await self.gateway.send_op(shard_id, INVALID_SESSION, resumable)

    async def announce_guild(self, guild_id: int) -> None:
        """Send GUILD_CREATE for a guild added to the world after the bot connected."""
        guild = self.world.guilds[guild_id]
        await self.gateway.dispatch("GUILD_CREATE", guild.create_payload(self.bot_user_id), guild_id=guild_id)

    # -- driving the bot as a user ---------------------------------------------------------------

    async def invoke(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user_id: int,
        channel_id: int | None = None,
        guild_id: int | None = None,
    ) -> InteractionHandle:
        """Run ``/command`` (``"character show"`` for a subcommand) as a user would."""
        actor = self._actor(user_id, channel_id, guild_id)
        schema = self._command_for(actor, command)
        values = {k: self.upload(v) if isinstance(v, File) else v for k, v in (options or {}).items()}
        data = build_command_data(schema, command, values, self.world, actor)
        return await self._dispatch(APPLICATION_COMMAND, data, actor)

    def upload(self, file: File) -> Attachment:
        """A file attached to a slash command, stored as Discord's CDN would keep it for the bot to download."""
        aid = self.world.ids.next()
        name = "".join(c if c.isalnum() or c in "._-" else "_" for c in file.filename) or "file"
        url = f"{self.base_url}/ephemeral-attachments/{self.application_id}/{aid}/{name}"
        attachment = Attachment(aid, name, file.data, file.content_type, url, ephemeral=True)
        self.uploads[aid] = attachment
        return attachment

    async def autocomplete(
        self,
        command: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        user_id: int,
        channel_id: int | None = None,
        guild_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Type into option ``focused`` of ``/command``; returns the bot's choices."""
        actor = self._actor(user_id, channel_id, guild_id)
        schema = self._command_for(actor, command)
        data = build_command_data(schema, command, options, self.world, actor, focused=focused)
        handle = await self._dispatch(AUTOCOMPLETE, data, actor)
        callback = await handle.response(timeout)
        if callback.type != AUTOCOMPLETE_RESULT:
            raise AssertionError(f"autocomplete was answered with type {callback.type}, not 8")
        return callback.choices

    async def click(
        self,
        message: Message | int,
        custom_id: str,
        *,
        user_id: int,
        values: Sequence[str] | None = None,
    ) -> InteractionHandle:
        """Press a button (or choose ``values`` in a select) on a message the bot sent."""
        msg = self._messages[message] if isinstance(message, int) else message
        msg = self._messages.get(msg.id, msg)
        if msg.deleted:
            raise LookupError(f"message {msg.id} was deleted")
        self._check_can_see(msg, user_id)
        comp = msg.component(custom_id)
        kind = int(comp["type"])
        if comp.get("disabled"):
            raise PermissionError(f"component {custom_id!r} is disabled; Discord won't let a user use it")
        actor = self._actor(user_id, msg.channel_id, None)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": kind}
        if kind in SELECTS:
            chosen = list(values or [])
            _check_select(comp, chosen)
            data["values"] = chosen
            resolved = resolve_select_values(kind, chosen, self.world, actor)
            if resolved:
                data["resolved"] = resolved
        elif values is not None:
            raise TypeError(f"{custom_id!r} is not a select (type {kind}); values make no sense")
        elif kind == 2 and comp.get("style") in (5, 6):
            raise TypeError(f"{custom_id!r} is a link/premium button; it sends no interaction")
        await self._react_after(msg.changed_at)
        return await self._dispatch(MESSAGE_COMPONENT, data, actor, message=msg)

    async def submit_modal(
        self,
        handle_or_modal: InteractionHandle | Mapping[str, Any],
        values: Mapping[str, str | Sequence[str]],
        *,
        user_id: int | None = None,
        channel_id: int | None = None,
    ) -> InteractionHandle:
        """Fill in and submit a modal the bot opened (by its handle, or the modal dict itself)."""
        source: InteractionHandle | None = None
        if isinstance(handle_or_modal, InteractionHandle):
            source = handle_or_modal
            modal = source.modal
            user_id = user_id if user_id is not None else source.user_id
            channel_id = channel_id if channel_id is not None else source.channel_id
        else:
            modal = dict(handle_or_modal)
        if user_id is None:
            raise TypeError("submit_modal needs user_id when given a bare modal")
        actor = self._actor(user_id, channel_id, None)
        data = {"custom_id": modal["custom_id"], "components": _modal_answers(modal, values)}
        message = source.source_message if source is not None else None
        if source is not None and source.callback is not None:
            await self._react_after(source.callback.at)
        return await self._dispatch(MODAL_SUBMIT, data, actor, message=message)

    async def post_message(self, channel_id: int, user_id: int, content: str) -> Message:
        """A user writes in a channel (MESSAGE_CREATE goes to the bot)."""
        actor = self._actor(user_id, channel_id, None)
        msg = self.new_message(channel_id, author_id=user_id, body={"content": content})
        data = msg.payload()
        if actor.member is not None:
            data["member"] = actor.member.payload(with_user=False)
        await self.gateway.dispatch("MESSAGE_CREATE", data, guild_id=msg.guild_id)
        return msg

    # -- the stores (used by the REST handlers too) ----------------------------------------------

    def new_message(
        self,
        channel_id: int,
        *,
        author_id: int,
        body: Mapping[str, Any],
        attachments: Sequence[Any] = (),
        handle: InteractionHandle | None = None,
        flags: int = 0,
    ) -> Message:
        channel = self.world.find_channel(channel_id)
        assert channel is not None
        msg = Message(
            id=self.world.ids.next(),
            channel_id=channel_id,
            guild_id=channel.guild_id,
            author_id=author_id,
            author=self.world.users[author_id].payload(),
            content=str(body.get("content") or ""),
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            flags=flags,
            attachments=list(attachments),
            allowed_mentions=body.get("allowed_mentions"),
            changed_at=self.clock(),
        )
        if handle is not None:
            msg.interaction_id = handle.id
            msg.webhook_id = self.application_id
            msg.type = 20 if handle.type == APPLICATION_COMMAND else 19
            msg.interaction_metadata = {
                "id": str(handle.id),
                "type": handle.type,
                "user": self.world.users[handle.user_id].payload(),
                "authorizing_integration_owners": handle.payload.get("authorizing_integration_owners", {}),
            }
        if msg.pings_everyone:
            self.violation("mention_everyone", f"message {msg.id} would ping @everyone/@here: {msg.content!r}")
        self._messages[msg.id] = msg
        self._channel_messages.setdefault(channel_id, []).append(msg)
        return msg

    def interaction_by_token(self, token: str) -> InteractionHandle | None:
        return self._interactions_by_token.get(token)

    def interaction_by_id(self, interaction_id: int) -> InteractionHandle | None:
        return self._interactions_by_id.get(interaction_id)

    def store_commands(self, scope: int | None, commands: list[dict[str, Any]]) -> None:
        self._commands[scope] = commands

    async def dispatch_message_event(self, event: str, msg: Message) -> None:
        """MESSAGE_CREATE/UPDATE/DELETE to the bot, if it asked for message intents (like Discord)."""
        if msg.ephemeral:
            return
        try:
            session = self.gateway.session_for(msg.guild_id)
        except RuntimeError:
            return  # no bot connected: a REST-only test
        intent = 1 << 9 if msg.guild_id is not None else 1 << 12
        if not session.intents & intent:
            return
        if event == "MESSAGE_DELETE":
            data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if msg.guild_id is not None:
                data["guild_id"] = str(msg.guild_id)
        else:
            data = msg.payload()
        await self.gateway.send_dispatch(session, event, data)

    # -- internals -------------------------------------------------------------------------------

    def _actor(self, user_id: int, channel_id: int | None, guild_id: int | None) -> Actor:
        if user_id not in self.world.users:
            raise LookupError(f"no user {user_id} in the world")
        user = self.world.users[user_id]
        if channel_id is None:
            guild = self.world.guilds[guild_id] if guild_id is not None else self.world.guild
            if guild.system_channel_id is None:
                raise LookupError(f"guild {guild.name!r} has no system channel; pass channel_id")
            channel_id = guild.system_channel_id
        channel = self.world.find_channel(channel_id)
        if channel is None:
            raise LookupError(f"no channel {channel_id} in the world")
        if channel.type == DM_CHANNEL:
            return Actor(user=user, channel=channel, guild=None, member=None)
        assert channel.guild_id is not None
        guild = self.world.guilds[channel.guild_id]
        if user_id not in guild.members:
            raise PermissionError(f"user {user.name!r} is not a member of {guild.name!r}")
        return Actor(user=user, channel=channel, guild=guild, member=guild.members[user_id])

    def _command_for(self, actor: Actor, path: str) -> dict[str, Any]:
        scoped = self._commands.get(actor.guild.id, []) if actor.guild else []
        try:
            cmd = find_command(scoped + self._commands.get(None, []), path)
        except LookupError:
            if not self._commands:
                raise LookupError(f"/{path}: the bot has synced no commands (await bot.tree.sync())") from None
            raise
        # Discord hides a command from users lacking its default permissions, and from DMs if barred.
        needed = cmd.get("default_member_permissions")
        if actor.guild is not None and needed is not None and (int(needed) & ~actor.permissions):
            raise PermissionError(f"/{path} needs permissions {needed}; Discord hides it from {actor.user.name}")
        contexts = cmd.get("contexts")
        if actor.guild is None and (cmd.get("dm_permission") is False or (contexts and 1 not in contexts)):
            raise PermissionError(f"/{path} is not available in DMs")
        return cmd

    async def _react_after(self, since: float) -> None:
        """Act no sooner than ``reaction_time`` after the bot's last change, as a person would.

        discord.py stores a view (or modal) only once it has read the callback's HTTP response;
        a click sent the instant the sandbox answered can overtake that and find no view.
        """
        await asyncio.sleep(max(0.0, since + self.reaction_time - self.clock()))

    def _check_can_see(self, msg: Message, user_id: int) -> None:
        if msg.ephemeral and msg.interaction_metadata is not None:
            owner = int(msg.interaction_metadata["user"]["id"])
            if owner != user_id:
                raise PermissionError(f"message {msg.id} is ephemeral; only user {owner} can see it")

    async def _dispatch(
        self, kind: int, data: dict[str, Any], actor: Actor, *, message: Message | None = None
    ) -> InteractionHandle:
        interaction_id, token = self.world.ids.next(), new_token()
        payload = interaction_payload(
            interaction_id=interaction_id,
            token=token,
            kind=kind,
            data=data,
            application_id=self.application_id,
            actor=actor,
            world=self.world,
            message=message.payload() if message is not None else None,
        )
        handle = InteractionHandle(
            id=interaction_id,
            token=token,
            type=kind,
            payload=payload,
            dispatched_at=self.clock(),
            user_id=actor.user.id,
            channel_id=actor.channel.id,
            guild_id=actor.guild.id if actor.guild else None,
            signal=self.signal,
            source_message=message,
        )
        self.interactions.append(handle)
        self._interactions_by_id[interaction_id] = handle
        self._interactions_by_token[token] = handle
        await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=handle.guild_id)
        return handle

    def record_callback(self, handle: InteractionHandle, callback: Callback) -> None:
        handle.callback = callback
        if callback.message is not None:
            handle.original = callback.message
        self.signal.notify()


def _check_select(comp: dict[str, Any], chosen: list[str]) -> None:
    low, high = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
    if not low <= len(chosen) <= high:
        raise ValueError(f"select {comp.get('custom_id')!r} takes {low}..{high} values, got {len(chosen)}")
    if comp["type"] == 3:
        offered = [o["value"] for o in comp.get("options", [])]
        unknown = [v for v in chosen if v not in offered]
        if unknown:
            raise ValueError(f"select {comp.get('custom_id')!r} offers {offered}, not {unknown}")


def _modal_answers(modal: Mapping[str, Any], values: Mapping[str, str | Sequence[str]]) -> list[dict[str, Any]]:
    """``data.components`` of a modal submit, mirroring the modal's layout (rows or labels)."""
    inputs = {c["custom_id"]: c for c in iter_components(list(modal["components"])) if "custom_id" in c}
    unknown = set(values) - set(inputs)
    if unknown:
        raise LookupError(f"modal {modal['custom_id']!r} has no inputs {sorted(unknown)}; it has {sorted(inputs)}")

    def answer(comp: dict[str, Any]) -> dict[str, Any]:
        cid = comp["custom_id"]
        if comp["type"] == 4:  # text input
            text = values.get(cid, comp.get("value") or "")
            if not isinstance(text, str):
                raise TypeError(f"text input {cid!r} takes a string")
            low, high = comp.get("min_length", 0), comp.get("max_length", 4000)
            if comp.get("required", True) and not text:
                raise ValueError(f"text input {cid!r} is required")
            if text and not low <= len(text) <= high:
                raise ValueError(f"text input {cid!r} takes {low}..{high} characters, got {len(text)}")
            return {"type": 4, "custom_id": cid, "value": text}
        chosen = values.get(cid, [])
        chosen = [chosen] if isinstance(chosen, str) else list(chosen)
        return {"type": comp["type"], "custom_id": cid, "values": chosen}

    out: list[dict[str, Any]] = []
    for top in modal["components"]:
        if top["type"] == 1:
            out.append({"type": 1, "components": [answer(c) for c in top["components"] if "custom_id" in c]})
        elif top["type"] == 18:
            out.append({"type": 18, "component": answer(top["component"])})
        elif "custom_id" in top:
            out.append(answer(top))
    return out
