"""What a campaign is, read: its settings and per-turn bounds, its safety tools, its scene, and `CampaignInfo`.

Plain values built from a campaign row by `info_of`; the campaign service (`bot.engine.campaigns`), the narrator's
tool calls (`bot.engine.tools`) and the turn loop (`bot.engine.turns`) all read a campaign through them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.caps import Caps
from bot.engine.generate import DIFFICULTIES, Difficulty
from persistence.models import Campaign
from persistence.repositories import CombatRepository

NUMBERED = re.compile(r"\s+\d+$")
ContentRating = Literal["family", "teen", "mature"]
CONTENT_RATINGS: tuple[str, ...] = get_args(ContentRating)
Pace = Literal["turns", "rounds"]
PACES: tuple[str, ...] = get_args(Pace)
ROUND_MINUTES = 10
MAX_ROUND_MINUTES = 24 * 60


@dataclass(frozen=True)
class Bounds:
    """Per-turn hard limits on what the narrator's calls may change; above them a call is refused."""

    damage: int = 30
    heal: int = 30
    xp: int = 1000
    items: int = 5


@dataclass(frozen=True)
class CampaignDefaults:
    bounds: Bounds = field(default_factory=Bounds)
    approval_bound: int = 10
    summary_every: int = 20
    allowed_models: tuple[str, ...] = ()  # models a DM may pick besides the default
    caps: Caps = field(default_factory=Caps)  # how many NPCs, facts, campaigns, waiting changes a table keeps


@dataclass(frozen=True)
class CampaignSettings:
    persona: str = ""
    model: str | None = None
    content_rating: ContentRating = "teen"
    approval_bound: int = 10  # damage or items taken above this wait for the DM; gains always do
    auto_approve: bool = False  # nothing waits
    consequences: bool = True  # a risky check failed by 5+ hurts (see tools.CONSEQUENCES)
    bounds: Bounds = field(default_factory=Bounds)
    auto_monsters: bool = False  # monster turns on `/combat next`: the narrator (or, offline, the engine) chooses
    secrets_on_player_turns: bool = True  # NPC secrets reach the narrator on players' turns too (marked the DM's)
    levelling: str = "xp"  # "xp": XP allows a level (or the DM does); "milestone": only the DM (bot.engine.levelling)
    start_level: int = 1  # a character above it (and above what it earned) joins only with the DM's approval
    fights_wait_above: Difficulty = (
        "deadly"  # a narrated fight rated above this waits for the DM (bot.engine.encounters)
    )
    pace: Pace = "turns"  # turns: each /narrate narrated at once; rounds: one narration a round (engine.rounds)
    round_minutes: int = ROUND_MINUTES  # an open round closes this long after its first action

    @classmethod
    def from_json(cls, data: Mapping[str, Any], defaults: CampaignDefaults) -> CampaignSettings:
        bounds = {
            **asdict(defaults.bounds),
            **{k: v for k, v in (data.get("bounds") or {}).items() if k in asdict(defaults.bounds)},
        }
        rating = data.get("content_rating", "teen")
        fights = data.get("fights_wait_above", "deadly")
        return cls(
            persona=str(data.get("persona") or ""),
            model=data.get("model") or None,
            content_rating=rating if rating in CONTENT_RATINGS else "teen",
            approval_bound=int(data.get("approval_bound", defaults.approval_bound)),
            auto_approve=bool(data.get("auto_approve", False)),
            consequences=bool(data.get("consequences", True)),
            bounds=Bounds(**bounds),
            auto_monsters=bool(data.get("auto_monsters", False)),
            secrets_on_player_turns=bool(data.get("secrets_on_player_turns", True)),
            levelling="milestone" if data.get("levelling") == "milestone" else "xp",
            start_level=min(20, max(1, int(data.get("start_level") or 1))),
            fights_wait_above=fights if fights in DIFFICULTIES else "deadly",
            pace="rounds" if data.get("pace") == "rounds" else "turns",
            round_minutes=min(MAX_ROUND_MINUTES, max(1, int(data.get("round_minutes") or ROUND_MINUTES))),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Safety:
    lines: tuple[str, ...] = ()
    veils: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scene:
    location: str = ""
    description: str = ""
    npcs: tuple[str, ...] = ()  # names of NPCs present
    # Whether the party fights is not part of the scene: the fight tables are its one source of truth
    # (`fight_of`); older rows' `in_combat`/`enemies` keys are ignored.

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scene:
        return cls(str(data.get("location") or ""), str(data.get("description") or ""), tuple(data.get("npcs") or ()))

    def to_json(self) -> dict[str, Any]:
        return {"location": self.location, "description": self.description, "npcs": list(self.npcs)}


@dataclass(frozen=True)
class FightNow:
    """The campaign's running fight as the story reads it: the enemies still standing, by name and count."""

    combat_id: int
    enemies: tuple[tuple[str, int], ...] = ()

    def names(self) -> tuple[str, ...]:
        return tuple(f"{count} × {name}" for name, count in self.enemies)


async def fight_of(session: AsyncSession, campaign_id: int) -> FightNow | None:
    """The running fight of a campaign, read from the fight tables (what `/dm-combat end` ends), or None."""
    repo = CombatRepository(session)
    combat = await repo.active_for_campaign(campaign_id)
    if combat is None:
        return None
    counts: dict[str, int] = {}
    for row in await repo.combatants(combat.id):
        if row.kind == "monster" and not row.dead and (row.hp is None or row.hp > 0):
            base = NUMBERED.sub("", row.name) or row.name  # "Goblin 2" is one of the goblins
            counts[base] = counts.get(base, 0) + 1
    return FightNow(combat.id, tuple(counts.items()))


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    guild_id: int
    channel_id: int
    dm_id: int
    name: str
    tone: str
    setting: str
    status: str
    settings: CampaignSettings
    safety: Safety
    scene: Scene
    summary: str
    summary_through: int
    turn_count: int
    created_at: datetime | None = None
    round_number: int = 1  # the round open now or next (a campaign played in rounds, bot.engine.rounds)
    round_ready: tuple[str, ...] = ()  # who has acted or passed in it


def info_of(row: Campaign, defaults: CampaignDefaults) -> CampaignInfo:
    safety = row.safety or {}
    return CampaignInfo(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        dm_id=row.dm_id,
        name=row.name,
        tone=row.tone,
        setting=row.setting,
        status=row.status,
        settings=CampaignSettings.from_json(row.settings or {}, defaults),
        safety=Safety(tuple(safety.get("lines") or ()), tuple(safety.get("veils") or ())),
        scene=Scene.from_json(row.scene or {}),
        summary=row.summary or "",
        summary_through=row.summary_through or 0,
        turn_count=row.turn_count or 0,
        created_at=row.created_at,
        round_number=int((row.round_state or {}).get("number") or 1),
        round_ready=tuple(str(e.get("character")) for e in (row.round_state or {}).get("entries") or ()),
    )


def new_campaign_settings(guild_settings: Mapping[str, Any]) -> dict[str, Any]:
    """A new campaign starts from the guild's defaults (narrator model, content rating)."""
    out: dict[str, Any] = {}
    if guild_settings.get("content_rating") in CONTENT_RATINGS:
        out["content_rating"] = guild_settings["content_rating"]
    if guild_settings.get("narrator_model"):
        out["model"] = str(guild_settings["narrator_model"])
    return out
