"""monsters as written: each combatant's spent resources (legendary actions and resistance, recharges,
per-day uses, its reaction) and a fight's sunlight

Revision ID: 0010
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("combatants", sa.Column("resources", sa.JSON(), nullable=True))  # bot.engine.combat.resources
    op.add_column("combats", sa.Column("sunlight", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("combats") as combats:
        combats.drop_column("sunlight")
    with op.batch_alter_table("combatants") as combatants:
        combatants.drop_column("resources")
