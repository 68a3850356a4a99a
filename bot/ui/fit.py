"""Everything the bot sends, fitted to Discord's limits (bot/discord_limits.py) whatever the input.

Callers escape first and fit after, so the length counted is the length sent (Markdown escaping can
double a name). Lists end with "… and N more" instead of being cut mid-line; text whose every word
matters (recaps, session summaries) is split over several embeds and messages instead of cut; and
`fit_embed` is the last word on any embed: every part clamped, bad URLs dropped, the 6,000 total kept.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import discord
from discord import app_commands

from bot import discord_limits as limits

ELLIPSIS = "…"
BLANK = "\u200b"  # a field name or value may not be empty


def more_line(hidden: int) -> str:
    return f"… and {hidden:,} more"


def clamp(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + ELLIPSIS


def fit_lines(items: Iterable[str], limit: int, *, sep: str = "\n", more: Callable[[int], str] = more_line) -> str:
    """As many whole items as fit in `limit` characters (joined by `sep`), then "… and N more"."""
    items = [clamp(item, limit) for item in items]
    total = len(items)
    used = 0
    for shown, item in enumerate(items):
        after = used + (len(sep) if shown else 0) + len(item)
        rest = total - shown - 1
        if after + (len(sep) + len(more(rest)) if rest else 0) > limit:
            return _with_more(items[:shown], total - shown, limit, sep, more)
        used = after
    return sep.join(items)


def _with_more(shown: list[str], hidden: int, limit: int, sep: str, more: Callable[[int], str]) -> str:
    # The "more" line may itself not fit beside the first item: then it stands alone (clamped).
    while shown and len(sep.join([*shown, more(hidden)])) > limit:
        shown.pop()
        hidden += 1
    return clamp(sep.join([*shown, more(hidden)]), limit)


def fit_content(text: str) -> str:
    return clamp(text, limits.CONTENT)


def chunks(text: str, size: int) -> list[str]:
    """The whole text in pieces of at most `size`: cut at a line break, else a space, else anywhere."""
    pieces: list[str] = []
    rest = text
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size + 1)
        if cut <= size // 2:
            cut = rest.rfind(" ", 0, size + 1)
        if cut <= size // 2:
            cut = size
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    pieces.append(rest)
    return [piece for piece in pieces if piece] or [""]


# --- Embeds -----------------------------------------------------------------------------------------


def embed_data(embed: discord.Embed) -> dict[str, Any]:
    """The embed as sent (a deep copy: fitting it must not change the caller's embed)."""
    return copy.deepcopy(dict(embed.to_dict()))


def embed_length(data: dict[str, Any]) -> int:
    """Discord's count for the 6,000 total: title, description, fields, footer text, author name."""
    fields = data.get("fields") or []
    return (
        len(data.get("title") or "")
        + len(data.get("description") or "")
        + sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
        + len((data.get("footer") or {}).get("text") or "")
        + len((data.get("author") or {}).get("name") or "")
    )


def fit_embed(embed: discord.Embed, budget: int = limits.EMBED_TOTAL) -> discord.Embed:
    """The embed as Discord accepts it: each part clamped, at most 25 fields, only http(s) URLs, and at
    most `budget` characters in all (the description gives way first, then the last fields, then the footer)."""
    data = embed_data(embed)
    _clamp_parts(data)
    _drop_bad_urls(data)
    _keep_total(data, budget)
    return discord.Embed.from_dict(data)


def fit_embeds(embeds: Sequence[discord.Embed]) -> list[discord.Embed]:
    """One message's embeds: at most 10, sharing the 6,000 total (an embed past it is dropped)."""
    fitted: list[discord.Embed] = []
    left = limits.EMBED_TOTAL
    for embed in embeds[: limits.EMBEDS_PER_MESSAGE]:
        if left <= 0:
            break
        fitted.append(fit_embed(embed, left))
        left -= embed_length(embed_data(fitted[-1]))
    return fitted


def _clamp_parts(data: dict[str, Any]) -> None:
    if "title" in data:
        data["title"] = clamp(data["title"], limits.EMBED_TITLE)
    if "description" in data:
        data["description"] = clamp(data["description"], limits.EMBED_DESCRIPTION)
    fields = data.get("fields") or []
    data["fields"] = [
        {
            **f,
            "name": clamp(f.get("name") or BLANK, limits.FIELD_NAME),
            "value": clamp(f.get("value") or BLANK, limits.FIELD_VALUE),
        }
        for f in fields[: limits.EMBED_FIELDS]
    ]
    if not data["fields"]:
        del data["fields"]
    if "footer" in data and "text" in data["footer"]:
        data["footer"]["text"] = clamp(data["footer"]["text"], limits.FOOTER_TEXT)
    if "author" in data and "name" in data["author"]:
        data["author"]["name"] = clamp(data["author"]["name"], limits.AUTHOR_NAME)


def _drop_bad_urls(data: dict[str, Any]) -> None:
    if "url" in data and not limits.is_http_url(data["url"]):
        del data["url"]
    for part in ("thumbnail", "image"):
        if part in data and not limits.is_http_url(data[part].get("url") or ""):
            del data[part]
    for part, key in (("author", "url"), ("author", "icon_url"), ("footer", "icon_url")):
        if key in data.get(part, {}) and not limits.is_http_url(data[part][key]):
            del data[part][key]


def _keep_total(data: dict[str, Any], budget: int) -> None:
    over = embed_length(data) - budget
    if over > 0 and data.get("description"):
        data["description"] = clamp(data["description"], max(1, len(data["description"]) - over))
        over = embed_length(data) - budget
    while over > 0 and data.get("fields"):
        data["fields"].pop()
        over = embed_length(data) - budget
    if over > 0 and data.get("footer", {}).get("text"):
        data["footer"]["text"] = clamp(data["footer"]["text"], max(1, len(data["footer"]["text"]) - over))
        over = embed_length(data) - budget
    if over > 0 and data.get("title"):
        data["title"] = clamp(data["title"], max(1, len(data["title"]) - over))


def text_embeds(title: str, text: str, colour: discord.Colour, *, size: int = 3500) -> list[discord.Embed]:
    """A long text whole, over as many embeds as it needs (the title on the first, "(continued)" after)."""
    pieces = chunks(text, size)
    first = discord.Embed(title=clamp(title, limits.EMBED_TITLE), description=pieces[0], colour=colour)
    rest = [discord.Embed(description=piece, colour=colour) for piece in pieces[1:]]
    for embed in rest:
        embed.set_footer(text="(continued)")
    return [first, *rest]


def messages_of(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds packed into as few messages as Discord allows (10 a message, 6,000 characters in all)."""
    messages: list[list[discord.Embed]] = []
    used = limits.EMBED_TOTAL + 1
    for embed in (fit_embed(e) for e in embeds):
        length = embed_length(embed_data(embed))
        if used + length > limits.EMBED_TOTAL or len(messages[-1]) == limits.EMBEDS_PER_MESSAGE:
            messages.append([])
            used = 0
        messages[-1].append(embed)
        used += length
    return messages


# --- Uploads ----------------------------------------------------------------------------------------


def upload_parts(filename: str, data: bytes, limit: int = limits.UPLOAD_BYTES) -> list[tuple[str, bytes]]:
    """A file as it can be uploaded: whole, or cut at line ends into `name.partN.ext` pieces under `limit`."""
    if len(data) <= limit:
        return [(filename, data)]
    stem, dot, ext = filename.rpartition(".")
    pieces: list[bytes] = []
    rest = data
    while rest:
        cut = rest.rfind(b"\n", 0, limit) + 1 if len(rest) > limit else len(rest)
        cut = cut if cut > 0 else limit  # one line longer than the limit: cut it
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return [(f"{stem}.part{n}{dot}{ext}", piece) for n, piece in enumerate(pieces, start=1)]


Upload = tuple[str, bytes]


def upload_batches(files: Sequence[Upload], limit: int = limits.UPLOAD_BYTES) -> list[list[Upload]]:
    """Files packed into messages whose uploads stay under `limit` bytes together (at most 10 a message)."""
    batches: list[list[Upload]] = []
    used = limit + 1
    for name, data in (part for file in files for part in upload_parts(*file, limit)):
        if used + len(data) > limit or len(batches[-1]) == limits.ATTACHMENTS_PER_MESSAGE:
            batches.append([])
            used = 0
        batches[-1].append((name, data))
        used += len(data)
    return batches


# --- Autocomplete -----------------------------------------------------------------------------------


def choices(values: Iterable[str], labels: Iterable[str] | None = None) -> list[app_commands.Choice[str]]:
    """At most 25 choices, names and values 1-100 characters: a value too long to send is left out (a cut
    value would name something else), a long label is shortened."""
    values = list(values)  # a generator zipped with itself would pair each value with the next
    named = zip(values, values if labels is None else labels, strict=False)
    fitting = [(value, label) for value, label in named if 1 <= len(value) <= limits.CHOICE_VALUE]
    return [
        app_commands.Choice(name=clamp(label, limits.CHOICE_NAME) or value, value=value)
        for value, label in fitting[: limits.AUTOCOMPLETE_CHOICES]
    ]
