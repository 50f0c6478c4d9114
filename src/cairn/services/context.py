"""The composition root: the registries (``services.registries``), the engine and the catalogue
cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cairn.core import Clock, Settings, SystemClock
from cairn.core.crypto import KeyRing
from cairn.integrations import ChannelEnv, ChannelRegistry
from cairn.integrations.todo_push import TaskPushes
from cairn.meta import FieldContext, FieldTypeRegistry
from cairn.process import TaskActionRegistry
from cairn.query.count_cache import CountCache, PageCounter
from cairn.query.plans import PlanCache
from cairn.reports import AggregationRegistry, KpiRegistry, WidgetRegistry
from cairn.reports.cache import ResultCache
from cairn.rules import RuleEngine
from cairn.services.alerts import AlertService
from cairn.services.apps import AppService
from cairn.services.audit import AuditService
from cairn.services.auth import AuthService, TokenCache
from cairn.services.calendar import CalendarService
from cairn.services.channels import ChannelService
from cairn.services.comments import CommentService
from cairn.services.customer_view import CustomerViewService
from cairn.services.customers import CustomerService
from cairn.services.dashboards import DashboardService
from cairn.services.deliveries import DeliveryService
from cairn.services.directory import DirectoryService
from cairn.services.files import FileService
from cairn.services.form_publications import PublicationService
from cairn.services.forms import FormService
from cairn.services.identity import IdentityService
from cairn.services.identity_cache import RuleCache
from cairn.services.identity_jobs import IdentityJobs
from cairn.services.identity_merges import MergeService
from cairn.services.identity_rules import IdentityRuleService
from cairn.services.im_directory import DirectorySyncService
from cairn.services.import_files import ImportFiles
from cairn.services.import_mappings import ImportMappingService
from cairn.services.import_runs import ImportRuns
from cairn.services.imports import ImportService
from cairn.services.indexes import IndexService
from cairn.services.integration_ports import StoredConfigs, UnitsOfWork
from cairn.services.interactions import InteractionService
from cairn.services.kpi_mappings import KpiMappingService
from cairn.services.notifications import NotificationService
from cairn.services.notify import NotifyService
from cairn.services.packages import PackageService
from cairn.services.process import ProcessService
from cairn.services.process_events import ProcessEvents
from cairn.services.public_forms import PublicFormService
from cairn.services.records import RecordService
from cairn.services.recycle import RecycleBinService
from cairn.services.registries import Registries, build_registries
from cairn.services.reports import ReportService
from cairn.services.rule_ports import ChannelNotifier, RuleRuntime
from cairn.services.rules import RuleService
from cairn.services.schema import SchemaService
from cairn.services.scores import ScoreEvents, ScoreService
from cairn.services.segment_events import SegmentEvents
from cairn.services.segments import SegmentService
from cairn.services.tags import TagService
from cairn.services.testclock import StoredTestClock, TestClockService
from cairn.services.timeline import TimelineService
from cairn.services.views import ViewService
from cairn.store import CatalogCache, create_engine, migrate, workdays
from cairn.store.index_advisor import IndexAdvisor
from cairn.store.indexes import IndexPolicy
from cairn.store.outbox import MAX_ATTEMPTS
from cairn.store.stats import GrowthTracker


@dataclass
class Services:
    settings: Settings
    engine: sa.Engine
    clock: Clock
    field_ctx: FieldContext
    #: Every registry: the built-ins and what plugins add (``services.registries``).
    registries: Registries = field(init=False)
    field_types: FieldTypeRegistry = field(init=False)
    catalogs: CatalogCache = field(init=False)
    growth: GrowthTracker = field(init=False)
    indexes: IndexAdvisor = field(init=False)
    plans: PlanCache = field(init=False)
    #: Counts of record pages, exact when cheap, kept until their tables change.
    counts: PageCounter = field(init=False)
    #: Dashboard widget results (``reports.cache``); None when ``CAIRN_REPORT_CACHE=0``.
    report_cache: ResultCache | None = field(init=False)
    #: What reacts to record events (run by ``cairn.worker.dispatch``); the engines add theirs.
    event_handlers: list[Any] = field(default_factory=list)
    aggregations: AggregationRegistry = field(init=False)
    kpis: KpiRegistry = field(init=False)
    widgets: WidgetRegistry = field(init=False)
    task_actions: TaskActionRegistry = field(init=False)
    #: Parsed process definitions by id (versions are immutable) and the working calendar.
    process_cache: dict[Any, Any] = field(default_factory=dict)
    #: The notification channels the rule engine sends through (``rules.ports.Notifier``).
    notifier: ChannelNotifier = field(init=False)
    #: The rule engine (an outbox handler, in ``event_handlers``) with its compiled rules.
    rule_engine: RuleEngine = field(init=False)
    #: Notification channels, and what they need from outside (tests swap the HTTP transport).
    channel_env: ChannelEnv = field(init=False)
    channels: ChannelRegistry = field(init=False)
    #: API tokens recently checked (``services.auth.TokenCache``).
    tokens: TokenCache = field(init=False)
    #: Process tasks as WeCom / DingTalk to-dos (an outbox handler and a periodic scan).
    task_pushes: TaskPushes = field(init=False)
    #: One-ID's compiled match rules per table, per catalogue version (``identity_cache``).
    identity_rules_cache: RuleCache = field(default_factory=RuleCache)

    def __post_init__(self) -> None:
        self.channel_env = ChannelEnv(
            self.clock,
            smtp_defaults=self.settings.smtp_defaults,
            block_private=self.settings.outbound_block_private,
        )
        self.registries = build_registries(self.channel_env)
        self.field_types = self.registries.field_types
        self.aggregations = self.registries.aggregations
        self.kpis = self.registries.kpis
        self.widgets = self.registries.widgets
        self.task_actions = self.registries.task_actions
        self.channels = self.registries.channels
        self.catalogs = CatalogCache(self.field_types, self.field_ctx)
        self.growth = GrowthTracker()
        self.plans = PlanCache()
        entries = self.settings.count_cache_entries
        self.counts = PageCounter(
            self.settings.count_exact_rows, CountCache(entries) if entries else None
        )
        self.report_cache = (
            ResultCache(
                self.settings.report_cache_entries, int(self.settings.report_cache_mb * 2**20)
            )
            if self.settings.report_cache
            else None
        )
        self.tokens = TokenCache(self.settings.token_cache_seconds)
        self.indexes = IndexAdvisor(
            self.engine,
            IndexPolicy(
                after_uses=self.settings.auto_index_after_uses,
                min_rows=self.settings.auto_index_min_rows,
                max_per_table=self.settings.auto_index_max_per_table,
                unused_days=self.settings.auto_index_unused_days,
            ),
            self.clock,
        )
        self.notifier = ChannelNotifier(self)
        self.rule_engine = RuleEngine(
            RuleRuntime(self),
            self.notifier,
            max_attempts=MAX_ATTEMPTS,
            triggers=self.registries.triggers,
            actions=self.registries.actions,
        )
        self.event_handlers.append(self.rule_engine)
        self.task_pushes = TaskPushes(self.channels, UnitsOfWork(self), StoredConfigs(self))
        self.event_handlers.append(self.task_pushes)

    # Use cases live in their own modules; these properties give them one entry point each.
    # The service modules import ``Services`` for type hints only, so importing them here
    # (the composition root) makes no cycle.
    @property
    def apps(self) -> AppService:
        return AppService(self)

    @property
    def schema(self) -> SchemaService:
        return SchemaService(self)

    @property
    def records(self) -> RecordService:
        return RecordService(self)

    @property
    def forms(self) -> FormService:
        return FormService(self)

    @property
    def form_publications(self) -> PublicationService:
        return PublicationService(self)

    @property
    def public_forms(self) -> PublicFormService:
        return PublicFormService(self)

    @property
    def packages(self) -> PackageService:
        return PackageService(self)

    @property
    def reports(self) -> ReportService:
        return ReportService(self)

    @property
    def dashboards(self) -> DashboardService:
        return DashboardService(self)

    @property
    def kpi_mappings(self) -> KpiMappingService:
        return KpiMappingService(self)

    @property
    def imports(self) -> ImportService:
        return ImportService(self)

    @property
    def import_mappings(self) -> ImportMappingService:
        return ImportMappingService(self)

    @property
    def import_runs(self) -> ImportRuns:
        return ImportRuns(self)

    @property
    def import_files(self) -> ImportFiles:
        return ImportFiles(self)

    @property
    def identity(self) -> IdentityService:
        """One-ID's review queue and matching."""
        return IdentityService(self)

    @property
    def identity_rules(self) -> IdentityRuleService:
        """One-ID's match rules of a table."""
        return IdentityRuleService(self)

    @property
    def identity_jobs(self) -> IdentityJobs:
        """The "find duplicates" runs over a table (the worker runs them)."""
        return IdentityJobs(self)

    @property
    def files(self) -> FileService:
        return FileService(self)

    @property
    def comments(self) -> CommentService:
        return CommentService(self)

    @property
    def views(self) -> ViewService:
        return ViewService(self)

    @property
    def recycle_bin(self) -> RecycleBinService:
        return RecycleBinService(self)

    @property
    def merges(self) -> MergeService:
        return MergeService(self)

    @property
    def table_indexes(self) -> IndexService:
        return IndexService(self)

    @property
    def segments(self) -> SegmentService:
        """Dynamic and static segments of an app's tables (issue 22)."""
        return SegmentService(self)

    @property
    def customer_view(self) -> CustomerViewService:
        return CustomerViewService(self)

    @property
    def tags(self) -> TagService:
        """An app's tag vocabulary and the tags on records."""
        return TagService(self)

    @property
    def customers(self) -> CustomerService:
        """Screen pop (customers by identity key) and the 360° summary."""
        return CustomerService(self)

    @property
    def interactions(self) -> InteractionService:
        """Calls, visits, e-mails … logged with customers, or posted by other systems."""
        return InteractionService(self)

    @property
    def scores(self) -> ScoreService:
        """Score models (health, churn), scores and their explanations (issue 22)."""
        return ScoreService(self)

    @property
    def timeline(self) -> TimelineService:
        """The customer timeline: everything about a customer in time order (issue 22)."""
        return TimelineService(self)

    @property
    def auth(self) -> AuthService:
        return AuthService(self)

    @property
    def directory(self) -> DirectoryService:
        return DirectoryService(self)

    @property
    def rules(self) -> RuleService:
        return RuleService(self)

    @property
    def alerts(self) -> AlertService:
        return AlertService(self)

    @property
    def audit(self) -> AuditService:
        return AuditService(self)

    @property
    def processes(self) -> ProcessService:
        return ProcessService(self)

    @property
    def calendar(self) -> CalendarService:
        return CalendarService(self)

    @property
    def notify(self) -> NotifyService:
        return NotifyService(self)

    @property
    def notifications(self) -> NotificationService:
        return NotificationService(self)

    @property
    def channel_configs(self) -> ChannelService:
        return ChannelService(self)

    @property
    def deliveries(self) -> DeliveryService:
        return DeliveryService(self)

    @property
    def directory_sync(self) -> DirectorySyncService:
        return DirectorySyncService(self)

    @property
    def test_clock(self) -> TestClockService:
        return TestClockService(self)

    def close(self) -> None:
        self.indexes.close()
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
        clock = StoredTestClock(clock, engine, settings.test_clock_cache_seconds)
    services = Services(settings, engine, clock, ctx)
    services.event_handlers.append(ProcessEvents(services))
    services.event_handlers.append(SegmentEvents(services))
    services.event_handlers.append(ScoreEvents(services))
    return services
