"""A fight as one transaction sees it: its combat row, its combatants in initiative order and the rows of the
characters in it, and the creature view of one combatant that attacks and saves work with.

Characters keep their HP, death saves and conditions on their sheet; monsters keep theirs on the combatant
row (conditions as JSON, read and written with `timed` and `condition_json`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.data.srd import Condition, Monster
from bot.engine import combat_rules as cr
from bot.engine.combat.results import TurnKey
from bot.engine.effects import Effect
from bot.engine.sheet import Actor, Sheet, to_sheet
from bot.errors import InvalidInput, NotFound
from persistence.models import Character, Combat, Combatant

if TYPE_CHECKING:
    from bot.engine.combat.loading import Fights


@dataclass
class Fight:
    combat: Combat
    rows: list[Combatant]
    characters: dict[int, Character]
    dm_id: int | None
    campaign_status: str | None = None  # "active", "paused" or "ended", as read with the fight
    fights: Fights | None = None  # what loaded it: the dice and saves that damage's concentration checks use
    seen_turn: TurnKey | None = None  # locked: whose turn it was before the lock was waited for (`turn_key()`)

    def current(self) -> Combatant | None:
        if self.combat.round == 0 or not self.rows:
            return None
        return self.rows[min(self.combat.turn_index, len(self.rows) - 1)]

    def turn_key(self) -> TurnKey:
        current = self.current()
        return (self.combat.round, current.id if current else 0)

    def is_dm(self, actor: Actor) -> bool:
        return self.dm_id is not None and actor.user_id == self.dm_id

    def find(self, name: str) -> Combatant:
        """By exact name (any case), else by a prefix that only one combatant has."""
        key = " ".join(name.split()).casefold()
        exact = [r for r in self.rows if r.name_key == key]
        found = exact or [r for r in self.rows if key and r.name_key.startswith(key)]
        if len(found) == 1:
            return found[0]
        names = ", ".join(r.name for r in (found or self.rows)) or "nobody yet"
        if found:
            raise InvalidInput(f"“{name[:64]}” could be {names}; say which.")
        raise NotFound(f"No one called “{name[:64]}” is in this fight. In it: {names}.")

    def sheet(self, row: Combatant) -> Sheet:
        return to_sheet(self.characters[character_id(row)])

    def alive(self, row: Combatant) -> bool:
        if row.kind == "monster":
            return not row.dead
        return row.character_id in self.characters and self.sheet(row).death_failures < 3

    def takers(self) -> list[bool]:
        """Who takes a turn of their own, by position (a group's turn is its first living member's)."""
        return cr.turn_takers(
            [self.alive(r) for r in self.rows],
            [bool(r.held) for r in self.rows],
            [r.group_name.casefold() if r.group_name else None for r in self.rows],
        )

    def members(self, row: Combatant) -> list[Combatant]:
        """Whose turn `row`'s turn is: its whole group's living members, or itself."""
        if not row.group_name:
            return [row]
        key = row.group_name.casefold()
        return [r for r in self.rows if r.group_name and r.group_name.casefold() == key and (self.alive(r) or r is row)]

    def down(self, row: Combatant) -> bool:
        if row.kind == "monster":
            return row.dead
        return not self.alive(row) or self.sheet(row).hp_current <= 0


@dataclass(frozen=True)
class Creature:
    row: Combatant
    ac: int
    conditions: list[tuple[Condition, int]]
    defences: cr.Defences
    monster: Monster | None
    sheet: Sheet | None
    effects: tuple[Effect, ...] = ()

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def kind(self) -> cr.Kind:
        return "monster" if self.monster is not None else "character"


def character_id(row: Combatant) -> int:
    if row.character_id is None:
        raise NotFound(f"{row.name}'s character sheet is gone.")
    return row.character_id


def character_stand_in(row: Character) -> Combatant:
    """A character outside any fight, dressed as a combatant so damage and healing share one path."""
    return Combatant(
        id=0,
        kind="character",
        character_id=row.id,
        owner_id=row.owner_id,
        name=row.name,
        name_key=row.name_key,
        initiative=0,
        dex=10,
        tiebreak=0,
        position=0,
        ac=10,
        conditions=[],
        dead=False,
    )


# --- Monsters' timed conditions, kept as JSON on the combatant row -----------------------------------


def timed(entries: Sequence[dict[str, object]]) -> list[cr.TimedCondition]:
    return [_timed_one(e) for e in entries]


def _timed_one(entry: dict[str, object]) -> cr.TimedCondition:
    ends: cr.Phase = "start" if entry.get("ends") == "start" else "end"
    return cr.TimedCondition(
        str(entry["name"]), _int_or_none(entry.get("rounds")), ends, _int_or_none(entry.get("level")) or 1
    )


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


def condition_json(condition: cr.TimedCondition) -> dict[str, object]:
    return {"name": condition.name, "rounds": condition.rounds, "ends": condition.ends, "level": condition.level}
