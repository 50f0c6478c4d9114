"""The job queue: Huey on a SQLite file by default, on Redis when ``CAIRN_REDIS_URL`` is set.

Jobs are thin: each task builds (once per worker process) the services and calls into them.
Periodic tasks run on exactly one consumer: start every other worker with ``--no-periodic``.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from huey import Huey, RedisHuey, SqliteHuey, crontab

from cairn.core import Settings
from cairn.services import Services, build_services


def make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey("cairn", url=settings.redis_url, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("cairn", filename=str(settings.data_dir / "huey.db"), utc=True)


huey = make_huey(Settings())


@cache
def services() -> Services:
    """The worker process's services (settings from the environment)."""
    return build_services(Settings(), prepare_calendar=True)


@huey.task()
def purge_outbox(days: int = 7) -> int:
    """Forget acknowledged events older than ``days`` (failed ones are kept); how many."""
    from cairn.services.dispatch import purge_processed

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
def scan_alerts() -> dict[str, int]:
    """Check the report alerts that are due; a crossing runs its actions once, a recovery
    re-arms the alert; crossings whose actions did not finish are resumed."""
    return services().alerts.scan()


@huey.periodic_task(crontab(minute="*"))
def alerts_every_minute() -> None:
    """Every minute, on the one worker that runs periodic jobs."""
    scan_alerts.call_local()
