"""The one boundary where text typed in Discord enters the bot: every interaction, before discord.py reads it.

Slash-command options (half-typed autocomplete values too), modal fields, and the names and descriptions
of attached files are made storable here (`bot.engine.text.storable`: no NUL, no control characters),
so no command, view or modal can forget to, and a command added later is covered without a line of
its own. Names, labels and prose get their stricter cleaning (`visible`, `prose`) in the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.engine.text import storable

STRING_OPTION = 3
TEXT_INPUT = 4
ATTACHMENT_TEXTS = ("filename", "description", "title")


def clean_interaction(payload: dict[str, Any]) -> dict[str, Any]:
    """An INTERACTION_CREATE body with every typed text in it made storable (in place; returned for chaining)."""
    data = payload.get("data")
    if not isinstance(data, dict):
        return payload
    _clean_options(data.get("options") or [])
    _clean_components(data.get("components") or [])
    attachments = (data.get("resolved") or {}).get("attachments") or {}
    for attachment in attachments.values():
        for key in ATTACHMENT_TEXTS:
            if isinstance(attachment.get(key), str):
                attachment[key] = storable(attachment[key])
    return payload


def guard_interactions(parsers: dict[str, Callable[[Any], None]]) -> None:
    """Put `clean_interaction` in front of discord.py's INTERACTION_CREATE parser (its gateway reads this dict)."""
    parse = parsers["INTERACTION_CREATE"]

    def parse_clean(payload: Any) -> None:
        parse(clean_interaction(payload))

    parsers["INTERACTION_CREATE"] = parse_clean


def _clean_options(options: list[dict[str, Any]]) -> None:
    for option in options:
        if option.get("type") == STRING_OPTION and isinstance(option.get("value"), str):
            option["value"] = storable(option["value"])
        _clean_options(option.get("options") or [])


def _clean_components(components: list[dict[str, Any]]) -> None:
    for component in components:
        if component.get("type") == TEXT_INPUT and isinstance(component.get("value"), str):
            component["value"] = storable(component["value"])
        _clean_components(component.get("components") or [])
        if isinstance(component.get("component"), dict):  # a Label wraps one input
            _clean_components([component["component"]])
