"""The job queue: Huey on a SQLite file by default, on Redis when ``CAIRN_REDIS_URL`` is set.

Jobs are thin: each task builds (once per worker process) the services and calls into them.
Periodic tasks run on exactly one consumer: start every other worker with ``--no-periodic``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from cairn.core import Settings
from cairn.services import Services, build_services
from cairn.worker.dispatch import purge_processed


class _OnCairnClock:
    """With a test clock, Huey asks Cairn's clock what minute it is, so periodic jobs
    (``nightly_purge`` at 03:17) run by the instance's time, not the machine's."""

    def _get_timestamp(self) -> datetime:
        return services().clock.now().astimezone(UTC).replace(tzinfo=None)


class _ClockedRedisHuey(_OnCairnClock, RedisHuey):
    pass


class _ClockedSqliteHuey(_OnCairnClock, SqliteHuey):
    pass


def make_huey(settings: Settings) -> Huey:
    redis, sqlite = (
        (_ClockedRedisHuey, _ClockedSqliteHuey) if settings.test_clock else (RedisHuey, SqliteHuey)
    )
    if settings.redis_url:
        return redis("cairn", url=settings.redis_url, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return sqlite("cairn", filename=str(settings.data_dir / "huey.db"), utc=True)


huey = make_huey(Settings())


@cache
def services() -> Services:
    """The worker process's services (settings from the environment)."""
    return build_services(Settings(), prepare_calendar=True)


@huey.task()
def purge_outbox(days: int = 7) -> int:
    """Forget acknowledged events older than ``days`` (failed ones are kept); how many."""
    return purge_processed(services(), timedelta(days=days))


@huey.task()
def purge_notifications(days: int = 90) -> dict[str, int]:
    """Forget read notifications and sent deliveries older than ``days`` (unread ones and
    failed deliveries stay); how many of each."""
    return services().notify.purge(days)


@huey.task()
def purge_alert_checks(days: int = 90) -> int:
    """Forget alert checks older than ``days`` that changed nothing (crossings, recoveries and
    errors stay in the log); how many."""
    return services().alerts.purge(days)


@huey.periodic_task(crontab(minute="17", hour="3"))
def nightly_purge() -> None:
    """Every night at 03:17 UTC, on the one worker that runs periodic jobs."""
    purge_outbox.call_local()
    purge_notifications.call_local()
    purge_alert_checks.call_local()


@huey.task()
def process_scan() -> dict[str, int]:
    """Fire due BPMN timers, then task reminders, breaches and escalations (indexed scans of
    ``process_instances.timer_due_at`` and ``tasks.alarm_at``); how many of each."""
    return services().processes.tick()


@huey.periodic_task(crontab(minute="*"))
def process_scan_every_minute() -> None:
    """Every minute, and at the first scheduler tick after the worker starts (so what came
    due while nothing ran fires then), on the one worker that runs periodic jobs."""
    process_scan.call_local()


@huey.task()
def scan_rules() -> dict[str, int]:
    """Fire the date, schedule and inactivity rules that are due and resume finished waits
    (each firing becomes an outbox event the dispatcher runs)."""
    return services().rules.scan()


@huey.periodic_task(crontab(minute="*"))
def rules_every_minute() -> None:
    """Every minute, on the one worker that runs periodic jobs (also right after it starts:
    what came due while no worker ran fires then, marked late)."""
    scan_rules.call_local()


@huey.task()
def scan_segments() -> dict[str, int]:
    """Re-evaluate the time-based segments whose period is over (hourly or daily, by the
    instance's clock) and write each segment's count row of the day."""
    return services().segments.scan()


@huey.periodic_task(crontab(minute="*/5"))
def segments_every_five_minutes() -> None:
    """Every five minutes, on the one worker that runs periodic jobs (a moved test clock runs
    it at once)."""
    scan_segments.call_local()


@huey.task()
def scan_alerts() -> dict[str, int]:
    """Check the report alerts that are due; a crossing runs its actions once, a recovery
    re-arms the alert; crossings whose actions did not finish are resumed."""
    return services().alerts.scan()


@huey.periodic_task(crontab(minute="*"))
def alerts_every_minute() -> None:
    """Every minute, on the one worker that runs periodic jobs."""
    scan_alerts.call_local()


@huey.task()
def retry_deliveries() -> dict[str, int]:
    """Send again the deliveries whose retry is due (same idempotency key; back-off 1 min,
    5 min, 30 min, 2 h; dead after ``CAIRN_DELIVERY_MAX_ATTEMPTS``)."""
    return services().deliveries.retry_due()


@huey.periodic_task(crontab(minute="*"))
def deliveries_every_minute() -> None:
    """Every minute, on the one worker that runs periodic jobs (a moved test clock runs it
    at once: the retries due in the skipped span go out)."""
    retry_deliveries.call_local()


@huey.task()
def push_tasks() -> dict[str, int]:
    """Process tasks to WeCom / DingTalk to-dos: push what no event announced (a task moved by
    an escalation, a user given a platform id later), close what is done; counts."""
    return services().task_pushes.sync()


@huey.periodic_task(crontab(minute="*/5"))
def push_tasks_every_five_minutes() -> None:
    """Every five minutes, on the one worker that runs periodic jobs (the outbox handler does
    the same at once after each change; this catches the rest)."""
    push_tasks.call_local()


@huey.task()
def sync_directories() -> list[dict[str, Any]]:
    """Departments and people from every WeCom / DingTalk config with ``daily_sync`` on; the
    runs with their reports (nothing deleted)."""
    return services().directory_sync.daily()


@huey.periodic_task(crontab(minute="23", hour="19"))
def directories_every_night() -> None:
    """Every night at 19:23 UTC (03:23 in China), on the one worker that runs periodic jobs."""
    sync_directories.call_local()


@huey.task()
def sweep_indexes() -> list[str]:
    """Drop the automatic indexes no query has used for ``CAIRN_AUTO_INDEX_UNUSED_DAYS`` days
    (each serving process also sweeps hourly while it reads); their names."""
    return services().table_indexes.sweep()


@huey.periodic_task(crontab(minute="41", hour="20"))
def indexes_every_night() -> None:
    """Every night at 20:41 UTC (04:41 in China), on the one worker that runs periodic jobs."""
    sweep_indexes.call_local()


@huey.task()
def score_all() -> dict[str, int]:
    """Every enabled score model over its whole table (``TODAY()`` has moved on): scores,
    history points and ``score.changed`` events for what changed; totals."""
    return services().scores.nightly()


@huey.periodic_task(crontab(minute="7", hour="18"))
def scores_every_night() -> None:
    """Every night at 18:07 UTC (02:07 in China), on the one worker that runs periodic jobs
    (a moved test clock runs it once per skipped night)."""
    score_all.call_local()


# -- catch-up after the test clock moved -------------------------------------------------------

#: A schedule is looked for in at most this much of a skipped span (every crontab Cairn uses
#: comes round within a day; this bounds the minute-by-minute search of a ten-year jump).
CATCH_UP_SEARCH = timedelta(days=400)


def due_periodic(since: datetime, until: datetime) -> list[Any]:
    """The periodic jobs whose schedule falls on a minute in (``since``, ``until``] (UTC), each
    once, in the order they are declared: what the scheduler would have run, had it run."""
    since, until = (_naive_utc(since), _naive_utc(until))
    first = max(since, until - CATCH_UP_SEARCH).replace(second=0, microsecond=0)
    due = []
    for task in huey._registry.periodic_tasks:
        minute = first + timedelta(minutes=1)
        while minute <= until:
            if task.validate_datetime(minute):
                due.append(task)
                break
            minute += timedelta(minutes=1)
    return due


def catch_up(
    since: datetime, until: datetime, run: Callable[[Any], Any] | None = None
) -> list[str]:
    """Run the periodic jobs due in (``since``, ``until``] once each, as after real downtime:
    queued for the consumer, or given to ``run`` (``lambda t: huey.execute(t)`` in process);
    their names."""
    names = []
    for task in due_periodic(since, until):
        if run is None:
            huey.enqueue(task)
        else:
            run(task)
        names.append(task.name)
    return names


def _naive_utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt
