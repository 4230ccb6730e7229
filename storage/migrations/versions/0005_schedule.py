"""When the schedule last changed, and when a member's pause began.

`teams.schedule_changed_at` tells a week skipped because the schedule moved from one skipped
because the bot was offline; `members.paused_at` lets a pause count from when it was set, so a
pause leaves earlier weeks' response rates as they were. Pauses already set count from this
upgrade.

Revision ID: 0005_schedule
Revises: 0004
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005_schedule"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("schedule_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
    members = sa.table(
        "members",
        sa.column("paused_until", sa.Date()),
        sa.column("paused_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        members.update()
        .where(members.c.paused_until.is_not(None))
        .values(paused_at=datetime.now(UTC))
    )


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("paused_at")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("schedule_changed_at")
