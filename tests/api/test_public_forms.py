"""Public forms through the API on SQLite and PostgreSQL: a form published for anybody, a
booking submitted without a sign-in becoming a record of the chosen owner (history, audit,
a rule firing through the outbox), every refusal (too fast, repeated, oversized, no proof,
rate-limited, a bad or expired link) creating nothing, nothing else of the app reachable
with what the public page has, publishing for the app's managers only (audited, secrets
masked, address and secret rotated), and publications in the app package."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth.config_audit import MASK
from cairn.auth.form_proofs import solve
from cairn.core import Conflict, FrozenClock
from cairn.services import Services
from cairn.services.uow import unit_of_work
from cairn.store import system
from factories import make_user
from formsdata import REPAIR_RULE, SERVICES, add_bookings
from rulesdata import Worker

A = "/api/v1/apps/svc"
T = f"{A}/tables/bookings"
R = f"{T}/records"
PUB = f"{T}/forms/booking/publication"
PUBLIC = "/api/v1/public/forms"
STATUS = {"key": "status", "name": "状态", "type": "single_select", "default": "待确认", "options": {"choices": [{"value": "待确认"}, {"value": "已确认"}]}}  # fmt: skip
BODYWORK_RULE = {"name": "钣喷不填备注", "when": '{service} = "钣喷"', "actions": [{"type": "hide", "fields": ["internal", "notes"]}]}  # fmt: skip


@pytest.fixture
def svc(services: Services, client: TestClient) -> dict[str, Any]:
    """App ``svc``: customers, and bookings (a customer relation), the public variant
    ``booking``; ``desk`` may create bookings and read customers (the owner to be); a rule
    notifies desk of every new booking."""
    desk, _ = make_user(services, "desk", display_name="前台")

    def call(method: str, path: str, body: dict[str, Any]) -> Any:
        return ok(client.request(method, path, json=body), 201)

    add_bookings(call, "svc", "售后服务", desk="desk", role="frontdesk", extra_fields=[STATUS], rules=[REPAIR_RULE, BODYWORK_RULE])  # fmt: skip
    acme = ok(client.post(f"{A}/tables/customers/records", json={"name": "Acme 航空"}), 201)
    rule = {
        "key": "new_booking",
        "name": "新预约",
        "table": "bookings",
        "trigger": {"type": "record.created"},
        "actions": [
            {"type": "notify", "channel": "inapp", "to": [f"user:{desk}"], "subject": "新预约：{{ name }}"}
        ],
    }  # fmt: skip
    rule_id = ok(client.post(f"{A}/rules", json=rule), 201)["id"]
    return {"desk": desk, "acme": acme["id"], "rule": rule_id}


@pytest.fixture
def anon(services: Services) -> Iterator[TestClient]:
    """A visitor: no token, no cookie."""
    with TestClient(create_app(services), headers={"accept-language": "en"}) as c:
        yield c


@pytest.fixture
def published(client: TestClient, svc: dict[str, Any]) -> dict[str, Any]:
    body = {
        "owner": "desk",
        "difficulty": 8,
        "prefill": ["customer", "name"],
        "thank_you": {"zh-CN": {"title": "预约成功", "text": "我们会尽快联系您。"}, "en": {"title": "Booked"}},
    }  # fmt: skip
    return ok(client.put(PUB, json=body))


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def records(c: TestClient) -> list[dict[str, Any]]:
    return ok(c.get(R))["items"]


def page(anon: TestClient, token: str, **params: Any) -> dict[str, Any]:
    return ok(anon.get(f"{PUBLIC}/{token}", params=params))


def answer(form: dict[str, Any], values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A submission as the browser sends it: the values and the solved challenge."""
    c = form["challenge"]
    return {"values": values, "challenge": c["token"], "proof": solve(c["token"], c["difficulty"]), **extra}  # fmt: skip


GOOD = {"name": "张三", "phone": "13800138000", "service": "保养"}


# -- a booking from the public ------------------------------------------------------------------
def test_a_booking_sent_without_signing_in_is_a_record_of_the_owner_and_fires_the_rule(
    services: Services,
    client: TestClient,
    anon: TestClient,
    frozen_clock: FrozenClock,
    svc: dict[str, Any],
    published: dict[str, Any],
) -> None:
    assert published["path"] == f"/f/{published['token']}" and published["enabled"]
    # Offered: what the variant places that a visitor can fill in (no relation picker).
    assert published["offered"] == ["name", "phone", "service", "day", "notes"]
    r = anon.get(f"{PUBLIC}/{published['token']}")
    form = ok(r)
    assert "set-cookie" not in r.headers and r.headers["cache-control"] == "no-store"
    assert form["title"] == "预约保养"
    assert [f["key"] for f in form["fields"]] == published["offered"]
    service = next(f for f in form["fields"] if f["key"] == "service")
    assert service["required"] and [c["value"] for c in service["options"]["choices"]] == SERVICES
    assert [s["rows"] for s in form["layout"]["sections"]] == [
        [["name", "phone"]],
        [["service", "day"], ["notes"]],
    ]
    assert [r["name"] for r in form["linkage"]["rules"]] == ["维修须描述故障", "钣喷不填备注"]
    assert form["linkage"]["rules"][1]["actions"][0]["fields"] == ["notes"]  # not internal
    assert form["values"]["day"] == "2026-01-06"  # TODAY() + 1, for the owner
    assert form["challenge"]["difficulty"] == 8 and form["challenge"]["min_seconds"] == 3
    assert form["thank_you"]["zh-CN"]["title"] == "预约成功"
    # What the page gets says nothing of the owner, the secret, the app or other fields.
    for secret in ("desk", "前台", "internal", "内部备注", "svc", "secret"):
        assert secret not in r.text, secret

    frozen_clock.advance(timedelta(seconds=20))
    done = ok(anon.post(f"{PUBLIC}/{published['token']}", json=answer(form, GOOD)), 201)
    assert done == {"received": True, "thank_you": form["thank_you"]}
    assert "set-cookie" not in r.headers

    [rec] = records(client)
    assert (rec["name"], rec["phone"], rec["service"]) == ("张三", "+8613800138000", "保养")
    assert (rec["day"], rec["status"]) == ("2026-01-06", "待确认")  # defaults applied
    [h] = ok(client.get(f"{R}/{rec['id']}/history"))["items"]
    assert h["action"] == "create" and h["actor_id"] == svc["desk"]
    log = ok(client.get("/api/v1/audit", params={"action": "record.create"}))["items"]
    mine = log[0]  # newest first (the customer Acme was the administrator's)
    assert (mine["actor_name"], mine["channel"], mine["address"]) == (
        "desk",
        "public_form",
        "testclient",
    )
    with unit_of_work(services, write=False) as uow:
        o = system.outbox
        events = uow.conn.execute(
            sa.select(o.c.type, o.c.payload).where(o.c.type == "record.created")
        )
        payloads = [p for t, p in events if p.get("public_form")]
    assert len(payloads) == 1 and payloads[0]["public_form"] > 0
    # The rule fires as for any record.
    Worker(services).drain()
    runs = ok(client.get(f"{A}/rules/{svc['rule']}/runs"))["items"]
    assert [x["status"] for x in runs] == ["ok"]
    with unit_of_work(services, write=False) as uow:
        n = system.notifications
        titles = uow.conn.execute(sa.select(n.c.title).where(n.c.user_id == svc["desk"])).scalars()
        assert list(titles) == ["新预约：张三"]


def test_the_forms_linkage_rules_hold_for_a_public_submission(
    client: TestClient, anon: TestClient, frozen_clock: FrozenClock, published: dict[str, Any]
) -> None:
    form = page(anon, published["token"])
    frozen_clock.advance(timedelta(seconds=5))
    r = anon.post(
        f"{PUBLIC}/{published['token']}?lang=zh-CN", json=answer(form, {**GOOD, "service": "维修"})
    )
    body = problem(r, 422)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("notes", "form.rule_required")]
    assert "维修须描述故障" in body["errors"][0]["message"] and body["title"] == "输入无效"
    assert records(client) == []
    # Fixed, the same solved challenge goes through (it was not spent by the refusal).
    again = answer(form, {**GOOD, "service": "维修", "notes": "刹车异响"})
    again["proof"] = answer(form, {})["proof"]
    ok(anon.post(f"{PUBLIC}/{published['token']}", json=again), 201)
    assert [x["notes"] for x in records(client)] == ["刹车异响"]


# -- refusals ------------------------------------------------------------------------------------
def test_too_fast_repeated_oversized_and_unproven_submissions_create_nothing(
    client: TestClient, anon: TestClient, frozen_clock: FrozenClock, published: dict[str, Any]
) -> None:
    url = f"{PUBLIC}/{published['token']}"
    form = page(anon, published["token"])
    body = answer(form, GOOD)

    # Too fast: sooner than min_fill_seconds after the page opened.
    frozen_clock.advance(timedelta(seconds=2))
    assert problem(anon.post(url, json=body), 422)["code"] == "public_form.too_fast"
    frozen_clock.advance(timedelta(seconds=2))

    # No proof, a wrong one, a challenge tampered with or of another form.
    assert (
        problem(anon.post(url, json={**body, "proof": "1x"}), 422)["errors"][0]["code"]
        == "public_form.bad_proof"
    )
    wrong = next(
        str(n) for n in range(10_000) if str(n) != body["proof"] and not _solves(form, str(n))
    )
    assert (
        problem(anon.post(url, json={**body, "proof": wrong}), 422)["errors"][0]["field"] == "proof"
    )
    tampered = form["challenge"]["token"].replace(".", "x.", 1)
    assert (
        problem(anon.post(url, json={**body, "challenge": tampered}), 422)["errors"][0]["code"]
        == "public_form.challenge_bad"
    )
    missing = {k: v for k, v in body.items() if k != "proof"}
    assert (
        problem(anon.post(url, json=missing), 422)["errors"][0]["code"] == "public_form.body_shape"
    )
    assert (
        problem(
            anon.post(url, content=b"{not json", headers={"content-type": "application/json"}), 422
        )["code"]
        == "invalid.json"
    )

    # A field the form does not offer (the relation, an internal note): refused.
    for key in ("internal", "customer", "status"):
        r = anon.post(url, json=answer(form, {**GOOD, key: "x"}))
        assert problem(r, 422)["errors"][0] == {
            "field": key,
            "code": "public_form.field_not_offered",
            "message": f"The form has no field '{key}'.",
        }

    # Oversized: over the publication's limit, and over what any publication takes.
    ok(client.put(PUB, json={"max_bytes": 1024}))
    big = answer(form, {**GOOD, "notes": "很长" * 400})
    assert problem(anon.post(url, json=big), 413)["code"] == "public_form.too_large"
    huge = b'{"values": {"notes": "' + b"x" * 1_100_000 + b'"}}'
    r = anon.post(url, content=huge, headers={"content-type": "application/json"})
    assert problem(r, 413)["code"] == "public_form.too_large"
    assert records(client) == []

    # Sent once, then the same challenge again: repeated.
    ok(anon.post(url, json=body), 201)
    assert problem(anon.post(url, json=body), 409)["code"] == "public_form.repeated"
    assert problem(anon.post(url, json={**body, "values": {**GOOD, "name": "李四"}}), 409)["code"] == "public_form.repeated"  # fmt: skip
    assert [x["name"] for x in records(client)] == ["张三"]

    # A challenge answered too late (the page left open for hours): reload.
    late = page(anon, published["token"])
    frozen_clock.advance(timedelta(hours=4))
    r = anon.post(url, json=answer(late, GOOD))
    assert problem(r, 422)["errors"][0]["code"] == "public_form.challenge_expired"
    assert len(records(client)) == 1


def test_one_challenge_sent_twice_at_once_makes_one_record(
    services: Services,
    client: TestClient,
    anon: TestClient,
    frozen_clock: FrozenClock,
    published: dict[str, Any],
) -> None:
    """Two processes taking the same solved challenge at the same moment: the spent mark is
    written in each record's transaction, so one of them is refused and leaves nothing."""
    form = page(anon, published["token"])
    frozen_clock.advance(timedelta(seconds=5))
    body = json.dumps(answer(form, GOOD)).encode()
    gate = threading.Barrier(2)
    results: list[Any] = []

    def send(address: str) -> None:
        gate.wait()
        try:
            results.append(services.public_forms.submit(published["token"], body, address))
        except Exception as e:
            results.append(e)

    threads = [threading.Thread(target=send, args=(f"10.0.0.{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], Conflict), results
    assert refused[0].message.key == "public_form.repeated"
    assert len(records(client)) == 1


def _solves(form: dict[str, Any], nonce: str) -> bool:
    import hashlib

    from cairn.auth.form_proofs import zero_bits

    digest = hashlib.sha256(f"{form['challenge']['token']}:{nonce}".encode()).digest()
    return zero_bits(digest) >= form["challenge"]["difficulty"]


def test_one_address_sending_too_often_is_refused_for_a_while(
    services: Services,
    client: TestClient,
    anon: TestClient,
    frozen_clock: FrozenClock,
    published: dict[str, Any],
) -> None:
    services.settings.public_form_submissions = 3
    services.settings.public_form_window_minutes = 10
    url = f"{PUBLIC}/{published['token']}"
    form = page(anon, published["token"])
    frozen_clock.advance(timedelta(seconds=5))
    ok(anon.post(url, json=answer(form, GOOD)), 201)
    assert problem(anon.post(url, json={"values": {}}), 422)  # refusals count as well
    form = page(anon, published["token"])
    frozen_clock.advance(timedelta(seconds=5))
    ok(anon.post(url, json=answer(form, {**GOOD, "name": "李四"})), 201)
    form = page(anon, published["token"])
    frozen_clock.advance(timedelta(seconds=5))
    r = anon.post(url, json=answer(form, {**GOOD, "name": "王五"}))
    body = problem(r, 429)
    assert body["code"] == "public_form.rate_limited" and int(r.headers["retry-after"]) > 0
    assert [x["name"] for x in records(client)] == ["张三", "李四"]
    frozen_clock.advance(timedelta(minutes=11))
    form = page(anon, published["token"])
    frozen_clock.advance(timedelta(seconds=5))
    ok(anon.post(url, json=answer(form, {**GOOD, "name": "王五"})), 201)


# -- signed links ---------------------------------------------------------------------------------
def test_a_signed_link_carries_the_customer_and_a_bad_or_expired_one_is_refused(
    client: TestClient,
    anon: TestClient,
    frozen_clock: FrozenClock,
    svc: dict[str, Any],
    published: dict[str, Any],
) -> None:
    values = {"customer": svc["acme"], "name": "Acme 航空"}
    link = ok(client.post(f"{PUB}/links", json={"values": values, "expires_in_days": 7}), 201)
    assert link["url"] == f"/f/{published['token']}?prefill={link['prefill']}"
    form = page(anon, published["token"], prefill=link["prefill"])
    assert form["values"]["customer"] == svc["acme"] and form["values"]["name"] == "Acme 航空"
    assert form["locked"] == ["customer", "name"]
    frozen_clock.advance(timedelta(seconds=5))
    # What the link carries is not the visitor's to change: the signed values win.
    body = answer(form, {**GOOD, "name": "冒名"}, prefill=link["prefill"])
    ok(anon.post(f"{PUBLIC}/{published['token']}", json=body), 201)
    [rec] = ok(client.get(R, params={"expand": "customer"}))["items"]
    assert rec["name"] == "Acme 航空" and rec["customer"]["id"] == svc["acme"]

    # A link altered, or signed with another secret: refused, never used.
    payload, mac = link["prefill"].split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac
    r = anon.get(f"{PUBLIC}/{published['token']}", params={"prefill": forged, "lang": "zh-CN"})
    err = problem(r, 422)["errors"][0]
    assert err["field"] == "prefill" and err["code"] == "public_form.prefill_bad"
    assert "签名不符" in err["message"]
    form = page(anon, published["token"])
    frozen_clock.advance(timedelta(seconds=5))
    r = anon.post(f"{PUBLIC}/{published['token']}", json=answer(form, GOOD, prefill=forged))
    assert problem(r, 422)["errors"][0]["code"] == "public_form.prefill_bad"
    # Expired: a week later.
    frozen_clock.advance(timedelta(days=8))
    r = anon.get(f"{PUBLIC}/{published['token']}", params={"prefill": link["prefill"]})
    err = problem(r, 422)["errors"][0]
    assert (
        err["code"] == "public_form.prefill_expired" and "expired on 2026-01-12" in err["message"]
    )
    assert len(records(client)) == 1

    # Only fields the publication lets links fill in, with values those fields take.
    r = client.post(f"{PUB}/links", json={"values": {"internal": "x", "service": "洗车"}})
    assert {e["field"] for e in problem(r, 422)["errors"]} == {"values.internal", "values.service"}
    ok(client.put(PUB, json={"prefill": ["customer", "name", "service"]}))
    r = client.post(f"{PUB}/links", json={"values": {"service": "洗车"}})
    assert problem(r, 422)["errors"][0]["field"] == "values.service"
    # A new secret: the links made so far stop working.
    ok(client.put(PUB, json={"rotate_secret": True}))
    r = anon.get(f"{PUBLIC}/{published['token']}", params={"prefill": link["prefill"]})
    assert problem(r, 422)["errors"][0]["code"] == "public_form.prefill_bad"


# -- nothing else reachable -----------------------------------------------------------------------
def test_nothing_else_is_reachable_with_what_the_public_page_has(
    client: TestClient, anon: TestClient, svc: dict[str, Any], published: dict[str, Any]
) -> None:
    link = ok(client.post(f"{PUB}/links", json={"values": {"customer": svc["acme"]}}), 201)
    form = page(anon, published["token"], prefill=link["prefill"])
    held = [published["token"], form["challenge"]["token"], link["prefill"]]
    paths = client.get("/openapi.json").json()["paths"]
    wrong = []
    for path, ops in paths.items():
        if path.startswith(("/api/v1/public/", "/api/v1/hooks/")) or path in (
            "/api/v1/health",
            "/api/v1/version",
            "/api/v1/auth/login",
        ):
            continue
        url = path.replace("{app}", "svc").replace("{table}", "bookings")
        url = url.replace("{form}", "booking").replace("{token}", published["token"])
        for method in ops:
            for secret in held:
                for how in ("bearer", "cookie"):
                    headers = {"accept-language": "en"}
                    if how == "bearer":
                        headers["authorization"] = f"Bearer {secret}"
                    else:
                        headers["cookie"] = f"cairn_session={secret}; cairn_csrf={secret}"
                        headers["x-csrf-token"] = secret
                    r = anon.request(method.upper(), url, headers=headers)
                    if r.status_code != 401:
                        wrong.append(f"{method.upper()} {path} ({how}) → {r.status_code}")
    assert not wrong, "\n".join(wrong)
    # The public routes answer only for a published, enabled form.
    assert problem(anon.get(f"{PUBLIC}/nope"), 404)["code"] == "public_form.not_found"
    assert problem(anon.get(f"{PUBLIC}/{'x' * 300}"), 404)["code"] == "public_form.not_found"


# -- publishing -----------------------------------------------------------------------------------
def test_publishing_is_for_the_apps_managers_audited_with_its_secrets_masked(
    services: Services, client: TestClient, anon: TestClient, svc: dict[str, Any]
) -> None:
    # desk may create bookings but does not manage the app.
    _, desk_token = make_user(services, "desk2")
    mgr_id, mgr_token = make_user(services, "mgr")
    ok(client.post("/api/v1/roles", json={"key": "svc_mgr", "name": "经理", "members": ["mgr"], "manages_apps": ["svc"]}), 201)  # fmt: skip
    with TestClient(create_app(services), headers={"authorization": f"Bearer {desk_token}"}) as c:
        assert c.put(PUB, json={"owner": "desk"}).status_code == 403
        assert c.get(PUB).status_code == 403
    with TestClient(create_app(services), headers={"authorization": f"Bearer {mgr_token}", "accept-language": "en"}) as m:  # fmt: skip
        # Not published yet.
        assert problem(m.get(PUB), 404)["code"] == "public_form.not_published"
        # An administrator as the owner: only administrators choose one.
        r = m.put(PUB, json={"owner": "admin", "difficulty": 8})
        assert problem(r, 422)["errors"][0]["code"] == "public_form.owner_admin"
        # The owner must be able to create the records (mgr manages, but has no grant).
        r = m.put(PUB, json={"owner": "desk2", "difficulty": 8})
        assert problem(r, 422)["errors"][0]["code"] == "public_form.owner_cannot_create"
        r = m.put(PUB, json={"owner": "nobody", "difficulty": 8})
        assert problem(r, 422)["errors"][0]["code"] == "public_form.owner_unknown"
        pub = ok(m.put(PUB, json={"owner": "desk", "difficulty": 8}))
        assert pub["owner"]["username"] == "desk" and pub["version"] == 1
        # Out of range: refused with the bound.
        r = m.put(PUB, json={"difficulty": 30, "max_bytes": 10})
        assert {e["field"] for e in problem(r, 422)["errors"]} == {"difficulty", "max_bytes"}
        # A new address: the old one stops answering.
        old = pub["token"]
        pub = ok(m.put(PUB, json={"rotate_token": True, "version": 1}))
        assert pub["token"] != old and pub["version"] == 2
        assert problem(anon.get(f"{PUBLIC}/{old}"), 404)["code"] == "public_form.not_found"
        page(anon, pub["token"])
        # A stale version: 409.
        assert m.put(PUB, json={"enabled": False, "version": 1}).status_code == 409
        ok(m.put(PUB, json={"enabled": False}))
        assert problem(anon.get(f"{PUBLIC}/{pub['token']}"), 404)["code"] == "public_form.not_found"
        assert m.delete(PUB).status_code == 204
        assert m.get(PUB).status_code == 404
    log = ok(client.get("/api/v1/audit", params={"target_type": "form_publication", "limit": 50}))[
        "items"
    ]
    actions = [e["action"] for e in reversed(log)]
    assert actions == [
        "form_publication.create",
        "form_publication.update",
        "form_publication.update",
        "form_publication.delete",
    ]
    created = log[-1]
    assert created["actor_name"] == "mgr" and created["details"]["after"]["owner_id"] == svc["desk"]
    assert created["details"]["after"]["secret"] == created["details"]["after"]["token"] == MASK
    rotated = log[-2]["details"]
    assert rotated["changed"] == ["token"] and rotated["after"]["token"] == MASK
    text = str(log)
    assert pub["token"] not in text and old not in text  # the address and secret never logged
    _ = mgr_id


def test_a_form_that_a_visitor_cannot_complete_is_not_published(
    client: TestClient, svc: dict[str, Any]
) -> None:
    # The default form holds the relation customer, which no visitor can pick; make it required.
    ok(client.patch(f"{T}/fields/customer", json={"required": True}))
    r = client.put(f"{T}/forms/default/publication", json={"owner": "desk"})
    err = problem(r, 422)["errors"][0]
    assert err["code"] == "public_form.required_unfillable" and "客户" in err["message"]
    # A link may fill it in: publishable.
    pub = ok(client.put(f"{T}/forms/default/publication", json={"owner": "desk", "prefill": ["customer"]}))  # fmt: skip
    assert "customer" not in pub["offered"] and pub["prefill"] == ["customer"]
    # The variant does not place internal: not on that form, not required there.
    ok(client.patch(f"{T}/fields/internal", json={"required": True}))
    r = client.put(PUB, json={"owner": "desk"})
    assert "客户" in problem(r, 422)["errors"][0]["message"]  # the variant places customer
    ok(client.put(PUB, json={"owner": "desk", "prefill": ["customer"]}))
    # A form with nothing a visitor fills in.
    only = {
        "key": "only_rel",
        "name": "关联",
        "layout": {"sections": [{"title": "", "rows": [["customer"]]}]},
    }
    ok(client.post(f"{T}/forms", json=only), 201)
    r = client.put(f"{T}/forms/only_rel/publication", json={"owner": "desk"})
    assert problem(r, 422)["errors"][0]["code"] == "public_form.nothing_offered"
    # An unknown form; a field links cannot fill in.
    assert problem(client.get(f"{T}/forms/nope/publication"), 404)["code"] == "form.not_found"
    r = client.put(PUB, json={"prefill": ["status", "customer_no"]})
    assert problem(r, 422)["errors"][0]["field"] == "prefill.1"
    # Deleting the variant unpublishes it.
    pub = ok(client.get(PUB))
    assert client.delete(f"{T}/forms/booking").status_code == 204
    assert client.get(f"{PUBLIC}/{pub['token']}").status_code == 404


def test_a_form_whose_owner_left_or_lost_the_right_takes_nothing(
    client: TestClient, anon: TestClient, frozen_clock: FrozenClock, published: dict[str, Any]
) -> None:
    url = f"{PUBLIC}/{published['token']}"
    form = page(anon, published["token"])
    frozen_clock.advance(timedelta(seconds=5))
    # The owner loses the create permission after the page opened: nothing made, nothing told.
    grants = [{"app": "svc", "table": "bookings", "actions": ["read"]}]
    ok(client.patch("/api/v1/roles/frontdesk", json={"tables": grants}))
    r = anon.post(url, json=answer(form, GOOD), params={"lang": "zh-CN"})
    assert problem(r, 404)["detail"] == "此表单暂不接受提交。"
    assert records(client) == []
    # The owner is disabled: the page says so.
    ok(client.patch("/api/v1/users/desk", json={"status": "disabled"}))
    assert problem(anon.get(url), 404)["code"] == "public_form.closed"
    assert ok(client.get(PUB))["owner_active"] is False


def test_publications_travel_in_the_app_package_without_address_or_secret(
    client: TestClient, anon: TestClient, published: dict[str, Any]
) -> None:
    text = client.get(f"{A}/export").text
    pkg = yaml.safe_load(text)
    [bookings] = [t for t in pkg["tables"] if t["key"] == "bookings"]
    assert bookings["publications"] == [
        {
            "form": "booking",
            "enabled": True,
            "owner": "desk",
            "thank_you": published["thank_you"],
            "prefill": ["customer", "name"],
            "min_fill_seconds": 3,
            "max_bytes": 32768,
            "difficulty": 8,
        }
    ]
    assert published["token"] not in text
    r = client.post(
        "/api/v1/apps/import",
        params={"key": "svc2"},
        content=text.encode(),
        headers={"content-type": "application/yaml"},
    )
    ok(r, 201)
    copy_url = "/api/v1/apps/svc2/tables/bookings/forms/booking/publication"
    copy = ok(client.get(copy_url))
    assert copy["token"] != published["token"]
    same = ("owner", "thank_you", "prefill", "min_fill_seconds", "max_bytes", "difficulty")
    assert {k: copy[k] for k in same} == {k: published[k] for k in same}
    # desk may not create records in the new app (its roles grant svc's): not published.
    assert copy["enabled"] is False
    assert anon.get(f"{PUBLIC}/{copy['token']}").status_code == 404
    grant = {"app": "svc2", "table": "bookings", "actions": ["create"]}
    role = {"key": "frontdesk2", "name": "前台2", "members": ["desk"], "tables": [grant]}
    ok(client.post("/api/v1/roles", json=role), 201)
    ok(client.put(copy_url, json={"enabled": True}))
    page(anon, copy["token"])
    # Exported again: the same settings (round trip).
    again = yaml.safe_load(client.get("/api/v1/apps/svc2/export").text)
    [b2] = [t for t in again["tables"] if t["key"] == "bookings"]
    assert b2["publications"] == bookings["publications"]
