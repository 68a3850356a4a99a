"""Dice statistics (`/stats`): a player's rolls and a campaign's, from the roll log and the combat outcomes.

A player's numbers: how many rolls, how the d20s fell (each face, natural 20s and 1s, the average natural
against what a fair die gives: 10.5 straight, 13.825 with advantage, 7.175 with disadvantage), and the
totals of plain dice against their expectation, by character (the roll's label names it) and by campaign
(the rolls made in its channel). A campaign's: who rolled what, and from its fights (one row per attack,
written by the combat engine) attacks, hits, criticals, damage dealt and taken, and who dropped whom.
The sums are plain Python over at most `MAX_ROWS` of the latest rows, so a reply stays fast.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.sheet import Actor
from bot.errors import NotFound
from persistence.db import Database
from persistence.models import CombatOutcome
from persistence.repositories import Reads
from persistence.stats import StatsRepository

MAX_ROWS = 20_000  # the latest rolls (or attacks) a /stats reads: ~50 ms of Python, a few MB at most
FAIR = {"": 10.5, "kh1": 13.825, "kl1": 7.175}  # the mean natural d20: straight, advantage, disadvantage
NO_CHARACTER = "Dice rolled by hand"
_D20 = re.compile(r"^(?:1d20|2d20(kh1|kl1)) \(([^)]*)\)")
_PLAIN = re.compile(r"^[+-]?(?:\d*d\d+|\d+)(?:[+-](?:\d*d\d+|\d+))*$")
_TERM = re.compile(r"([+-]?)(\d*)d(\d+)|([+-]?)(\d+)")


# --- Reading one roll -----------------------------------------------------------------------------


def natural_d20(breakdown: str) -> tuple[int, str] | None:
    """The d20 a roll kept and how it was rolled ("", "kh1", "kl1"), from its breakdown: `1d20 (17) + 5`,
    `2d20kh1 (~~3~~, **20**) + 5`. None for rolls that don't start with a d20."""
    match = _D20.match(breakdown)
    if match is None:
        return None
    kept = [p for p in match.group(2).split(",") if "~~" not in p]
    if len(kept) != 1:
        return None
    value = kept[0].strip().strip("*")
    return (int(value), match.group(1) or "") if value.isdigit() and 1 <= int(value) <= 20 else None


def expected_total(expression: str) -> float | None:
    """The mean total of plain dice and numbers (`2d6+1d4+3`); None for keeps, rerolls, explosions."""
    text = re.sub(r"\[[^\]]*\]", "", expression).replace(" ", "").lower()
    if not text or not _PLAIN.match(text):
        return None
    mean = 0.0
    for sign, count, sides, const_sign, const in _TERM.findall(text):
        if sides:
            mean += (-1 if sign == "-" else 1) * int(count or 1) * (int(sides) + 1) / 2
        else:
            mean += (-1 if const_sign == "-" else 1) * int(const)
    return mean


def character_of(label: str | None) -> str:
    """Sheet rolls are labelled "Tordek: Athletics check"; the rest were rolled by hand."""
    if label and ": " in label:
        return label.split(": ", 1)[0][:64]
    return NO_CHARACTER


# --- Sums -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class D20Summary:
    faces: tuple[int, ...] = (0,) * 20  # faces[0]: how many natural 1s ... faces[19]: natural 20s
    expected: float = 0.0  # the fair mean over these rolls (advantage and disadvantage counted as such)

    @property
    def count(self) -> int:
        return sum(self.faces)

    @property
    def nat20(self) -> int:
        return self.faces[19]

    @property
    def nat1(self) -> int:
        return self.faces[0]

    @property
    def mean(self) -> float:
        return sum((i + 1) * n for i, n in enumerate(self.faces)) / self.count if self.count else 0.0


def summarise_d20(naturals: Iterable[tuple[int, str]]) -> D20Summary:
    faces = [0] * 20
    fair = 0.0
    for value, mode in naturals:
        faces[value - 1] += 1
        fair += FAIR[mode]
    count = sum(faces)
    return D20Summary(tuple(faces), fair / count if count else 0.0)


@dataclass(frozen=True)
class Group:
    """Rolls of one character, campaign or player."""

    name: str
    rolls: int
    d20: D20Summary
    user_id: int | None = None


@dataclass(frozen=True)
class PlayerStats:
    user_id: int
    rolls: int
    d20: D20Summary
    plain_rolls: int  # rolls of plain dice, whose totals are compared with their expectation
    plain_mean: float
    plain_expected: float
    by_character: tuple[Group, ...]
    by_campaign: tuple[Group, ...]
    capped: bool  # only the latest MAX_ROWS rolls were read


@dataclass
class Fighter:
    """One combatant's fights in a campaign."""

    name: str
    kind: str
    owner_id: int | None
    attacks: int = 0
    hits: int = 0
    crits: int = 0
    fumbles: int = 0
    dealt: int = 0
    taken: int = 0
    dropped: list[str] = field(default_factory=list)  # whom this one dropped to 0 HP
    downed: int = 0  # how often this one was dropped


@dataclass(frozen=True)
class CampaignStats:
    name: str
    rolls: int
    players: tuple[Group, ...]
    fighters: tuple[Fighter, ...]
    attacks: int
    capped: bool


def player_stats(user_id: int, rows: Sequence[Any], campaigns: Mapping[int, str]) -> PlayerStats:
    """`rows`: (channel_id, expression, label, total, breakdown); `campaigns`: channel id → campaign name."""
    naturals: list[tuple[int, str]] = []
    by_character: dict[str, list[tuple[int, str] | None]] = defaultdict(list)
    by_campaign: dict[str, list[tuple[int, str] | None]] = defaultdict(list)
    plain_totals, plain_expected = 0, 0.0
    plain = 0
    for row in rows:
        natural = natural_d20(row.breakdown)
        if natural is not None:
            naturals.append(natural)
        by_character[character_of(row.label)].append(natural)
        if row.channel_id in campaigns:
            by_campaign[campaigns[row.channel_id]].append(natural)
        expected = expected_total(row.expression)
        if expected is not None and natural is None:
            plain += 1
            plain_totals += row.total
            plain_expected += expected
    return PlayerStats(
        user_id=user_id,
        rolls=len(rows),
        d20=summarise_d20(naturals),
        plain_rolls=plain,
        plain_mean=plain_totals / plain if plain else 0.0,
        plain_expected=plain_expected / plain if plain else 0.0,
        by_character=_groups(by_character),
        by_campaign=_groups(by_campaign),
        capped=len(rows) >= MAX_ROWS,
    )


def _groups(
    found: Mapping[str, list[tuple[int, str] | None]], owners: Mapping[str, int] | None = None
) -> tuple[Group, ...]:
    groups = [
        Group(name, len(rolls), summarise_d20(n for n in rolls if n is not None), (owners or {}).get(name))
        for name, rolls in found.items()
    ]
    return tuple(sorted(groups, key=lambda g: (g.name == NO_CHARACTER, -g.rolls, g.name)))  # by hand: last


def campaign_stats(name: str, rows: Sequence[Any], outcomes: Sequence[CombatOutcome]) -> CampaignStats:
    """`rows`: the rolls made in the campaign's channel (with user_id); `outcomes`: its fights' attacks."""
    by_player: dict[str, list[tuple[int, str] | None]] = defaultdict(list)
    for row in rows:
        by_player[str(row.user_id)].append(natural_d20(row.breakdown))
    players = tuple(Group(g.name, g.rolls, g.d20, int(g.name)) for g in _groups(by_player))
    fighters: dict[str, Fighter] = {}

    def fighter(name: str, kind: str, owner: int | None) -> Fighter:
        return fighters.setdefault(name, Fighter(name, kind, owner))

    for outcome in reversed(outcomes):  # oldest first: the order things happened in
        attacker = fighter(outcome.attacker, outcome.attacker_kind, outcome.attacker_owner_id)
        target = fighter(outcome.target, outcome.target_kind, outcome.target_owner_id)
        attacker.attacks += 1
        attacker.hits += int(outcome.hit)
        attacker.crits += int(outcome.critical)
        attacker.fumbles += int(outcome.natural == 1)
        attacker.dealt += outcome.damage
        target.taken += outcome.damage
        if outcome.dropped:
            attacker.dropped.append(outcome.target)
            target.downed += 1
    ordered = sorted(fighters.values(), key=lambda f: (f.kind != "character", -f.dealt, f.name))
    return CampaignStats(name, len(rows), players, tuple(ordered), len(outcomes), len(rows) >= MAX_ROWS)


# --- Writing: the combat engine's hook ------------------------------------------------------------


def record_outcome(session: AsyncSession, fight: Any, report: Any) -> None:
    """One attack (or save action) of a fight, in the attack's own transaction (bot.engine.combat.attacks)."""
    rows = {r.name: r for r in fight.rows}
    attacker, target = rows.get(report.attacker), rows.get(report.target)
    damage = report.damage
    natural = natural_d20(report.roll.full_breakdown or report.roll.breakdown) if report.roll else None
    StatsRepository(session).add_outcome(
        CombatOutcome(
            campaign_id=fight.combat.campaign_id,
            combat_id=fight.combat.id,
            attacker=report.attacker[:64],
            attacker_kind=report.attacker_kind,
            attacker_owner_id=attacker.owner_id if attacker is not None else None,
            target=report.target[:64],
            target_kind=target.kind if target is not None else "monster",
            target_owner_id=target.owner_id if target is not None else None,
            action=str(report.action)[:100],
            hit=bool(report.hit),
            critical=bool(report.critical),
            natural=natural[0] if natural else None,
            damage=max(0, damage.hp_before - damage.hp_after) if damage is not None else 0,
            dropped=bool(damage is not None and damage.dropped),
        )
    )


# --- The service ----------------------------------------------------------------------------------


class StatsService:
    def __init__(self, db: Database, flush: Callable[[], Awaitable[None]] | None = None) -> None:
        self.reads = Reads(db)
        self._flush = flush  # the roll log is written behind the replies: count the rolls just made too

    async def flush(self) -> None:
        if self._flush is not None:
            await self._flush()

    async def player(self, actor: Actor, user_id: int | None = None) -> PlayerStats:
        who = user_id or actor.user_id
        await self.flush()
        async with self.reads.session() as session:
            repo = StatsRepository(session)
            rows = await repo.rolls_of(actor.guild_id, who, MAX_ROWS)
            campaigns = await repo.campaigns_of(actor.guild_id) if actor.guild_id is not None else []
        if not rows:
            whose = "You have" if who == actor.user_id else "That player has"
            raise NotFound(f"{whose} made no rolls on this server yet. Try `/roll 1d20` or `/check Perception`.")
        # ~10 ms per 1,000 rows of plain Python: summed in a worker thread, so the event loop never waits
        return await asyncio.to_thread(player_stats, who, rows, {c.channel_id: c.name for c in campaigns})

    async def campaign(self, actor: Actor) -> CampaignStats:
        await self.flush()
        async with self.reads.session() as session:
            repo = StatsRepository(session)
            campaign = await repo.campaign_in(actor.channel_id or 0)
            if campaign is None:
                raise NotFound("There is no campaign in this channel. Run `/stats campaign` in a campaign's channel.")
            rows = await repo.rolls_in(campaign.channel_id, campaign.created_at, MAX_ROWS)
            outcomes = await repo.outcomes(campaign.id, MAX_ROWS)
        return await asyncio.to_thread(campaign_stats, campaign.name, rows, outcomes)

    async def last_session(self, actor: Actor) -> CampaignStats | None:
        """The dice of the session that just ended in this channel's campaign (for `/session end`)."""
        await self.flush()
        async with self.reads.session() as session:
            repo = StatsRepository(session)
            campaign = await repo.campaign_in(actor.channel_id or 0)
            ended = await repo.last_ended_session(campaign.id) if campaign is not None else None
            if campaign is None or ended is None:
                return None
            rows = await repo.rolls_in(campaign.channel_id, ended.started_at, MAX_ROWS)
            outcomes = await repo.outcomes(campaign.id, MAX_ROWS, since=ended.started_at)
        if not rows and not outcomes:
            return None
        return await asyncio.to_thread(campaign_stats, campaign.name, rows, outcomes)


def counted(values: Iterable[str]) -> list[tuple[str, int]]:
    """ "Goblin, Goblin, Wolf" → [("Goblin", 2), ("Wolf", 1)]: who a fighter dropped, most first."""
    return Counter(values).most_common()
