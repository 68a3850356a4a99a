"""Replies of the initiative tracker's DM tools: effects put on and taken off, turns held and readied, the
order changed. Plain text from engine results (the tracker message itself is `combat_views`)."""

from __future__ import annotations

from bot.engine import effects
from bot.engine.combat import EffectChange, MonstersAdded, TrackerState
from bot.ui.text import safe


def effect_text(change: EffectChange) -> str:
    """ "✨ Tordek: Bless (10 rounds, concentration: Lia): +1d4 attack, +1d4 save." and what ended."""
    lines = []
    if change.added is not None:
        entry = next((e for e in change.state.entries if e.name == change.target), None)
        shown = next((label for label in entry.effects if label.startswith(change.added.name)), None) if entry else None
        lines.append(
            f"✨ {safe(change.target)}: {safe(shown or change.added.name)} — {effects.describe(change.added)}."
        )
    if change.ended:
        lines.append("Ended: " + ", ".join(safe(e) for e in change.ended) + ".")
    return "\n".join(lines)


def order_text(state: TrackerState, *, headline: str) -> str:
    """A change of the order: the headline and the new order, whose turn first marked."""
    names = [f"**{safe(e.name)}**" if e.current else safe(e.name) for e in state.entries if not e.held]
    held = [safe(e.name) for e in state.entries if e.held]
    lines = [headline, "Order: " + " → ".join(names[:40])]
    if held:
        lines.append("Holding a turn: " + ", ".join(held) + " (`/combat ready` brings them back).")
    return "\n".join(lines)


def added_lines(added: MonstersAdded) -> list[str]:
    return [
        f"{safe(n)}: {h} HP, initiative {i}" for n, h, i in zip(added.names, added.hp, added.initiatives, strict=True)
    ]
