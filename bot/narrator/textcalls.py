"""Tool calls that a model wrote as text, recognised while it streams and never shown to players.

Small local models often write their calls into the reply instead of the API's ``tool_calls``
(llama.cpp parses only the exact tag format its chat template declares). The shapes seen in the
wild: Hermes/Qwen ``<tool_call>{…}</tool_call>``, ``<tools>…</tools>``, ``<function_call>…``,
Llama 3.1 ``<function=name>{…}</function>`` and ``<|python_tag|>{…}`` (or ``name(a=1)``),
Mistral ``[TOOL_CALLS] [{…}]`` and ``[TOOL_CALLS]name[ARGS]{…}``, fenced ```` ```json ```` blocks,
and bare ``{"name": …, "arguments": …}`` objects, sometimes with doubled braces. Reasoning blocks
(``<think>…</think>``) and leftover special tokens (``<|im_end|>``) are markup too.

``TextCallScanner`` is fed the streamed text and hands back only prose: text that may be the start
of markup is held until it is known either way, so a player never sees half a tag.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["TextCall", "TextCallScanner", "calls_in"]

# Tag pairs whose body holds calls (or nothing worth showing); None: the body runs to the end of the text.
_TAGS: dict[str, str | None] = {
    "<tool_call>": "</tool_call>",
    "<tools>": "</tools>",
    "<function_call>": "</function_call>",
    "<think>": "</think>",
    "<|python_tag|>": None,
    "[TOOL_CALLS]": None,
}
_FENCE = "```"
_FUNCTION_TAG = re.compile(r"<function=([A-Za-z_][\w.-]*)>")
_SPECIAL_TOKEN = re.compile(r"<\|[a-z_]{1,30}\|>")
_MISTRAL_NAMED = re.compile(r"\s*([A-Za-z_]\w*)\[ARGS\]")
_PYTHON_CALL = re.compile(r"\s*([A-Za-z_]\w*)\((.*)\)\s*$", re.DOTALL)
_OPENERS = (*_TAGS, _FENCE, "<function=", "<|")
_STARTS = "<[`{"
_NAME_KEYS = ("name", "tool", "tool_name", "function_name")
_ARGUMENT_KEYS = ("arguments", "parameters", "args", "input", "tool_input")


@dataclass(frozen=True)
class TextCall:
    """One call found in the text: the tool's name and its arguments as JSON text."""

    name: str
    arguments: str


class _Verdict(Enum):
    WAIT = "wait"  # the text so far may still become markup: hold it
    PROSE = "prose"  # show it
    MARKUP = "markup"  # drop it (any calls in it are recorded)


@dataclass
class TextCallScanner:
    """Feed it streamed text; it returns the prose and collects the calls in ``calls``.

    ``tools`` are the names on offer: a bare JSON object counts as a call only when it names one
    (inside tags or a fence any name counts, so the engine can tell the model the tool is unknown).
    """

    tools: Sequence[str]
    calls: list[TextCall] = field(default_factory=list)
    _held: str = ""

    def feed(self, text: str) -> str:
        """The prose that is safe to show now."""
        self._held += text
        return self._drain(final=False)

    def finish(self) -> str:
        """The end of the reply: whatever is still held is decided now."""
        return self._drain(final=True)

    def _drain(self, *, final: bool) -> str:
        shown: list[str] = []
        while self._held:
            start = _first_start(self._held)
            if start < 0:
                shown.append(self._held)
                self._held = ""
                break
            shown.append(self._held[:start])
            self._held = self._held[start:]
            verdict, length = self._judge(self._held, final=final)
            if verdict is _Verdict.WAIT:
                break
            if verdict is _Verdict.PROSE:
                shown.append(self._held[:length])
            self._held = self._held[length:]
        return "".join(shown)

    def _judge(self, text: str, *, final: bool) -> tuple[_Verdict, int]:
        """What the markup-looking text at the start of ``text`` is, and how long it runs."""
        if not final and any(opener.startswith(text) for opener in _OPENERS):
            return _Verdict.WAIT, 0  # e.g. "<too": wait for the rest of the tag
        for judge in (self._tagged, self._function_tag, self._special_token, self._fenced, self._bare_json):
            verdict = judge(text, final)
            if verdict is not None:
                return verdict
        return _Verdict.PROSE, 1

    def _tagged(self, text: str, final: bool) -> tuple[_Verdict, int] | None:
        opener = next((tag for tag in _TAGS if text.startswith(tag)), None)
        if opener is None:
            return None
        closer = _TAGS[opener]
        body_start = len(opener)
        if closer is None:
            return self._open_ended(text, body_start, final)
        end = text.find(closer, body_start)
        if end < 0:
            if not final:
                return _Verdict.WAIT, 0
            end, closer = len(text), ""  # the model stopped before closing its tag: use what it wrote
        if opener != "<think>":
            self.calls.extend(calls_in(text[body_start:end]))
        return _Verdict.MARKUP, end + len(closer)

    def _open_ended(self, text: str, body_start: int, final: bool) -> tuple[_Verdict, int]:
        """``[TOOL_CALLS]`` and ``<|python_tag|>``: a JSON value (or a Mistral ``name[ARGS]``) follows."""
        named = _MISTRAL_NAMED.match(text, body_start)
        value_start = named.end() if named else body_start
        if text[value_start:].lstrip()[:1] in ("{", "["):
            end = _json_end(text, value_start)
        else:  # Llama's python form runs to the next special token
            token = text.find("<|", value_start)
            end = token if token >= 0 else None
        if end is None and not final:
            return _Verdict.WAIT, 0
        end = len(text) if end is None else end
        body = text[value_start:end]
        if named:
            self.calls.append(TextCall(named.group(1), _arguments_text(_loads(body) or {})))
        else:
            self.calls.extend(calls_in(body))
        return _Verdict.MARKUP, end

    def _function_tag(self, text: str, final: bool) -> tuple[_Verdict, int] | None:
        match = _FUNCTION_TAG.match(text)
        if match is None:
            unfinished = text.startswith("<function=") and ">" not in text and len(text) < 80
            return (_Verdict.WAIT, 0) if unfinished and not final else None
        end = text.find("</function>", match.end())
        if end < 0 and not final:
            return _Verdict.WAIT, 0
        body_end, markup_end = (len(text), len(text)) if end < 0 else (end, end + len("</function>"))
        self.calls.append(TextCall(match.group(1), _arguments_text(_loads(text[match.end() : body_end]) or {})))
        return _Verdict.MARKUP, markup_end

    @staticmethod
    def _special_token(text: str, final: bool) -> tuple[_Verdict, int] | None:
        match = _SPECIAL_TOKEN.match(text)
        if match:
            return _Verdict.MARKUP, match.end()
        unfinished = text.startswith("<|") and "|>" not in text and len(text) < 34
        return (_Verdict.WAIT, 0) if unfinished and not final else None

    def _fenced(self, text: str, final: bool) -> tuple[_Verdict, int] | None:
        if not text.startswith(_FENCE):
            return None
        newline = text.find("\n", len(_FENCE))
        end = text.find(_FENCE, len(_FENCE) if newline < 0 else newline)
        if end < 0 and not final:
            return _Verdict.WAIT, 0
        body = text[len(_FENCE) if newline < 0 else newline : len(text) if end < 0 else end]
        markup_end = len(text) if end < 0 else end + len(_FENCE)
        found = calls_in(body)
        self.calls.extend(found)
        # JSON in a fence is never a player's business; other code (a map, a riddle) is shown as it is.
        return (_Verdict.MARKUP if found or _loads(body) is not None else _Verdict.PROSE), markup_end

    def _bare_json(self, text: str, final: bool) -> tuple[_Verdict, int] | None:
        if text[0] not in "{[":
            return None
        after = text[1:].lstrip("{[ \n\t")
        if not after:
            return None if final else (_Verdict.WAIT, 0)
        if after[0] != '"':
            return _Verdict.PROSE, 1  # "{" in prose, e.g. "[whispers]"
        end = _json_end(text, 0)
        if end is None:
            return (_Verdict.WAIT, 0) if not final else (_Verdict.MARKUP, len(text))
        value = _loads(text[:end])
        if value is None:
            return _Verdict.PROSE, 1
        self.calls.extend(call for call in calls_in(text[:end]) if call.name in self.tools)
        return _Verdict.MARKUP, end


def calls_in(text: str) -> list[TextCall]:
    """Every call in a tag's or fence's body: JSON values one after another, or ``name(a=1, b="x")``."""
    values = _values(text)
    if not values:
        python = _python_call(text)
        return [python] if python else []
    return [call for value in values for call in _calls_of(value)]


def _calls_of(value: Any) -> Iterable[TextCall]:
    if isinstance(value, list):
        for item in value:
            yield from _calls_of(item)
        return
    if not isinstance(value, dict):
        return
    for nested in ("function", "tool_calls", "calls"):  # OpenAI's own shape, or a wrapper
        if isinstance(value.get(nested), dict | list):
            yield from _calls_of(value[nested])
            return
    name = next((value[key] for key in _NAME_KEYS if isinstance(value.get(key), str)), None)
    if name:
        arguments: Any = next((value[key] for key in _ARGUMENT_KEYS if key in value), {})
        yield TextCall(name, _arguments_text(arguments))


def _arguments_text(arguments: Any) -> str:
    if isinstance(arguments, str):  # already JSON text (OpenAI's own shape), or garbage the engine will refuse
        return arguments
    return json.dumps(arguments)


def _values(text: str) -> list[Any]:
    """The JSON values in ``text``, in order; doubled braces (``{{…}}``) are read as single ones
    when that reads more of the text (nested objects also end in ``}}``, so both readings are tried)."""
    values, misses = _decode_all(text)
    single = text.replace("{{", "{").replace("}}", "}")
    if misses and single != text:
        single_values, single_misses = _decode_all(single)
        if single_values and single_misses < misses:
            return single_values
    return values


def _decode_all(text: str) -> tuple[list[Any], int]:
    """The values found and the number of braces that began no value."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = misses = 0
    while (start := _first_start(text, position, "{[")) >= 0:
        try:
            value, position = decoder.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):
            position, misses = start + 1, misses + 1
            continue
        values.append(value)
    return values, misses


def _loads(text: str) -> Any:
    values = _values(text)
    return values[0] if len(values) == 1 else None


def _python_call(text: str) -> TextCall | None:
    """Llama's ``<|python_tag|>name(key="value", n=3)``, keyword arguments of literals only."""
    match = _PYTHON_CALL.match(text)
    if match is None:
        return None
    try:
        call = ast.parse(f"f({match.group(2)})", mode="eval").body
        assert isinstance(call, ast.Call) and not call.args
        arguments = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords if keyword.arg}
    except (SyntaxError, ValueError, AssertionError, RecursionError):
        return None
    return TextCall(match.group(1), json.dumps(arguments))


def _first_start(text: str, position: int = 0, starts: str = _STARTS) -> int:
    indexes = [index for index in (text.find(char, position) for char in starts) if index >= 0]
    return min(indexes, default=-1)


def _json_end(text: str, start: int) -> int | None:
    """The index just past the JSON object or array starting at ``start`` (after blanks), or None if unfinished."""
    position = start
    while position < len(text) and text[position].isspace():
        position += 1
    depth, in_string, escaped = 0, False, False
    for index in range(position, len(text)):
        char = text[index]
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
    return None
