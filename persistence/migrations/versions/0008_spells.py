"""spells: the spells a character has (cantrips, known, spellbook, prepared), one JSON column

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A JSON column like inventory and conditions; existing characters start with no spells.
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("spells", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("spells")
