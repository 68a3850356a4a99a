"""combatants: ammunition spent and weapons thrown in a fight, recovered when it ends

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # {"ammunition": {item: count}, "thrown": {item: count}}: see bot.engine.weapons
    op.add_column("combatants", sa.Column("spent", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("combatants") as combatants:
        combatants.drop_column("spent")
