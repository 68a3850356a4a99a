"""One checker of what the bot sent against Discord's documented limits (bot/discord_limits.py).

Reads the local Discord's request log: every message the bot posted or edited, every interaction
callback (messages, modals, autocomplete answers), and the files uploaded with them. Shared by the
unit tests of bot/ui/fit.py and the stress test, so both hold the bot to the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot import discord_limits as limits
from bot.sandbox.messages import RequestRecord
from bot.ui.fit import embed_length

MESSAGE_CALLBACKS = {4, 7}  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE
AUTOCOMPLETE_RESULT = 8
MODAL = 9
BUTTON, SELECTS = 2, {3, 5, 6, 7, 8}


def over(what: str, text: Any, limit: int) -> list[str]:
    size = len(text or "")
    return [f"{what}: {size:,} > {limit:,}"] if size > limit else []


def embed_violations(embed: dict[str, Any], where: str) -> list[str]:
    fields = embed.get("fields") or []
    found = over(f"{where}.title", embed.get("title"), limits.EMBED_TITLE)
    found += over(f"{where}.description", embed.get("description"), limits.EMBED_DESCRIPTION)
    found += over(f"{where}.footer", (embed.get("footer") or {}).get("text"), limits.FOOTER_TEXT)
    found += over(f"{where}.author", (embed.get("author") or {}).get("name"), limits.AUTHOR_NAME)
    if len(fields) > limits.EMBED_FIELDS:
        found.append(f"{where}.fields: {len(fields)} > {limits.EMBED_FIELDS}")
    for n, field in enumerate(fields):
        found += over(f"{where}.fields[{n}].name", field.get("name"), limits.FIELD_NAME)
        found += over(f"{where}.fields[{n}].value", field.get("value"), limits.FIELD_VALUE)
        if not field.get("name") or not field.get("value"):
            found.append(f"{where}.fields[{n}] is empty")
    for part in ("thumbnail", "image"):
        url = (embed.get(part) or {}).get("url")
        if part in embed and not limits.is_http_url(url or ""):
            found.append(f"{where}.{part}.url is not an http(s) URL: {url!r}")
    return found


def component_violations(rows: Iterable[dict[str, Any]], where: str) -> list[str]:
    found: list[str] = []
    for r, row in enumerate(rows):
        for c, item in enumerate(row.get("components") or []):
            at = f"{where}.components[{r}][{c}]"
            found += over(f"{at}.custom_id", item.get("custom_id"), limits.CUSTOM_ID)
            if item.get("type") == BUTTON:
                found += over(f"{at}.label", item.get("label"), limits.BUTTON_LABEL)
            if item.get("type") in SELECTS:
                found += select_violations(item, at)
    return found


def select_violations(select: dict[str, Any], where: str) -> list[str]:
    options = select.get("options") or []
    found = over(f"{where}.placeholder", select.get("placeholder"), limits.SELECT_PLACEHOLDER)
    if len(options) > limits.SELECT_OPTIONS:
        found.append(f"{where}.options: {len(options)} > {limits.SELECT_OPTIONS}")
    for n, option in enumerate(options):
        found += over(f"{where}.options[{n}].label", option.get("label"), limits.SELECT_OPTION_LABEL)
        found += over(f"{where}.options[{n}].value", option.get("value"), limits.SELECT_OPTION_VALUE)
        found += over(f"{where}.options[{n}].description", option.get("description"), limits.SELECT_OPTION_DESCRIPTION)
    return found


def message_violations(message: dict[str, Any], where: str = "message") -> list[str]:
    embeds = message.get("embeds") or []
    found = over(f"{where}.content", message.get("content"), limits.CONTENT)
    if len(embeds) > limits.EMBEDS_PER_MESSAGE:
        found.append(f"{where}.embeds: {len(embeds)} > {limits.EMBEDS_PER_MESSAGE}")
    for n, embed in enumerate(embeds):
        found += embed_violations(embed, f"{where}.embeds[{n}]")
    total = sum(embed_length(e) for e in embeds)
    if total > limits.EMBED_TOTAL:
        found.append(f"{where}.embeds: {total:,} characters in all > {limits.EMBED_TOTAL:,}")
    return found + component_violations(message.get("components") or [], where)


def modal_violations(modal: dict[str, Any]) -> list[str]:
    found = over("modal.title", modal.get("title"), limits.MODAL_TITLE)
    return found + over("modal.custom_id", modal.get("custom_id"), limits.CUSTOM_ID)


def autocomplete_violations(data: dict[str, Any]) -> list[str]:
    choices = data.get("choices") or []
    found = [f"autocomplete: {len(choices)} choices > 25"] if len(choices) > limits.AUTOCOMPLETE_CHOICES else []
    for n, choice in enumerate(choices):
        for key, limit in (("name", limits.CHOICE_NAME), ("value", limits.CHOICE_VALUE)):
            value = str(choice.get(key, ""))
            if not 1 <= len(value) <= limit:
                found.append(f"autocomplete.choices[{n}].{key}: {len(value)} characters (1-{limit})")
    return found


def request_violations(record: RequestRecord) -> list[str]:
    """What Discord would refuse in one recorded request (nothing for routes that carry no message)."""
    body = record.json if isinstance(record.json, dict) else {}
    uploaded = sum(size for _, size in record.files)
    found = [f"files: {uploaded:,} bytes > {limits.UPLOAD_BYTES:,}"] if uploaded > limits.UPLOAD_BYTES else []
    if "/callback" in record.path:
        kind, data = body.get("type"), body.get("data") or {}
        if kind in MESSAGE_CALLBACKS:
            found += message_violations(data)
        elif kind == MODAL:
            found += modal_violations(data)
        elif kind == AUTOCOMPLETE_RESULT:
            found += autocomplete_violations(data)
    elif record.method in ("POST", "PATCH") and ("/messages" in record.path or "/webhooks/" in record.path):
        found += message_violations(body)
    return found


def log_violations(records: Iterable[RequestRecord]) -> list[str]:
    """Every violation in a request log, each with the request it came from."""
    return [f"{r.method} {r.path}: {v}" for r in records for v in request_violations(r)]
