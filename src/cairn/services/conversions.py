"""A field's type conversion: every value goes old dump → new coerce, in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.core import Invalid, Unsupported
from cairn.meta import Field
from cairn.meta.checks import PLAIN_FLAGS
from cairn.meta.conversions import (
    SELECTS,
    backup_key,
    conversion_refused,
    convert_values,
    no_conversion,
    seen_choices,
)
from cairn.services.uow import UnitOfWork
from cairn.store import TableSchema, ddl, system
from cairn.store.field_values import stored_values, write_values

if TYPE_CHECKING:
    from cairn.services.context import Services


def convert(
    services: Services,
    uow: UnitOfWork,
    s: TableSchema,
    f: Field,
    new_type: Any,
    raw_options: Any,
    mode: Any,
) -> dict[str, Any]:
    """Change a field's type. Values that do not convert are reported; unless
    ``mode == "keep"`` nothing changes. With "keep" the old column survives as a field in the
    recycle bin, so no value is ever lost."""
    if not isinstance(new_type, str) or new_type not in services.field_types:
        raise Invalid.on("type", "field.type_unknown", type=new_type)
    if f.sensitive:
        raise Invalid.on("type", "field.sensitive_convert", field=f.name)
    old_t, new_t = s.type_of(f), services.field_types.get(new_type)
    if not new_t.convertible_from(old_t):
        raise Unsupported("field.no_conversion", source=f.type, target=new_type)
    prev = f if new_type in SELECTS else None
    options = new_t.validate_options(raw_options if isinstance(raw_options, dict) else {}, prev)
    dump = s.dumpers[f.id] or (lambda v: v)
    rows = stored_values(uow.conn, s, f)
    if new_type in SELECTS and not options.get("choices"):
        options = new_t.validate_options({"choices": seen_choices(rows, dump)})
    nf = f.model_copy(update={"type": new_type, "options": options})
    coerce = new_t.coercer(nf, services.field_ctx)
    converted, failures = convert_values(rows, dump, coerce, new_t.value_type)
    report = {"converted": len(converted), "failed": len(failures), "failures": failures[:100]}
    if failures and mode != "keep":
        raise no_conversion(f.type, new_type) if not converted else conversion_refused(report)
    ddl.drop_indexes(uow.conn, s.id, f.id)
    backup_id = None
    if failures:
        backup_id = insert_field(
            uow,
            s.id,
            backup_key(s.fields, f),
            f"{f.name} ({f.type})",
            f.type,
            f.options,
            PLAIN_FLAGS,
            f.position,
        )
        uow.update_definitions(system.fields, backup_id, deleted_at=uow.now)
        ddl.rename_column(uow.conn, s.id, f.column_name, f"f_{backup_id}")
    else:
        ddl.drop_column(uow.conn, s.id, f.column_name)
    uow.update_definitions(
        system.fields,
        f.id,
        type=new_type,
        options=options,
        updated_at=uow.now,
        is_unique=f.unique and new_t.supports_unique,
    )
    ns = uow.catalog.schema(s.id)
    ddl.add_column(uow.conn, s.id, ns.by_id[f.id], new_t)
    if converted:
        write_values(uow.conn, ns, ns.by_id[f.id], converted)
    if backup_id:
        report["kept_in_field"] = uow.catalog.all_fields[backup_id].key
    return report


def insert_field(
    uow: UnitOfWork,
    table_id: int,
    key: str,
    name: str,
    type_key: str,
    options: dict[str, Any],
    flags: dict[str, Any],
    position: int,
) -> int:
    """A field's definition row; ``flags`` as ``meta.checks.check_flags`` gives them."""
    return uow.insert_definition(
        system.fields,
        table_id=table_id,
        key=key,
        name=name,
        type=type_key,
        options=options,
        required=flags["required"],
        is_unique=flags["unique"],
        default=flags["default"],
        help_text=flags["help_text"],
        position=position,
        created_at=uow.now,
        updated_at=uow.now,
    )
