"""The field-type contract: one class per type, found by its ``key`` in the field-type registry.

A type turns API input into a column value (``coercer``), a column value into JSON (``dumper``),
names its SQL column type and the filter operators it offers. Coercers and dumpers are built once
per field and catalogue version, so the hot path (bulk writes, page reads) is a plain call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, ValidationError

from cairn.core import Invalid, Message, TypeDef
from cairn.meta.model import Field
from cairn.meta.survivorship import check_survivorship

Coercer = Callable[[Any], Any]
Dumper = Callable[[Any], Any]

TEXT_OPS = frozenset(
    {"eq", "ne", "contains", "starts_with", "in", "not_in", "is_empty", "is_not_empty"}
)
ORDERED_OPS = frozenset(
    {"eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in", "is_empty", "is_not_empty"}
)
DATE_OPS = frozenset(
    {
        "eq",
        "ne",
        "lt",
        "lte",
        "gt",
        "gte",
        "between",
        "is_empty",
        "is_not_empty",
        "today",
        "yesterday",
        "last_n_days",
        "next_n_days",
        "this_week",
        "this_month",
        "this_year",
    }
)
EMPTY_OPS = frozenset({"is_empty", "is_not_empty"})


class BadValue(ValueError):
    """A value a field does not accept; carries a translatable message."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.message = Message(key, params)


@dataclass(frozen=True)
class FieldContext:
    """What coercion may depend on besides the field: settings of the installation."""

    timezone: ZoneInfo
    region: str = "CN"
    currency: str = "CNY"
    #: The key ring sealing sensitive fields (``cairn.core.crypto.KeyRing``); None: no keys.
    keyring: Any = None


#: Options of every field type, kept out of the type's own model: ``sensitive`` (encrypted
#: at rest), ``default_formula`` (a new record's value, e.g. ``TODAY()+7``) and
#: ``identity_key`` (the kind of identity key the field holds, for One-ID's match rules) and
#: ``survivorship`` (which value a One-ID merge keeps: ``cairn.meta.survivorship``).
PLATFORM_OPTIONS = frozenset({"sensitive", "default_formula", "identity_key", "survivorship"})
MAX_DEFAULT_FORMULA = 4000


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldType(TypeDef):
    """Base of every field type. Subclasses set the class variables and override what differs."""

    #: The value family filters and formulas see: text, number, boolean, date, datetime,
    #: choice, choices, relation, user, file, json.
    value_type: ClassVar[str] = "text"
    Options: ClassVar[type[BaseModel]] = NoOptions
    #: Has a column ``f_<id>`` in the record table.
    stored: ClassVar[bool] = True
    #: The API may write it (computed and system-assigned types may not).
    writable: ClassVar[bool] = True
    #: The platform indexes this column once queries filter or sort on it (``store.indexes``):
    #: types people sort, range-filter and look up by (numbers, dates, contacts, people, text).
    #: Low-cardinality types are never indexed: the index would slow every write and the
    #: planner rarely gains from it.
    indexed: ClassVar[bool] = False
    sortable: ClassVar[bool] = True
    supports_unique: ClassVar[bool] = True
    operators: ClassVar[frozenset[str]] = EMPTY_OPS
    #: What the stored value points at, checked in one query per batch: "record", "user", "file".
    references: ClassVar[str | None] = None
    #: May be marked ``sensitive``: stored encrypted, searched for equality by a blind index.
    encryptable: ClassVar[bool] = False
    #: Numbered by the database from a per-field sequence when a record is created (auto number).
    sequenced: ClassVar[bool] = False
    #: A report may group by it (a list, a long text, a location or a lookup's list may not).
    groupable: ClassVar[bool] = True
    #: Where the options come from besides the user: ``relation`` (a target table and a
    #: reverse field), ``through`` (a relation field of this table: lookups and rollups) or
    #: ``formula`` (a formula over this record); None for plain options.
    derived_from: ClassVar[str | None] = None
    #: A record created without a value holds False rather than blank (a checkbox).
    starts_false: ClassVar[bool] = False
    #: The formula value kind ("number", "date") the stored column holds exactly as a formula
    #: reads it, so a filter formula may compare the bare column (and an index serves it);
    #: None: formulas read the value through a conversion.
    formula_column: ClassVar[str | None] = None
    #: Its value is rows of a table of its own (a sub-form): no column; the store writes and
    #: reads the rows (``cairn.store.subforms``).
    holds_rows: ClassVar[bool] = False
    #: The kinds of identity key (``cairn.core.idkeys.KINDS``) a field of this type may be
    #: marked as holding (option ``identity_key``); none for most types.
    key_kinds: ClassVar[frozenset[str]] = frozenset()

    @property
    def holds_text(self) -> bool:
        """Its value is text (text, long text, contacts, auto numbers)."""
        return self.value_type == "text"

    @property
    def dumps_as_is(self) -> bool:
        """Without a dumper its column value is already its JSON value (text, a user id)."""
        return self.value_type in ("text", "user")

    # -- options --------------------------------------------------------------------------
    def validate_options(self, raw: dict[str, Any] | None, previous: Field | None = None) -> dict:
        """Checked and normalised options; raises Invalid naming the option at fault.

        ``sensitive`` is an option of every encryptable type, kept out of the type's own model
        and stored only when true (so existing definitions and packages stay as they were)."""
        raw = dict(raw or {})
        sensitive = raw.pop("sensitive", False)
        if not isinstance(sensitive, bool):
            raise Invalid.on("options.sensitive", "value.boolean")
        if sensitive and not self.encryptable:
            raise Invalid.on("options.sensitive", "field.sensitive_type", type=self.key)
        identity_key = raw.pop("identity_key", None)
        if identity_key is not None and (
            not isinstance(identity_key, str) or identity_key not in self.key_kinds
        ):
            raise Invalid.on(
                "options.identity_key",
                "field.identity_key_kind",
                type=self.key,
                kinds=", ".join(sorted(self.key_kinds)) or "-",
            )
        survivorship = check_survivorship(raw.pop("survivorship", None))
        default_formula = raw.pop("default_formula", None)
        if default_formula is not None and (
            not isinstance(default_formula, str) or len(default_formula) > MAX_DEFAULT_FORMULA
        ):
            raise Invalid.on(
                "options.default_formula", "form.default_formula", max=MAX_DEFAULT_FORMULA
            )
        try:
            model = self.Options.model_validate(raw)
        except ValidationError as e:
            errors: dict[str, list[Message]] = {}
            for err in e.errors():
                loc = ".".join(str(x) for x in ("options", *err["loc"]))
                errors.setdefault(loc, []).append(
                    Message("field.option_invalid", {"detail": err["msg"]})
                )
            raise Invalid("invalid.input", errors) from None
        out = self.normalise_options(model, previous).model_dump(mode="json")
        if default_formula and default_formula.strip():
            # Checked against the table's fields by the caller (``meta.form_rules``).
            out["default_formula"] = default_formula.strip()
        if identity_key is not None:
            out["identity_key"] = identity_key
        if survivorship is not None:
            out["survivorship"] = survivorship
        return {**out, "sensitive": True} if sensitive else out

    def normalise_options(self, options: Any, previous: Field | None) -> Any:
        return options

    def opts(self, field: Field) -> Any:
        if not PLATFORM_OPTIONS.isdisjoint(field.options):
            return self.Options.model_validate(
                {k: v for k, v in field.options.items() if k not in PLATFORM_OPTIONS}
            )
        return self.Options.model_validate(field.options)

    def identity_key(self, field: Field) -> str | None:
        """The kind of identity key the field is marked as holding, if any."""
        kind = field.options.get("identity_key")
        return kind if isinstance(kind, str) and kind in self.key_kinds else None

    def index_text(self, value: str) -> str:
        """A coerced value as its blind index sees it: equal values, equal text."""
        return value

    # -- storage --------------------------------------------------------------------------
    def column_type(self, field: Field) -> sa.types.TypeEngine:
        return sa.Text()

    def storage_type(self, field: Field) -> sa.types.TypeEngine:
        """The column as created: a sensitive field holds ciphertext, longer than its value."""
        return sa.Text() if field.sensitive else self.column_type(field)

    # -- values ---------------------------------------------------------------------------
    def coercer(self, field: Field, ctx: FieldContext) -> Coercer:
        """A function from API input to the column value (None is blank)."""
        raise NotImplementedError

    def dumper(self, field: Field, ctx: FieldContext) -> Dumper | None:
        """A function from the column value to JSON, or None when the value is JSON already."""
        return None

    def operand(self, field: Field, ctx: FieldContext) -> Coercer:
        """How a filter operand becomes a value comparable with the column."""
        return self.coercer(field, ctx)

    def sort_expression(self, field: Field, column: sa.ColumnElement) -> sa.ColumnElement:
        return column

    def convertible_from(self, source: FieldType) -> bool:
        """Whether a field of ``source`` type can change to this type (values go dump → coerce)."""
        return self.stored and self.writable and source.stored


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []
