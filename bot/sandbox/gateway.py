"""The gateway websocket: HELLO, heartbeats, IDENTIFY/READY/GUILD_CREATE, RESUME, dispatches.

Frames go out as uncompressed JSON text; discord.py asks for ``compress=zlib-stream`` but only
decompresses binary frames, so text frames are read as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from bot.sandbox.server import LocalDiscord

# Opcodes
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

# Close codes after which Discord forgets the session (a RESUME then gets INVALID_SESSION).
NON_RESUMABLE = {4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014}
GUILD_MESSAGES_INTENT = 1 << 9


@dataclass
class GatewayEvent:
    """A line of the gateway's own log: identify, resume, invalid_session, disconnect, ..."""

    kind: str
    shard_id: int
    session_id: str
    detail: str = ""
    path: str = ""  # the URL path the client connected to (/gateway, or /gateway-resume)


@dataclass(eq=False)
class Session:
    id: str
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    ws: web.WebSocketResponse | None = None
    resumable: bool = True
    ready: bool = False  # READY and every GUILD_CREATE sent
    sent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=5000))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed

    def covers(self, guild_id: int | None) -> bool:
        return (guild_id is None and self.shard_id == 0) or (
            guild_id is not None and (guild_id >> 22) % self.shard_count == self.shard_id
        )


class Gateway:
    def __init__(self, server: LocalDiscord, heartbeat_interval_ms: int) -> None:
        self.server = server
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, Session] = {}
        self.by_shard: dict[int, Session] = {}  # the live session of each shard
        self.shard_count = 1
        self.log: list[GatewayEvent] = []
        self.sockets: set[web.WebSocketResponse] = set()

    # -- the websocket handler -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.sockets.add(ws)
        await self._send(ws, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        session: Session | None = None
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                session = await self._on_frame(ws, request.path, session, frame.get("op"), frame.get("d"))
        finally:
            self.sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
            self.server.signal.notify()
        return ws

    async def _on_frame(
        self, ws: web.WebSocketResponse, path: str, session: Session | None, op: Any, data: Any
    ) -> Session | None:
        if op == HEARTBEAT:
            await self._send(ws, {"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            if session is not None:
                await ws.close(code=4005, message=b"Already authenticated.")
                return session
            return await self._identify(ws, path, data)
        elif op == RESUME:
            return await self._resume(ws, path, data)
        elif session is None:
            await ws.close(code=4003, message=b"Not authenticated.")
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(session, data)
        elif op not in (PRESENCE, VOICE_STATE):
            await ws.close(code=4001, message=b"Unknown opcode.")
        return session

    async def _identify(self, ws: web.WebSocketResponse, path: str, data: dict[str, Any]) -> Session | None:
        if data.get("token") != self.server.token:
            self.server.violation("gateway_auth", "IDENTIFY with a wrong token (closed with 4004)")
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, shard_count = data.get("shard") or [0, 1]
        if not 0 <= shard_id < shard_count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        if shard_count != self.shard_count:  # a new shard layout replaces the old sessions
            self.shard_count = shard_count
            self.by_shard.clear()
        session = Session(
            id=secrets.token_hex(16), shard_id=shard_id, shard_count=shard_count, intents=data.get("intents", 0)
        )
        old = self.by_shard.get(shard_id)
        if old is not None:
            old.resumable = False
        self.sessions[session.id] = session
        self.by_shard[shard_id] = session
        session.ws = ws
        self.log.append(GatewayEvent("identify", shard_id, session.id, path=path))
        await self.send_dispatch(session, "READY", self._ready_payload(session))
        for guild in list(self.server.world.guilds.values()):
            if session.covers(guild.id):
                await self.send_dispatch(session, "GUILD_CREATE", guild.create_payload(self.server.bot_user_id))
        session.ready = True
        self.server.signal.notify()
        return session

    def _ready_payload(self, session: Session) -> dict[str, Any]:
        world = self.server.world
        user = world.bot_user.payload() | {"verified": True, "mfa_enabled": False, "flags": 0}
        return {
            "v": 10,
            "user": user,
            "guilds": [{"id": str(gid), "unavailable": True} for gid in world.guilds if session.covers(gid)],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.server.resume_gateway_url,
            "shard": [session.shard_id, session.shard_count],
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["sandbox-gateway"],
        }

    async def _resume(self, ws: web.WebSocketResponse, path: str, data: dict[str, Any]) -> Session | None:
        if data.get("token") != self.server.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        session = self.sessions.get(str(data.get("session_id")))
        seq = int(data.get("seq") or 0)
        missed = [f for f in session.sent if f["s"] > seq] if session else []
        replayable = session is not None and (not missed or missed[0]["s"] == seq + 1)
        if session is None or not session.resumable or not replayable:
            shard = session.shard_id if session else -1
            self.log.append(GatewayEvent("invalid_session", shard, str(data.get("session_id")), path=path))
            # d=false: "identify again"; discord.py then closes and reconnects with IDENTIFY.
            await self._send(ws, {"op": INVALID_SESSION, "d": False})
            return None
        if session.ws is not None and session.ws is not ws:  # a zombie connection
            stale, session.ws = session.ws, None
            await stale.close(code=4000)
        session.ws = ws
        self.log.append(GatewayEvent("resume", session.shard_id, session.id, f"replayed {len(missed)}", path))
        async with session.lock:
            for frame in missed:
                await self._send(ws, frame)
        await self.send_dispatch(session, "RESUMED", {"_trace": ["sandbox-gateway"]})
        self.server.signal.notify()
        return session

    async def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        guild = self.server.world.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        query = str(data.get("query") or "").lower()
        wanted = {int(u) for u in data.get("user_ids") or []}
        members = [
            m
            for m in guild.members.values()
            if (not wanted or m.user.id in wanted) and m.user.name.lower().startswith(query)
        ]
        limit = int(data.get("limit") or 0)
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in (members[:limit] if limit else members)],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted - {m.user.id for m in members}],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- sending ---------------------------------------------------------------------------------

    async def _send(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        frame.setdefault("s", None)
        frame.setdefault("t", None)
        frame.setdefault("d", None)
        with contextlib.suppress(ConnectionError, RuntimeError):  # the socket went away: fine
            await ws.send_str(json.dumps(frame))

    async def send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        """Send (or, while disconnected, keep for the RESUME) one numbered DISPATCH."""
        async with session.lock:
            session.seq += 1
            frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
            session.sent.append(frame)
            if session.ws is not None:
                await self._send(session.ws, frame)

    def session_for(self, guild_id: int | None) -> Session:
        shard_id = 0 if guild_id is None else (guild_id >> 22) % self.shard_count
        session = self.by_shard.get(shard_id)
        if session is None:
            raise RuntimeError(f"no gateway session for shard {shard_id} (is the bot connected?)")
        return session

    async def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None) -> Session:
        session = self.session_for(guild_id)
        await self.send_dispatch(session, event, data)
        return session

    # -- test controls ---------------------------------------------------------------------------

    def is_ready(self, shard_id: int | None) -> bool:
        if shard_id is not None:
            session = self.by_shard.get(shard_id)
            return session is not None and session.ready and session.connected
        shards = [self.by_shard.get(i) for i in range(self.shard_count)]
        return all(s is not None and s.ready and s.connected for s in shards)

    async def disconnect(self, shard_id: int | None, code: int) -> None:
        """Close the shard's socket with ``code``; NON_RESUMABLE codes also forget the session."""
        targets = [s for s in self.by_shard.values() if shard_id is None or s.shard_id == shard_id]
        for session in targets:
            if code in NON_RESUMABLE:
                session.resumable = False
            self.log.append(GatewayEvent("disconnect", session.shard_id, session.id, str(code)))
            ws, session.ws = session.ws, None  # detach first, so waiters see "not ready" at once
            if ws is not None:
                await ws.close(code=code, message=b"sandbox disconnect")
        self.server.signal.notify()

    async def send_op(self, shard_id: int, op: int, data: Any = None) -> None:
        """Send a non-dispatch op (7 RECONNECT, 9 INVALID_SESSION, 1 HEARTBEAT request)."""
        session = self.by_shard[shard_id]
        if op == INVALID_SESSION and not data:
            session.resumable = False
        if session.ws is not None:
            await self._send(session.ws, {"op": op, "d": data})

    async def close_all(self) -> None:
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"sandbox stopping")
