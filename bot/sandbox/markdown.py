"""Discord's Markdown and mentions as terminal text: ANSI styles at a terminal, plain readable text in a pipe.

Discord shows `**bold**`, `~~struck~~`, `` `code` ``, `> quotes`, `# headings`, `-# small print`,
`||spoilers||` and `[masked](links)`; a terminal shows the same with ANSI styles, and a pipe (a
transcript, a test) gets text without the markers: struck text keeps its strike-through as combining
long strokes (1̶), so a dropped die still reads as dropped. Mentions (`<@id>`, `<#id>`, `<@&id>`,
`<t:unix:R>`, `</command:id>`, `<:emoji:id>`) become `@name`, `#channel`, `@role`, a date, `/command`
and `:emoji:`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

STRIKE = "\u0336"  # combining long stroke overlay: strike-through in plain text
STYLES = {
    "bold": ("1", "22"),
    "italic": ("3", "23"),
    "underline": ("4", "24"),
    "strike": ("9", "29"),
    "code": ("36", "39"),
    "dim": ("2", "22"),
    "spoiler": ("7", "27"),
}

INLINE = re.compile(
    r"(?P<escape>\\[\\*_~`|>#\-\[\]()])"
    r"|(?P<code>``?)(?P<code_text>.+?)(?P=code)"
    r"|\*\*\*(?P<bold_italic>.+?)\*\*\*"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|__(?P<underline>.+?)__"
    r"|~~(?P<strike>.+?)~~"
    r"|\|\|(?P<spoiler>.+?)\|\|"
    r"|\[(?P<link_text>[^\]]+)\]\((?P<link>[^)\s]+)\)"
    r"|(?<![\w*])\*(?P<italic>[^*\s](?:[^*]*[^*\s])?)\*(?![\w*])"
    r"|(?<!\w)_(?P<italic2>[^_\s](?:[^_]*[^_\s])?)_(?!\w)"
)
MENTION = re.compile(
    r"<(?P<kind>@!?|@&|#)(?P<id>\d+)>|<t:(?P<time>-?\d+)(?::(?P<style>[tTdDfFR]))?>"
    r"|</(?P<command>[\w -]+):\d+>|<a?:(?P<emoji>\w+):\d+>"
)


@dataclass
class Names:
    """Who and what the ids in a message are (unknown ids stay readable as `@unknown`)."""

    user: Callable[[int], str | None]
    channel: Callable[[int], str | None]
    role: Callable[[int], str | None]


class TerminalText:
    """Renders message text for one terminal: with ANSI styles (`ansi=True`) or as plain text."""

    def __init__(self, names: Names, *, ansi: bool) -> None:
        self.names = names
        self.ansi = ansi

    def lines(self, text: str) -> list[str]:
        """A message's text, one terminal line per line, code blocks kept as they are."""
        out: list[str] = []
        in_code, quoting_rest = False, False
        for line in self.mentions(text).splitlines():
            if line.lstrip().startswith("```"):
                in_code = not in_code
                continue
            if in_code:
                out.append(self.style("code", line))
                continue
            if line.startswith(">>> "):
                quoting_rest, line = True, line[4:]
            out.append(self.block(line, quoted=quoting_rest))
        return out

    def block(self, line: str, *, quoted: bool = False) -> str:
        """One line of Markdown: quotes, headings, small print, list bullets, then the inline styles."""
        if line.startswith("> ") or line == ">":
            quoted, line = True, line[2:]
        heading = re.match(r"^(#{1,3}) (.*)$", line)
        if heading:
            line = self.style("bold", self.inline(heading.group(2)))
        elif line.startswith("-# "):
            line = self.style("dim", self.inline(line[3:]))
        else:
            line = re.sub(r"^(\s*)[-*] ", r"\1• ", line)
            line = self.inline(line)
        return ("│ " + line) if quoted else line

    def inline(self, text: str) -> str:
        return INLINE.sub(self._inline_match, text)

    def _inline_match(self, match: re.Match[str]) -> str:
        group = match.lastgroup or ""
        value = match.group(group)
        if group == "escape":
            return value[1:]
        if group == "code_text":
            return self.style("code", value)
        if group == "bold_italic":
            return self.style("bold", self.style("italic", self.inline(value)))
        if group == "link":
            return f"{self.inline(match.group('link_text'))} ({value})"
        kind = "italic" if group == "italic2" else group
        inner = self.inline(value)
        if kind == "strike" and not self.ansi:
            return "".join(c + STRIKE if not c.isspace() else c for c in _unstyled(inner))
        if kind == "spoiler" and not self.ansi:
            return f"[spoiler: {inner}]"
        return self.style(kind, inner)

    def style(self, kind: str, text: str) -> str:
        if not self.ansi or not text:
            return text
        on, off = STYLES[kind]
        return f"\x1b[{on}m{text}\x1b[{off}m"

    def mentions(self, text: str) -> str:
        return MENTION.sub(self._mention, text)

    def _mention(self, match: re.Match[str]) -> str:
        if match.group("time") is not None:
            return _timestamp(int(match.group("time")), match.group("style") or "f")
        if match.group("command") is not None:
            return "/" + match.group("command")
        if match.group("emoji") is not None:
            return f":{match.group('emoji')}:"
        snowflake, kind = int(match.group("id")), match.group("kind")
        if kind == "#":
            return "#" + (self.names.channel(snowflake) or "unknown-channel")
        lookup = self.names.role if kind == "@&" else self.names.user
        return "@" + (lookup(snowflake) or "unknown")


def _unstyled(text: str) -> str:
    return re.sub(r"\x1b\[\d+m", "", text)


def _timestamp(seconds: int, style: str) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    if style == "R":
        delta = int((moment - datetime.now(UTC)).total_seconds())
        minutes = abs(delta) // 60
        span = f"{minutes // 60} h" if minutes >= 120 else f"{minutes} min"
        return f"in {span}" if delta > 0 else f"{span} ago"
    formats = {"t": "%H:%M", "T": "%H:%M:%S", "d": "%Y-%m-%d", "D": "%d %B %Y"}
    return moment.strftime(formats.get(style, "%d %B %Y %H:%M")) + ("" if style in "tTdD" else " UTC")
