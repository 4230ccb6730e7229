"""Jobs deferred after a 429: jobs.not_before (claimable from then on).

A job that Slack rate-limited is stored again with the Retry-After time instead of holding a
worker thread while it waits (bot.platform.work).

Revision ID: 0009_runtime
Revises: 0007_job_order
Create Date: 2026-12-01 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_runtime"
down_revision: str | None = "0008_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("not_before")
