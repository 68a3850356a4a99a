"""aliases: saved rolls, a user's own or a server's

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "aliases",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("name_key", sa.String(32), nullable=False),
        sa.Column("expression", sa.String(200), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(owner_id IS NULL) <> (guild_id IS NULL)", name="ck_aliases_one_scope"),
    )
    # a user's names, and a server's, are unique case-insensitively (name_key is casefolded)
    for name, column in (("uq_aliases_personal", "owner_id"), ("uq_aliases_server", "guild_id")):
        op.create_index(
            name,
            "aliases",
            [column, "name_key"],
            unique=True,
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
            sqlite_where=sa.text(f"{column} IS NOT NULL"),
        )


def downgrade() -> None:
    op.drop_index("uq_aliases_server", table_name="aliases")
    op.drop_index("uq_aliases_personal", table_name="aliases")
    op.drop_table("aliases")
