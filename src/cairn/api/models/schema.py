"""Replies about apps, tables, fields and form layouts."""

from __future__ import annotations

from typing import Any

import pydantic

from cairn.api.models.base import Open, Reply


class AppPermissions(Reply):
    """What the caller may do with the app (manage: tables, 360° settings, rules, …)."""

    manage: bool


class TablePermissions(Reply):
    """What the caller may do with a table and its records."""

    create: bool
    read: bool
    update: bool
    delete: bool
    export: bool
    manage: bool


class KeyRenormalised(Reply):
    """A field newly marked as an identity key (or of another kind): its stored values brought
    to the key's canonical form; those that are no valid key stay as they were."""

    changed: int = pydantic.Field(description="Values rewritten in the canonical form")
    invalid: int = pydantic.Field(description="Values that are no valid key of the kind (kept)")
    invalid_values: list[dict[str, Any]] = pydantic.Field(
        description="The first 100 of them: {id: record id, value}"
    )


class Field(Reply):
    id: int
    key: str
    name: str
    type: str
    options: dict[str, Any]
    required: bool
    unique: bool
    default: Any
    help_text: str
    position: int
    renormalised: KeyRenormalised | None = pydantic.Field(
        None, description="After a change of the identity key kind: what was re-normalised"
    )


class FormLayoutSection(Reply):
    #: What linkage rules show or hide the section by (absent: it has none).
    key: str | None = None
    title: str
    collapsed: bool
    rows: list[list[str | None]]


class FormAction(Reply):
    """What a linkage rule does while its condition holds: ``show`` / ``hide`` (``fields``,
    ``sections``), ``require`` / ``readonly`` / ``clear`` (``fields``), ``set`` (``field``,
    ``value``: a formula), ``options`` (``field``, the ``options`` it keeps)."""

    type: str
    fields: list[str] | None = None
    sections: list[str] | None = None
    field: str | None = None
    value: str | None = None
    options: list[str] | None = None


class FormRule(Reply):
    """A linkage rule: a name, a condition (a formula giving TRUE or FALSE) and actions."""

    name: str
    when: str
    actions: list[FormAction]


class FormLayout(Reply):
    """A form layout: sections of rows of 1 to 3 cells, each a field key or null, and the
    form's linkage rules (absent: none)."""

    sections: list[FormLayoutSection]
    rules: list[FormRule] | None = None


class FormSummary(Reply):
    """A form of a table: its default form (``default``: the table's layout) or a variant."""

    key: str
    name: str
    #: The roles whose members open this form by default.
    roles: list[str]
    position: int
    default: bool
    version: int | None = None


class FormList(Reply):
    """The table's forms, its default form first; ``in_force``: the one the caller opens by
    default (the first variant one of their roles is given, else ``default``)."""

    items: list[FormSummary]
    in_force: str


class FormEnv(Reply):
    """What the rules run in: today and now (the installation's local time), the zone's
    offset in seconds, the user filling in the form and their department."""

    today: str
    now: str
    utc_offset: int
    user_id: int | None
    department: str | None


class Form(FormSummary):
    """A form with its layout as written (null: none), the layout it shows (the fields the
    caller may not see left out) and ``linkage``: its rules as the browser runs them (each
    condition and set value a typed syntax tree in JSON, see ``cairn.formula.forms``)."""

    layout: FormLayout | None
    effective: FormLayout
    linkage: dict[str, Any]
    env: FormEnv


class RecordDefaults(Reply):
    """A new record's values before anything is typed: field defaults, default formulas
    (computed for the caller) and what the form's rules set."""

    values: dict[str, Any]


class TableParent(Reply):
    """The table and sub-form field whose rows a table holds."""

    table: str
    field: str


class LiveFormula(Reply):
    """A formula column computed in the browser (``cairn.meta.live_formulas``)."""

    tree: dict[str, Any]
    kinds: dict[str, str]


class Table(Reply):
    id: int
    key: str
    name: str
    description: str
    display_field: str | None
    position: int
    #: Formulas a record must satisfy to be saved, with the message shown otherwise.
    validation_rules: Any
    #: The layout forms show: the table's own, with the fields it does not place after it.
    layout: FormLayout
    fields: list[Field]
    permissions: TablePermissions | None = None
    #: The keys of the fields the caller reads masked: not to filter, sort, group or measure
    #: by (reports refuse them).
    masked_fields: list[str] = pydantic.Field(default_factory=list)
    #: Set on the table holding the rows of a sub-form field (not listed among the app's
    #: tables; read and written through the parent records).
    parent: TableParent | None = None
    #: On such a table: its formula columns the browser computes as the user types, by key:
    #: ``{"tree": the typed formula tree, "kinds": {column key read: its value family}}``.
    live_formulas: dict[str, LiveFormula] = pydantic.Field(default_factory=dict)


class App(Reply):
    id: int
    key: str
    name: str
    description: str
    position: int
    #: With ``GET /apps/{app}``: the tables listed to the caller.
    tables: list[Table] = pydantic.Field(default_factory=list)
    permissions: AppPermissions | None = None


class AppList(Reply):
    items: list[App]


class DeletedApp(Open):
    """An app in the recycle bin."""

    id: int
    key: str
    name: str


class DeletedAppList(Reply):
    items: list[DeletedApp]


class TableList(Reply):
    items: list[Table]


class NumberPreview(Reply):
    """The number the next record would get: ``BJ-202703-0042``."""

    next: str
    #: The counter it comes from: "" (never restarts), "2027", "2027-03" or "2027-03-14".
    period: str
    #: Today in the installation's timezone, whose date parts the number shows.
    day: str


class FieldList(Reply):
    items: list[Field]


class TableLayout(Reply):
    """The table's own form layout (null: none) and the effective one forms show."""

    layout: FormLayout | None
    effective: FormLayout


class DeletedTable(Reply):
    id: int
    key: str
    name: str
    deleted_at: str


class DeletedField(Open):
    id: int
    key: str
    name: str
    table: str
    deleted_at: str | None


class SchemaRecycleBin(Reply):
    """Deleted tables and fields of an app."""

    tables: list[DeletedTable]
    fields: list[DeletedField]


class PackageImport(Open):
    """What an app package import installed."""
