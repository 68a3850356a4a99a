"""campaigns, their event log, turns, canon, NPCs, sessions, pending changes and LLM usage

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Full-text search over the event log: on Postgres a generated ``tsvector`` column with a GIN
index; SQLite has no such type, so the repository falls back to LIKE there.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[int]:
    return sa.Column("id", AutoId, primary_key=True, autoincrement=True)


def _campaign() -> sa.Column[int]:
    return sa.Column("campaign_id", sa.BigInteger(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)


def _at(name: str = "created_at", nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _campaigns()
    _turns_and_events(postgres)
    _campaign_parts()
    _usage()
    if postgres:  # SQLite would have to copy the table to add a foreign key; it does not enforce it anyway
        op.create_foreign_key(
            "fk_characters_campaign", "characters", "campaigns", ["campaign_id"], ["id"], ondelete="SET NULL"
        )


def _campaigns() -> None:
    op.create_table(
        "campaigns",
        _id(),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("dm_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("tone", sa.String(100), nullable=False, server_default=""),
        sa.Column("setting", sa.String(500), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("safety", sa.JSON(), nullable=False),
        sa.Column("scene", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("summary_through", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.Column("events_since_summary", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("turn_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
        _at(),
        _at("updated_at"),
    )
    op.create_index("ix_campaigns_guild", "campaigns", ["guild_id"])
    # one running campaign per channel or thread
    op.create_index(
        "uq_campaigns_channel_active",
        "campaigns",
        ["channel_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'ended'"),
        sqlite_where=sa.text("status <> 'ended'"),
    )


def _turns_and_events(postgres: bool) -> None:
    op.create_table(
        "campaign_turns",
        _id(),
        _campaign(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("character_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("narrator", sa.String(32), nullable=False, server_default=""),
        sa.Column("fallback_reason", sa.String(200), nullable=True),
        _at(),
        _at("finished_at", nullable=True),
    )
    op.create_index("ix_campaign_turns_campaign", "campaign_turns", ["campaign_id", "id"])
    op.create_table(
        "campaign_events",
        _id(),
        _campaign(),
        sa.Column("turn_id", sa.BigInteger(), sa.ForeignKey("campaign_turns.id", ondelete="SET NULL"), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("character_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("retconned", sa.Boolean(), nullable=False, server_default=sa.false()),
        _at(),
    )
    op.create_index("ix_campaign_events_campaign", "campaign_events", ["campaign_id", "id"])
    op.create_index("ix_campaign_events_turn", "campaign_events", ["turn_id"])
    if postgres:
        op.add_column(
            "campaign_events",
            sa.Column(
                "search",
                postgresql.TSVECTOR(),
                sa.Computed("to_tsvector('english', text)", persisted=True),
                nullable=True,
            ),
        )
        op.create_index("ix_campaign_events_search", "campaign_events", ["search"], postgresql_using="gin")


def _campaign_parts() -> None:
    op.create_table(
        "campaign_canon",
        _id(),
        _campaign(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        _at(),
    )
    op.create_index("ix_campaign_canon_campaign", "campaign_canon", ["campaign_id"])
    op.create_table(
        "campaign_npcs",
        _id(),
        _campaign(),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("name_key", sa.String(320), nullable=False),
        sa.Column("role", sa.String(80), nullable=False, server_default=""),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("turn_id", sa.BigInteger(), nullable=True),
        _at(),
        sa.UniqueConstraint("campaign_id", "name_key", name="uq_campaign_npcs_name"),
    )
    op.create_table(
        "campaign_sessions",
        _id(),
        _campaign(),
        sa.Column("started_by", sa.BigInteger(), nullable=False),
        sa.Column("first_event_id", sa.BigInteger(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        _at("started_at"),
        _at("ended_at", nullable=True),
    )
    op.create_index("ix_campaign_sessions_campaign", "campaign_sessions", ["campaign_id", "id"])
    op.create_table(
        "campaign_pending",
        _id(),
        _campaign(),
        sa.Column("turn_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column("tool", sa.String(32), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolved_by", sa.BigInteger(), nullable=True),
        _at(),
        _at("resolved_at", nullable=True),
    )
    op.create_index("ix_campaign_pending_campaign", "campaign_pending", ["campaign_id", "status"])


def _usage() -> None:
    op.create_table(
        "llm_usage",
        _id(),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=True),
        sa.Column("turn_id", sa.BigInteger(), nullable=True),
        sa.Column("narrator", sa.String(32), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        _at(),
    )
    op.create_index("ix_llm_usage_guild_at", "llm_usage", ["guild_id", "created_at"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_characters_campaign", "characters", type_="foreignkey")
    op.drop_index("ix_llm_usage_guild_at", table_name="llm_usage")
    op.drop_table("llm_usage")
    op.drop_index("ix_campaign_pending_campaign", table_name="campaign_pending")
    op.drop_table("campaign_pending")
    op.drop_index("ix_campaign_sessions_campaign", table_name="campaign_sessions")
    op.drop_table("campaign_sessions")
    op.drop_table("campaign_npcs")
    op.drop_index("ix_campaign_canon_campaign", table_name="campaign_canon")
    op.drop_table("campaign_canon")
    op.drop_table("campaign_events")  # its indexes go with it
    op.drop_index("ix_campaign_turns_campaign", table_name="campaign_turns")
    op.drop_table("campaign_turns")
    op.drop_index("uq_campaigns_channel_active", table_name="campaigns")
    op.drop_index("ix_campaigns_guild", table_name="campaigns")
    op.drop_table("campaigns")
