"""The one object that wires everything: built once at startup, handed to the bot and its cogs.

Every service gets what it needs through its constructor, built in dependency order; nothing is patched
into a service after it is built. The one cycle (characters ask who a campaign's DM is, campaigns need the
characters) is broken by `campaign_dm_reader`, which needs only the database.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.engine.admin import AdminService
from bot.engine.advice import NarratorAdvice
from bot.engine.aliases import AliasService
from bot.engine.campaign_info import Bounds, CampaignDefaults
from bot.engine.campaigns import CampaignService, campaign_dm_reader
from bot.engine.caps import Caps
from bot.engine.checks import CheckService
from bot.engine.combat import CombatService
from bot.engine.creation import CharacterCreation
from bot.engine.death import Revival
from bot.engine.dice import Dice
from bot.engine.exports import CampaignExporter, ExportLimits
from bot.engine.generate import Generator
from bot.engine.homebrew import HomebrewMonsters, HomebrewService
from bot.engine.leases import LeaseConfig, Leases
from bot.engine.levelling import Milestones
from bot.engine.memory import MemoryReader, PromptBudget
from bot.engine.narrators import NarratorPool
from bot.engine.rolls import RollService
from bot.engine.rounds import RoundService
from bot.engine.stats import StatsService
from bot.engine.table import TableService
from bot.engine.tools import ToolExecutor
from bot.engine.turns import TurnConfig, TurnEngine
from bot.engine.usage import UsageMetrics, UsageService
from bot.limits import RateLimiter
from bot.metrics import Metrics
from bot.narrator import NARRATOR_TOOLS, Narrator, OfflineNarrator, OpenAINarrator, PriceTable, build_narrator
from bot.settings import Settings
from bot.ui.combat_views import TrackerBoard
from persistence.db import Database


@dataclass
class CampaignEngine:
    """The campaign side of the services, built once at startup."""

    campaigns: CampaignService
    usage: UsageService
    turns: TurnEngine
    exports: CampaignExporter
    rounds: RoundService

    async def aclose(self) -> None:
        await self.turns.narrators.aclose()


@dataclass
class Services:
    settings: Settings
    db: Database
    metrics: Metrics
    limiter: RateLimiter
    dice: Dice
    rolls: RollService
    characters: CharacterCreation
    checks: CheckService
    combat: CombatService
    board: TrackerBoard  # the one tracker message per fight, shared by every cog that changes a fight
    generator: Generator
    campaign: CampaignEngine  # campaigns, usage and turns
    table: TableService  # the DM's table: status, awards, NPCs, generation, auto monsters
    admin: AdminService
    aliases: AliasService  # saved rolls (/alias), which /roll expands
    revival: Revival  # the DM's /dm revive
    milestones: Milestones  # the DM's /dm allow-levelup
    stats: StatsService  # /stats and the dice of a session at /session end
    homebrew: HomebrewService  # the DMs' monsters, items, spells and feats (the combat engine reads its monsters)


@asynccontextmanager
async def open_services(settings: Settings, *, rng: random.Random | None = None) -> AsyncIterator[Services]:
    """Build every service from the settings, and close them all on the way out."""
    settings.ensure_data_dir()
    pool_size, overflow = settings.pool_limits
    db = Database(settings.database_url, pool_size=pool_size, max_overflow=overflow)
    metrics = Metrics()
    metrics.set_pool_source(db.pool_usage)
    limiter = RateLimiter.from_settings(settings, metrics=metrics)
    dice = Dice(rng)
    rolls = RollService(db, dice)
    characters = CharacterCreation(db, dice, campaign_dm=campaign_dm_reader(db), caps=caps_of(settings))
    checks = CheckService(characters, dice, rolls)
    homebrew = HomebrewService(db, characters.srd, dice, HomebrewMonsters(characters.srd))
    combat = CombatService(db, dice, characters, checks, homebrew=homebrew.monsters)
    campaign = build_campaign_engine(settings, db, checks, combat, dice, metrics=metrics)
    generator = Generator(characters.srd, dice)
    models = (settings.openai_model, *settings.narrator_models)
    try:
        yield Services(
            settings=settings,
            db=db,
            metrics=metrics,
            limiter=limiter,
            dice=dice,
            rolls=rolls,
            characters=characters,
            checks=checks,
            combat=combat,
            board=TrackerBoard(combat),
            generator=generator,
            campaign=campaign,
            table=TableService(
                db, campaign.campaigns, combat, generator, NarratorAdvice(campaign.turns.narrators, campaign.usage)
            ),
            admin=AdminService(db, campaign.usage, models),
            aliases=AliasService(db, characters),
            revival=Revival(db),
            milestones=Milestones(db),
            stats=StatsService(db, rolls.flush),
            homebrew=homebrew,
        )
    finally:
        await campaign.aclose()
        await rolls.aclose()
        await limiter.aclose()
        await db.dispose()


def build_campaign_engine(
    settings: Settings,
    db: Database,
    checks: CheckService,
    combat: CombatService,
    dice: Dice,
    *,
    metrics: UsageMetrics | None = None,
) -> CampaignEngine:
    """Campaigns, usage and narrated turns from the settings."""
    defaults = campaign_defaults(settings)
    prompt = PromptBudget(settings.prompt_token_budget, NARRATOR_TOOLS, reply_tokens=settings.narrator_max_tokens)
    campaigns = CampaignService(db, checks.characters, prompt, defaults, rolls_written=checks.rolls.flush)
    usage = UsageService(
        db, prices=PriceTable(settings.narrator_prices), default_budget=settings.daily_token_budget, metrics=metrics
    )
    executor = ToolExecutor(db, checks, combat, dice, checks.srd, defaults)
    config = TurnConfig(
        max_tool_rounds=settings.max_tool_rounds,
        summary_every=settings.summary_refresh_events,
        turn_timeout=settings.turn_timeout_seconds,
        decision_mode=settings.narrator_decision_mode,
    )
    leases = Leases(
        db,
        LeaseConfig(ttl=settings.lease_ttl_seconds, wait=settings.turn_wait_seconds, queue=settings.turn_queue_limit),
    )
    turns = TurnEngine(
        db, campaigns, executor, MemoryReader(db), prompt, usage, narrator_pool(settings), config, leases
    )
    exports = CampaignExporter(campaigns, leases, ExportLimits(max_bytes=settings.export_max_mb * 2**20))
    return CampaignEngine(campaigns, usage, turns, exports, RoundService(db, campaigns.defaults))


def campaign_defaults(settings: Settings) -> CampaignDefaults:
    """The host's bounds for what one narrated turn may change, until a DM sets their campaign's own."""
    return CampaignDefaults(
        bounds=Bounds(settings.turn_max_damage, settings.turn_max_heal, settings.turn_max_xp, settings.turn_max_items),
        approval_bound=settings.approval_bound,
        summary_every=settings.summary_refresh_events,
        allowed_models=tuple(settings.narrator_models),
        caps=caps_of(settings),
    )


def caps_of(settings: Settings) -> Caps:
    return Caps(
        npcs_per_campaign=settings.max_npcs_per_campaign,
        canon_facts=settings.max_canon_facts,
        characters_per_user=settings.max_characters_per_user,
        campaigns_per_guild=settings.max_campaigns_per_guild,
        pending_changes=settings.max_pending_changes,
    )


def narrator_pool(settings: Settings) -> NarratorPool:
    """The configured narrator, the offline fallback, and an OpenAI-compatible narrator per model a DM picks."""

    def per_model(model: str) -> Narrator:
        return OpenAINarrator.from_settings(settings.model_copy(update={"openai_model": model}))

    return NarratorPool(build_narrator(settings), OfflineNarrator(), per_model)
