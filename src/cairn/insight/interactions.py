"""Interactions with a customer (issue 22): calls, visits, e-mails, meetings, logins, orders.

This module holds what an interaction is, as data: its kinds and directions, and the checks of
what a person or a posting system sends (``clean``), each refusal naming its field. Storing is
``cairn.store.interactions``; who may log one is ``cairn.services.interactions``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cairn.core import Invalid, Message
from cairn.core.events import INTERACTION_KINDS

KINDS = INTERACTION_KINDS
DIRECTIONS = ("in", "out")
MAX_SUBJECT = 500
MAX_BODY = 10_000
MAX_SOURCE = 64
MAX_IDEMPOTENCY_KEY = 200
#: A week: longer is no call or meeting.
MAX_DURATION = 7 * 24 * 3600
#: What a hand-logged interaction's ``source`` is.
MANUAL = "manual"
#: The attributes a person (or a posting system) may send.
FIELDS = frozenset(
    {"kind", "direction", "occurred_at", "subject", "body", "duration_seconds", "source"}
)


def parse_moment(value: Any) -> datetime | None:
    """An ISO 8601 date and time as naive UTC (an offset is applied, none means UTC); None when
    it is no such text."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def clean(data: Any, now: datetime, *, extra: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The interaction's columns from ``data`` (a JSON object), or ``Invalid`` listing every
    bad attribute by name. ``occurred_at`` defaults to ``now``; ``source`` to ``manual``;
    attributes in ``extra`` are the caller's to read (left out here)."""
    if not isinstance(data, dict):
        raise Invalid.on("body", "interaction.shape")
    errors: dict[str, list[Message]] = {}

    def bad(loc: str, key: str, **params: Any) -> None:
        errors.setdefault(loc, []).append(Message(key, params))

    for k in sorted(set(data) - FIELDS - extra):
        bad(k, "interaction.attr", attr=k)
    kind = data.get("kind")
    if kind is None:
        bad("kind", "field.required")
    elif kind not in KINDS:
        bad("kind", "interaction.kind", kinds=", ".join(KINDS))
    direction = data.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        bad("direction", "interaction.direction", directions=", ".join(DIRECTIONS))
    occurred: datetime | None = now
    if data.get("occurred_at") is not None:
        occurred = parse_moment(data["occurred_at"])
        if occurred is None:
            bad("occurred_at", "interaction.moment")
    texts: dict[str, str | None] = {}
    for name, limit in (("subject", MAX_SUBJECT), ("body", MAX_BODY), ("source", MAX_SOURCE)):
        v = data.get(name)
        if v is None:
            texts[name] = None
        elif not isinstance(v, str):
            bad(name, "interaction.text")
        elif len(v.strip()) > limit:
            bad(name, "value.too_long", max=limit)
        else:
            texts[name] = v.strip()
    duration = data.get("duration_seconds")
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not 0 <= duration <= MAX_DURATION
    ):
        bad("duration_seconds", "interaction.duration", max=MAX_DURATION)
    if errors:
        raise Invalid("invalid.input", errors)
    return {
        "kind": kind,
        "direction": direction,
        "occurred_at": occurred,
        "subject": texts["subject"] or "",
        "body": texts["body"] or None,
        "duration_seconds": duration,
        "source": texts["source"] or MANUAL,
    }


def idempotency_key(header: str | None, body: Any) -> str | None:
    """The posting system's idempotency key: the ``Idempotency-Key`` header, else the body's
    ``idempotency_key``; ``Invalid`` for one that is blank or too long."""
    key = header if header is not None else (body or {}).get("idempotency_key")
    if key is None:
        return None
    loc = "Idempotency-Key" if header is not None else "idempotency_key"
    if not isinstance(key, str) or not key.strip():
        raise Invalid.on(loc, "interaction.idempotency_key", max=MAX_IDEMPOTENCY_KEY)
    if len(key.strip()) > MAX_IDEMPOTENCY_KEY:
        raise Invalid.on(loc, "interaction.idempotency_key", max=MAX_IDEMPOTENCY_KEY)
    return key.strip()


#: The names a caller may give a kind of identity key by (``phone`` for ``mobile``).
KEY_ALIASES = {"phone": "mobile", "mobile": "mobile", "tel": "mobile"}


MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "interaction.shape": "Send the interaction as a JSON object.",
        "interaction.batch": "Send a list of at most {max} interactions.",
        "interaction.attr": "'{attr}' is not an attribute of an interaction.",
        "interaction.kind": "The kind must be one of: {kinds}.",
        "interaction.direction": "The direction must be one of: {directions}.",
        "interaction.moment": "Give the time as an ISO 8601 date and time, e.g. 2026-05-01T09:30:00+08:00.",
        "interaction.text": "Give a text here.",
        "interaction.duration": "The duration is a whole number of seconds from 0 to {max}.",
        "interaction.idempotency_key": "The idempotency key is a text of 1 to {max} characters.",
        "interaction.not_found": "There is no interaction {id} on this record.",
        "interaction.not_yours": "Only its author or an administrator may delete an interaction.",
        "interaction.customer": "Name the customer: table and record_id, or table, key and value.",
        "interaction.key": "'{key}' is no identity key of table {table}.",
        "interaction.no_customer": "No customer in {table} has {key} '{value}'.",
        "interaction.several": "Several customers in {table} have {key} '{value}': records {ids}.",
        "interaction.limit": "The limit must be from 1 to {max}.",
        "interaction.cursor": "This cursor is not valid here: start from the first page.",
        "lookup.key": "Look up by one of: {keys} (or key= and value=).",
        "lookup.value": "Give the value to look up.",
        "interaction.last_contact_field": "'{field}' is no date or date-time field of the customer table (an encrypted one cannot be used).",
    },
    "zh-CN": {
        "interaction.shape": "请以 JSON 对象提交互动记录。",
        "interaction.batch": "请以列表提交互动记录，每次最多 {max} 条。",
        "interaction.attr": "“{attr}”不是互动记录的属性。",
        "interaction.kind": "类型必须是以下之一：{kinds}。",
        "interaction.direction": "方向必须是以下之一：{directions}。",
        "interaction.moment": "请以 ISO 8601 日期时间填写时间，例如 2026-05-01T09:30:00+08:00。",
        "interaction.text": "此处请填写文本。",
        "interaction.duration": "时长为 0 到 {max} 之间的整数秒。",
        "interaction.idempotency_key": "幂等键为 1 到 {max} 个字符的文本。",
        "interaction.not_found": "该记录没有编号为 {id} 的互动。",
        "interaction.not_yours": "只有记录人或管理员可以删除互动。",
        "interaction.customer": "请指明客户：table 与 record_id，或 table、key 与 value。",
        "interaction.key": "“{key}”不是表 {table} 的身份标识。",
        "interaction.no_customer": "{table} 中没有 {key} 为“{value}”的客户。",
        "interaction.several": "{table} 中有多个客户的 {key} 为“{value}”：记录 {ids}。",
        "interaction.limit": "条数必须在 1 到 {max} 之间。",
        "interaction.cursor": "该游标在此无效：请从第一页开始。",
        "lookup.key": "请按以下之一查找：{keys}（或 key= 与 value=）。",
        "lookup.value": "请给出要查找的值。",
        "interaction.last_contact_field": "“{field}”不是客户表的日期或日期时间字段（加密字段不可用）。",
    },
}
