"""Demo data for 通航客户管理 (general aviation CRM).

``load(services)`` imports ``app.yaml`` and writes believable, deterministic records: Chinese
companies and people with valid mainland mobile numbers, aircraft with B- registrations, and
service tickets linked to both (``generator.py``, from the words of ``vocabulary.py``). The
same seed and the same clock give the same data. Everything goes through ``services``
(packages and records): templates are data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.auth import SYSTEM, cli
from cairn.templates.general_aviation.generator import Generator, interactions

if TYPE_CHECKING:
    from cairn.services import Services

APP_KEY = "general_aviation"
PACKAGE = Path(__file__).with_name("app.yaml")
BATCH = 1000


def _batches(items: list[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _write(services: Services, table: str, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for batch in _batches(rows):
        ids += services.records.bulk(APP_KEY, table, batch, return_items=False)["ids"]
    return ids


def package_text() -> str:
    return PACKAGE.read_text(encoding="utf-8")


def load(
    services: Services,
    *,
    customers: int = 300,
    aircraft: int | None = None,
    tickets: int | None = None,
    quotes: int | None = None,
    seed: int = 7,
    now: datetime | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """Import the app and write demo records: by default ``customers`` customers, half as many
    aircraft, twice as many tickets and a tenth as many quotes (at least 10). Returns the app
    key and the count written per table. ``owner`` (a user name) imports the app as that user:
    the package's alert is theirs (its value computed with their permissions, its notices sent
    to them). The public form 在线报修 is published when an active user ``admin`` (the one
    ``cairn demo`` makes) may create tickets, else imported unpublished."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    n_aircraft = customers // 2 if aircraft is None else aircraft
    n_tickets = customers * 2 if tickets is None else tickets
    n_quotes = max(10, customers // 10) if quotes is None else quotes
    rng = random.Random(seed)
    gen = Generator(rng, now or services.clock.now().astimezone(services.field_ctx.timezone))

    principal = SYSTEM
    if owner is not None:
        principal = cli(services.directory.get_user(cli(), owner)["id"], owner)
    services.packages.import_yaml(package_text(), principal=principal)

    customer_rows = [gen.customer(i + 1) for i in range(customers)]
    # Interactions come from their own generator (the rest of the demo stays as it was); a
    # customer's last contact is its newest interaction.
    talk = random.Random(f"interactions-{seed}")
    talks = [interactions(talk, gen.now, row["tier"]) for row in customer_rows]
    for row, mine in zip(customer_rows, talks, strict=True):
        row["last_contact"] = mine[-1]["occurred_at"]
    # Who has left: mostly those not heard from for months, now and then another (the history
    # a learned churn model can be trained on; its own generator, so the rest stays as it was).
    left = random.Random(f"churn-{seed}")
    for row in customer_rows:
        quiet = (gen.now - datetime.fromisoformat(row["last_contact"])).days
        row["churned"] = left.random() < (0.7 if quiet > 120 else 0.04)
    customer_ids = _write(services, "customers", customer_rows)
    logged = [
        {"record_id": cid, **item}
        for cid, mine in zip(customer_ids, talks, strict=True)
        for item in mine
    ]
    for batch in _batches(logged, 5000):
        services.interactions.log_many(APP_KEY, "customers", batch)
    industry_of = {
        cid: row["industry"] for cid, row in zip(customer_ids, customer_rows, strict=True)
    }

    # Aircraft go to companies first (fleet operators own several), then to private owners.
    owners = [cid for cid in customer_ids if industry_of[cid] != "私人飞行"] or customer_ids
    private = [cid for cid in customer_ids if industry_of[cid] == "私人飞行"]
    aircraft_rows = []
    for _ in range(n_aircraft):
        pool = private if private and rng.random() < 0.2 else owners
        owner = rng.choice(pool)
        aircraft_rows.append(gen.aircraft(owner, industry_of[owner]))
    aircraft_ids = _write(services, "aircraft", aircraft_rows) if aircraft_rows else []
    fleet: list[tuple[int, int, str, str]] = [
        (row["owner"], aid, row["registration"], row["model"])
        for aid, row in zip(aircraft_ids, aircraft_rows, strict=True)
    ]

    ticket_rows = []
    for _ in range(n_tickets):
        if fleet and rng.random() < 0.75:
            owner, aid, reg, model = rng.choice(fleet)
            ticket_rows.append(gen.ticket(owner, (aid, reg, model)))
        else:
            ticket_rows.append(gen.ticket(rng.choice(customer_ids), None))
    ticket_rows.sort(key=lambda r: r["opened_at"])  # ticket numbers follow the opening time
    if ticket_rows:
        _write(services, "service_tickets", ticket_rows)

    quotes_written = _quotes(services, gen, fleet, customer_ids, n_quotes)
    insight = _insight(services, principal)

    return {
        "app": APP_KEY,
        "counts": {
            "customers": len(customer_rows),
            "aircraft": len(aircraft_rows),
            "service_tickets": len(ticket_rows),
            "quotes": quotes_written,
            "interactions": len(logged),
        },
        "insight": insight,
    }


def _quotes(
    services: Services,
    gen: Generator,
    fleet: list[tuple[int, int, str, str]],
    customer_ids: list[int],
    n: int,
) -> int:
    """Write ``n`` quotes as a sales engineer would: each created in 草稿 (its number drawn
    then, its discount set while it may be), then sent, accepted or rejected (with the reason
    the quote form requires). Returns how many were written."""
    rows = []
    for _ in range(n):
        if fleet and gen.rng.random() < 0.9:
            owner, aid, reg, model = gen.rng.choice(fleet)
            rows.append(gen.quote(owner, (aid, reg, model)))
        else:
            rows.append(gen.quote(gen.rng.choice(customer_ids), None))
    rows.sort(key=lambda r: r["quoted_on"])  # quote numbers follow the quote date
    created = []
    for batch in _batches(rows):
        created += services.records.bulk(APP_KEY, "quotes", batch)["items"]
    changes = []
    for row, rec in zip(rows, created, strict=True):
        outcome = gen.quote_outcome(row)
        if outcome["status"] != "草稿":
            changes.append({"id": rec["id"], "version": rec["version"], **outcome})
    for batch in _batches(changes):
        services.records.bulk(APP_KEY, "quotes", batch, return_items=False)
    return len(rows)


#: The health score of a customer (客户健康度): how recently we spoke, what is open, what they
#: spent in 12 months and how satisfied they are; green from 70, amber from 45.
HEALTH_MODEL: dict[str, Any] = {
    "name": "客户健康度",
    "table": "customers",
    "inputs": [
        {
            "label": "最近联系",
            "formula": "DAYS(TODAY(), {last_contact})",
            "explain": "已 {value} 天未联系",
            "normalise": {"thresholds": [[30, 100], [60, 80], [90, 50], [180, 20], [None, 0]]},
            "weight": 3,
        },
        {
            "label": "未结工单",
            "formula": 'COUNTIF({tickets.status} <> "已关闭")',
            "explain": "{value} 张工单未关闭",
            "normalise": {"thresholds": [[0, 100], [1, 80], [3, 50], [None, 20]]},
            "weight": 1,
        },
        {
            "label": "近 12 个月服务金额",
            "formula": 'SUMIF({tickets.cost}, {tickets.opened_at} >= DATEADD(TODAY(), -12, "months"))',
            "explain": "近 12 个月服务金额 ¥{value}",
            "normalise": {"linear": {"min": 0, "max": 60000, "invert": False}},
            "weight": 2,
        },
        {
            "label": "满意度",
            "formula": "{rating}",
            "explain": "满意度 {value} 星",
            "normalise": {"linear": {"min": 1, "max": 5, "invert": False}},
            "weight": 2,
        },
    ],
    "bands": {"green": 70, "amber": 45},
}

#: 沉睡VIP: VIP customers nobody has spoken to for 90 days (re-checked daily: time moves).
SLEEPING_VIP: dict[str, Any] = {
    "name": "沉睡VIP",
    "description": "90 天未联系的 VIP 客户",
    "table": "customers",
    "filter": {
        "and": [
            {"field": "tier", "op": "eq", "value": "vip"},
            {"formula": "DAYS(TODAY(), {last_contact}) > 90"},
        ]
    },
}


def _insight(services: Services, principal: Any) -> dict[str, Any]:
    """The demo's customer insight: the health score model, the 沉睡VIP segment, and two rules
    acting on them (a VIP falling asleep is tagged 需回访 and its owner told; a customer
    whose health turns red is tagged 流失风险 and its owner told). Made here, not in the
    package, because the rules name the segment and the model by their ids."""
    model = services.scores.create(APP_KEY, HEALTH_MODEL, principal=principal)
    segment = services.segments.create(APP_KEY, SLEEPING_VIP, principal=principal)
    tags = {t["name"]: t["id"] for t in services.tags.list(APP_KEY)}
    rules = [
        {
            "key": "sleeping_vip",
            "name": "VIP 沉睡提醒",
            "description": "VIP 客户 90 天未联系时打上“需回访”并提醒负责人",
            "table": "customers",
            "trigger": {"type": "segment.entered", "segment": segment["id"]},
            "actions": [
                {"type": "add_tag", "tags": [tags["需回访"]]},
                {
                    "type": "notify",
                    "channel": "inapp",
                    "to": ["owner"],
                    "subject": "VIP 客户 {{ name }} 已 90 天未联系",
                    "body": "请尽快回访，了解客户近况与需求。",
                    "link": True,
                },
            ],
        },
        {
            "key": "health_red",
            "name": "健康度转红预警",
            "description": "客户健康度进入红色时打上“流失风险”并提醒负责人",
            "table": "customers",
            "trigger": {"type": "score.band_entered", "model": model["id"], "band": "red"},
            "actions": [
                {"type": "add_tag", "tags": [tags["流失风险"]]},
                {
                    "type": "notify",
                    "channel": "inapp",
                    "to": ["owner"],
                    "subject": "客户 {{ name }} 的健康度转为红色",
                    "body": "请查看 360° 页面上的评分原因，制定挽留计划。",
                    "link": True,
                },
            ],
        },
    ]
    made = [services.rules.create(principal, APP_KEY, r)["id"] for r in rules]
    return {"score_model": model["id"], "segment": segment["id"], "rules": made}


__all__ = ["APP_KEY", "load", "package_text"]
