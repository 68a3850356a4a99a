"""cast: timed effects on a character outside fights, and a monster combatant's spent spell slots

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # JSON like the combatants' effects (bot.engine.effects): Mage Armor or Aid cast outside a fight.
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("effects", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    # {"1": used, ..., "uses:<spell>": used}: a Mage's slots and a Deva's innate spells spent in this fight.
    with op.batch_alter_table("combatants") as batch:
        batch.add_column(sa.Column("spells_used", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("combatants") as batch:
        batch.drop_column("spells_used")
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("effects")
