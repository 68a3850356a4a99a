"""rounds: a campaign's open round of actions (players act or pass, one narration resolves them all)

Revision ID: 0016_rounds
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_rounds"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Empty for every existing campaign: they play one turn per action until the DM picks rounds.
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("round_state", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("round_state")
