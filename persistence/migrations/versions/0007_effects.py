"""combat trackers: timed effects, initiative groups, held turns, generic combatants, rerolling each round

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMBATANT_COLUMNS = ("effects", "group_name", "held", "init_bonus", "attacks")


def upgrade() -> None:
    op.add_column("combatants", sa.Column("effects", sa.JSON(), nullable=True))  # bot.engine.effects, as JSON
    op.add_column("combatants", sa.Column("group_name", sa.String(64), nullable=True))  # shares one initiative
    op.add_column("combatants", sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("combatants", sa.Column("init_bonus", sa.Integer(), nullable=True))  # for rerolls
    op.add_column("combatants", sa.Column("attacks", sa.JSON(), nullable=True))  # a generic combatant's lines
    op.add_column("combats", sa.Column("reroll_each_round", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("combats") as combats:
        combats.drop_column("reroll_each_round")
    with op.batch_alter_table("combatants") as combatants:
        for name in reversed(COMBATANT_COLUMNS):
            combatants.drop_column(name)
