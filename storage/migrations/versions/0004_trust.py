"""Trust: a member's last explicit visibility, which visibility a rally's nudge shows, and the
DM message a text answer came from.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("visibility", sa.String(length=16), nullable=True))
    with op.batch_alter_table("rallies") as batch:
        batch.add_column(sa.Column("shown_visibility", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("nudges_posted", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("message_ts", sa.String(length=32), nullable=True))
    # One current check-in per DM message, even when a double click races.
    op.create_index(
        "uq_checkins_message",
        "checkins",
        ["user_id", "message_ts"],
        unique=True,
        sqlite_where=sa.text("message_ts IS NOT NULL AND superseded_at IS NULL"),
        postgresql_where=sa.text("message_ts IS NOT NULL AND superseded_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_checkins_message", table_name="checkins")
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("message_ts")
    with op.batch_alter_table("rallies") as batch:
        batch.drop_column("nudges_posted")
        batch.drop_column("shown_visibility")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("visibility")
