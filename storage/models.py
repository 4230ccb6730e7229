"""SQLAlchemy 2.x typed models for everything DESIGN.md names."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class Team(Base):
    """Members of one workspace bound to one channel, with their schedule and rules."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32), default="")
    name: Mapped[str] = mapped_column(String(80))
    channel_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Schedule: weekday name ("fri") and local time "15:00" in `timezone` (an IANA zone).
    prompt_weekday: Mapped[str] = mapped_column(String(3), default="fri")
    prompt_time: Mapped[str] = mapped_column(String(5), default="15:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # True: prompt each member at prompt_time in their own Slack zone ("schedule … local").
    member_local: Mapped[bool] = mapped_column(Boolean, default=False)
    summary_weekday: Mapped[str] = mapped_column(String(3), default="mon")
    summary_time: Mapped[str] = mapped_column(String(5), default="09:00")
    # None switches reminders off.
    remind_after_minutes: Mapped[int | None] = mapped_column(Integer, default=24 * 60)
    # When a lead last changed when prompts go out: tells "the schedule changed" from "the bot
    # was offline" when a week's prompts were skipped.
    schedule_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    drop_floor: Mapped[int] = mapped_column(Integer, default=4)
    drop_delta: Mapped[int] = mapped_column(Integer, default=2)
    followup_days: Mapped[int] = mapped_column(Integer, default=3)
    default_visibility: Mapped[str] = mapped_column(String(16), default="anonymous")
    # Whether the bot is in the team's channel, as last seen (setup's check, a refused post,
    # the bot's own member_joined_channel); None: never checked. Shown in the leads' health.
    bot_in_channel: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    access_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When the leads were told the bot cannot post there; cleared when it joins (one DM a wait).
    access_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    members: Mapped[list[Member]] = relationship(back_populates="team", cascade="all, delete")
    leads: Mapped[list[Lead]] = relationship(back_populates="team", cascade="all, delete")

    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_teams_workspace_name"),)


class Member(Base):
    """A person prompted every week in one team."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    tz: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The member's last explicit choice of visibility in this team; answers that carry no
    # choice (a DM number, a button) use it, else the team's default.
    visibility: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # When the current pause was set: a pause counts from then, not for weeks before it.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    team: Mapped[Team] = relationship(back_populates="members")

    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_members_team_user"),)


class Lead(Base):
    """A person who runs a team; not prompted unless also a member."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())

    team: Mapped[Team] = relationship(back_populates="leads")

    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_leads_team_user"),)


class Cycle(Base):
    """One week of one team: opens when prompts go out, closes at summary time."""

    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    week: Mapped[str] = mapped_column(String(8))  # ISO week, "2026-W48"
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The latest summary chart uploaded for this week (shown again on the leads' App Home).
    chart_file_id: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (UniqueConstraint("team_id", "week", name="uq_cycles_team_week"),)


class CheckIn(Base):
    """One answer; append-only: an edit adds a row and marks the old one superseded."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # weekly | pulse
    score: Mapped[int] = mapped_column(Integer)
    deliverables: Mapped[int | None] = mapped_column(Integer, nullable=True)
    customers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    help: Mapped[str] = mapped_column(String(16), default="none")
    visibility: Mapped[str] = mapped_column(String(16), default="anonymous")
    source: Mapped[str] = mapped_column(String(16), default="button")  # CheckinSource
    # The DM message a text answer came from: "That wasn't a score" and edits find it by this.
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # One current weekly answer per member and cycle, even when two clicks race.
    __table_args__ = (
        # A member's history, newest first (`me`, `trend`, the drop rule's baseline).
        Index("ix_checkins_user_created", "user_id", "created_at"),
        Index(
            "uq_checkins_current_weekly",
            "cycle_id",
            "user_id",
            unique=True,
            sqlite_where=text("kind = 'weekly' AND superseded_at IS NULL"),
            postgresql_where=text("kind = 'weekly' AND superseded_at IS NULL"),
        ),
        # One current check-in per DM message, even when a double click races.
        Index(
            "uq_checkins_message",
            "user_id",
            "message_ts",
            unique=True,
            sqlite_where=text("message_ts IS NOT NULL AND superseded_at IS NULL"),
            postgresql_where=text("message_ts IS NOT NULL AND superseded_at IS NULL"),
        ),
    )


class Rally(Base):
    """The team's response to one member's drop; at most one open per member and team."""

    __tablename__ = "rallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    checkin_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkins.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|resolved|withdrawn
    visibility: Mapped[str] = mapped_column(String(16))
    help: Mapped[str] = mapped_column(String(16), default="none")
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The visibility the channel message at message_ts was worded for. A message is never
    # reworded to a weaker one: it is withdrawn and a new one posted (one per change).
    shown_visibility: Mapped[str | None] = mapped_column(String(16), nullable=True)
    nudges_posted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    owner_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # One open rally per member and team, even when two drops arrive together.
    __table_args__ = (
        Index(
            "uq_rallies_open_member",
            "team_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class Offer(Base):
    """A teammate's "I can help" on a rally."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    rally_id: Mapped[int] = mapped_column(ForeignKey("rallies.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[str] = mapped_column(String(32), index=True)
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("rally_id", "helper_id", name="uq_offers_rally_helper"),)


class Delivery(Base):
    """An outgoing message recorded under a unique key so it is delivered once."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|sent|failed|skipped|waiting_access
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # Who was prompted in a set of weeks (the summary's `expected`), as an index-only scan.
    __table_args__ = (
        Index(
            "ix_deliveries_prompt_sent",
            "cycle_id",
            "user_id",
            sqlite_where=text("kind = 'prompt' AND status = 'sent'"),
            postgresql_where=text("kind = 'prompt' AND status = 'sent'"),
        ),
    )


class CustomerRating(Base):
    """A C-SAT score (1-5) a lead logs for a member, or for the team when user_id is None."""

    __tablename__ = "customer_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    score: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    logged_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # "lead" (`/oneness csat`) or "customer" (the promise page); the server default keeps an
    # older version, which inserts without it, working during a rolling upgrade.
    source: Mapped[str] = mapped_column(String(16), default="lead", server_default="lead")

    __table_args__ = (Index("ix_customer_ratings_team_created", "team_id", "created_at"),)


class ProcessedRequest(Base):
    """Keys of Slack deliveries already handled (event ids, clicks, submissions)."""

    __tablename__ = "processed_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Job(Base):
    """Work accepted from Slack and acknowledged, kept until it has run (bot.platform.work).

    Written in the acknowledging request, so an answer acknowledged to Slack survives a crash
    of the process that was to store it; `claimed_until` is the lease of the process running it.
    One person's jobs (`user_id`) run one at a time in `id` order (storage.jobs.claim).
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Not claimable before this time: Slack rate-limited the job (its Retry-After).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index("ix_jobs_claimable", "claimed_until", "id"),
        # A person's jobs in arrival order: a job waits for that person's earlier ones.
        Index("ix_jobs_user_order", "user_id", "id"),
    )


class Promise(Base):
    """What a team's customers can count on; a change adds a row and supersedes the old one."""

    __tablename__ = "promises"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    pledge: Mapped[str] = mapped_column(String(280))  # what customers can count on
    customer_must: Mapped[str] = mapped_column(Text)
    remedy: Mapped[str] = mapped_column(Text)
    remedy_hours: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # One current promise per team, even when two leads save at once; history by team.
    __table_args__ = (
        Index("ix_promises_team_created", "team_id", "created_at"),
        Index(
            "uq_promises_current",
            "team_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )


class PromisePage(Base):
    """A team's public promise page: off by default, reached only by its unguessable token."""

    __tablename__ = "promise_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PromiseAnswer(Base):
    """A member's weekly "did we keep our promise?": kept, or broken `times` times."""

    __tablename__ = "promise_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    promise_id: Mapped[int | None] = mapped_column(
        ForeignKey("promises.id", ondelete="SET NULL"), nullable=True
    )
    kept: Mapped[bool] = mapped_column(Boolean)
    times: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # One answer per member and week (a later click changes it); also the per-week tally.
    __table_args__ = (
        UniqueConstraint("cycle_id", "user_id", name="uq_promise_answers_cycle_user"),
    )


class PromiseBreak(Base):
    """A broken promise, reported by the team or a customer, open until its remedy lands."""

    __tablename__ = "promise_breaks"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    promise_id: Mapped[int | None] = mapped_column(
        ForeignKey("promises.id", ondelete="SET NULL"), nullable=True
    )
    source: Mapped[str] = mapped_column(String(16))  # team | customer
    origin: Mapped[str] = mapped_column(String(16))  # command | shortcut | page
    reported_by: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    what: Mapped[str] = mapped_column(Text)
    # A customer's way back to them: shown to the team's leads only, removed by `forget`.
    contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|delivered|missed
    owner_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remedy_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    owned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    due_noted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (
        # The record of the last weeks (the page, the summary) reads a team's breaks by time.
        Index("ix_promise_breaks_team_created", "team_id", "created_at"),
        # The tick looks only at open breaks.
        Index(
            "ix_promise_breaks_open",
            "remedy_due_at",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class ServerSecret(Base):
    """A secret every replica shares (the promise page's CSRF key), created once on first use."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RateCount(Base):
    """Requests counted in one fixed window under one key (per IP, per page), across processes."""

    __tablename__ = "rate_counts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
