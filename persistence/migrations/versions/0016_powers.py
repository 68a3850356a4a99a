"""powers: the uses a character has spent of its class features (Rage, Ki, ...), reset by rests, and the
custom counters a player or DM keeps on the sheet (bot.engine.features); what each combatant did in a
fight's current turn (bot.engine.combat.powers)

Revision ID: 0016_powers
Revises: 0016_choices
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_powers"
down_revision: str | None = "0016_choices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing characters have spent nothing and keep no counters.
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("feature_spent", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("counters", sa.JSON(), nullable=True))
    # What each combatant did in the fight's current turn (the attack action's attacks, Sneak Attack).
    with op.batch_alter_table("combats") as batch:
        batch.add_column(sa.Column("turn_state", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("combats") as batch:
        batch.drop_column("turn_state")
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("counters")
        batch.drop_column("feature_spent")
