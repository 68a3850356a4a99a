"""pronouns: the pronouns a character goes by ("she/her"), for the narrators; empty: "they"

Revision ID: 0015
Revises: 0011b
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0011b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing characters say nothing: the narrators write "they" for them, as before.
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("pronouns", sa.String(24), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("pronouns")
