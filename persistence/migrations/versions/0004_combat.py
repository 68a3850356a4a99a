"""combat: one initiative tracker per campaign, and its combatants

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _int(name: str, default: int | None = None, *, nullable: bool = False) -> sa.Column[int]:
    server_default = None if default is None else sa.text(str(default))
    return sa.Column(name, sa.Integer(), nullable=nullable, server_default=server_default)


def upgrade() -> None:
    op.create_table(
        "combats",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.BigInteger(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        _int("round", 0),
        _int("turn_index", 0),
        sa.Column("tracker_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("tracker_message_id", sa.BigInteger(), nullable=True),
        _int("version", 1),
        sa.Column("started_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'ended')", name="ck_combats_status"),
    )
    # at most one running fight per campaign, and per channel
    for name, column in (("uq_combats_campaign_active", "campaign_id"), ("uq_combats_channel_active", "channel_id")):
        op.create_index(
            name,
            "combats",
            [column],
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
    op.create_table(
        "combatants",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("combat_id", sa.BigInteger(), sa.ForeignKey("combats.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("character_id", sa.BigInteger(), sa.ForeignKey("characters.id", ondelete="CASCADE"), nullable=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("monster_index", sa.String(64), nullable=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(256), nullable=False),
        _int("initiative"),
        _int("dex"),
        _int("tiebreak", 0),
        _int("position", 0),
        _int("hp", nullable=True),
        _int("hp_max", nullable=True),
        _int("ac"),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("dead", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("combat_id", "name_key", name="uq_combatants_name"),
        sa.UniqueConstraint("combat_id", "character_id", name="uq_combatants_character"),
        sa.CheckConstraint("kind IN ('character', 'monster')", name="ck_combatants_kind"),
    )
    op.create_index("ix_combatants_combat", "combatants", ["combat_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_combatants_combat", table_name="combatants")
    op.drop_table("combatants")
    op.drop_index("uq_combats_channel_active", table_name="combats")
    op.drop_index("uq_combats_campaign_active", table_name="combats")
    op.drop_table("combats")
