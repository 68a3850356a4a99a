"""spells: the spells a character has (cantrips, known, spellbook, prepared), one JSON column

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03

Numbered 0006 because 0005 (aliases) is written at the same time on another branch; the lead
re-points ``down_revision`` to 0005 when both are merged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A JSON column like inventory and conditions; existing characters start with no spells.
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("spells", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("spells")
