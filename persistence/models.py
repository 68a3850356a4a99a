"""Typed SQLAlchemy models. Every change to them needs an Alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
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
    notes: Mapped[str] = mapped_column(Text, default="")
    backstory: Mapped[str] = mapped_column(Text, default="")
    portrait_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
