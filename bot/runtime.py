"""What runs beside the listeners: APScheduler ticking the database-derived schedule."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.deps import Deps
from bot.ticks import tick

log = logging.getLogger("oneness.scheduler")

TICK_SECONDS = 15
TICK_JOB_ID = "oneness-tick"


def run_tick(deps: Deps) -> None:
    """The scheduled job: one tick, logged."""
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

    def stop(self) -> None:
        """Stop the scheduler, letting a running tick finish."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def _on_error(event: JobExecutionEvent) -> None:
    log.error("scheduled job %s failed", event.job_id, exc_info=event.exception)


def start_background(deps: Deps, *, scheduler: bool, interval: float = TICK_SECONDS) -> Background:
    """Start ticking: at once (catching up what is overdue), then every `interval` seconds.

    Nothing is stored per team in APScheduler: each tick derives what is due from the database,
    so schedule changes take effect on the next tick and a restart cannot double or skip.
    """
    if not scheduler:
        return Background()
    sched = BackgroundScheduler(timezone="UTC")
    sched.add_listener(_on_error, EVENT_JOB_ERROR)
    sched.add_job(
        run_tick,
        IntervalTrigger(seconds=interval),
        args=[deps],
        id=TICK_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        next_run_time=deps.clock.now(),
    )
    sched.start()
    return Background(sched)
