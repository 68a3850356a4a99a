"""Typed slash commands for a terminal: `/roll 4d6kh3` or `/roll expression:1d20+5 advantage:true`.

The command schema is the one the bot synced, so every command the bot gains works here unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sandbox.messages import File
from bot.sandbox.world import ATTACHMENT_SIZE_LIMIT, Guild, User

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
TRUE_WORDS = {"true", "yes", "y", "on", "1"}
FALSE_WORDS = {"false", "no", "n", "off", "0"}


class CommandLineError(ValueError):
    """What was typed can't become an interaction; the message says what to type instead."""


MENTION = re.compile(r"^<(@!?|@&|#)(\d+)>$")
ValueSuggester = Callable[[str, dict[str, Any], str], list[str]]  # (command path, option, typed so far) → names


@dataclass
class Directory:
    """What a typed `@name`, `#channel` or `@role` means in one guild, as a Discord client's pickers know."""

    guild: Guild
    users: Mapping[int, User]

    def resolve(self, kind: int, typed: str, where: str) -> int:
        """The id a user/channel/role option gets for what was typed: a name, `@name`, `#name`, a mention or an id."""
        text = typed.strip()
        if (mention := MENTION.match(text)) or text.isdigit():
            snowflake = int(mention.group(2) if mention else text)
            if snowflake in self._ids(kind):
                return snowflake
        else:
            for snowflake, name in self._named(kind):
                if name.casefold() == text.lstrip("@#").casefold():
                    return snowflake
        known = ", ".join(self.names(kind)) or "none"
        raise CommandLineError(f"{where}: there is no {KIND_WORDS[kind]} called {typed!r} here. Try one of: {known}")

    def names(self, kind: int) -> list[str]:
        """How each candidate is typed: `@alice`, `#tavern`, `@DM`."""
        sigil = "#" if kind == CHANNEL else "@"
        return [sigil + name for _, name in self._named(kind)]

    def _named(self, kind: int) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        if kind in (USER, MENTIONABLE):
            found += [(uid, m.user.name) for uid, m in self.guild.members.items() if not m.user.bot]
        if kind in (ROLE, MENTIONABLE):
            found += [(r.id, r.name) for r in self.guild.roles.values() if r.id != self.guild.id and not r.managed]
        if kind == CHANNEL:
            found += [(c.id, c.name) for c in self.guild.channels.values()]
        return found

    def _ids(self, kind: int) -> set[int]:
        ids = {snowflake for snowflake, _ in self._named(kind)}
        return ids | (set(self.users) if kind in (USER, MENTIONABLE) else set())


KIND_WORDS = {USER: "member", CHANNEL: "channel", ROLE: "role", MENTIONABLE: "member or role"}


@dataclass
class ParsedCommand:
    path: str  # "roll", "character show"
    options: dict[str, Any] = field(default_factory=dict)
    schema: list[dict[str, Any]] = field(default_factory=list)  # the leaf's option schemas


def parse(line: str, commands: list[dict[str, Any]], directory: Directory | None = None) -> ParsedCommand:
    """Split a typed line into a command path and typed option values (members, channels and roles by
    name through `directory`)."""
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
    return ParsedCommand(" ".join(path), _options(rest.strip(), options, " ".join(path), directory), options)


def complete(
    text: str,
    commands: list[dict[str, Any]],
    directory: Directory | None = None,
    suggest: ValueSuggester | None = None,
) -> list[str]:
    """Completions of a partly typed command line: command, subcommand, `option:` names, and an
    option's values (its choices, its autocomplete through `suggest`, members and channels by name)."""
    words = text.lstrip("/").split(" ")
    options, path = commands, list[str]()
    for word in words[:-1]:
        match = next((o for o in options if o["name"] == word and o.get("type", 1) in (1, 2)), None)
        if match is None:
            break
        options, path = match.get("options") or [], [*path, word]
    if options is not commands:  # inside a command: the last `name:` typed may be half a value
        value = _value_being_typed(text, options)
        if value is not None:
            schema, typed = value
            head = text[: len(text) - len(typed)]
            return [head + v + " " for v in _values(schema, typed, " ".join(path), directory, suggest)]
    last, head = words[-1], text[: len(text) - len(words[-1])]
    names = [o["name"] + ("" if o.get("type", 1) in (1, 2) or options is commands else ":") for o in options]
    prefix = "/" if options is commands and not head.strip() else ""
    return [(head or prefix) + n + ("" if n.endswith(":") else " ") for n in names if n.startswith(last.lstrip("/"))]


def _value_being_typed(text: str, schema: list[dict[str, Any]]) -> tuple[dict[str, Any], str] | None:
    """The option whose value the line ends in, and what of it is typed so far."""
    names = [o["name"] for o in schema if o.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not names:
        return None
    marks = list(re.finditer(r"(?:^|\s)(" + "|".join(re.escape(n) for n in names) + r"):", text))
    if not marks:
        return None
    last = marks[-1]
    return next(o for o in schema if o["name"] == last.group(1)), text[last.end() :]


def _values(
    schema: dict[str, Any], typed: str, path: str, directory: Directory | None, suggest: ValueSuggester | None
) -> list[str]:
    if schema.get("choices"):
        offered = [str(c["name"]) for c in schema["choices"]]
    elif schema["type"] in KIND_WORDS and directory is not None:
        offered = directory.names(schema["type"])
    elif schema["type"] == BOOLEAN:
        offered = ["true", "false"]
    elif schema.get("autocomplete") and suggest is not None:
        suggested = suggest(path, schema, typed)  # the bot's matches; those that start as typed come first
        starting = [v for v in suggested if v.casefold().startswith(typed.casefold())]
        return starting or suggested
    else:
        return []
    typed = typed.casefold()
    return [v for v in offered if v.casefold().startswith(typed) or v.casefold().lstrip("@#").startswith(typed)]


def _find(commands: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for command in commands:
        if command["name"] == name.lower() and command.get("type", 1) == 1:
            return command
    names = ", ".join(sorted("/" + c["name"] for c in commands if c.get("type", 1) == 1))
    raise CommandLineError(f"There is no /{name}. Commands: {names}")


def _subcommands(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]


def _options(rest: str, schema: list[dict[str, Any]], path: str, directory: Directory | None) -> dict[str, Any]:
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
    return {name: _convert(by_name[name], value, path, directory) for name, value in raw.items()}


def _convert(schema: dict[str, Any], value: str, path: str, directory: Directory | None) -> Any:
    """The typed value as the option's type, checked as a Discord client checks it before sending."""
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
        return _number(schema, value, f"/{path} {name}")
    if kind in KIND_WORDS:
        if directory is None:
            if value.isdigit():
                return int(value)
            raise CommandLineError(f"/{path} {name}: give the {KIND_WORDS[kind]}'s id.")
        return directory.resolve(kind, value, f"/{path} {name}")
    if kind == ATTACHMENT:
        return attach(value, f"/{path} {name}")
    low, high = schema.get("min_length", 0), schema.get("max_length", 6000)
    if not low <= len(value) <= high:
        raise CommandLineError(f"/{path} {name}: {low} to {high} characters, and this is {len(value)}.")
    return value


def attach(typed: str, where: str) -> File:
    """A local file for an attachment option (`file:heroes/randal.json`), as a Discord client uploads it."""
    path = Path(typed.strip().strip("\"'")).expanduser()
    if not typed.strip():
        raise CommandLineError(f"{where}: give a file's path, e.g. {where.split()[0]} {where.split()[-1]}:hero.json")
    if not path.is_file():
        raise CommandLineError(f"{where}: there is no file {str(path)!r} (paths are relative to {Path.cwd()}).")
    size = path.stat().st_size
    if size > ATTACHMENT_SIZE_LIMIT:
        raise CommandLineError(
            f"{where}: {path.name} is {size:,} bytes; Discord takes at most {ATTACHMENT_SIZE_LIMIT:,}."
        )
    content_type = "application/json" if path.suffix.lower() == ".json" else None
    return File(path.name, path.read_bytes(), content_type)


def _number(schema: dict[str, Any], value: str, where: str) -> int | float:
    kind = schema["type"]
    try:
        number: int | float = int(value) if kind == INTEGER else float(value)
    except ValueError:
        whole = "whole " if kind == INTEGER else ""
        raise CommandLineError(f"{where}: `{value}` is not a {whole}number.") from None
    low, high = schema.get("min_value"), schema.get("max_value")
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = (
            f"from {low} to {high}"
            if low is not None and high is not None
            else (f"at least {low}" if low is not None else f"at most {high}")
        )
        raise CommandLineError(f"{where}: {bounds}, not {value}.")
    return number
