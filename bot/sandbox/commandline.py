"""Typed slash commands for a terminal: `/roll 4d6kh3` or `/roll expression:1d20+5 advantage:true`.

The command schema is the one the bot synced, so every command the bot gains works here unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10
TRUE_WORDS = {"true", "yes", "y", "on", "1"}
FALSE_WORDS = {"false", "no", "n", "off", "0"}


class CommandLineError(ValueError):
    """What was typed can't become an interaction; the message says what to type instead."""


@dataclass
class ParsedCommand:
    path: str  # "roll", "character show"
    options: dict[str, Any] = field(default_factory=dict)
    schema: list[dict[str, Any]] = field(default_factory=list)  # the leaf's option schemas


def parse(line: str, commands: list[dict[str, Any]]) -> ParsedCommand:
    """Split a typed line into a command path and typed option values."""
    words = line.strip().lstrip("/").split(maxsplit=1)
    if not words:
        raise CommandLineError("Type a command, e.g. `/roll 1d20`.")
    command = _find(commands, words[0])
    path, options, rest = [command["name"]], command.get("options") or [], words[1] if len(words) > 1 else ""
    while _subcommands(options):
        name, _, rest = rest.strip().partition(" ")
        chosen = next((o for o in _subcommands(options) if o["name"] == name.lower()), None)
        if chosen is None:
            names = [o["name"] for o in _subcommands(options)]
            where = " ".join(path)
            raise CommandLineError(f"/{where} needs one of: {', '.join(names)}. Example: /{where} {names[0]}")
        path.append(chosen["name"])
        options = chosen.get("options") or []
    return ParsedCommand(" ".join(path), _options(rest.strip(), options, " ".join(path)), options)


def complete(text: str, commands: list[dict[str, Any]]) -> list[str]:
    """Completions of a partly typed command line (command, subcommand, or `option:` names)."""
    words = text.lstrip("/").split(" ")
    options = commands
    for word in words[:-1]:
        match = next((o for o in options if o["name"] == word and o.get("type", 1) in (1, 2)), None)
        if match is None:
            break
        options = match.get("options") or []
    last, head = words[-1], text[: len(text) - len(words[-1])]
    names = [o["name"] + ("" if o.get("type", 1) in (1, 2) or options is commands else ":") for o in options]
    prefix = "/" if options is commands and not head.strip() else ""
    return [(head or prefix) + n + ("" if n.endswith(":") else " ") for n in names if n.startswith(last.lstrip("/"))]


def _find(commands: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for command in commands:
        if command["name"] == name.lower() and command.get("type", 1) == 1:
            return command
    names = ", ".join(sorted("/" + c["name"] for c in commands if c.get("type", 1) == 1))
    raise CommandLineError(f"There is no /{name}. Commands: {names}")


def _subcommands(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]


def _options(rest: str, schema: list[dict[str, Any]], path: str) -> dict[str, Any]:
    by_name = {o["name"]: o for o in schema}
    if not by_name:
        if rest:
            raise CommandLineError(f"/{path} takes no options.")
        return {}
    pattern = re.compile(r"(?:^|\s)(" + "|".join(re.escape(n) for n in by_name) + r"):")
    marks = list(pattern.finditer(rest))
    positional = rest[: marks[0].start()].strip() if marks else rest.strip()
    raw: dict[str, str] = {}
    ends = [m.start() for m in marks[1:]] + [len(rest)] * bool(marks)
    for mark, end in zip(marks, ends, strict=True):
        raw[mark.group(1)] = rest[mark.end() : end].strip()
    if positional:
        target = next((o for o in schema if o["name"] not in raw and o.get("required")), None)
        target = target or next((o for o in schema if o["name"] not in raw), None)
        if target is None:
            raise CommandLineError(f"/{path}: I don't know which option `{positional}` is for. Use name:value.")
        raw[target["name"]] = positional
    missing = [o["name"] for o in schema if o.get("required") and o["name"] not in raw]
    if missing:
        usage = " ".join(f"{o['name']}:…" for o in schema if o.get("required"))
        raise CommandLineError(f"/{path} needs {', '.join(missing)}. Usage: /{path} {usage}")
    return {name: _convert(by_name[name], value, path) for name, value in raw.items()}


def _convert(schema: dict[str, Any], value: str, path: str) -> Any:
    kind, name = schema["type"], schema["name"]
    choices = schema.get("choices") or []
    if choices:
        typed = value.lower()
        for choice in choices:
            if typed in (str(choice["value"]).lower(), str(choice["name"]).lower()):
                return choice["value"]
        starting = [c for c in choices if str(c["name"]).lower().startswith(typed)]
        if len(starting) == 1:  # "con" is Constitution: a client would offer it as you type
            return starting[0]["value"]
        listed = ", ".join(str(c["name"]) for c in choices)
        raise CommandLineError(f"/{path} {name}: choose one of {listed}.")
    if kind == BOOLEAN:
        if value.lower() in TRUE_WORDS | FALSE_WORDS:
            return value.lower() in TRUE_WORDS
        raise CommandLineError(f"/{path} {name}: say true or false.")
    if kind in (INTEGER, NUMBER):
        try:
            return int(value) if kind == INTEGER else float(value)
        except ValueError:
            whole = "whole " if kind == INTEGER else ""
            raise CommandLineError(f"/{path} {name}: `{value}` is not a {whole}number.") from None
    return value
