"""The general-aviation template's forms (issue 19), through HTTP as the demo's administrator:
quotes numbered BJ-<year><month>-0001 (restarting each month), whose totals are the sums of
their lines; the quote form's linkage (a rejected quote needs its reason, the discount is
locked once sent, accepting records the day); a resolved ticket needs its resolution; the
inspection checklists of the demo tickets; the quick-quote variant, and the online repair
form published for anybody (a visitor's request becomes a ticket opened now)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth.form_proofs import solve
from cairn.core import FrozenClock
from cairn.services import Services
from cairn.templates import load_template
from factories import make_admin

APP = "general_aviation"
T = f"/api/v1/apps/{APP}/tables"
QUOTES = f"{T}/quotes/records"
TICKETS = f"{T}/service_tickets/records"


@pytest.fixture
def admin(services: Services) -> Iterator[TestClient]:
    """The demo as ``cairn demo`` loads it (for the user ``admin``), and admin's client."""
    token = make_admin(services, "admin")
    load_template(services, APP, customers=20, owner="admin")
    headers = {"accept-language": "zh-CN", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def errors(r: Any) -> dict[str, list[str]]:
    assert r.status_code == 422, r.text
    out: dict[str, list[str]] = {}
    for e in r.json()["errors"]:
        out.setdefault(e["field"], []).append(e["code"])
    return out


def today(services: Services) -> date:
    return services.clock.now().astimezone(services.field_ctx.timezone).date()


def quotes(c: TestClient) -> list[dict[str, Any]]:
    """Every quote with its lines (a list shows only how many there are)."""
    listed = ok(c.get(QUOTES, params={"limit": 100, "sort": "id"}))["items"]
    return [ok(c.get(f"{QUOTES}/{q['id']}")) for q in listed]


def one(c: TestClient, status: str) -> dict[str, Any]:
    return next(q for q in quotes(c) if q["status"] == status)


def test_the_demo_quotes_are_numbered_by_month_and_their_totals_are_their_lines(
    services: Services, admin: TestClient
) -> None:
    month = today(services).strftime("%Y%m")
    got = quotes(admin)
    assert [q["quote_no"] for q in got] == [f"BJ-{month}-{i:04d}" for i in range(1, 11)]
    assert {q["status"] for q in got} >= {"已接受", "已驳回"}
    for q in got:
        assert 1 <= len(q["lines"]) <= 5, q
        assert {line["kind"] for line in q["lines"]} <= {"工时", "航材", "其他"}
        for line in q["lines"]:
            assert line["amount"] == pytest.approx(line["quantity"] * line["unit_price"])
        assert q["subtotal"] == pytest.approx(sum(line["amount"] for line in q["lines"]))
        assert q["quote_total"] == pytest.approx(q["subtotal"] - (q["discount"] or 0))
        quoted = date.fromisoformat(q["quoted_on"])
        assert date.fromisoformat(q["valid_until"]) == quoted + timedelta(days=30)
        assert bool(q["rejection_reason"]) == (q["status"] == "已驳回"), q
        if q["status"] == "已接受":
            assert quoted < date.fromisoformat(q["accepted_on"]) <= today(services)


def test_a_new_quote_takes_its_number_defaults_and_the_customers_contacts(
    services: Services, frozen_clock: FrozenClock, admin: TestClient
) -> None:
    customer = ok(admin.get(f"{T}/customers/records", params={"limit": 1}))["items"][0]
    body = {
        "title": "B-7021 100小时定检",
        "customer": customer["id"],
        "lines": [
            {"item": "100小时定检工时", "kind": "工时", "quantity": 20, "unit_price": 420},
            {"item": "滑油滤芯", "kind": "航材", "quantity": 1, "unit_price": 680},
        ],
    }
    q = ok(admin.post(QUOTES, json=body), 201)
    day = today(services)
    assert q["quote_no"] == f"BJ-{day:%Y%m}-0011"
    assert (q["status"], q["quoted_on"]) == ("草稿", day.isoformat())
    assert q["valid_until"] == (day + timedelta(days=30)).isoformat()  # TODAY() + 30
    assert (q["contact_phone"], q["contact_email"]) == (customer["phone"], customer["email"])
    assert [line["amount"] for line in q["lines"]] == [8400, 680]
    assert (q["subtotal"], q["quote_total"]) == (9080, 9080)
    # Next month the counter starts again.
    frozen_clock.advance(timedelta(days=31))
    later = ok(admin.post(QUOTES, json={"title": "ELT 电池更换"}), 201)
    assert later["quote_no"] == f"BJ-{today(services):%Y%m}-0001"


def test_a_rejected_quote_without_its_reason_is_refused(admin: TestClient) -> None:
    q = one(admin, "已发送")
    url = f"{QUOTES}/{q['id']}"
    r = admin.patch(url, json={"version": q["version"], "status": "已驳回"})
    assert errors(r) == {"rejection_reason": ["form.rule_required"]}
    assert "驳回须填原因" in r.json()["errors"][0]["message"]
    assert ok(admin.get(url))["status"] == "已发送"  # nothing written
    body = {
        "version": q["version"],
        "status": "已驳回",
        "rejection_reason": "客户选择了其他维修单位",
    }
    assert ok(admin.patch(url, json=body))["status"] == "已驳回"


def test_the_discount_is_locked_once_the_quote_is_sent(admin: TestClient) -> None:
    sent = one(admin, "已发送")
    r = admin.patch(f"{QUOTES}/{sent['id']}", json={"version": sent["version"], "discount": 500})
    assert errors(r) == {"discount": ["form.rule_readonly"]}
    draft = ok(admin.post(QUOTES, json={"title": "螺旋桨动平衡"}), 201)
    body = {"version": draft["version"], "discount": 500, "lines": [{"item": "动平衡", "quantity": 5, "unit_price": 400}]}  # fmt: skip
    changed = ok(admin.patch(f"{QUOTES}/{draft['id']}", json=body))
    assert (changed["subtotal"], changed["quote_total"]) == (2000, 1500)


def test_accepting_a_quote_records_the_day_and_counts_on_the_quotes_dashboard(
    services: Services, admin: TestClient
) -> None:
    boards = ok(admin.get(f"/api/v1/apps/{APP}/dashboards"))["items"]
    board = next(b for b in boards if b["key"] == "quotes_overview")
    data = f"/api/v1/apps/{APP}/dashboards/{board['id']}/data"
    month = today(services).isoformat()[:7]

    def accepted_this_month() -> tuple[int, float]:
        """The dashboard's two cards: how many quotes were accepted this month, for how much."""
        widgets = ok(admin.get(data))["widgets"]
        amount = widgets["accepted_amount_month"]["data"]["value"]
        return widgets["accepted_month"]["data"]["value"], amount

    def accepted_quotes() -> list[dict[str, Any]]:
        return [
            q
            for q in quotes(admin)
            if q["status"] == "已接受" and (q["accepted_on"] or "").startswith(month)
        ]

    before = accepted_this_month()
    mine = accepted_quotes()
    # The amount is the sum of those quotes' totals (a formula over each quote's lines).
    assert before[0] == len(mine)
    assert (before[1] or 0) == pytest.approx(sum(q["quote_total"] or 0 for q in mine))
    q = one(admin, "已发送")
    done = ok(
        admin.patch(f"{QUOTES}/{q['id']}", json={"version": q["version"], "status": "已接受"})
    )
    assert done["accepted_on"] == today(services).isoformat()
    assert done["quote_total"] > 0
    after = accepted_this_month()
    assert after[0] == before[0] + 1
    assert after[1] == pytest.approx(sum(q["quote_total"] or 0 for q in accepted_quotes()))
    assert after[1] == pytest.approx((before[1] or 0) + done["quote_total"])


def test_a_ticket_resolved_needs_its_resolution_and_inspections_have_checklists(
    admin: TestClient,
) -> None:
    listed = ok(admin.get(TICKETS, params={"limit": 100}))["items"]
    done = [t for t in listed if t["status"] in ("已解决", "已关闭")]
    assert done and all(t["resolution"] for t in done)
    inspections = [t for t in listed if "定检" in t["title"] or "适航" in t["title"]]
    checked = [ok(admin.get(f"{TICKETS}/{t['id']}"))["checklist"] for t in inspections if t["status"] != "新建"]  # fmt: skip
    assert checked and all(rows for rows in checked)
    assert {row["result"] for rows in checked for row in rows} <= {"合格", "不合格"}
    assert all(row["remark"] for rows in checked for row in rows if row["result"] == "不合格")

    t = next(t for t in listed if t["status"] == "处理中")
    url = f"{TICKETS}/{t['id']}"
    r = admin.patch(url, json={"version": t["version"], "status": "已解决"})
    assert errors(r) == {"resolution": ["form.rule_required"]}
    body = {"version": t["version"], "status": "已解决", "resolution": "更换滑油滤芯，试车正常。"}
    assert ok(admin.patch(url, json=body))["status"] == "已解决"


def test_the_quick_quote_variant_and_the_public_repair_form(
    frozen_clock: FrozenClock, admin: TestClient
) -> None:
    forms = ok(admin.get(f"{T}/quotes/forms"))["items"]
    assert [(f["key"], f["name"]) for f in forms][1:] == [("quick", "快速报价")]
    quick = ok(admin.get(f"{T}/quotes/forms/quick"))
    placed = [k for s in quick["effective"]["sections"] for row in s["rows"] for k in row if k]
    assert placed == ["customer", "aircraft", "title", "lines", "quote_total", "valid_until"]

    published = ok(admin.get(f"{T}/service_tickets/forms/booking/publication"))
    assert published["enabled"] and published["owner"]["username"] == "admin"
    assert published["offered"] == ["contact_name", "contact_phone", "title", "description"]
    before = ok(admin.get(TICKETS, params={"count": True}))["total"]
    with TestClient(admin.app) as anon:
        form = ok(anon.get(f"/api/v1/public/forms/{published['token']}"))
        assert form["title"] == "在线报修"
        frozen_clock.advance(timedelta(seconds=10))
        c = form["challenge"]
        proof = {"challenge": c["token"], "proof": solve(c["token"], c["difficulty"])}
        values = {"contact_name": "王伟", "title": "B-7021 ELT 告警灯常亮"}
        url = f"/api/v1/public/forms/{published['token']}"
        # Its rule asks for a phone to call back.
        r = anon.post(url, json={"values": values, **proof})
        assert errors(r) == {"contact_phone": ["form.rule_required"]}
        values["contact_phone"] = "13800138000"
        form = ok(anon.get(f"/api/v1/public/forms/{published['token']}"))
        frozen_clock.advance(timedelta(seconds=10))
        c = form["challenge"]
        proof = {"challenge": c["token"], "proof": solve(c["token"], c["difficulty"])}
        done = ok(anon.post(url, json={"values": values, **proof}), 201)
        assert done["thank_you"]["zh-CN"]["title"] == "已收到您的报修"
    listed = ok(admin.get(TICKETS, params={"count": True, "sort": "-id", "limit": 1}))
    assert listed["total"] == before + 1
    [ticket] = listed["items"]
    assert (ticket["title"], ticket["contact_phone"]) == (values["title"], "+8613800138000")
    assert ticket["status"] == "新建"
    assert ticket["opened_at"] is not None  # NOW(), the default formula
