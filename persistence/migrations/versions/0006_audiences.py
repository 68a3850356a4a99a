"""audiences: pinned canon is the DM's unless marked public; NPCs have an audience and a secret of their own

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECRET_MARK = " Secret: "


def upgrade() -> None:
    # Canon pinned before audiences existed stays the DM's: nobody chose to show it.
    op.add_column("campaign_canon", sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
    # NPCs the narrator introduced (they have a turn) appeared in public narration; the DM's own are the DM's.
    op.add_column("campaign_npcs", sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("campaign_npcs", sa.Column("secret", sa.Text(), nullable=False, server_default=""))
    npcs = sa.table("campaign_npcs", sa.column("turn_id", sa.BigInteger()), sa.column("public", sa.Boolean()))
    op.execute(npcs.update().where(npcs.c.turn_id.is_not(None)).values(public=True))
    _split_secrets()


def _split_secrets() -> None:
    """`/dm npc create` wrote "… Secret: X." into the description: move X to its own column."""
    bind = op.get_bind()
    npcs = sa.table(
        "campaign_npcs",
        sa.column("id", sa.BigInteger()),
        sa.column("description", sa.Text()),
        sa.column("secret", sa.Text()),
    )
    rows = bind.execute(sa.select(npcs.c.id, npcs.c.description).where(npcs.c.description.contains(SECRET_MARK)))
    for npc_id, description in rows.all():
        head, _, secret = str(description).rpartition(SECRET_MARK)
        bind.execute(npcs.update().where(npcs.c.id == npc_id).values(description=head, secret=secret.rstrip(".")))


def downgrade() -> None:
    op.drop_column("campaign_npcs", "secret")
    op.drop_column("campaign_npcs", "public")
    op.drop_column("campaign_canon", "public")
