"""choices: what a player chose at each level (subclass aside), and the levels of a multiclassed character

Revision ID: 0016_choices
Revises: 0016_rounds
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_choices"
down_revision: str | None = "0016_rounds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing characters chose nothing yet and have one class: both empty.
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("choices", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch.add_column(sa.Column("class_levels", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("class_levels")
        batch.drop_column("choices")
