"""Files on disk sent as Discord uploads without loading them whole: each file cut at line ends into
`name.partN.ext` pieces under the per-message limit (as `bot.ui.fit.upload_parts` does for bytes in
memory), and read one message's worth at a time in a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import discord_limits as limits

WINDOW = 64 * 1024  # how far back from a cut a line end is looked for


@dataclass(frozen=True)
class Piece:
    name: str
    path: Path
    start: int
    length: int


def plan(files: Sequence[tuple[str, Path]], limit: int) -> list[list[Piece]]:
    """The messages to send: pieces of the files, each message's pieces under `limit` bytes together."""
    pieces = [piece for name, path in files for piece in _cut(name, path, limit)]
    messages: list[list[Piece]] = []
    used = limit + 1
    for piece in pieces:
        if used + piece.length > limit or len(messages[-1]) == limits.ATTACHMENTS_PER_MESSAGE:
            messages.append([])
            used = 0
        messages[-1].append(piece)
        used += piece.length
    return messages


def _cut(name: str, path: Path, limit: int) -> list[Piece]:
    size = path.stat().st_size
    if size <= limit:
        return [Piece(name, path, 0, size)]
    spans: list[tuple[int, int]] = []
    start = 0
    with path.open("rb") as file:
        while start < size:
            end = min(start + limit, size)
            if end < size:  # cut after the last line end before the limit, if one is near enough
                file.seek(max(start, end - WINDOW))
                tail = file.read(end - max(start, end - WINDOW))
                newline = tail.rfind(b"\n")
                if newline >= 0:
                    end = max(start, end - WINDOW) + newline + 1
            spans.append((start, end - start))
            start = end
    stem, dot, ext = name.rpartition(".")
    return [Piece(f"{stem}.part{n}{dot}{ext}", path, s, n_) for n, (s, n_) in enumerate(spans, start=1)]


def _read(piece: Piece) -> bytes:
    with piece.path.open("rb") as file:
        file.seek(piece.start)
        return file.read(piece.length)


async def messages(
    files: Sequence[tuple[str, Path]], limit: int
) -> AsyncIterator[tuple[int, int, list[tuple[str, bytes]]]]:
    """(number, of how many, the message's uploads), one message's bytes in memory at a time."""
    planned = await asyncio.to_thread(plan, files, limit)
    for number, batch in enumerate(planned, start=1):
        yield number, len(planned), [(p.name, await asyncio.to_thread(_read, p)) for p in batch]
