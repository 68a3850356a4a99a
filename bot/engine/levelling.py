"""Levels and the table's say in them.

- Outside a campaign there is no DM: a character levels only as far as its XP allows.
- In a campaign the DM's levelling mode decides (`/dm settings levelling:`): `xp` (XP allows the level, or
  the DM does) or `milestone` (only the DM's `/dm allow-levelup`). The levels the DM allowed a character in
  a campaign are kept in the campaign's settings (`allowed_levels`), so they count again when it rejoins.
- Joining a campaign: a character above the level the campaign allows it (the DM's start level, what its
  XP allows in XP mode, or what the DM allowed it before) waits for the DM (a pending change, `/dm approve`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.data.srd import SRD
from bot.engine import events as log
from bot.engine.rules import MAX_LEVEL
from bot.engine.sheet import Actor, Sheet, name_key, to_sheet, write_back
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database
from persistence.models import Campaign, PendingChange
from persistence.repositories import CampaignRepository, PartyRepository

Mode = Literal["xp", "milestone"]
MODES: tuple[Mode, ...] = ("xp", "milestone")
JOIN_TOOL = "join_above_level"  # a pending change's tool: a character joining above its allowed level


@dataclass(frozen=True)
class Allowance:
    mode: Mode
    start_level: int
    granted: int  # the highest level the DM allowed this character in this campaign (0: none)


def allowance(settings: Mapping[str, Any], character_id: int) -> Allowance:
    mode: Mode = "milestone" if settings.get("levelling") == "milestone" else "xp"
    start = int(settings.get("start_level") or 1)
    granted = int((settings.get("allowed_levels") or {}).get(str(character_id), 0))
    return Allowance(mode, start, granted)


def allowed_level(srd: SRD, sheet: Sheet, rules: Allowance) -> int:
    by_xp = srd.level_for_xp(sheet.xp) if rules.mode == "xp" else 0
    return max(rules.start_level, by_xp, rules.granted)


def check_level_up(srd: SRD, sheet: Sheet, new_level: int, campaign: Campaign | None) -> None:
    """May `sheet` go up to `new_level`? Raises with what the table needs otherwise."""
    if sheet.levelup_allowed and campaign is not None:
        return  # the DM allowed it
    needed = srd.xp_for_level(new_level)
    if campaign is None:
        if sheet.xp < needed:
            raise InvalidInput(
                f"{sheet.name} has {sheet.xp:,} XP; level {new_level} needs {needed:,}. Outside a campaign a "
                "character levels as its XP allows; in one, its DM can allow it (`/dm allow-levelup`)."
            )
        return
    rules = allowance(campaign.settings or {}, sheet.id)
    if rules.granted >= new_level:
        return
    if rules.mode == "milestone":
        raise InvalidInput(
            f"{campaign.name} levels by milestones: {sheet.name} goes up when the DM says so (`/dm allow-levelup`)."
        )
    if sheet.xp < needed:
        raise InvalidInput(
            f"{sheet.name} has {sheet.xp:,} XP; level {new_level} needs {needed:,}. "
            "Your campaign's DM can also allow the level-up (`/dm allow-levelup`)."
        )


def grant(campaign: Campaign, character_id: int, level: int) -> None:
    """Remember in the campaign that its DM allowed this character `level`."""
    settings = dict(campaign.settings or {})
    levels = dict(settings.get("allowed_levels") or {})
    levels[str(character_id)] = max(level, int(levels.get(str(character_id), 0)))
    settings["allowed_levels"] = levels
    campaign.settings = settings


def join_request(srd: SRD, campaign: Campaign, sheet: Sheet, user_id: int) -> PendingChange | None:
    """A pending change for the DM when `sheet` is above what the campaign allows it; None when it may join."""
    rules = allowance(campaign.settings or {}, sheet.id)
    allowed = allowed_level(srd, sheet, rules)
    if sheet.level <= allowed:
        return None
    why = f"its {sheet.xp:,} XP allow level {srd.level_for_xp(sheet.xp)}" if rules.mode == "xp" else "milestones"
    summary = (
        f"{sheet.name} (level {sheet.level}) joins {campaign.name} above the level it may have here: "
        f"{allowed} (start level {rules.start_level}, {why})."
    )
    return PendingChange(
        campaign_id=campaign.id,
        turn_id=None,
        requested_by=user_id,
        tool=JOIN_TOOL,
        arguments={"character_id": sheet.id, "level": sheet.level, "allowed": allowed},
        summary=summary,
        status="pending",
    )


# --- The DM's allowance ------------------------------------------------------------------------------


class Milestones:
    """`/dm allow-levelup`: the DM lets a character (or the whole party) go up one level in this campaign."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def allow(self, actor: Actor, target: str) -> tuple[str, ...]:
        async with self.db.transaction() as session:
            campaign = await CampaignRepository(session).in_channel(actor.channel_id or 0, lock=True)
            if campaign is None:
                raise NotFound("There is no campaign in this channel.")
            if actor.user_id != campaign.dm_id:
                raise Forbidden(f"Only the DM of {campaign.name} can allow a level-up.")
            party = list(await PartyRepository(session).members(campaign.id, lock=True))
            wanted = " ".join(target.split()).casefold()
            chosen = party if wanted == "party" else [c for c in party if c.name_key == name_key(target)]
            if not chosen:
                names = ", ".join(c.name for c in party) or "nobody yet"
                raise NotFound(f"No character called “{target[:64]}” plays in {campaign.name}. The party: {names}.")
            lines = []
            for row in chosen:
                sheet = to_sheet(row)
                if sheet.level >= MAX_LEVEL:
                    lines.append(f"{sheet.name} is level {MAX_LEVEL} already.")
                    continue
                grant(campaign, row.id, sheet.level + 1)
                write_back(row, replace(sheet, levelup_allowed=True))
                lines.append(f"{sheet.name} may go up to level {sheet.level + 1} with /character levelup.")
            log.record(
                session,
                campaign,
                "award",
                f"The DM allows a level-up: {', '.join(c.name for c in chosen)}.",
                actor_id=actor.user_id,
                data={"levelup": [c.id for c in chosen]},
            )
            return tuple(lines)
