"""imported characters: a subclass, and what an import kept outside the SRD (custom entries)

Revision ID: 0011
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # `custom` holds what a character brought from another tool that the SRD has no entry for (a
    # background, features, items, spells, a race's real name), so the DM can see it; existing
    # characters have none.
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("subclass", sa.String(64), nullable=True))
        batch.add_column(sa.Column("custom", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("custom")
        batch.drop_column("subclass")
