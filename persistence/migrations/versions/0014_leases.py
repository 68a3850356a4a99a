"""leases: who resolves a campaign's turn, or builds its export, and until when (short transactions, no held lock)

Revision ID: 0014
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("turn", "export")


def upgrade() -> None:
    # An owner and an expiry per kind on the campaign row: taken by a conditional UPDATE, renewed while the
    # work runs, and free again at the expiry when the owner's process died without releasing it.
    with op.batch_alter_table("campaigns") as batch:
        for kind in KINDS:
            batch.add_column(sa.Column(f"{kind}_lease_owner", sa.String(64), nullable=True))
            batch.add_column(sa.Column(f"{kind}_lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        for kind in KINDS:
            batch.drop_column(f"{kind}_lease_until")
            batch.drop_column(f"{kind}_lease_owner")
