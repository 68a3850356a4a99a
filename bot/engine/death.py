"""Dying and death by the SRD: one death save per turn, and the DM's revive.

In a fight a dying character's death save is rolled by the engine at the start of its turn (`turn_start`,
called when the turn comes round) and shown in the turn announcement and the tracker; `/deathsave` is for
play outside a fight, and refused inside one. Healing a dying character wakes it (`bot.engine.hit_points`);
a dead character stays dead until its campaign's DM revives it (`/dm revive`): 1 HP, death saves cleared."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import events as log
from bot.engine import rules
from bot.engine.dice import Dice, RollOutcome
from bot.engine.sheet import Actor, Sheet, name_key, to_sheet, write_back
from bot.errors import Forbidden, InvalidInput, NotFound
from persistence.db import Database
from persistence.models import Character
from persistence.repositories import CampaignRepository, CombatRepository


@dataclass(frozen=True)
class TurnDeathSave:
    """The death save a dying character rolled as its turn began."""

    character: str
    owner_id: int
    outcome: RollOutcome
    successes: int
    failures: int
    state: rules.DeathState


def dying(sheet: Sheet) -> bool:
    """At 0 HP, not yet stable (three successes) nor dead (three failures)."""
    return sheet.hp_current <= 0 and sheet.death_failures < 3 and sheet.death_successes < 3


def after_death_save(sheet: Sheet, result: rules.DeathSave) -> Sheet:
    """The sheet after a death save: a natural 20 wakes with 1 HP (no longer unconscious)."""
    if result.state == "revived":
        conditions = tuple(c for c in sheet.conditions if c.name != "unconscious")
        return replace(sheet, hp_current=1, death_successes=0, death_failures=0, conditions=conditions)
    return replace(sheet, death_successes=result.successes, death_failures=result.failures)


def turn_start(row: Character, dice: Dice) -> TurnDeathSave | None:
    """Roll the death save of a dying character whose turn starts (its row is written); None if not dying."""
    sheet = to_sheet(row)
    if not dying(sheet):
        return None
    outcome = dice.roll("1d20", label=f"{sheet.name}: death save")
    result = rules.death_save(outcome.total, outcome.total, sheet.death_successes, sheet.death_failures)
    write_back(row, after_death_save(sheet, result))
    return TurnDeathSave(sheet.name, sheet.owner_id, outcome, result.successes, result.failures, result.state)


async def refuse_in_fight(session: AsyncSession, sheet: Sheet) -> None:
    """`/deathsave` is for play outside a fight: in one, the engine rolls it at the start of the turn."""
    if await CombatRepository(session).in_active_fight(sheet.id):
        raise InvalidInput(
            f"{sheet.name} is in a fight: the death save is rolled for them at the start of each of their turns "
            "(one a turn), and the turn announcement and the tracker show it."
        )


def words(save: TurnDeathSave, name: str) -> str:
    """The turn announcement's line for an automatic death save (`name`: the character's, as shown)."""
    verdict = {
        "dying": f"✅ {save.successes}/3 · ❌ {save.failures}/3",
        "stable": "three successes: **stable** at 0 HP",
        "dead": "three failures: **dead**",
        "revived": "natural 20: back up with **1 HP**!",
    }[save.state]
    return f"💀 {name}'s death save: {save.outcome.total} — {verdict}"


@dataclass(frozen=True)
class Revived:
    name: str
    hp: int


class Revival:
    """The DM brings a dead (or dying) character of their campaign back: 1 HP, death saves cleared."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def revive(self, actor: Actor, target: str) -> Revived:
        async with self.db.transaction() as session:
            campaign = await CampaignRepository(session).in_channel(actor.channel_id or 0, lock=True)
            if campaign is None:
                raise NotFound("There is no campaign in this channel.")
            if actor.user_id != campaign.dm_id:
                raise Forbidden(f"Only the DM of {campaign.name} can revive a character.")
            row = await CombatRepository(session).campaign_character(campaign.id, name_key(target), lock=True)
            if row is None:
                raise NotFound(f"No character called “{target[:64]}” plays in {campaign.name}.")
            sheet = to_sheet(row)
            if sheet.hp_current > 0:
                raise InvalidInput(f"{sheet.name} is alive and on their feet ({sheet.hp_current}/{sheet.hp_max} HP).")
            was_dead = sheet.death_failures >= 3
            conditions = tuple(c for c in sheet.conditions if c.name != "unconscious")
            write_back(row, replace(sheet, hp_current=1, death_successes=0, death_failures=0, conditions=conditions))
            verb = "returns from death" if was_dead else "is back on their feet"
            log.record(
                session,
                campaign,
                "revive",
                f"The DM revives {sheet.name}: {sheet.name} {verb} with 1 HP.",
                actor_id=actor.user_id,
                character_id=sheet.id,
                data={"revive": True, "was_dead": was_dead},
            )
            return Revived(sheet.name, 1)
