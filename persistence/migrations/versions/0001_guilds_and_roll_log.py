"""guilds and the roll log

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "guilds",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "roll_log",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("expression", sa.String(200), nullable=False),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("breakdown", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_roll_log_guild_user_at", "roll_log", ["guild_id", "user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_roll_log_guild_user_at", table_name="roll_log")
    op.drop_table("roll_log")
    op.drop_table("guilds")
