"""Messages the bot produced, what it sent over REST, and the limits Discord enforces on them."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.world import iso_now

EPHEMERAL = 1 << 6
LOADING = 1 << 7  # a deferred ("is thinking...") response
IS_COMPONENTS_V2 = 1 << 15

MAX_CONTENT = 2000
MAX_EMBEDS = 10
EMBED_LIMITS = {"title": 256, "description": 4096, "footer": 2048, "author": 256}
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_EMBED_TOTAL = 6000
MAX_ACTION_ROWS = 5
MAX_CUSTOM_ID = 100
MAX_CHOICES = 25

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

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
            "description": self.description,
        }


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
    """Discord's 50035 "Invalid Form Body", with the nested ``errors`` tree discord.py flattens."""
    errors: dict[str, Any] = {}
    for path, text in problems:
        node = errors
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_INVALID", "message": text})
    summary = "; ".join(f"{p}: {t}" for p, t in problems)
    return DiscordError(400, 50035, "Invalid Form Body", errors, kind="invalid_form_body", detail=summary)


def check_message_body(body: dict[str, Any], *, creating: bool) -> list[tuple[str, str]]:
    """The limits Discord enforces on a message create/edit body, as (field path, problem)."""
    problems: list[tuple[str, str]] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > MAX_CONTENT:
        problems.append(("content", f"Must be {MAX_CONTENT} or fewer in length (got {len(content)})."))
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        problems.append(("embeds", f"Must be {MAX_EMBEDS} or fewer in length (got {len(embeds)})."))
    total = 0
    for i, embed in enumerate(embeds):
        size, embed_problems = _check_embed(embed, f"embeds.{i}")
        total += size
        problems.extend(embed_problems)
    if total > MAX_EMBED_TOTAL:
        problems.append(("embeds", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL} (got {total})."))
    problems.extend(_check_components(body.get("components") or [], int(body.get("flags") or 0)))
    if creating and not _has_body(body):
        problems.append(("content", "Cannot send an empty message"))
    return problems


def _has_body(body: dict[str, Any]) -> bool:
    return bool(
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("attachments")
        or body.get("poll")
        or body.get("sticker_ids")
    )


def _check_embed(embed: dict[str, Any], where: str) -> tuple[int, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    texts = {
        "title": embed.get("title") or "",
        "description": embed.get("description") or "",
        "footer": (embed.get("footer") or {}).get("text") or "",
        "author": (embed.get("author") or {}).get("name") or "",
    }
    for name, text in texts.items():
        if len(text) > EMBED_LIMITS[name]:
            problems.append((f"{where}.{name}", f"Must be {EMBED_LIMITS[name]} or fewer in length."))
    size = sum(len(t) for t in texts.values())
    fields = embed.get("fields") or []
    if len(fields) > MAX_FIELDS:
        problems.append((f"{where}.fields", f"Must be {MAX_FIELDS} or fewer in length."))
    for j, fld in enumerate(fields):
        name, value = str(fld.get("name", "")), str(fld.get("value", ""))
        if not name or not value:
            problems.append((f"{where}.fields.{j}", "Field name and value are required."))
        if len(name) > MAX_FIELD_NAME:
            problems.append((f"{where}.fields.{j}.name", f"Must be {MAX_FIELD_NAME} or fewer in length."))
        if len(value) > MAX_FIELD_VALUE:
            problems.append((f"{where}.fields.{j}.value", f"Must be {MAX_FIELD_VALUE} or fewer in length."))
        size += len(name) + len(value)
    return size, problems


def _check_components(components: list[dict[str, Any]], flags: int) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not flags & IS_COMPONENTS_V2 and len(components) > MAX_ACTION_ROWS:
        problems.append(("components", f"Must be {MAX_ACTION_ROWS} or fewer in length."))
    seen: set[str] = set()
    for comp in iter_components(components):
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            if len(custom_id) > MAX_CUSTOM_ID:
                problems.append(("components", f"custom_id {custom_id[:20]!r}... is over {MAX_CUSTOM_ID}"))
            if custom_id in seen:
                problems.append(("components", f"Component custom id {custom_id!r} is duplicated"))
            seen.add(custom_id)
        if comp.get("type") == 1 and len(comp.get("components", [])) > 5:
            problems.append(("components", "An action row holds at most 5 components."))
        if len(comp.get("label") or "") > 80 and comp.get("type") == 2:
            problems.append(("components", "Button label must be 80 or fewer in length."))
        if len(comp.get("options") or []) > MAX_CHOICES:
            problems.append(("components", f"A select has at most {MAX_CHOICES} options."))
    return problems


def check_modal(data: dict[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if len(data.get("title") or "") > 45:
        problems.append(("data.title", "Must be 45 or fewer in length."))
    if len(data.get("custom_id") or "") > MAX_CUSTOM_ID:
        problems.append(("data.custom_id", f"Must be {MAX_CUSTOM_ID} or fewer in length."))
    if not 1 <= len(data.get("components") or []) <= 5:
        problems.append(("data.components", "A modal has 1 to 5 components."))
    for comp in iter_components(data.get("components") or []):
        if comp.get("type") in (4, 18) and len(comp.get("label") or "") > 45:
            problems.append(("data.components", "Label must be 45 or fewer in length."))
    return problems


def check_choices(data: dict[str, Any]) -> list[tuple[str, str]]:
    choices = data.get("choices") or []
    problems: list[tuple[str, str]] = []
    if len(choices) > MAX_CHOICES:
        problems.append(("data.choices", f"Must be {MAX_CHOICES} or fewer in length."))
    for i, choice in enumerate(choices):
        if not 1 <= len(str(choice.get("name", ""))) <= 100:
            problems.append((f"data.choices.{i}.name", "Must be between 1 and 100 in length."))
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            problems.append((f"data.choices.{i}.value", "Must be 100 or fewer in length."))
    return problems
