"""Typed SQLAlchemy models. Every change to them needs an Alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import text

# Discord ids are 64-bit; SQLite only autoincrements a plain INTEGER primary key.
Snowflake = BigInteger
AutoId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Guild(Base):
    """A Discord server the bot has seen, with its settings (defaults live in the engine)."""

    __tablename__ = "guilds"

    id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RollLog(Base):
    """Every roll the engine made: who, where, what was typed, and what came up."""

    __tablename__ = "roll_log"
    __table_args__ = (Index("ix_roll_log_guild_user_at", "guild_id", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    expression: Mapped[str] = mapped_column(String(200))
    label: Mapped[str | None] = mapped_column(String(100))
    total: Mapped[int] = mapped_column(BigInteger)
    breakdown: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Character(Base):
    """A player character: the stored facts of its sheet. Derived numbers are computed by the engine."""

    __tablename__ = "characters"
    __table_args__ = (
        # names are unique per user per guild, case-insensitively: `name_key` is the casefolded name
        UniqueConstraint("guild_id", "owner_id", "name_key", name="uq_characters_owner_name"),
        # at most one active character per user per guild
        Index(
            "uq_characters_active",
            "guild_id",
            "owner_id",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
        Index("ix_characters_campaign", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)  # 0 outside a guild (direct messages)
    owner_id: Mapped[int] = mapped_column(Snowflake)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)  # the campaigns issue adds the table
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(256))  # casefolding can lengthen a name
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    race: Mapped[str] = mapped_column(String(64))
    subrace: Mapped[str | None] = mapped_column(String(64))
    class_index: Mapped[str] = mapped_column(String(64))
    background: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer, default=1)
    xp: Mapped[int] = mapped_column(Integer, default=0)
    levelup_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    base_scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    bonus_scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    hp_max: Mapped[int] = mapped_column(Integer)
    hp_current: Mapped[int] = mapped_column(Integer)
    hp_temp: Mapped[int] = mapped_column(Integer, default=0)
    hit_dice_used: Mapped[int] = mapped_column(Integer, default=0)
    death_successes: Mapped[int] = mapped_column(Integer, default=0)
    death_failures: Mapped[int] = mapped_column(Integer, default=0)
    proficiencies: Mapped[dict[str, Any]] = mapped_column(JSON)  # saves/skills/armor/weapons/tools: [slug]
    expertise: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    inventory: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # {item, name, quantity, equipped}
    coins: Mapped[dict[str, Any]] = mapped_column(JSON)
    slots_max: Mapped[list[int]] = mapped_column(JSON, default=list)
    slots_current: Mapped[list[int]] = mapped_column(JSON, default=list)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # {name, rounds, level}
    # {cantrips, known, book, prepared: [SRD spell index], may_prepare} (migration 0006)
    spells: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    effects: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # bot.engine.effects (0009)
    notes: Mapped[str] = mapped_column(Text, default="")
    backstory: Mapped[str] = mapped_column(Text, default="")
    portrait_url: Mapped[str | None] = mapped_column(String(500))
    # migration 0011: an SRD subclass index, and what an imported sheet kept outside the SRD
    # ({background, race_name, features, items, spells, proficiencies, languages: [...]})
    subclass: Mapped[str | None] = mapped_column(String(64), default=None)
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pronouns: Mapped[str] = mapped_column(String(24), default="", server_default="")
    # migration 0016_choices: what the player chose at each level (bot.engine.choices), and the levels of
    # each class of a multiclassed character (empty: all levels in class_index)
    choices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    class_levels: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # migration 0016_powers: uses spent per feature key, and custom counters (bot.engine.features)
    feature_spent: Mapped[dict[str, int] | None] = mapped_column(JSON, default=dict)
    counters: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


# --- Campaigns (migration 0003) ------------------------------------------------------------------


class Campaign(Base):
    """A campaign bound to one channel or thread; its creator is its DM."""

    __tablename__ = "campaigns"
    __table_args__ = (
        Index("ix_campaigns_guild", "guild_id"),
        Index(
            "uq_campaigns_channel_active",
            "channel_id",
            unique=True,
            postgresql_where=text("status <> 'ended'"),
            sqlite_where=text("status <> 'ended'"),
        ),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    dm_id: Mapped[int] = mapped_column(Snowflake)
    name: Mapped[str] = mapped_column(String(100))
    tone: Mapped[str] = mapped_column(String(100), default="")
    setting: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # persona, model, bounds, approvals
    safety: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # lines, veils
    scene: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # location, description, npcs, combat
    # The open round when the campaign plays in rounds (bot.engine.rounds): its actions and passes, who led the last.
    round_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_through: Mapped[int] = mapped_column(BigInteger, default=0)  # the last event id the summary covers
    events_since_summary: Mapped[int] = mapped_column(Integer, default=0)
    turn_count: Mapped[int] = mapped_column(Integer, default=0)
    # Leases (persistence/leases.py): which process resolves a turn or builds an export, and until when.
    turn_lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    turn_lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    export_lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    export_lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class CampaignTurn(Base):
    """One `/narrate` turn: running until its changes and narration are committed."""

    __tablename__ = "campaign_turns"
    __table_args__ = (Index("ix_campaign_turns_campaign", "campaign_id", "id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(Snowflake)
    character_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # running | done | retconned
    narrator: Mapped[str] = mapped_column(String(32), default="")
    fallback_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CampaignEvent(Base):
    """The append-only log: rows are only added, and marked `retconned` when a turn is undone.

    On Postgres the table also has a generated `search` tsvector column (see migration 0003); it is
    left out of the model so that SQLite, which has no such column, maps the same class.
    """

    __tablename__ = "campaign_events"
    __table_args__ = (
        Index("ix_campaign_events_campaign", "campaign_id", "id"),
        Index("ix_campaign_events_turn", "turn_id"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"))
    turn_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("campaign_turns.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(Snowflake)
    character_id: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    retconned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CanonFact(Base):
    """A fact the DM pinned: always in the narrator's prompt."""

    __tablename__ = "campaign_canon"
    __table_args__ = (Index("ix_campaign_canon_campaign", "campaign_id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(Snowflake)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # the DM's unless they show it (visibility.py)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Npc(Base):
    """A non-player character the story introduced; found again by name."""

    __tablename__ = "campaign_npcs"
    __table_args__ = (UniqueConstraint("campaign_id", "name_key", name="uq_campaign_npcs_name"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(80), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    secret: Mapped[str] = mapped_column(Text, default="")  # the DM's, whoever else may see the NPC
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # introduced in the story, or shown by the DM
    turn_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CampaignSession(Base):
    """A play session, from `/session start` to `/session end`."""

    __tablename__ = "campaign_sessions"
    __table_args__ = (Index("ix_campaign_sessions_campaign", "campaign_id", "id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"))
    started_by: Mapped[int] = mapped_column(Snowflake)
    first_event_id: Mapped[int] = mapped_column(BigInteger)
    summary: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PendingChange(Base):
    """A change the narrator proposed above the campaign's approval bound, waiting for the DM."""

    __tablename__ = "campaign_pending"
    __table_args__ = (Index("ix_campaign_pending_campaign", "campaign_id", "status"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"))
    turn_id: Mapped[int | None] = mapped_column(BigInteger)
    requested_by: Mapped[int] = mapped_column(Snowflake)
    tool: Mapped[str] = mapped_column(String(32))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | denied | dropped
    resolved_by: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LlmUsage(Base):
    """One model call: tokens, latency and estimated cost, per guild and campaign."""

    __tablename__ = "llm_usage"
    __table_args__ = (Index("ix_llm_usage_guild_at", "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    turn_id: Mapped[int | None] = mapped_column(BigInteger)
    narrator: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(100))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    latency_ms: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Combat (migration 0004) ----------------------------------------------------------------------


class Combat(Base):
    """One fight of a campaign: the initiative tracker's round and turn, and its one tracker message."""

    __tablename__ = "combats"
    __table_args__ = (
        Index(
            "uq_combats_campaign_active",
            "campaign_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        Index(
            "uq_combats_channel_active",
            "channel_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | ended
    round: Mapped[int] = mapped_column(Integer, default=0)  # 0: gathering initiative
    turn_index: Mapped[int] = mapped_column(Integer, default=0)  # into the combatants by position
    tracker_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    tracker_message_id: Mapped[int | None] = mapped_column(Snowflake)
    version: Mapped[int] = mapped_column(Integer, default=1)  # +1 on every change
    reroll_each_round: Mapped[bool] = mapped_column(Boolean, default=False)  # everyone rolls initiative anew
    sunlight: Mapped[bool] = mapped_column(Boolean, default=False)  # the fight is in sunlight (Sunlight Sensitivity)
    # migration 0016_powers: what each combatant did this turn (attacks, Sneak Attack): bot.engine.combat.powers
    turn_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    started_by: Mapped[int] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Combatant(Base):
    """A character (its sheet holds HP and conditions) or a monster (HP and conditions kept here)."""

    __tablename__ = "combatants"
    __table_args__ = (
        UniqueConstraint("combat_id", "name_key", name="uq_combatants_name"),
        UniqueConstraint("combat_id", "character_id", name="uq_combatants_character"),
        Index("ix_combatants_combat", "combat_id", "position"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    combat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("combats.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # character | monster
    character_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("characters.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(Snowflake)  # the player, for characters
    monster_index: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(256))
    initiative: Mapped[int] = mapped_column(Integer)
    dex: Mapped[int] = mapped_column(Integer)  # the Dexterity score breaks initiative ties
    tiebreak: Mapped[int] = mapped_column(Integer, default=0)  # then this roll-off
    position: Mapped[int] = mapped_column(Integer, default=0)  # place in initiative order
    hp: Mapped[int | None] = mapped_column(Integer)  # monsters only
    hp_max: Mapped[int | None] = mapped_column(Integer)
    ac: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # {name, rounds, ends, level}
    dead: Mapped[bool] = mapped_column(Boolean, default=False)
    effects: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)  # bot.engine.effects
    group_name: Mapped[str | None] = mapped_column(String(64))  # a group shares one initiative and one turn
    held: Mapped[bool] = mapped_column(Boolean, default=False)  # holding (delaying) its turn
    init_bonus: Mapped[int | None] = mapped_column(Integer)  # its initiative modifier, for rerolls
    attacks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # a generic combatant's attack lines
    resources: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # spent legendary actions, recharges, reaction
    spells_used: Mapped[dict[str, int] | None] = mapped_column(JSON)  # a monster's spent slots and uses (0009)
    spent: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # ammunition and thrown weapons (migration 0012)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Alias(Base):
    """A saved roll: a user's own (`owner_id` set; it follows them to every server) or a server's
    (`guild_id` set; everyone there may use it). Exactly one of the two is set."""

    __tablename__ = "aliases"
    __table_args__ = (
        # names are unique per owner and per server, case-insensitively: `name_key` is the casefolded name
        Index(
            "uq_aliases_personal",
            "owner_id",
            "name_key",
            unique=True,
            postgresql_where=text("owner_id IS NOT NULL"),
            sqlite_where=text("owner_id IS NOT NULL"),
        ),
        Index(
            "uq_aliases_server",
            "guild_id",
            "name_key",
            unique=True,
            postgresql_where=text("guild_id IS NOT NULL"),
            sqlite_where=text("guild_id IS NOT NULL"),
        ),
        CheckConstraint("(owner_id IS NULL) <> (guild_id IS NULL)", name="ck_aliases_one_scope"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    owner_id: Mapped[int | None] = mapped_column(Snowflake)
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    name: Mapped[str] = mapped_column(String(32))
    name_key: Mapped[str] = mapped_column(String(32))
    expression: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Combat outcomes (migration 0011b) -----------------------------------------------------------


class CombatOutcome(Base):
    """One attack or save action in a fight: who, at whom, hit or not, the damage, the target dropped."""

    __tablename__ = "combat_outcomes"
    __table_args__ = (Index("ix_combat_outcomes_campaign", "campaign_id", "id"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"))
    combat_id: Mapped[int] = mapped_column(BigInteger)
    attacker: Mapped[str] = mapped_column(String(64))
    attacker_kind: Mapped[str] = mapped_column(String(16))
    attacker_owner_id: Mapped[int | None] = mapped_column(Snowflake)
    target: Mapped[str] = mapped_column(String(64))
    target_kind: Mapped[str] = mapped_column(String(16))
    target_owner_id: Mapped[int | None] = mapped_column(Snowflake)
    action: Mapped[str] = mapped_column(String(100))
    hit: Mapped[bool] = mapped_column(Boolean)
    critical: Mapped[bool] = mapped_column(Boolean)
    natural: Mapped[int | None] = mapped_column(Integer)
    damage: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Homebrew (migration 0011b) -----------------------------------------------------------------


class HomebrewEntry(Base):
    """A DM's monster, item, spell or feat: a campaign's (`campaign_id`) or a server's (None)."""

    __tablename__ = "homebrew"
    __table_args__ = (
        # names are unique per kind in one scope, case-insensitively; `scope_key` is "server" or "campaign:<id>"
        UniqueConstraint("guild_id", "scope_key", "kind", "name_key", name="uq_homebrew_name"),
        Index("ix_homebrew_guild", "guild_id", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"))
    scope_key: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(256))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the entry as docs/HOMEBREW.md describes it
    created_by: Mapped[int] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
