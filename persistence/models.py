"""Typed SQLAlchemy models. Every change to them needs an Alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
