"""Messages the bot produced, what it sent over REST, and Discord's error answers.

The limits Discord enforces on request bodies are checked by bot/discord_contract.py (derived from
Discord's published description); rest.py applies it to every body.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.discord_contract import Problem, error_body
from bot.sandbox.world import iso_now

EPHEMERAL = 1 << 6
LOADING = 1 << 7  # a deferred ("is thinking...") response
IS_COMPONENTS_V2 = 1 << 15

_EVERYONE_RE = re.compile(r"@(everyone|here)\b")
_USER_MENTION_RE = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str
    description: str | None = None
    ephemeral: bool = False  # a file attached to a slash command: Discord keeps it only for a while

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
            "description": self.description,
        }
        if self.ephemeral:
            data["ephemeral"] = True
        return data


@dataclass(frozen=True)
class File:
    """A file a user attaches to a slash command's attachment option (`LocalDiscord.invoke` uploads it)."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class Message:
    """A message as the sandbox stores it; ``payload()`` renders it as Discord would."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    author: dict[str, Any]
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    attachments: list[Attachment] = field(default_factory=list)
    allowed_mentions: dict[str, Any] | None = None  # exactly as sent (None: Discord's default, pings all)
    type: int = 0
    interaction_id: int | None = None  # set for messages produced by an interaction response
    webhook_id: int | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)  # each PATCH body applied, in order
    deleted: bool = False
    pinned: bool = False
    interaction_metadata: dict[str, Any] | None = None
    changed_at: float = 0.0  # sandbox clock at creation or last edit

    @property
    def text(self) -> str:
        """Every word a reader sees: the content, then each embed's (see ``embed_text``)."""
        return "\n".join(part for part in (self.content, *map(embed_text, self.embeds)) if part)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    @property
    def pings_everyone(self) -> bool:
        """Whether Discord would notify @everyone/@here for this message."""
        if not _EVERYONE_RE.search(self.content):
            return False
        am = self.allowed_mentions
        return am is None or "everyone" in am.get("parse", [])

    @property
    def pinged_user_ids(self) -> list[int]:
        """Users Discord would notify (mentions in content, filtered by ``allowed_mentions``)."""
        mentioned = [int(x) for x in _USER_MENTION_RE.findall(self.content)]
        am = self.allowed_mentions
        if am is None or "users" in am.get("parse", []):
            return mentioned
        allowed = {int(x) for x in am.get("users", [])}
        return [u for u in mentioned if u in allowed]

    @property
    def pinged_role_ids(self) -> list[int]:
        mentioned = [int(x) for x in _ROLE_MENTION_RE.findall(self.content)]
        am = self.allowed_mentions
        if am is None or "roles" in am.get("parse", []):
            return mentioned
        allowed = {int(x) for x in am.get("roles", [])}
        return [r for r in mentioned if r in allowed]

    def iter_components(self) -> Iterator[dict[str, Any]]:
        """Every component, depth first (action rows, containers, sections, accessories)."""
        yield from iter_components(self.components)

    def component(self, custom_id: str) -> dict[str, Any]:
        for comp in self.iter_components():
            if comp.get("custom_id") == custom_id:
                return comp
        ids = [c["custom_id"] for c in self.iter_components() if "custom_id" in c]
        raise LookupError(f"message {self.id} has no component {custom_id!r}; it has {ids}")

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "content": self.content,
            "author": self.author,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": self.pings_everyone,
            "mentions": [],
            "mention_roles": [str(r) for r in self.pinged_role_ids],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": copy.deepcopy(self.embeds),
            "components": copy.deepcopy(self.components),
            "pinned": self.pinned,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        return data


def embed_text(embed: dict[str, Any]) -> str:
    """The words a reader sees in an embed: title, description, each field's name and value, footer."""
    fields = [f"{f.get('name', '')} {f.get('value', '')}" for f in embed.get("fields", [])]
    parts = [embed.get("title", ""), embed.get("description", ""), *fields, (embed.get("footer") or {}).get("text", "")]
    return "\n".join(part for part in parts if part)


def iter_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for comp in components:
        yield comp
        yield from iter_components(comp.get("components", []))
        for key in ("component", "accessory"):  # ui.Label wraps one; a Section has an accessory
            if isinstance(comp.get(key), dict):
                yield from iter_components([comp[key]])


@dataclass
class Violation:
    """Something real Discord would refuse (or that would misbehave there)."""

    kind: str
    detail: str
    method: str = ""
    path: str = ""

    def __str__(self) -> str:
        where = f" [{self.method} {self.path}]" if self.method else ""
        return f"{self.kind}: {self.detail}{where}"


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    time: float
    status: int = 0
    files: list[tuple[str, int]] = field(default_factory=list)  # (filename, size)


class DiscordError(Exception):
    """An error response as Discord sends it: HTTP status, JSON code and message."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        *,
        kind: str = "",
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.kind = kind or f"http_{status}"  # the Violation kind it is recorded as
        self.detail = detail

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


def form_error(problems: list[tuple[str, str]]) -> DiscordError:
    """Discord's 50035 "Invalid Form Body" for the few refusals that depend on the local Discord's
    state (the contract checks the bodies themselves): (field path, problem) pairs."""
    return contract_error([Problem(tuple(path.split(".")), "BASE_TYPE_INVALID", text) for path, text in problems])


def contract_error(problems: Sequence[Problem]) -> DiscordError:
    """The refusal of a body that breaks Discord's contract (bot/discord_contract.py)."""
    body = error_body(problems)
    summary = "; ".join(str(p) for p in problems)
    return DiscordError(400, 50035, body["message"], body["errors"], kind="invalid_form_body", detail=summary)
