"""Filters → SQL: JSON filter trees and sorts, keyset pagination, lookups and rollups."""

from cairn.query.compile import QueryPlan, build_select
from cairn.query.expand import expand_records, field_expression, load_links, record_columns
from cairn.query.filters import compile_filter, default_operators
from cairn.query.formula_records import record_of
from cairn.query.operators import (
    OpContext,
    Operator,
    OperatorRegistry,
    builtin_operators,
    register_builtins,
)
from cairn.query.paging import decode_cursor, encode_cursor, seek_condition, sort_signature
from cairn.query.relative_dates import day_range, local_today, relative_range, utc_bounds
from cairn.query.subforms import row_counts, rows_of
from cairn.query.tree import (
    Condition,
    Group,
    Node,
    Not,
    SortKey,
    filter_to_json,
    parse_filter,
    parse_sort,
)

__all__ = [
    "Condition",
    "Group",
    "Node",
    "Not",
    "OpContext",
    "Operator",
    "OperatorRegistry",
    "QueryPlan",
    "SortKey",
    "build_select",
    "builtin_operators",
    "compile_filter",
    "day_range",
    "decode_cursor",
    "default_operators",
    "encode_cursor",
    "expand_records",
    "field_expression",
    "filter_to_json",
    "load_links",
    "local_today",
    "parse_filter",
    "parse_sort",
    "record_columns",
    "record_of",
    "register_builtins",
    "relative_range",
    "row_counts",
    "rows_of",
    "seek_condition",
    "sort_signature",
    "utc_bounds",
]
