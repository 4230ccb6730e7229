"""Channel access: whether the bot is in each team's channel, as last seen.

Setup's check, a post refused for access and the bot's own `member_joined_channel` keep it;
the leads' App Home shows it. Deliveries waiting for access need no column of their own: their
status is `waiting_access` and their channel is kept in `deliveries.channel_id`.

Revision ID: 0008_access
Revises: 0007_job_order
Create Date: 2026-12-01 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_access"
down_revision: str | None = "0007_job_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bot_in_channel", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("access_checked_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("access_told_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("access_told_at")
        batch_op.drop_column("access_checked_at")
        batch_op.drop_column("bot_in_channel")
