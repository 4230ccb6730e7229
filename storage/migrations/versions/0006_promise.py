"""The promise: promises with their history, weekly kept/broken answers, breaks and their
remedies, the public page, a shared server secret, cross-process rate counts, and the source
of a customer rating (a lead's `csat`, or a customer on the page).

Only additions: an older version keeps running against this schema during a rolling upgrade
(`customer_ratings.source` has a server default for the rows it inserts).

Revision ID: 0006_promise
Revises: 0005_schedule
Create Date: 2026-12-01 20:22:28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_promise"
down_revision: str | None = "0005_schedule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")
CURRENT = sa.text("superseded_at IS NULL")


def _when(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "rate_counts",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _when("window_ends_at"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counts")),
    )
    op.create_index(
        op.f("ix_rate_counts_window_ends_at"), "rate_counts", ["window_ends_at"], unique=False
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secrets")),
    )
    op.create_table(
        "promise_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_promise_pages_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise_pages")),
        sa.UniqueConstraint("team_id", name=op.f("uq_promise_pages_team_id")),
        sa.UniqueConstraint("token", name=op.f("uq_promise_pages_token")),
    )
    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("pledge", sa.String(length=280), nullable=False),
        sa.Column("customer_must", sa.Text(), nullable=False),
        sa.Column("remedy", sa.Text(), nullable=False),
        sa.Column("remedy_hours", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        _when("created_at"),
        _when("superseded_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_promises_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promises")),
    )
    op.create_index("ix_promises_team_created", "promises", ["team_id", "created_at"], unique=False)
    op.create_index(
        "uq_promises_current",
        "promises",
        ["team_id"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
    op.create_table(
        "promise_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=True),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycles.id"],
            name=op.f("fk_promise_answers_cycle_id_cycles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promise_id"],
            ["promises.id"],
            name=op.f("fk_promise_answers_promise_id_promises"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_promise_answers_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise_answers")),
        sa.UniqueConstraint("cycle_id", "user_id", name="uq_promise_answers_cycle_user"),
    )
    op.create_index(
        op.f("ix_promise_answers_team_id"), "promise_answers", ["team_id"], unique=False
    )
    op.create_index(
        op.f("ix_promise_answers_user_id"), "promise_answers", ["user_id"], unique=False
    )
    op.create_table(
        "promise_breaks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("reported_by", sa.String(length=32), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        _when("created_at"),
        _when("remedy_due_at"),
        _when("owned_at", nullable=True),
        _when("reminded_at", nullable=True),
        _when("escalated_at", nullable=True),
        _when("due_noted_at", nullable=True),
        _when("closed_at", nullable=True),
        sa.Column("closed_by", sa.String(length=32), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["promise_id"],
            ["promises.id"],
            name=op.f("fk_promise_breaks_promise_id_promises"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_promise_breaks_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise_breaks")),
    )
    op.create_index(
        "ix_promise_breaks_open",
        "promise_breaks",
        ["remedy_due_at"],
        unique=False,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        op.f("ix_promise_breaks_owner_id"), "promise_breaks", ["owner_id"], unique=False
    )
    op.create_index(
        op.f("ix_promise_breaks_reported_by"), "promise_breaks", ["reported_by"], unique=False
    )
    op.create_index(
        "ix_promise_breaks_team_created", "promise_breaks", ["team_id", "created_at"], unique=False
    )
    with op.batch_alter_table("customer_ratings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), server_default="lead", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_ratings", schema=None) as batch_op:
        batch_op.drop_column("source")
    op.drop_index("ix_promise_breaks_team_created", table_name="promise_breaks")
    op.drop_index(op.f("ix_promise_breaks_reported_by"), table_name="promise_breaks")
    op.drop_index(op.f("ix_promise_breaks_owner_id"), table_name="promise_breaks")
    op.drop_index(
        "ix_promise_breaks_open",
        table_name="promise_breaks",
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.drop_table("promise_breaks")
    op.drop_index(op.f("ix_promise_answers_user_id"), table_name="promise_answers")
    op.drop_index(op.f("ix_promise_answers_team_id"), table_name="promise_answers")
    op.drop_table("promise_answers")
    op.drop_index(
        "uq_promises_current", table_name="promises", sqlite_where=CURRENT, postgresql_where=CURRENT
    )
    op.drop_index("ix_promises_team_created", table_name="promises")
    op.drop_table("promises")
    op.drop_table("promise_pages")
    op.drop_table("server_secrets")
    op.drop_index(op.f("ix_rate_counts_window_ends_at"), table_name="rate_counts")
    op.drop_table("rate_counts")
