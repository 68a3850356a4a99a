"""The invocable commands of a synced command schema: every (sub)command that takes options, with its path.

The hostile-input, stress, permission and visibility tests discover what to send from the schema the bot synced,
so a new command is covered the day it exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.sandbox.interactions import STRING, SUB_COMMAND, SUB_COMMAND_GROUP


@dataclass(frozen=True)
class Leaf:
    """One invocable (sub)command and its option schemas."""

    path: str
    options: tuple[dict[str, Any], ...]
    admin_only: bool = False  # default_member_permissions set: Discord shows it to admins only

    def option(self, name: str) -> dict[str, Any]:
        return next(o for o in self.options if o["name"] == name)

    @property
    def free_text(self) -> list[str]:
        """String options a player types freely (choices are picked, not typed)."""
        return [o["name"] for o in self.options if o["type"] == STRING and not o.get("choices")]


def leaves(commands: list[dict[str, Any]]) -> list[Leaf]:
    """Every leaf of the chat-input commands, in schema order."""

    def walk(path: str, options: list[dict[str, Any]], admin_only: bool) -> Iterator[Leaf]:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            yield Leaf(path, tuple(options), admin_only)
        for sub in subs:
            yield from walk(f"{path} {sub['name']}", sub.get("options") or [], admin_only)

    return [
        leaf
        for c in commands
        if c.get("type", 1) == 1
        for leaf in walk(c["name"], c.get("options") or [], c.get("default_member_permissions") is not None)
    ]
