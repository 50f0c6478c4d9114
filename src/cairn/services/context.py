"""The composition root: builds the registries, the engine and the catalogue cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cairn.core import Clock, Settings, SystemClock
from cairn.core.crypto import KeyRing
from cairn.integrations import ChannelEnv, ChannelRegistry, builtin_channels
from cairn.meta import FieldContext, FieldTypeRegistry, builtin_field_types
from cairn.process import TaskActionRegistry, builtin_task_actions
from cairn.query.plans import PlanCache
from cairn.reports import (
    AggregationRegistry,
    KpiRegistry,
    WidgetRegistry,
    builtin_aggregations,
    builtin_kpis,
    builtin_widgets,
)
from cairn.store import CatalogCache, create_engine, migrate, workdays
from cairn.store.indexes import IndexAdvisor, IndexPolicy
from cairn.store.stats import GrowthTracker


@dataclass
class Services:
    settings: Settings
    engine: sa.Engine
    clock: Clock
    field_types: FieldTypeRegistry
    field_ctx: FieldContext
    catalogs: CatalogCache = field(init=False)
    growth: GrowthTracker = field(init=False)
    indexes: IndexAdvisor = field(init=False)
    plans: PlanCache = field(init=False)
    #: What reacts to record events (``services.dispatch``); the engines add theirs here.
    event_handlers: list[Any] = field(default_factory=list)
    aggregations: AggregationRegistry = field(init=False)
    kpis: KpiRegistry = field(init=False)
    widgets: WidgetRegistry = field(init=False)
    task_actions: TaskActionRegistry = field(init=False)
    #: Parsed process definitions by id (versions are immutable) and the working calendar.
    process_cache: dict[Any, Any] = field(default_factory=dict)
    #: The notification channels the rule engine sends through (``rules.ports.Notifier``).
    notifier: Any = field(init=False)
    #: The rule engine (an outbox handler, in ``event_handlers``) with its compiled rules.
    rule_engine: Any = field(init=False)
    #: Notification channels, and what they need from outside (tests swap the HTTP transport).
    channel_env: ChannelEnv = field(init=False)
    channels: ChannelRegistry = field(init=False)
    #: API tokens recently checked (``services.auth.TokenCache``).
    tokens: Any = field(init=False)

    def __post_init__(self) -> None:
        self.catalogs = CatalogCache(self.field_types, self.field_ctx)
        self.growth = GrowthTracker()
        self.plans = PlanCache()
        self.aggregations = builtin_aggregations()
        self.kpis = builtin_kpis()
        self.widgets = builtin_widgets()
        self.task_actions = builtin_task_actions()
        self.channel_env = ChannelEnv(
            self.clock,
            smtp_defaults=self.settings.smtp_defaults,
            block_private=self.settings.outbound_block_private,
        )
        self.channels = builtin_channels(self.channel_env)
        from cairn.services.auth import TokenCache

        self.tokens = TokenCache(self.settings.token_cache_seconds)
        self.indexes = IndexAdvisor(
            self.engine,
            IndexPolicy(
                after_uses=self.settings.auto_index_after_uses,
                min_rows=self.settings.auto_index_min_rows,
            ),
        )
        from cairn.services.rules import ChannelNotifier, RuleEngine

        self.notifier = ChannelNotifier(self)
        self.rule_engine = RuleEngine(self)
        self.event_handlers.append(self.rule_engine)

    # Use cases live in their own modules; these properties give them one entry point each.
    @property
    def apps(self):
        from cairn.services.apps import AppService

        return AppService(self)

    @property
    def schema(self):
        from cairn.services.schema import SchemaService

        return SchemaService(self)

    @property
    def records(self):
        from cairn.services.records import RecordService

        return RecordService(self)

    @property
    def packages(self):
        from cairn.services.packages import PackageService

        return PackageService(self)

    @property
    def reports(self):
        from cairn.services.reports import ReportService

        return ReportService(self)

    @property
    def dashboards(self):
        from cairn.services.dashboards import DashboardService

        return DashboardService(self)

    @property
    def files(self):
        from cairn.services.files import FileService

        return FileService(self)

    @property
    def comments(self):
        from cairn.services.comments import CommentService

        return CommentService(self)

    @property
    def views(self):
        from cairn.services.views import ViewService

        return ViewService(self)

    @property
    def recycle_bin(self):
        from cairn.services.recycle import RecycleBinService

        return RecycleBinService(self)

    @property
    def customer_view(self):
        from cairn.services.customer_view import CustomerViewService

        return CustomerViewService(self)

    @property
    def auth(self):
        from cairn.services.auth import AuthService

        return AuthService(self)

    @property
    def directory(self):
        from cairn.services.directory import DirectoryService

        return DirectoryService(self)

    @property
    def rules(self):
        from cairn.services.rules import RuleService

        return RuleService(self)

    @property
    def alerts(self):
        from cairn.services.alerts import AlertService

        return AlertService(self)

    @property
    def audit(self):
        from cairn.services.audit import AuditService

        return AuditService(self)

    @property
    def processes(self):
        from cairn.services.process import ProcessService

        return ProcessService(self)

    @property
    def calendar(self):
        from cairn.services.calendar import CalendarService

        return CalendarService(self)

    @property
    def notify(self):
        from cairn.services.notify import NotifyService

        return NotifyService(self)

    @property
    def notifications(self):
        from cairn.services.notifications import NotificationService

        return NotificationService(self)

    @property
    def channel_configs(self):
        from cairn.services.channels import ChannelService

        return ChannelService(self)

    @property
    def test_clock(self):
        from cairn.services.testclock import TestClockService

        return TestClockService(self)

    def close(self) -> None:
        self.channel_env.close()
        self.engine.dispose()


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: sa.Engine | None = None,
    run_migrations: bool = True,
    prepare_calendar: bool = False,
) -> Services:
    """Wire everything for ``settings``. Migrations run unless told not to;
    ``prepare_calendar`` (the command line's servers and workers) fills the working calendar's
    days table when it is empty, which formula filters with WORKDAY need."""
    engine = engine or create_engine(settings.db_url)
    if run_migrations:
        migrate(engine)
    if prepare_calendar:
        workdays.prepare(engine)
    settings.files_dir.mkdir(parents=True, exist_ok=True)
    ctx = FieldContext(
        timezone=ZoneInfo(settings.timezone),
        region=settings.default_region,
        currency=settings.default_currency,
        keyring=KeyRing.parse(settings.encryption_keys),
    )
    clock = clock or SystemClock()
    if settings.test_clock:  # the clock moves forward on request (services.testclock)
        from cairn.services.testclock import StoredTestClock

        clock = StoredTestClock(clock, engine, settings.test_clock_cache_seconds)
    services = Services(settings, engine, clock, builtin_field_types(), ctx)
    from cairn.services.process_events import ProcessEvents

    services.event_handlers.append(ProcessEvents(services))
    return services
