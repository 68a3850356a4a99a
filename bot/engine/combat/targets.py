"""Several targets named in one option: `Tordek, Lia, Mara`, each a combatant of the fight."""

from __future__ import annotations

from bot.engine.combat.fight import Fight
from bot.errors import InvalidInput
from persistence.models import Combatant

MAX_TARGETS = 8  # a reply holds ten embeds: the targets' reports and the notes


def split_names(text: str) -> list[str]:
    """`Tordek, Lia, Mara` → the names, in order, each once (case aside)."""
    names: dict[str, str] = {}
    for part in text.split(","):
        name = " ".join(part.split())
        if name:
            names.setdefault(name.casefold(), name)
    if not names:
        raise InvalidInput("Name a target (several: separate them with commas, e.g. `Tordek, Lia`).")
    if len(names) > MAX_TARGETS:
        raise InvalidInput(f"One action takes at most {MAX_TARGETS} targets.")
    return list(names.values())


def targets_of(fight: Fight, text: str) -> list[Combatant]:
    found: list[Combatant] = []
    for name in split_names(text):
        row = fight.find(name)
        if row not in found:
            found.append(row)
    return found
