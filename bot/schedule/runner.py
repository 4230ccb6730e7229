"""What runs beside the listeners: APScheduler ticking the database-derived schedule."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.platform.deps import Deps
from bot.schedule.tick import tick
from storage.leader import Leadership, leadership_for

log = logging.getLogger("oneness.scheduler")

TICK_SECONDS = 15
TICK_JOB_ID = "oneness-tick"


def run_tick(deps: Deps, leadership: Leadership) -> None:
    """The scheduled job: one tick if this process leads, logged."""
    if not leadership.holds():
        return
    report = tick(deps)
    if report.prompts or report.reminders or report.skipped or report.failed or report.closed:
        log.info(
            "tick: %d prompts, %d reminders, %d skipped, %d unreachable, %d weeks closed",
            report.prompts,
            report.reminders,
            report.skipped,
            report.failed,
            len(report.closed),
        )


@dataclass
class Background:
    """Handles to background machinery, stopped together at shutdown."""

    scheduler: BackgroundScheduler | None = None
    leadership: Leadership | None = None

    def stop(self) -> None:
        """Stop the scheduler, letting a running tick finish, and give up the lead."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.leadership is not None:
            self.leadership.release()


def _on_error(event: JobExecutionEvent) -> None:
    log.error("scheduled job %s failed", event.job_id, exc_info=event.exception)


def start_background(deps: Deps, *, scheduler: bool, interval: float = TICK_SECONDS) -> Background:
    """Start ticking: at once (catching up what is overdue), then every `interval` seconds.

    Nothing is stored per team in APScheduler: each tick derives what is due from the database,
    so schedule changes take effect on the next tick and a restart cannot double or skip. Only
    the process that leads (storage.leader) ticks; on PostgreSQL the others stand by and try to
    take the lead at every tick, so one takes over within a tick of the leader's death.
    """
    if not scheduler:
        return Background()
    leadership = leadership_for(deps.engine)
    if not leadership.holds() and deps.engine.dialect.name != "postgresql":
        # SQLite: the lock's warning says why; this process serves requests only.
        return Background(leadership=leadership)
    sched = BackgroundScheduler(timezone="UTC")
    sched.add_listener(_on_error, EVENT_JOB_ERROR)
    sched.add_job(
        run_tick,
        IntervalTrigger(seconds=interval),
        args=[deps, leadership],
        id=TICK_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        next_run_time=deps.clock.now(),
    )
    sched.start()
    return Background(sched, leadership)
