"""Discord's published request contract: would real Discord accept this request body?

The schemas come from Discord's own OpenAPI description, copied by
``scripts/derive_discord_contract.py`` into ``bot/data/discord_contract.json`` together with the
documented limits the description does not encode (its README). This module validates a body
against its route's schema (jsonschema) and then against those limits, and reports problems the
way Discord does: 400, code 50035 "Invalid Form Body", an ``errors`` tree keyed by field path.

Used by ``dmbot sync --dry-run`` and ``dmbot check`` (the command schema, before it is published)
and by the local Discord in bot/sandbox (every body it receives). Production code must not import
the sandbox, so this lives here.

Rules the description cannot express and that are checked here by hand (each names its limit in
the contract file): command and option names (Unicode pattern, lowercase), chat-input
descriptions 1-100, no choices with autocomplete, choice string values at most 100, option names
unique and required options first, the 8,000-character command total, at most 100 global
chat-input commands and unique names, the 6,000-character total of a message's embeds, non-empty
embed field names and values, at most 5 action rows without the components-v2 flag, a select
alone in its row and min/max values within its options, buttons (label or emoji; custom_id unless
a link; url for links), custom_ids unique within a message or modal, at most 10 uploads, and a
message that is not empty.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema import _keywords as standard_keywords
from jsonschema.exceptions import ValidationError

CONTRACT_FILE = Path(__file__).resolve().parent / "data" / "discord_contract.json"

COMMANDS_PUT = "PUT /applications/{application_id}/commands"
GUILD_COMMANDS_PUT = "PUT /applications/{application_id}/guilds/{guild_id}/commands"
COMMANDS_POST = "POST /applications/{application_id}/commands"
GUILD_COMMANDS_POST = "POST /applications/{application_id}/guilds/{guild_id}/commands"
INTERACTION_CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"
WEBHOOK_EXECUTE = "POST /webhooks/{webhook_id}/{webhook_token}"
WEBHOOK_EDIT_ORIGINAL = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original"
WEBHOOK_EDIT = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
MESSAGE_CREATE = "POST /channels/{channel_id}/messages"
MESSAGE_EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"
DM_CREATE = "POST /users/@me/channels"

_CREATES_MESSAGE = {WEBHOOK_EXECUTE, MESSAGE_CREATE}
_EDITS_MESSAGE = {WEBHOOK_EDIT_ORIGINAL, WEBHOOK_EDIT, MESSAGE_EDIT}
_COMMAND_LISTS = {COMMANDS_PUT, GUILD_COMMANDS_PUT}
_SINGLE_COMMANDS = {COMMANDS_POST, GUILD_COMMANDS_POST}

IS_COMPONENTS_V2 = 1 << 15
SUBCOMMAND_TYPES = (1, 2)
LINK_BUTTON, PREMIUM_BUTTON = 5, 6
SELECT_TYPES = (3, 5, 6, 7, 8)
MAX_UPLOADS = 10

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One refusal: where in the body, Discord's error code, and its message."""

    path: Path_
    code: str
    message: str

    @property
    def where(self) -> str:
        return ".".join(str(p) for p in self.path) or "(body)"

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.code}]"


def error_body(problems: Sequence[Problem]) -> dict[str, Any]:
    """Discord's answer to an invalid body: 50035 with the nested ``errors`` tree by field path."""
    errors: dict[str, Any] = {}
    for problem in problems:
        node = errors
        for part in problem.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


# -- formats -------------------------------------------------------------------------------------

_formats = FormatChecker(formats=())


@_formats.checks("uri", raises=ValueError)
def _well_formed_url(value: object) -> bool:
    """Discord takes http(s) URLs with a host (and ``attachment://name`` for uploads)."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    if parts.scheme in ("http", "https"):
        return bool(parts.hostname)
    return parts.scheme == "attachment" and bool(parts.netloc or parts.path)


# -- the contract ----------------------------------------------------------------------------------


class Contract:
    """The derived contract file, with one compiled validator per route."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.limits = {name: entry["value"] for name, entry in data["limits"].items()}
        self._validators: dict[tuple[str, str], Any] = {}
        self._validator_class = _discriminating_validator(data["definitions"])

    @property
    def routes(self) -> list[str]:
        return sorted(self.data["routes"])

    def validator(self, route: str, kind: str = "json") -> Any:
        key = (route, kind)
        if key not in self._validators:
            entry = self.data["routes"][route]
            schema = dict(entry.get(kind) or entry["json"], definitions=self.data["definitions"])
            self._validators[key] = self._validator_class(schema, format_checker=_formats)
        return self._validators[key]

    def check(self, route: str, body: Any, *, uploads: int = 0) -> list[Problem]:
        """Everything Discord would refuse in ``body`` sent to ``route`` (with ``uploads`` files)."""
        validator = self.validator(route, "multipart" if uploads else "json")
        problems = [p for error in validator.iter_errors(body) for p in _problems(error)]
        try:
            problems.extend(self._limits(route, body, uploads))
        except (AttributeError, TypeError, ValueError):
            pass  # the limits assume the schema's shapes; the schema has already said what is wrong
        return _sorted(problems)

    def check_commands(self, commands: list[dict[str, Any]], *, guild: bool = False) -> list[Problem]:
        """A bulk overwrite of the command schema, global or for one guild."""
        return self.check(GUILD_COMMANDS_PUT if guild else COMMANDS_PUT, commands)

    def _limits(self, route: str, body: Any, uploads: int) -> Iterator[Problem]:
        if route in _COMMAND_LISTS:
            yield from _command_list(body, self.limits, scope_global=route == COMMANDS_PUT)
        elif route in _SINGLE_COMMANDS:
            yield from _command(body, (), self.limits)
        elif route == INTERACTION_CALLBACK:
            yield from _callback(body, self.limits, uploads)
        elif route in _CREATES_MESSAGE:
            yield from _message(body, (), self.limits, creating=True, uploads=uploads)
        elif route in _EDITS_MESSAGE:
            yield from _message(body, (), self.limits, creating=False, uploads=uploads)


def _discriminating_validator(definitions: dict[str, Any]) -> Any:
    """Draft 2020-12, but a union (oneOf/anyOf) goes straight to the branch the value names.

    Discord's unions are tagged: a component, an option or a callback names its kind in ``type``,
    and a nullable field is ``oneOf [null, X]``. Trying every branch (what jsonschema does) costs
    tens of milliseconds per message and buries the real error among the other branches' errors;
    the tagged branch alone gives the same verdict, fast, with the error at the real field.
    """

    def tags(branch: dict[str, Any]) -> list[Any] | None:
        target = definitions.get(str(branch.get("$ref", "")).rsplit("/", 1)[-1], branch)
        kind = (target.get("properties") or {}).get("type") or {}
        return list(kind["enum"]) if "enum" in kind else [kind["const"]] if "const" in kind else None

    def chosen(branches: list[dict[str, Any]], instance: Any) -> int | None:
        if all(set(b) == {"const"} for b in branches):  # an enum written as oneOf consts
            found = [i for i, b in enumerate(branches) if b["const"] == instance and type(instance) is not bool]
            return found[0] if found else None
        nulls = [i for i, b in enumerate(branches) if b == {"type": "null"}]
        if nulls and len(branches) == 2:  # oneOf [null, X]
            return nulls[0] if instance is None else 1 - nulls[0]
        if not isinstance(instance, dict) or "type" not in instance:
            return None
        matches = [i for i, b in enumerate(branches) if instance["type"] in (tags(b) or [])]
        return matches[0] if len(matches) == 1 else None

    def union(standard: Any) -> Any:
        def keyword(validator: Any, branches: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
            index = chosen(branches, instance)
            if index is None:
                yield from standard(validator, branches, instance, schema)
            else:
                yield from validator.descend(instance, branches[index], schema_path=index)

        return keyword

    return validators.extend(
        Draft202012Validator,
        {"oneOf": union(standard_keywords.oneOf), "anyOf": union(standard_keywords.anyOf)},
    )


@cache
def load_contract(path: Path = CONTRACT_FILE) -> Contract:
    with path.open(encoding="utf-8") as fh:
        return Contract(json.load(fh))


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: ([str(x) for x in p.path], p.code))


# -- schema errors, as Discord words them ----------------------------------------------------------


def _problems(error: ValidationError) -> list[Problem]:
    return [_as_problem(e) for e in _specific(error)]


def _specific(error: ValidationError) -> list[ValidationError]:
    """For a union (oneOf/anyOf), the errors of the one branch the value was meant for.

    A branch is ruled out when the value's shape or its ``type`` discriminator does not fit it
    (a null branch for an object; a button schema for a select); what is left is the schema the
    sender meant, and its errors name the real field.
    """
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    viable = [errs for errs in branches.values() if not any(_rules_out(e) for e in errs)]
    if not viable:
        return [error]
    chosen = min(viable, key=len)
    return [leaf for sub in chosen for leaf in _specific(sub)]


def _rules_out(error: ValidationError) -> bool:
    here = list(error.relative_path)
    if not here:
        return error.validator in ("type", "const", "enum")
    return here == ["type"] and error.validator in ("const", "enum", "type")


def _as_problem(error: ValidationError) -> Problem:
    path: Path_ = tuple(error.absolute_path)
    rule, bound, schema = error.validator, error.validator_value, error.schema
    if rule == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = next((name for name in bound if name not in instance), "")
        return Problem((*path, missing), "BASE_TYPE_REQUIRED", "This field is required")
    if rule in ("maxLength", "minLength", "maxItems", "minItems", "maxProperties"):
        return _length_problem(path, rule, schema)
    if rule in ("maximum", "minimum"):
        kind = "int" if isinstance(error.instance, int) else "float"
        if rule == "maximum":
            return Problem(path, "NUMBER_TYPE_MAX", f"{kind} value should be less than or equal to {bound}.")
        return Problem(path, "NUMBER_TYPE_MIN", f"{kind} value should be greater than or equal to {bound}.")
    if rule in ("enum", "const"):
        options = bound if rule == "enum" else [bound]
        return Problem(path, "BASE_TYPE_CHOICES", f"Value must be one of {tuple(options)}.")
    if rule == "pattern":
        return Problem(path, "STRING_TYPE_REGEX", f"String value did not match validation regex {bound}.")
    if rule == "format" and bound == "uri":
        return Problem(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    if rule == "type":
        return Problem(path, "BASE_TYPE_INVALID", f"Value {_short(error.instance)} is not of type {bound}.")
    if rule in ("oneOf", "anyOf"):
        return Problem(path, "UNION_TYPE_CHOICES", f"Value {_short(error.instance)} matches none of the types.")
    return Problem(path, "BASE_TYPE_INVALID", error.message[:200])


def _length_problem(path: Path_, rule: str, schema: dict[str, Any]) -> Problem:
    unit = "Length" if rule.endswith("Length") else "Items"
    low, high = schema.get(f"min{unit}"), schema.get(f"max{unit}")
    if rule == "maxProperties":
        return Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {schema['maxProperties']} or fewer in length.")
    if low is not None and high is not None:
        return Problem(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")
    if rule.startswith("max"):
        return Problem(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
    return Problem(path, "BASE_TYPE_MIN_LENGTH", f"Must be {low} or more in length.")


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


# -- commands ------------------------------------------------------------------------------------


def _command_list(commands: list[Any], limits: dict[str, Any], *, scope_global: bool) -> Iterator[Problem]:
    seen: set[tuple[int, str]] = set()
    chat_input = 0
    for i, cmd in enumerate(commands):
        key = (int(cmd.get("type") or 1), str(cmd.get("name")))
        if key in seen:
            code, text = "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
            yield Problem((i, "name"), code, text)
        seen.add(key)
        chat_input += key[0] == 1
        yield from _command(cmd, (i,), limits)
    most = limits["global_chat_input_commands_max"]
    if scope_global and chat_input > most:
        yield Problem((), "BASE_TYPE_MAX_LENGTH", f"Must be {most} or fewer in length (chat-input commands).")


def _command(cmd: dict[str, Any], at: Path_, limits: dict[str, Any]) -> Iterator[Problem]:
    if int(cmd.get("type") or 1) != 1:
        return  # user and message commands: name 1-32 (the schema), no description or options
    yield from _name_and_description(cmd, at, limits)
    yield from _options(cmd.get("options") or [], (*at, "options"), limits)
    total = _command_size(cmd)
    if total > limits["command_total_max"]:
        yield Problem(
            at, "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({limits['command_total_max']})"
        )


def _name_and_description(item: dict[str, Any], at: Path_, limits: dict[str, Any]) -> Iterator[Problem]:
    name = str(item.get("name") or "")
    if not _valid_name(name):
        yield Problem(
            (*at, "name"), "APPLICATION_COMMAND_INVALID_NAME", f"Command name {name!r} is invalid (lowercase, 1-32)"
        )
    description = item.get("description") or ""
    low, high = limits["description_min"], limits["description_max"]
    if not low <= len(description) <= high:
        yield Problem((*at, "description"), "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def _valid_name(name: str) -> bool:
    """README: ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``, lowercase where a letter has case."""
    return 1 <= len(name) <= 32 and all(_name_char(ch) and ch.lower() == ch for ch in name)


def _name_char(ch: str) -> bool:
    devanagari_or_thai = "\u0900" <= ch <= "\u097f" or "\u0e00" <= ch <= "\u0e7f"
    return ch in "-_'" or unicodedata.category(ch)[0] in "LN" or devanagari_or_thai


def _options(options: list[dict[str, Any]], at: Path_, limits: dict[str, Any]) -> Iterator[Problem]:
    names: set[str] = set()
    optional_seen = False
    for i, opt in enumerate(options):
        where = (*at, i)
        yield from _name_and_description(opt, where, limits)
        name = str(opt.get("name"))
        if name in names:
            yield Problem((*where, "name"), "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME", "Option names must be unique")
        names.add(name)
        if opt.get("type") in SUBCOMMAND_TYPES:
            yield from _options(opt.get("options") or [], (*where, "options"), limits)
            continue
        if opt.get("required") and optional_seen:
            yield Problem(
                (*where, "required"),
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        optional_seen = optional_seen or not opt.get("required")
        yield from _choices(opt, where, limits)


def _choices(opt: dict[str, Any], at: Path_, limits: dict[str, Any]) -> Iterator[Problem]:
    choices = opt.get("choices") or []
    if choices and opt.get("autocomplete"):
        yield Problem(
            (*at, "autocomplete"),
            "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_WITH_CHOICES",
            "Autocomplete cannot be set for options with choices",
        )
    yield from _choice_values(choices, (*at, "choices"), limits)


def _choice_values(choices: list[Any], at: Path_, limits: dict[str, Any]) -> Iterator[Problem]:
    most = limits["choice_string_value_max"]
    for i, choice in enumerate(choices):
        value = (choice or {}).get("value")
        if isinstance(value, str) and len(value) > most:
            yield Problem((*at, i, "value"), "BASE_TYPE_MAX_LENGTH", f"Must be {most} or fewer in length.")


def _command_size(item: dict[str, Any]) -> int:
    """What counts towards the 8,000: names, descriptions, choice names and values, all levels."""
    size = len(str(item.get("name") or "")) + len(str(item.get("description") or ""))
    for choice in item.get("choices") or []:
        size += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return size + sum(_command_size(opt) for opt in item.get("options") or [])


# -- interaction callbacks -----------------------------------------------------------------------


def _callback(body: dict[str, Any], limits: dict[str, Any], uploads: int) -> Iterator[Problem]:
    kind, data = body.get("type"), body.get("data") or {}
    if kind == 4:
        yield from _message(data, ("data",), limits, creating=True, uploads=uploads)
    elif kind == 7:
        yield from _message(data, ("data",), limits, creating=False, uploads=uploads)
    elif kind == 8:
        yield from _choice_values(data.get("choices") or [], ("data", "choices"), limits)
    elif kind == 9:
        yield from _unique_custom_ids(data.get("components") or [], ("data", "components"))


# -- messages ------------------------------------------------------------------------------------


def _message(
    body: dict[str, Any], at: Path_, limits: dict[str, Any], *, creating: bool, uploads: int
) -> Iterator[Problem]:
    content, most = body.get("content"), limits["content_max"]
    if isinstance(content, str) and len(content) > most:  # the description allows 4,000 (users'); bots 2,000
        yield Problem((*at, "content"), "BASE_TYPE_MAX_LENGTH", f"Must be {most} or fewer in length.")
    yield from _embeds(body.get("embeds") or [], (*at, "embeds"), limits)
    components = body.get("components") or []
    v2 = bool(int(body.get("flags") or 0) & IS_COMPONENTS_V2)
    if not v2 and len(components) > limits["action_rows_max"]:
        most = limits["action_rows_max"]
        yield Problem((*at, "components"), "BASE_TYPE_MAX_LENGTH", f"Must be {most} or fewer in length.")
    for i, comp in enumerate(components):
        yield from _component(comp, (*at, "components", i))
    yield from _unique_custom_ids(components, (*at, "components"))
    if uploads > MAX_UPLOADS:
        yield Problem((*at, "files"), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_UPLOADS} or fewer in length.")
    if creating and not uploads and not _has_content(body):
        yield Problem((*at, "content"), "MESSAGE_EMPTY", "Cannot send an empty message")


def _has_content(body: dict[str, Any]) -> bool:
    keys = ("content", "embeds", "components", "attachments", "poll", "sticker_ids")
    return any(body.get(key) for key in keys)


def _embeds(embeds: list[dict[str, Any]], at: Path_, limits: dict[str, Any]) -> Iterator[Problem]:
    total = 0
    for i, embed in enumerate(embeds):
        total += _embed_size(embed)
        for j, fld in enumerate(embed.get("fields") or []):
            for part in ("name", "value"):
                if not str(fld.get(part) or "").strip():
                    yield Problem((*at, i, "fields", j, part), "BASE_TYPE_REQUIRED", "This field is required")
    most = limits["embed_total_max"]
    if total > most:
        yield Problem(at, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {most}")


def _embed_size(embed: dict[str, Any]) -> int:
    """Discord's count: title, description, field names and values, footer text, author name."""
    texts = [embed.get("title"), embed.get("description")]
    texts += [(embed.get("footer") or {}).get("text"), (embed.get("author") or {}).get("name")]
    for fld in embed.get("fields") or []:
        texts += [fld.get("name"), fld.get("value")]
    return sum(len(t) for t in texts if isinstance(t, str))


def _component(comp: dict[str, Any], at: Path_) -> Iterator[Problem]:
    kind = comp.get("type")
    children = comp.get("components") or []
    if kind == 1 and len(children) > 1 and any(c.get("type") in SELECT_TYPES for c in children):
        yield Problem((*at, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A select must be alone in its row")
    if kind == 2:
        yield from _button(comp, at)
    if kind in SELECT_TYPES:
        yield from _select(comp, at)
    for i, child in enumerate(children):
        yield from _component(child, (*at, "components", i))
    if isinstance(comp.get("accessory"), dict):
        yield from _component(comp["accessory"], (*at, "accessory"))


def _button(comp: dict[str, Any], at: Path_) -> Iterator[Problem]:
    style = comp.get("style")
    if style == PREMIUM_BUTTON:
        return
    if not comp.get("label") and not comp.get("emoji"):
        yield Problem((*at, "label"), "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A button needs a label or emoji")
    if style == LINK_BUTTON:
        if not comp.get("url"):
            yield Problem((*at, "url"), "BUTTON_COMPONENT_URL_REQUIRED", "A link button requires a url")
        if comp.get("custom_id"):
            yield Problem((*at, "custom_id"), "BUTTON_COMPONENT_LINK_HAS_CUSTOM_ID", "A link button has no custom_id")
    elif not comp.get("custom_id"):
        yield Problem((*at, "custom_id"), "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "A custom id is required")


def _select(comp: dict[str, Any], at: Path_) -> Iterator[Problem]:
    low = comp.get("min_values")
    high = comp.get("max_values")
    low, high = (1 if low is None else int(low)), (1 if high is None else int(high))
    if low > high:
        yield Problem((*at, "min_values"), "SELECT_COMPONENT_MIN_VALUES_TOO_LARGE", "min_values exceeds max_values")
    options = comp.get("options")
    if comp.get("type") == 3 and options is not None and high > len(options):
        yield Problem((*at, "max_values"), "SELECT_COMPONENT_MAX_VALUES_TOO_LARGE", f"Must be {len(options)} or fewer.")


def _unique_custom_ids(components: list[dict[str, Any]], at: Path_) -> Iterator[Problem]:
    seen: set[str] = set()
    for path, comp in _walk(components, at):
        custom_id = comp.get("custom_id")
        if custom_id is None:
            continue
        if custom_id in seen:
            yield Problem(
                (*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
            )
        seen.add(custom_id)


def _walk(components: list[dict[str, Any]], at: Path_) -> Iterator[tuple[Path_, dict[str, Any]]]:
    for i, comp in enumerate(components):
        if not isinstance(comp, dict):
            continue
        here = (*at, i)
        yield here, comp
        yield from _walk(comp.get("components") or [], (*here, "components"))
        for key in ("component", "accessory"):  # a modal Label wraps one; a Section has an accessory
            child = comp.get(key)
            if isinstance(child, dict):
                yield (*here, key), child
                yield from _walk(child.get("components") or [], (*here, key, "components"))
