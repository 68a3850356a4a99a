"""Autocomplete for an option that takes several targets as `Tordek, Lia, Mara`: the names already typed
stay, the last one is completed from the fight's combatants, and a name is offered once."""

from __future__ import annotations

from collections.abc import Iterable


def last_piece(current: str) -> tuple[str, str, set[str]]:
    """("Tordek, ", "L", {"tordek"}) for "Tordek, L": what stays, what to complete, who is named already."""
    head, _, last = current.rpartition(",")
    chosen = {" ".join(p.split()).casefold() for p in head.split(",") if p.strip()}
    prefix = ", ".join(" ".join(p.split()) for p in head.split(",") if p.strip())
    return (f"{prefix}, " if prefix else ""), last.strip(), chosen


def completions(current: str, names: Iterable[str]) -> list[str]:
    """Each fitting name appended to what is typed already (names matching the last piece, not yet named)."""
    prefix, _, chosen = last_piece(current)
    return [f"{prefix}{name}" for name in names if name.casefold() not in chosen]
