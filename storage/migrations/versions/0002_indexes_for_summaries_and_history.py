"""Indexes for summaries and history (measured by bench/summary.py).

A member's history by time, who was prompted per week, and ratings by time; each replaces
a single-column index it makes redundant.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:06:25.996762
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkins_user_id"))
        batch_op.create_index("ix_checkins_user_created", ["user_id", "created_at"], unique=False)

    with op.batch_alter_table("customer_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_ratings_team_id"))
        batch_op.create_index(
            "ix_customer_ratings_team_created", ["team_id", "created_at"], unique=False
        )

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_prompt_sent",
            ["cycle_id", "user_id"],
            unique=False,
            sqlite_where=sa.text("kind = 'prompt' AND status = 'sent'"),
            postgresql_where=sa.text("kind = 'prompt' AND status = 'sent'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_deliveries_prompt_sent",
            sqlite_where=sa.text("kind = 'prompt' AND status = 'sent'"),
            postgresql_where=sa.text("kind = 'prompt' AND status = 'sent'"),
        )

    with op.batch_alter_table("customer_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_ratings_team_created")
        batch_op.create_index(batch_op.f("ix_customer_ratings_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_user_created")
        batch_op.create_index(batch_op.f("ix_checkins_user_id"), ["user_id"], unique=False)
