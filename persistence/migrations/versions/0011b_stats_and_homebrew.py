"""combat outcomes (one row per attack or save action in a fight, for a campaign's /stats) and homebrew
(a DM's monsters, items, spells and feats, per campaign or per server)

Revision ID: 0011b
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011b"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Who hit whom, for how much, whether it was a critical and whether it dropped the target: what the
    # roll log can't say (its rows have no target). Written in the attack's own transaction.
    op.create_table(
        "combat_outcomes",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.BigInteger(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("combat_id", sa.BigInteger(), nullable=False),
        sa.Column("attacker", sa.String(64), nullable=False),
        sa.Column("attacker_kind", sa.String(16), nullable=False),
        sa.Column("attacker_owner_id", sa.BigInteger(), nullable=True),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_owner_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("hit", sa.Boolean(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("natural", sa.Integer(), nullable=True),
        sa.Column("damage", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_combat_outcomes_campaign", "combat_outcomes", ["campaign_id", "id"])
    op.create_table(
        "homebrew",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True),
        sa.Column("scope_key", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(256), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("guild_id", "scope_key", "kind", "name_key", name="uq_homebrew_name"),
    )
    op.create_index("ix_homebrew_guild", "homebrew", ["guild_id", "campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_homebrew_guild", table_name="homebrew")
    op.drop_table("homebrew")
    op.drop_index("ix_combat_outcomes_campaign", table_name="combat_outcomes")
    op.drop_table("combat_outcomes")
