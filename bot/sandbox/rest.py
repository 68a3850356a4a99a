"""The REST API under ``/api/v10``: the routes discord.py calls, with Discord's answers and errors."""

from __future__ import annotations

import copy
import json
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from bot import discord_contract as contract
from bot.sandbox.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    UPDATE_MESSAGE,
    Callback,
    InteractionHandle,
)
from bot.sandbox.messages import (
    EPHEMERAL,
    IS_COMPONENTS_V2,
    LOADING,
    Attachment,
    DiscordError,
    Message,
    RequestRecord,
    contract_error,
    form_error,
)
from bot.sandbox.ratelimits import Verdict
from bot.sandbox.world import MANAGE_MESSAGES, iso_now

if TYPE_CHECKING:
    from bot.sandbox.server import LocalDiscord

API = "/api/v10"
SETTABLE_FLAGS = EPHEMERAL | IS_COMPONENTS_V2 | (1 << 2) | (1 << 12)  # + suppress embeds/notifications

# Which callback types each interaction type accepts (Discord answers 400 to the others).
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE},
}


@dataclass
class Upload:
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class Body:
    """A request body: JSON, or multipart ``payload_json`` + ``files[n]``."""

    json: Any = None
    files: dict[int, Upload] = field(default_factory=dict)

    @property
    def obj(self) -> dict[str, Any]:
        if not isinstance(self.json, dict):
            raise form_error([("_", "A JSON object body is required.")])
        return self.json


Handler = Callable[[web.Request, Body], Awaitable[web.StreamResponse]]

_APP, _HOOK = "/applications/{app_id}", "/webhooks/{app_id}/{token}"
# The route of Discord's description that each local route with a body is (bot/discord_contract.py).
CONTRACT_ROUTES = {
    ("PUT", _APP + "/commands"): contract.COMMANDS_PUT,
    ("POST", _APP + "/commands"): contract.COMMANDS_POST,
    ("PUT", _APP + "/guilds/{guild_id}/commands"): contract.GUILD_COMMANDS_PUT,
    ("POST", _APP + "/guilds/{guild_id}/commands"): contract.GUILD_COMMANDS_POST,
    ("POST", "/interactions/{interaction_id}/{token}/callback"): contract.INTERACTION_CALLBACK,
    ("POST", _HOOK): contract.WEBHOOK_EXECUTE,
    ("PATCH", _HOOK + "/messages/{message_id}"): contract.WEBHOOK_EDIT,
    ("POST", "/channels/{channel_id}/messages"): contract.MESSAGE_CREATE,
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): contract.MESSAGE_EDIT,
    ("POST", "/users/@me/channels"): contract.DM_CREATE,
}


def json_response(data: Any, status: int = 200) -> web.Response:
    # Bytes body: aiohttp then sends exactly "application/json" (with text= it appends a charset,
    # and discord.py compares the header literally).
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)


def snowflake(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise DiscordError(400, 50035, f"Value {request.match_info[name]!r} is not snowflake.") from None


async def read_body(request: web.Request) -> Body:
    if request.content_type.startswith("multipart/"):
        body = Body()
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                body.json = json.loads(await part.text())
            elif part.name and part.name.startswith("files["):
                index = int(part.name[6:-1])
                content_type = part.headers.get("Content-Type")
                body.files[index] = Upload(part.filename or f"file{index}", bytes(await part.read()), content_type)
        return body
    raw = await request.read()
    return Body(json=json.loads(raw) if raw else None)


class Rest:
    def __init__(self, server: LocalDiscord) -> None:
        self.s = server

    # -- plumbing --------------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Handler]]:
        app, hook = _APP, _HOOK
        return [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/users/@me", self.get_me),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", app + "/commands", self.get_commands),
            ("PUT", app + "/commands", self.put_commands),
            ("POST", app + "/commands", self.post_command),
            ("GET", app + "/commands/{cmd_id}", self.get_command),
            ("DELETE", app + "/commands/{cmd_id}", self.delete_command),
            ("GET", app + "/guilds/{guild_id}/commands/permissions", self.get_command_permissions),
            ("GET", app + "/guilds/{guild_id}/commands", self.get_commands),
            ("PUT", app + "/guilds/{guild_id}/commands", self.put_commands),
            ("POST", app + "/guilds/{guild_id}/commands", self.post_command),
            ("GET", app + "/guilds/{guild_id}/commands/{cmd_id}", self.get_command),
            ("DELETE", app + "/guilds/{guild_id}/commands/{cmd_id}", self.delete_command),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback),
            ("POST", hook, self.followup),
            ("GET", hook + "/messages/{message_id}", self.get_webhook_message),
            ("PATCH", hook + "/messages/{message_id}", self.edit_webhook_message),
            ("DELETE", hook + "/messages/{message_id}", self.delete_webhook_message),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("GET", "/channels/{channel_id}/messages", self.get_channel_messages),
            ("POST", "/channels/{channel_id}/messages", self.create_channel_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_channel_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_channel_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_channel_message),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.react),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self.react),
            ("PUT", "/channels/{channel_id}/pins/{message_id}", self.pin),
            ("DELETE", "/channels/{channel_id}/pins/{message_id}", self.pin),
            ("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin),  # discord.py 2.6+
            ("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.pin),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.get_guild_roles),
            ("GET", "/guilds/{guild_id}/members", self.get_guild_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_guild_member),
        ]

    def wrap(
        self,
        handler: Handler,
        *,
        auth: bool = True,
        contract_route: str | None = None,
        route: tuple[str, str] | None = None,
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Log the request, check the bot token and the body against Discord's contract, turn
        DiscordErrors into Discord's JSON errors."""

        async def endpoint(request: web.Request) -> web.StreamResponse:
            record = RequestRecord(request.method, request.path, dict(request.query), None, self.s.clock())
            self.s.requests.append(record)
            try:
                body = await read_body(request)
                record.json = body.json
                record.files = [(u.filename, len(u.data)) for u in body.files.values()]
                if auth:
                    self._check_auth(request)
                verdict = self._rate_limit(request, route)
                if verdict is not None and verdict.limited:
                    response: web.StreamResponse = _too_many_requests(verdict)
                else:
                    if contract_route is not None and self.s.enforce_contract:
                        self._check_contract(request, contract_route, body)
                    response = await handler(request, body)
                if verdict is not None:
                    response.headers.update(verdict.headers)
            except DiscordError as err:
                detail = f"{err.status}/{err.code} {err.message}" + (f": {err.detail}" if err.detail else "")
                self.s.violation(err.kind, detail, request.method, request.path)
                response = json_response(err.body(), err.status)
            except json.JSONDecodeError as err:
                self.s.violation("bad_json", str(err), request.method, request.path)
                response = json_response({"message": "400: Bad Request", "code": 50109}, 400)
            except Exception:  # a sandbox bug: make it loud, but answer like a server error
                self.s.violation("sandbox_error", traceback.format_exc(), request.method, request.path)
                response = json_response({"message": "500: Internal Server Error", "code": 0}, 500)
            record.status = response.status
            self.s.signal.notify()
            return response

        return endpoint

    def _check_auth(self, request: web.Request) -> None:
        # Interaction callbacks and webhooks are authorised by the token in their path instead.
        path = request.path.removeprefix(API)
        if path.startswith(("/webhooks/", "/interactions/")):
            return
        if request.headers.get("Authorization") != f"Bot {self.s.token}":
            raise DiscordError(401, 0, "401: Unauthorized", kind="unauthorized")

    def _rate_limit(self, request: web.Request, route: tuple[str, str] | None) -> Verdict | None:
        if route is None or self.s.rate_limits is None:
            return None
        return self.s.rate_limits.take(route[0], route[1], request.match_info)

    def _check_contract(self, request: web.Request, route: str, body: Body) -> None:
        """Refuse, as Discord does, a body its published contract refuses."""
        if route == contract.WEBHOOK_EDIT and request.match_info.get("message_id") == "@original":
            route = contract.WEBHOOK_EDIT_ORIGINAL
        problems = contract.load_contract().check(route, body.json, uploads=len(body.files))
        if problems:
            raise contract_error(problems)

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        return await self.wrap(self._unknown_route, auth=False)(request)

    async def _unknown_route(self, request: web.Request, body: Body) -> web.StreamResponse:
        raise DiscordError(404, 0, "404: Not Found", kind="unknown_route")

    # -- gateway, users, application -------------------------------------------------------------

    async def get_gateway(self, request: web.Request, body: Body) -> web.StreamResponse:
        return json_response({"url": self.s.gateway_url})

    async def get_gateway_bot(self, request: web.Request, body: Body) -> web.StreamResponse:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 16}
        data = {"url": self.s.gateway_url, "shards": self.s.recommended_shards, "session_start_limit": limit}
        return json_response(data)

    async def get_me(self, request: web.Request, body: Body) -> web.StreamResponse:
        user = self.s.world.bot_user.payload() | {"verified": True, "mfa_enabled": False, "flags": 0}
        return json_response(user)

    async def get_user(self, request: web.Request, body: Body) -> web.StreamResponse:
        user = self.s.world.users.get(snowflake(request, "user_id"))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User", kind="unknown_user")
        return json_response(user.payload())

    async def create_dm(self, request: web.Request, body: Body) -> web.StreamResponse:
        user_id = int(body.obj.get("recipient_id", 0))
        if user_id not in self.s.world.users:
            raise DiscordError(400, 50007, "Cannot send messages to this user", kind="unknown_user")
        return json_response(self.s.world.channel_payload(self.s.world.dm_channel(user_id)))

    async def get_application(self, request: web.Request, body: Body) -> web.StreamResponse:
        world = self.s.world
        return json_response(
            {
                "id": str(world.application_id),
                "name": world.bot_user.name,
                "description": "A sandbox application",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": world.owner.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "bot": world.bot_user.payload(),
                "summary": "",
                "interactions_endpoint_url": None,
            }
        )

    # -- application commands --------------------------------------------------------------------

    def _scope(self, request: web.Request) -> int | None:
        if snowflake(request, "app_id") != self.s.application_id:
            raise DiscordError(403, 50001, "Missing Access", kind="wrong_application")
        if "guild_id" not in request.match_info:
            return None
        guild_id = snowflake(request, "guild_id")
        if guild_id not in self.s.world.guilds:
            raise DiscordError(403, 50001, "Missing Access", kind="unknown_guild")
        return guild_id

    async def get_commands(self, request: web.Request, body: Body) -> web.StreamResponse:
        return json_response(self.s.commands(self._scope(request)))

    async def get_command_permissions(self, request: web.Request, body: Body) -> web.StreamResponse:
        self._scope(request)
        return json_response([])

    async def get_command(self, request: web.Request, body: Body) -> web.StreamResponse:
        return json_response(self._find_command(request))

    def _find_command(self, request: web.Request) -> dict[str, Any]:
        cmd_id = request.match_info["cmd_id"]
        for cmd in self.s.commands(self._scope(request)):
            if cmd["id"] == cmd_id:
                return cmd
        raise DiscordError(404, 10063, "Unknown application command", kind="unknown_command")

    async def put_commands(self, request: web.Request, body: Body) -> web.StreamResponse:
        scope = self._scope(request)
        if not isinstance(body.json, list):
            raise form_error([("_", "Expected a list of commands.")])
        return json_response(self._save_commands(scope, body.json, replace=True))

    async def post_command(self, request: web.Request, body: Body) -> web.StreamResponse:
        scope = self._scope(request)
        saved = self._save_commands(scope, [body.obj], replace=False)
        return json_response(next(c for c in saved if c["name"] == body.obj.get("name")), 201)

    async def delete_command(self, request: web.Request, body: Body) -> web.StreamResponse:
        cmd = self._find_command(request)
        scope = self._scope(request)
        self.s.store_commands(scope, [c for c in self.s.commands(scope) if c["id"] != cmd["id"]])
        return no_content()

    def _save_commands(
        self, scope: int | None, incoming: list[dict[str, Any]], *, replace: bool
    ) -> list[dict[str, Any]]:
        """Store (the contract has checked them); a command keeps its id while its (type, name) stays."""
        existing = {(c.get("type", 1), c["name"]): c for c in self.s.commands(scope)}
        merged = {} if replace else dict(existing)
        for cmd in incoming:
            key = (cmd.get("type", 1), cmd.get("name"))
            merged[key] = self._stored_command(scope, cmd, existing.get(key))
        # Kept by hand: a POST adds to what is stored, which the request's schema cannot see.
        if sum(1 for k in merged if k[0] == 1) > 100:
            raise form_error([("_", "Maximum number of application commands reached (100)")])
        commands = list(merged.values())
        self.s.store_commands(scope, commands)
        return copy.deepcopy(commands)

    def _stored_command(self, scope: int | None, cmd: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
        }
        stored.update(copy.deepcopy(cmd))
        stored["id"] = old["id"] if old else str(self.s.world.ids.next())
        stored["application_id"] = str(self.s.application_id)
        stored["version"] = str(self.s.world.ids.next())
        if scope is not None:
            stored["guild_id"] = str(scope)
        return stored

    # -- interactions ----------------------------------------------------------------------------

    async def interaction_callback(self, request: web.Request, body: Body) -> web.StreamResponse:
        handle = self.s.interaction_by_id(snowflake(request, "interaction_id"))
        if handle is None or handle.token != request.match_info["token"]:
            raise DiscordError(404, 10062, "Unknown interaction", kind="unknown_interaction")
        name = handle._name()
        if handle.callback is not None:
            handle.rejected.append("already acknowledged")
            raise DiscordError(
                400, 40060, "Interaction has already been acknowledged.", kind="double_response", detail=name
            )
        age = self.s.clock() - handle.dispatched_at
        if age > self.s.response_deadline:
            handle.rejected.append(f"late: {age:.2f}s")
            raise DiscordError(
                404, 10062, "Unknown interaction", kind="late_response", detail=f"{name} after {age:.2f}s"
            )
        kind, data = int(body.obj.get("type", 0)), dict(body.obj.get("data") or {})
        if kind not in ALLOWED_CALLBACKS[handle.type]:
            raise form_error([("type", f"Callback type {kind} is not valid for interaction type {handle.type}")])
        message = self._callback_message(handle, kind, data, body)
        self.s.record_callback(handle, Callback(type=kind, data=data, at=self.s.clock(), message=message))
        if message is not None and kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            event = "MESSAGE_CREATE" if kind == CHANNEL_MESSAGE else "MESSAGE_UPDATE"
            await self.s.dispatch_message_event(event, message)
        return json_response(self._callback_body(handle, kind, message))

    def _callback_message(
        self, handle: InteractionHandle, kind: int, data: dict[str, Any], body: Body
    ) -> Message | None:
        """Validate the callback's data; create or update the message it stands for."""
        if kind in (AUTOCOMPLETE_RESULT, MODAL):
            return None
        if kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE) and handle.source_message is None:
            raise form_error([("type", "This interaction has no message to update")])
        if kind == DEFERRED_UPDATE_MESSAGE:
            return handle.source_message
        if kind == UPDATE_MESSAGE:
            assert handle.source_message is not None
            return self._edit(handle.source_message, data, body)
        if kind == CHANNEL_MESSAGE:
            flags = int(data.get("flags") or 0) & SETTABLE_FLAGS
            return self._create(handle.channel_id, data, body, handle=handle, flags=flags)
        flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)  # DEFERRED_CHANNEL_MESSAGE
        return self._create(handle.channel_id, {}, body, handle=handle, flags=flags)

    def _callback_body(self, handle: InteractionHandle, kind: int, message: Message | None) -> dict[str, Any]:
        """Discord's InteractionCallbackResponse. ``response_message_id`` is what discord.py stores a
        view under; without it a view would answer clicks on any message."""
        info: dict[str, Any] = {
            "id": str(handle.id),
            "type": handle.type,
            "activity_instance_id": None,
            "response_message_id": str(message.id) if message else None,
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }
        data: dict[str, Any] = {"interaction": info}
        if message is not None and kind != DEFERRED_UPDATE_MESSAGE:
            data["resource"] = {"type": kind, "message": message.payload()}
        return data

    def _live_handle(self, request: web.Request) -> InteractionHandle:
        """The interaction behind a webhook token, refusing unknown and expired tokens."""
        handle = self.s.interaction_by_token(request.match_info["token"])
        if handle is None or snowflake(request, "app_id") != self.s.application_id:
            raise DiscordError(404, 10015, "Unknown Webhook", kind="unknown_webhook")
        age = self.s.clock() - handle.dispatched_at
        if age > self.s.token_lifetime:
            raise DiscordError(401, 50027, "Invalid Webhook Token", kind="expired_token", detail=handle._name())
        return handle

    async def followup(self, request: web.Request, body: Body) -> web.StreamResponse:
        handle = self._live_handle(request)
        if handle.callback is None:
            raise DiscordError(404, 10015, "Unknown Webhook", kind="followup_before_response", detail=handle._name())
        data = body.obj
        original = handle.original
        if original is not None and original.loading and handle.callback.type == DEFERRED_CHANNEL_MESSAGE:
            # Discord: the first followup after a "thinking" deferral replaces that message,
            # keeping the deferral's ephemerality.
            msg = self._edit(original, data, body)
            msg.flags &= ~LOADING
            await self.s.dispatch_message_event("MESSAGE_UPDATE", msg)
        else:
            flags = int(data.get("flags") or 0) & SETTABLE_FLAGS
            msg = self._create(handle.channel_id, data, body, handle=handle, flags=flags)
            handle.followups.append(msg)
            await self.s.dispatch_message_event("MESSAGE_CREATE", msg)
        handle.activity += 1
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(msg.payload())
        return no_content()

    def _webhook_message(self, request: web.Request, handle: InteractionHandle) -> Message:
        mid = request.match_info["message_id"]
        if mid == "@original":
            if handle.original is None:
                raise DiscordError(
                    404, 10008, "Unknown Message", kind="original_before_response", detail=handle._name()
                )
            return handle.original
        msg = next((m for m in handle.messages if str(m.id) == mid and not m.deleted), None)
        if msg is None:
            raise DiscordError(404, 10008, "Unknown Message", kind="unknown_message")
        return msg

    async def get_webhook_message(self, request: web.Request, body: Body) -> web.StreamResponse:
        handle = self._live_handle(request)
        return json_response(self._webhook_message(request, handle).payload())

    async def edit_webhook_message(self, request: web.Request, body: Body) -> web.StreamResponse:
        handle = self._live_handle(request)
        msg = self._webhook_message(request, handle)
        if msg.deleted:
            raise DiscordError(404, 10008, "Unknown Message", kind="edit_deleted_message")
        msg = self._edit(msg, body.obj, body)
        msg.flags &= ~LOADING
        handle.activity += 1
        await self.s.dispatch_message_event("MESSAGE_UPDATE", msg)
        return json_response(msg.payload())

    async def delete_webhook_message(self, request: web.Request, body: Body) -> web.StreamResponse:
        handle = self._live_handle(request)
        msg = self._webhook_message(request, handle)
        msg.deleted = True
        handle.activity += 1
        await self.s.dispatch_message_event("MESSAGE_DELETE", msg)
        return no_content()

    # -- channels and messages -------------------------------------------------------------------

    def _channel(self, request: web.Request) -> int:
        channel_id = snowflake(request, "channel_id")
        if self.s.world.find_channel(channel_id) is None:
            raise DiscordError(404, 10003, "Unknown Channel", kind="unknown_channel")
        return channel_id

    def _channel_message(self, request: web.Request) -> Message:
        channel_id = self._channel(request)
        msg = self.s._messages.get(snowflake(request, "message_id"))
        # Ephemeral messages exist only for their interaction's webhook, never in the channel.
        if msg is None or msg.channel_id != channel_id or msg.deleted or msg.ephemeral:
            raise DiscordError(404, 10008, "Unknown Message", kind="unknown_message")
        return msg

    async def get_channel(self, request: web.Request, body: Body) -> web.StreamResponse:
        channel = self.s.world.find_channel(self._channel(request))
        assert channel is not None
        return json_response(self.s.world.channel_payload(channel))

    async def get_channel_messages(self, request: web.Request, body: Body) -> web.StreamResponse:
        channel_id = self._channel(request)
        limit = int(request.query.get("limit", 50))
        newest_first = list(reversed(self.s.messages(channel_id, ephemeral=False)))
        return json_response([m.payload() for m in newest_first[:limit]])

    async def get_channel_message(self, request: web.Request, body: Body) -> web.StreamResponse:
        return json_response(self._channel_message(request).payload())

    async def create_channel_message(self, request: web.Request, body: Body) -> web.StreamResponse:
        channel_id = self._channel(request)
        data = body.obj
        flags = int(data.get("flags") or 0) & (SETTABLE_FLAGS & ~EPHEMERAL)
        msg = self._create(channel_id, data, body, handle=None, flags=flags)
        if data.get("message_reference"):
            msg.type = 19
        await self.s.dispatch_message_event("MESSAGE_CREATE", msg)
        return json_response(msg.payload())

    async def edit_channel_message(self, request: web.Request, body: Body) -> web.StreamResponse:
        msg = self._channel_message(request)
        if msg.author_id != self.s.bot_user_id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user", kind="edit_foreign")
        msg = self._edit(msg, body.obj, body)
        await self.s.dispatch_message_event("MESSAGE_UPDATE", msg)
        return json_response(msg.payload())

    async def delete_channel_message(self, request: web.Request, body: Body) -> web.StreamResponse:
        msg = self._channel_message(request)
        msg.deleted = True
        await self.s.dispatch_message_event("MESSAGE_DELETE", msg)
        return no_content()

    async def typing(self, request: web.Request, body: Body) -> web.StreamResponse:
        self._channel(request)
        return no_content()

    async def react(self, request: web.Request, body: Body) -> web.StreamResponse:
        self._channel_message(request)
        return no_content()

    async def pin(self, request: web.Request, body: Body) -> web.StreamResponse:
        """Pin (PUT) or unpin (DELETE) a message: in a server, only with Manage Messages."""
        msg = self._channel_message(request)
        channel = self.s.world.find_channel(msg.channel_id)
        guild = self.s.world.guilds.get(channel.guild_id) if channel and channel.guild_id else None
        if guild is not None and not guild.permissions_of(self.s.bot_user_id) & MANAGE_MESSAGES:
            raise DiscordError(403, 50013, "Missing Permissions", kind="missing_permissions")
        msg.pinned = request.method == "PUT"
        return no_content()

    # -- guilds ----------------------------------------------------------------------------------

    def _guild(self, request: web.Request) -> Any:
        guild = self.s.world.guilds.get(snowflake(request, "guild_id"))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild", kind="unknown_guild")
        return guild

    async def get_guild(self, request: web.Request, body: Body) -> web.StreamResponse:
        data = self._guild(request).create_payload(self.s.bot_user_id)
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large"):
            data.pop(key, None)
        return json_response(data)

    async def get_guild_channels(self, request: web.Request, body: Body) -> web.StreamResponse:
        return json_response([c.payload() for c in self._guild(request).channels.values()])

    async def get_guild_roles(self, request: web.Request, body: Body) -> web.StreamResponse:
        return json_response([r.payload() for r in self._guild(request).roles.values()])

    async def get_guild_members(self, request: web.Request, body: Body) -> web.StreamResponse:
        limit = int(request.query.get("limit", 1))
        members = list(self._guild(request).members.values())[:limit]
        return json_response([m.payload() for m in members])

    async def get_guild_member(self, request: web.Request, body: Body) -> web.StreamResponse:
        member = self._guild(request).members.get(snowflake(request, "user_id"))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member", kind="unknown_member")
        return json_response(member.payload())

    # -- message bodies --------------------------------------------------------------------------

    def _create(
        self, channel_id: int, data: dict[str, Any], body: Body, *, handle: InteractionHandle | None, flags: int
    ) -> Message:
        msg = self.s.new_message(channel_id, author_id=self.s.bot_user_id, body=data, handle=handle, flags=flags)
        msg.attachments = self._attachments(msg, data, body, keep=[])
        return msg

    def _edit(self, msg: Message, data: dict[str, Any], body: Body) -> Message:
        """Apply a PATCH body (only the keys it has; the contract has checked it).

        One check stays here: whether the edited message would be empty depends on what it holds
        now, which no schema of the request can know.
        """
        problems: list[tuple[str, str]] = []
        attachments = self._attachments(msg, data, body, keep=msg.attachments)
        content = str(data.get("content") or "") if "content" in data else msg.content
        embeds = list(data.get("embeds") or []) if "embeds" in data else msg.embeds
        components = list(data.get("components") or []) if "components" in data else msg.components
        if not (content or embeds or components or attachments):
            problems.append(("content", "Cannot send an empty message"))
        _raise_if(problems)
        msg.edits.append(copy.deepcopy(data))
        msg.content, msg.embeds, msg.components = content, embeds, components
        msg.attachments = attachments
        if "flags" in data and data["flags"] is not None:
            settable = SETTABLE_FLAGS & ~EPHEMERAL  # ephemerality never changes after sending
            msg.flags = (msg.flags & ~settable) | (int(data["flags"]) & settable)
        if "allowed_mentions" in data:
            msg.allowed_mentions = data["allowed_mentions"]
        msg.edited_timestamp = iso_now()
        msg.changed_at = self.s.clock()
        if msg.pings_everyone:
            self.s.violation("mention_everyone", f"edited message {msg.id} would ping @everyone/@here")
        return msg

    def _attachments(self, msg: Message, data: dict[str, Any], body: Body, keep: list[Attachment]) -> list[Attachment]:
        """The attachment list after a create/edit: listed old ones kept, uploads added."""
        uploads = dict(body.files)
        if "attachments" not in data or data["attachments"] is None:
            result = list(keep)
        else:
            by_id = {a.id: a for a in keep}
            result = []
            for entry in data["attachments"]:
                aid = int(entry["id"])
                if aid in by_id:
                    result.append(by_id[aid])
                elif aid in uploads:
                    result.append(self._upload(msg, uploads.pop(aid), entry.get("description")))
        result.extend(self._upload(msg, up, None) for up in uploads.values())
        return result

    def _upload(self, msg: Message, upload: Upload, description: str | None) -> Attachment:
        aid = self.s.world.ids.next()
        url = f"{self.s.base_url}/attachments/{msg.channel_id}/{aid}/{upload.filename}"
        return Attachment(aid, upload.filename, upload.data, upload.content_type, url, description)

    async def get_attachment(self, request: web.Request) -> web.StreamResponse:
        aid = int(request.match_info["attachment_id"])
        upload = self.s.uploads.get(aid)
        if upload is not None:
            return web.Response(body=upload.data, content_type=upload.content_type or "application/octet-stream")
        for msg in self.s._messages.values():
            for att in msg.attachments:
                if att.id == aid:
                    return web.Response(body=att.data, content_type=att.content_type or "application/octet-stream")
        return web.Response(status=404)


def _too_many_requests(verdict: Verdict) -> web.Response:
    """Discord's 429: ``retry_after`` in seconds in the body (and rounded up in Retry-After)."""
    body = {"message": "You are being rate limited.", "retry_after": verdict.retry_after, "global": False}
    return json_response(body, 429)


def _raise_if(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise form_error(problems)


def build_app(server: LocalDiscord) -> web.Application:
    rest = Rest(server)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/gateway", server.gateway.handle)
    app.router.add_get("/gateway-resume", server.gateway.handle)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", rest.get_attachment)
    app.router.add_get("/ephemeral-attachments/{application_id}/{attachment_id}/{filename}", rest.get_attachment)
    for method, path, handler in rest.routes():
        wrapped = rest.wrap(handler, contract_route=CONTRACT_ROUTES.get((method, path)), route=(method, path))
        app.router.add_route(method, API + path, wrapped)
    app.router.add_route("*", "/{tail:.*}", rest.not_found)
    return app
