"""One person's jobs in arrival order: an index on jobs(user_id, id).

A job is claimable only when no earlier unfinished job of the same person is left
(storage/jobs.py); this index answers that question per candidate without a scan. It replaces
the index on user_id alone, which it makes redundant (one index less on the ack path).

Revision ID: 0007_job_order
Revises: 0006_promise
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_job_order"
down_revision: str | None = "0006_promise"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_user_order", ["user_id", "id"], unique=False)
        batch_op.drop_index(batch_op.f("ix_jobs_user_id"))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_user_id"), ["user_id"], unique=False)
        batch_op.drop_index("ix_jobs_user_order")
