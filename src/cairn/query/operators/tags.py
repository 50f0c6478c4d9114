"""Operators on a record's tags (the ``_tags`` pseudo-field, ``cairn.query.tag_filter``): the
tags are a ``Linked`` set, so each operator is a semi-join on ``record_tags``.

- ``has_any`` [ids]: some of the tags;
- ``has_all`` [ids]: every one of them (one EXISTS per tag, each served by the unique index);
- ``has_none`` [ids]: none of them (records without tags included).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cairn.query.operators.base import OpContext, Operator


def _linked(ctx: OpContext) -> Any:
    if ctx.linked is None:  # only the _tags pseudo-field reaches these operators
        raise ValueError("tag operators need the record's tags")
    return ctx.linked


class HasAny(Operator):
    key = "has_any"
    shape = "list"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        if not value:
            return sa.false()
        return _linked(ctx).exists(lambda _tid, tag: tag.in_(value))


class HasAll(Operator):
    key = "has_all"
    shape = "list"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        linked = _linked(ctx)
        return sa.and_(sa.true(), *(linked.exists(lambda _tid, tag, v=v: tag == v) for v in value))


class HasNone(Operator):
    key = "has_none"
    shape = "list"

    def compile(self, column, value, ctx):  # type: ignore[no-untyped-def]
        if not value:
            return sa.true()
        return sa.not_(_linked(ctx).exists(lambda _tid, tag: tag.in_(value)))


OPERATORS = (HasAny, HasAll, HasNone)
