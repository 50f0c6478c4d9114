"""Requests and replies of record imports (issue 21)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, Field

from cairn.api.models.base import Open, Reply
from cairn.api.schemas import Id


class ImportStart(BaseModel):
    """How to import: the field of each column, the mode and the key."""

    model_config = ConfigDict(extra="forbid", strict=True)
    mapping: list[str | None] | dict[str, str | None] | None = Field(
        None,
        description="A field key or null (skip) per column, in the file's order, or header → "
        "key; default: the suggested mapping",
    )
    mapping_id: Id | None = Field(None, description="A saved mapping to use instead")
    mode: Literal["insert", "upsert", "update", "match"] = Field(
        "insert",
        description="insert only; upsert or update by the unique ``key``; match: upsert by "
        "the table's One-ID match rules",
    )
    key: str | None = Field(
        None, description="The unique field that finds the record to update (upsert, update)"
    )
    run_rules: bool = Field(
        False, description="Whether rules react to the imported records (recorded in the audit)"
    )
    create_missing_tags: bool = Field(
        False,
        description="A tags column naming a tag the app lacks creates it (the app's managers); "
        "off: such a row is refused",
    )
    save_as: str | None = Field(None, max_length=200, description="Save the mapping by this name")


class ImportSource(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    sheet: str | None = None
    header_rows: Annotated[int, Ge(1), Le(2)] | None = None


class ImportMappingBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=200)
    mapping: dict[str, str | None] = Field(description="Column header → field key or null")


class ImportCounts(Reply):
    created: int
    updated: int
    skipped: int
    refused: int


class ImportRowOutcome(Reply):
    row: int
    outcome: Literal["created", "updated", "skipped", "refused"]
    reason: str | None = None


class ImportErrorBrief(Reply):
    row: int
    reason: str


class ImportFileSource(Open):
    kind: Literal["csv", "xlsx"]
    encoding: str | None
    sheet: str | None
    sheets: list[str]
    header_rows: int
    header: list[str]


class ImportMapping(Reply):
    id: int
    name: str
    mapping: dict[str, str | None]
    updated_at: str


class ImportJob(Reply):
    """An import: its file, settings and progress (``rows_done`` of ``total_rows``, an
    estimate; ``rate`` rows per second; ``eta_seconds`` time left)."""

    id: int
    status: Literal["uploaded", "queued", "running", "done", "failed", "cancelled"]
    phase: Literal["dry_run", "run"] | None
    file_name: str
    source: ImportFileSource
    settings: dict[str, Any] | None
    total_rows: int | None
    rows_done: int
    counts: ImportCounts
    rate: float | None
    eta_seconds: float | None
    report: dict[str, Any] = Field(
        description="Per phase (dry_run, run): the first rows' outcomes, {rows: [...]}"
    )
    errors: list[ImportErrorBrief]
    error: str | None
    cancel_requested: bool
    created_by: int | None = Field(description="The id of the user who uploaded the file")
    created_by_name: str | None = Field(description="Their display name (null: unknown)")
    created_at: str
    started_at: str | None
    finished_at: str | None
    file_removed: bool = Field(
        description="The file and the refused rows were removed (kept import_keep_days after "
        "the job finished): upload the file again to run it again"
    )


class ImportSubformSheet(Reply):
    """A sheet of the workbook holding a sub-form's rows (as the export writes them)."""

    sheet: str
    field: str


class ImportField(Reply):
    """A field a column may fill (as the caller may write it)."""

    key: str
    name: str
    type: str
    unique: bool
    required: bool


class ImportPreview(ImportJob):
    """An uploaded file: the job, the first rows, the suggested field per column, the fields
    a column may fill (``unique`` ones may be the key of an upsert or update) and the
    table's saved mappings."""

    preview: list[list[Any]]
    suggested: list[str | None]
    fields: list[ImportField]
    mappings: list[ImportMapping]
    subform_sheets: list[ImportSubformSheet] = Field(
        description="XLSX: the sheets whose rows fill a sub-form (joined by the ID column)"
    )


class ImportJobList(Reply):
    """The table's latest imports (the caller's own; an administrator sees all)."""

    items: list[ImportJob]


class ImportMappingList(Reply):
    items: list[ImportMapping]
