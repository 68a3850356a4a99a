"""How big a fight the narrator may start: the SRD's encounter building (each monster's XP, the multiplier for
their number and the party's size, the party's thresholds from the data's tables) as a budget.

A fight past `DEADLY_CEILING` (twice) the party's deadly threshold is refused (the narrator is told to pick
fewer or weaker monsters; the DM can still start any fight by hand with `/dm-combat start`), and a fight
rated above the campaign's `fights_wait_above` waits for the DM's approval, like any other large change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.data.srd import SRD
from bot.engine.generate import DIFFICULTIES, Difficulty, adjusted_xp, rate

# "Deadly" has no upper end in the tables; twice its threshold is where a fight stops being a deadly challenge
# and becomes a massacre (two goblins and a wolf against two level-1 characters, 375 adjusted XP of 400, is inside;
# a third goblin is not).
DEADLY_CEILING = 2.0
RANKS: dict[str, int] = {"trivial": 0, **{d: n + 1 for n, d in enumerate(DIFFICULTIES)}}


@dataclass(frozen=True)
class Encounter:
    adjusted: int  # XP × the multiplier for the monsters' number and the party's size
    thresholds: Mapping[str, int]
    rating: str  # trivial, easy, medium, hard or deadly

    @property
    def ceiling(self) -> int:
        return int(self.thresholds["deadly"] * DEADLY_CEILING)

    def too_big(self) -> str | None:
        if self.adjusted <= self.ceiling:
            return None
        return (
            f"That fight is far past deadly for this party ({self.adjusted:,} adjusted XP; the most the narrator "
            f"may start is {self.ceiling:,}). Use fewer or weaker monsters; the DM can start a bigger fight by hand."
        )

    def waits(self, above: Difficulty) -> bool:
        return RANKS[self.rating] > RANKS[above]


def encounter(srd: SRD, party_levels: Sequence[int], enemies: Sequence[Mapping[str, Any]]) -> Encounter:
    """The fight rated for the party (a party of nobody counts as one level-1 character)."""
    levels = [max(1, min(20, int(level))) for level in party_levels] or [1]
    groups = [(int(e["count"]), srd.monster(str(e["monster"])).xp) for e in enemies]
    _, _, adjusted = adjusted_xp(srd, groups, len(levels))
    total = srd.party_thresholds(levels)
    thresholds = {"easy": total.easy, "medium": total.medium, "hard": total.hard, "deadly": total.deadly}
    return Encounter(adjusted, thresholds, rate(adjusted, thresholds))
