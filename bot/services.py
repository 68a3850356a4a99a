"""The one object that wires everything: built once at startup, handed to the bot and its cogs."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.engine.admin import AdminService
from bot.engine.advice import NarratorAdvice
from bot.engine.aliases import AliasService
from bot.engine.characters import CharacterService
from bot.engine.checks import CheckService
from bot.engine.combat import CombatService
from bot.engine.dice import Dice
from bot.engine.generate import Generator
from bot.engine.rolls import RollService
from bot.engine.table import TableService, hook_start_combat
from bot.engine.turns import CampaignEngine, build_campaign_engine
from bot.limits import RateLimiter
from bot.metrics import Metrics
from bot.settings import Settings
from persistence.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    metrics: Metrics
    limiter: RateLimiter
    dice: Dice
    rolls: RollService
    characters: CharacterService
    checks: CheckService
    combat: CombatService
    generator: Generator
    campaign: CampaignEngine  # campaigns, usage and turns
    table: TableService  # the DM's table: status, awards, NPCs, generation, auto monsters
    admin: AdminService
    aliases: AliasService  # saved rolls (/alias), which /roll expands


@asynccontextmanager
async def open_services(settings: Settings, *, rng: random.Random | None = None) -> AsyncIterator[Services]:
    """Build every service from the settings, and close them all on the way out."""
    settings.ensure_data_dir()
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    metrics = Metrics()
    metrics.set_pool_source(db.pool_usage)
    limiter = RateLimiter.from_settings(settings, metrics=metrics)
    dice = Dice(rng)
    rolls = RollService(db, dice)
    characters = CharacterService(db, dice)
    checks = CheckService(characters, dice, rolls)
    campaign = build_campaign_engine(settings, db, checks, dice, metrics=metrics)
    combat = CombatService(db, dice, characters, checks)
    generator = Generator(characters.srd, dice)
    hook_start_combat(campaign.turns.executor, combat)
    models = (settings.openai_model, *settings.narrator_models)
    try:
        yield Services(
            settings=settings, db=db, metrics=metrics, limiter=limiter, dice=dice, rolls=rolls,
            characters=characters, checks=checks, combat=combat, generator=generator, campaign=campaign,
            table=TableService(db, campaign.campaigns, combat, generator,
                               NarratorAdvice(campaign.turns.narrators, campaign.usage)),
            admin=AdminService(db, campaign.usage, models),
            aliases=AliasService(db, characters),
        )
    finally:
        await campaign.aclose()
        await rolls.aclose()
        await limiter.aclose()
        await db.dispose()
