"""Settings from the environment (``CAIRN_*``). Built once at the edge and passed in explicitly."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAIRN_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Where the SQLite file and uploads live"
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite in the data directory"
    )
    redis_url: str | None = Field(
        default=None, description="Redis for the job queue; default is a SQLite file in data_dir"
    )
    timezone: str = "Asia/Shanghai"
    default_region: str = "CN"
    default_currency: str = "CNY"
    language: str = "zh-CN"
    max_upload_mb: int = 50
    bulk_limit: int = 1000
    # Record imports from CSV / XLSX files (issue 21).
    #: The largest file an import takes (a 1,000,000-row CSV of 8 fields is about 80 MB).
    import_max_mb: int = Field(default=1024, ge=1)
    #: Rows per batch: each batch is written all or nothing, with the job's offset (5,000:
    #: the per-batch queries and commit are then a small part of a row's cost).
    import_batch_rows: int = Field(default=5000, ge=1, le=10_000)
    #: A running import whose worker has not reported for this long is taken over.
    import_stale_seconds: float = Field(default=120, gt=0)
    page_limit: int = 1000
    #: A field gets an index once this many queries filtered or sorted on it ...
    auto_index_after_uses: int = Field(default=3, ge=1)
    #: ... while its table holds at least this many records.
    auto_index_min_rows: int = Field(default=5000, ge=0)
    #: At most this many automatic indexes per table (each one slows every write).
    auto_index_max_per_table: int = Field(default=10, ge=1)
    #: An automatic index no query has used for this many days is dropped.
    auto_index_unused_days: int = Field(default=30, ge=1)
    # Counts of record pages (``count=true``; ``count=exact`` always counts every row).
    #: A table of at most this many records is counted exactly. Over it, a count stops at
    #: this many ("10,000+") or, on PostgreSQL, is the planner's estimate ("about 12,000")
    #: when that is larger; a count that stays within it is exact either way.
    count_exact_rows: int = Field(default=10_000, ge=1)
    #: Counts kept per process until a table they read changes (0 keeps none).
    count_cache_entries: int = Field(default=4096, ge=0)
    # Identity and sign-in (cairn.auth).
    session_hours: float = Field(default=12, description="A session ends after this idle time")
    cookie_secure: bool = Field(default=False, description="Send cookies over HTTPS only")
    login_max_failures: int = Field(default=5, description="Failed sign-ins before a lock-out")
    login_lock_minutes: int = Field(default=15, description="How long a lock-out lasts")
    password_min_length: int = 10
    token_days: int = Field(default=365, description="Default lifetime of an API token")
    #: A checked API token is remembered this long per process, so most requests need no
    #: database round trip to authenticate. Revoking a token, disabling a user or changing
    #: their admin flag clears it in the process that made the change; other processes see
    #: the change within this time. 0 checks the database on every request.
    token_cache_seconds: float = Field(default=2.0, ge=0)
    #: Keys for sensitive fields: ``id:base64key`` entries, comma separated; the first encrypts.
    encryption_keys: str = ""
    # Public forms (a form published at a public URL, no sign-in).
    #: Submissions one address may send to public forms within the window; later ones are
    #: refused (429) until the window has passed. Refused submissions count too.
    public_form_submissions: int = Field(default=20, ge=1)
    public_form_window_minutes: int = Field(default=10, ge=1)
    # E-mail (the "email" notification channel): defaults its stored settings override.
    smtp_host: str = Field(
        default="", description="SMTP server; empty: e-mail needs a channel config"
    )
    smtp_port: int | None = Field(
        default=None, description="Default 587 (starttls), 465 (ssl), 25 (plain)"
    )
    smtp_security: str = Field(default="starttls", description="starttls, ssl or plain")
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_sender: str = Field(default="", description="The From address of e-mail Cairn sends")
    smtp_timeout: float = 10.0
    #: Refuse webhook, SMS-gateway and robot URLs that resolve to loopback, private or
    #: link-local addresses (set it where rule authors must not reach the internal network).
    outbound_block_private: bool = False
    #: Attempts a delivery through an outside channel gets (the first send and the worker's
    #: retries after 1 min, 5 min, 30 min, 2 h, then every 2 h) before it is dead.
    delivery_max_attempts: int = Field(default=5, ge=1, le=50)
    # Reports.
    #: Keep dashboard widget results in memory until a table they read changes (per process;
    #: every process checks the tables' data versions in the database). 0 turns it off.
    report_cache: bool = True
    #: The most widget results kept per process ...
    report_cache_entries: int = Field(default=2000, ge=1)
    #: ... and the most memory their replies take (MiB of JSON).
    report_cache_mb: float = Field(default=64, gt=0)
    # Test clocks (docs in the README): never on by default.
    #: An administrator may move this instance's clock forward (``/api/v1/test-clock``,
    #: ``cairn clock advance``); everything timed follows, in the API and the worker.
    test_clock: bool = False
    #: ``cairn serve`` refuses a test clock on a non-loopback address unless this is set too.
    test_clock_confirm: bool = False
    #: Each process re-reads the clock's offset from the database at most this often.
    test_clock_cache_seconds: float = Field(default=1.0, ge=0)

    @property
    def smtp_defaults(self) -> dict[str, object]:
        """The ``CAIRN_SMTP_*`` values as e-mail channel settings."""
        return {
            "host": self.smtp_host,
            "port": self.smtp_port,
            "security": self.smtp_security,
            "username": self.smtp_username,
            "password": self.smtp_password,
            "sender": self.smtp_sender,
            "timeout": self.smtp_timeout,
        }

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cairn.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"
