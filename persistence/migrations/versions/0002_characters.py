"""characters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _int(name: str, default: int | None = None) -> sa.Column[int]:
    server_default = None if default is None else sa.text(str(default))
    return sa.Column(name, sa.Integer(), nullable=False, server_default=server_default)


def upgrade() -> None:
    op.create_table(
        "characters",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=True),  # FK added by the campaigns migration
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(256), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.false()),
        _int("version", 1),
        sa.Column("race", sa.String(64), nullable=False),
        sa.Column("subrace", sa.String(64), nullable=True),
        sa.Column("class_index", sa.String(64), nullable=False),
        sa.Column("background", sa.String(64), nullable=False),
        _int("level", 1),
        _int("xp", 0),
        sa.Column("levelup_allowed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("base_scores", sa.JSON(), nullable=False),
        sa.Column("bonus_scores", sa.JSON(), nullable=False),
        _int("hp_max"),
        _int("hp_current"),
        _int("hp_temp", 0),
        _int("hit_dice_used", 0),
        _int("death_successes", 0),
        _int("death_failures", 0),
        sa.Column("proficiencies", sa.JSON(), nullable=False),
        sa.Column("expertise", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("inventory", sa.JSON(), nullable=False),
        sa.Column("coins", sa.JSON(), nullable=False),
        sa.Column("slots_max", sa.JSON(), nullable=False),
        sa.Column("slots_current", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
        sa.Column("backstory", sa.Text(), nullable=False, server_default=""),
        sa.Column("portrait_url", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("guild_id", "owner_id", "name_key", name="uq_characters_owner_name"),
        sa.CheckConstraint("level BETWEEN 1 AND 20", name="ck_characters_level"),
        sa.CheckConstraint("xp >= 0", name="ck_characters_xp"),
    )
    op.create_index(
        "uq_characters_active",
        "characters",
        ["guild_id", "owner_id"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )
    op.create_index("ix_characters_campaign", "characters", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_characters_campaign", table_name="characters")
    op.drop_index("uq_characters_active", table_name="characters")
    op.drop_table("characters")
