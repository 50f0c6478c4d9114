"""Score models (issue 22): checks with paths, SQL against Python, history and trend, the
nightly run with a test clock, rescoring on events, and the churn triggers firing once per
crossing. Every test runs on SQLite and PostgreSQL (the ``services`` fixture)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.auth import cli
from cairn.core import FrozenClock, Invalid
from cairn.formula import DictRecord
from cairn.insight.score_run import Model, raw_rows
from cairn.insight.scores import contributions, parse_model, points, score_of
from cairn.query import record_of
from cairn.query.formula import compile_text, environment
from cairn.services import Services
from cairn.services import scores as score_service
from cairn.services.uow import unit_of_work
from cairn.store import scores as store
from cairn.store.system import outbox, rule_runs, rules
from cairn.worker.dispatch import Dispatcher
from factories import make_admin, make_user, reader_without

A = "/api/v1/apps/crm"


def model_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Health",
        "table": "customers",
        "inputs": [
            {
                "key": "hours",
                "label": "Flight hours",
                "formula": "{flight_hours}",
                "explain": "{value} hours flown",
                "normalise": {"linear": {"min": 0, "max": 100}},
                "weight": 1,
            },
            {
                "key": "spend",
                "label": "Spend",
                "formula": "SUM({orders.amount})",
                "explain": "spent {value}",
                "normalise": {"thresholds": [[0, 0], [1000, 50], [None, 100]]},
                "weight": 2,
            },
        ],
        "bands": {"green": 70, "amber": 40},
    }
    body.update(over)
    return body


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    token = make_admin(services)
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


def codes(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {e["field"]: e["code"] for e in r.json()["errors"]}


# -- checks ---------------------------------------------------------------------------------------
def test_bad_models_are_refused_with_paths_and_nothing_is_saved(client: TestClient) -> None:
    def inp(**over: Any) -> dict[str, Any]:
        return {**model_body()["inputs"][0], **over}

    cases = [
        ([inp(weight=0)], None, {"inputs.0.weight": "score.weight_positive"}),
        ([inp(weight=-2)], None, {"inputs.0.weight": "score.weight_positive"}),
        (None, {"green": 40, "amber": 70}, {"bands": "score.bands_order"}),
        (None, {"green": 140, "amber": 70}, {"bands.green": "score.band_range"}),
        ([inp(formula="{name}")], None, {"inputs.0.formula": "score.not_number"}),
        ([inp(formula="{nope} + 1")], None, {"inputs.0.formula": "formula.unknown_field"}),
        (
            [inp(normalise={"thresholds": [[10, 50], [5, 20]]})],
            None,
            {"inputs.0.normalise.thresholds.1.0": "score.thresholds_order"},
        ),
        (
            [inp(normalise={"thresholds": [[10, 150]]})],
            None,
            {"inputs.0.normalise.thresholds.0.1": "score.points_range"},
        ),
        (
            [inp(normalise={"linear": {"min": 5, "max": 5}})],
            None,
            {"inputs.0.normalise.linear.max": "score.linear_range"},
        ),
        ([inp(normalise={})], None, {"inputs.0.normalise": "score.normalise_one"}),
    ]
    for inputs, bands, expected in cases:
        body = model_body()
        if inputs is not None:
            body["inputs"] = inputs
        if bands is not None:
            body["bands"] = bands
        r = client.post(f"{A}/score-models", json=body)
        got = codes(r)
        assert got == expected or set(expected) <= set(got), (body, got)
    r = client.post(f"{A}/score-models", json=model_body(table="nowhere"))
    assert codes(r) == {"table": "score.unknown_table"}
    assert client.get(f"{A}/score-models").json()["items"] == []


def test_an_author_may_not_score_with_a_field_they_may_not_read(
    services: Services, client: TestClient
) -> None:
    li = reader_without(services, client, "flight_hours")
    spec = model_body()
    with pytest.raises(Exception) as e:
        services.scores.preview("crm", spec, 10, li)
    assert "inputs.0.formula" in e.value.field_errors  # type: ignore[attr-defined]
    # Through a relation: orders are not readable to li at all.
    spec = model_body(inputs=[model_body()["inputs"][1]])
    with pytest.raises(Exception) as e:
        services.scores.preview("crm", spec, 10, li)
    assert "inputs.0.formula" in e.value.field_errors  # type: ignore[attr-defined]


def test_normalisation_and_contributions() -> None:
    assert points({"thresholds": [[30, 100], [90, 50]]}, 10) == 100
    assert points({"thresholds": [[30, 100], [90, 50]]}, 60) == 50
    assert points({"thresholds": [[30, 100], [90, 50]]}, 140) == 0
    assert points({"thresholds": [[30, 100], [None, 20]]}, 140) == 20
    assert points({"linear": {"min": 0, "max": 200}}, 50) == 25
    assert points({"linear": {"min": 0, "max": 200, "invert": True}}, 50) == 75
    assert points({"linear": {"min": 0, "max": 200}}, -5) == 0
    assert points({"linear": {"min": 0, "max": 200}}, None) == 0
    spec = parse_model(
        model_body(
            inputs=[
                {
                    "label": "Visit",
                    "formula": "1",
                    "explain": "no visit for {value} days",
                    "normalise": {"thresholds": [[30, 100], [90, 40]]},
                    "weight": 3,
                },
                {
                    "label": "NPS",
                    "formula": "1",
                    "normalise": {"linear": {"min": 0, "max": 10}},
                    "weight": 1,
                },
            ]
        )
    )
    inputs = [
        i.model_dump() | {"normalise": i.normalise.model_dump(exclude_none=True)}
        for i in spec.inputs
    ]
    sc = score_of(inputs, spec.bands.model_dump(), [140, 8])
    # 3/4·0 + 1/4·80 = 20: red; the visit costs 75 points, the NPS 5.
    assert sc.score == 20 and sc.band == "red"
    parts = contributions(inputs, sc.parts)
    assert [c["impact"] for c in parts] == [-75.0, -5.0]
    assert sc.score - 100 == sum(c["impact"] for c in parts)
    assert json.loads(sc.stored) == [[0.0, 140.0], [80.0, 8.0]]


# -- SQL against Python ---------------------------------------------------------------------------
FORMULAS = [
    "{flight_hours} * 2 + 1",
    "SUM({orders.amount})",
    "COUNT({orders})",
    "MAX({orders.amount}) - MIN({orders.amount})",
    "DAYS(TODAY(), {last_contact})",
    "IF({active}, {credit} / 1000, 0)",
]


def test_inputs_in_sql_equal_the_python_evaluation(services: Services) -> None:
    rnd = random.Random(22)
    ids = []
    made: dict[int, list[int]] = {}
    for i in range(25):
        values: dict[str, Any] = {"name": f"C{i}"}
        if rnd.random() < 0.8:
            values["flight_hours"] = rnd.randint(0, 500)
        if rnd.random() < 0.7:
            values["last_contact"] = (
                f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}T10:00:00"
            )
        values["active"] = rnd.random() < 0.5
        values["credit"] = rnd.randint(0, 90000)
        cid = services.records.create("crm", "customers", values)["id"]
        ids.append(cid)
        made[cid] = [
            services.records.create(
                "crm", "orders", {"title": "o", "amount": rnd.randint(1, 5000), "customer": cid}
            )["id"]
            for _ in range(rnd.randint(0, 4))
        ]
    inputs = [{"formula": f} for f in FORMULAS]
    with unit_of_work(services, write=False) as uow:
        cat = uow.catalog
        s = cat.table("crm", "customers")
        orders = cat.table("crm", "orders")
        rel = s.by_key["orders"]
        stored = [{"formula": compile_text(cat, s, f).text} for f in FORMULAS]
        sql = dict(raw_rows(uow.conn, cat, s, stored, services.clock, after=0, limit=100))
        env = environment(cat, services.clock)
        formulas = [compile_text(cat, s, f["formula"]) for f in inputs]
    for cid in ids:
        rec = services.records.get("crm", "customers", cid)
        linked = [services.records.get("crm", "orders", o) for o in made[cid]]
        own = record_of(cat, s, rec)
        row = DictRecord(
            own.values,
            {
                f"#{rel.id}": [
                    record_of(cat, orders, o) for o in sorted(linked, key=lambda o: o["id"])
                ]
            },
        )
        for k, f in enumerate(formulas):
            py = f.evaluate(row, env)
            py = None if not isinstance(py, (int, float)) or isinstance(py, bool) else float(py)
            got = sql[cid][k]
            if py is None or got is None:
                assert py == got or (py in (None, 0.0) and got in (None, 0.0)), (
                    FORMULAS[k],
                    cid,
                    py,
                    got,
                )
            else:
                assert got == pytest.approx(py, abs=1e-9), (FORMULAS[k], cid, py, got)


TIE_MODEL = {
    "name": "Ties",
    "table": "customers",
    "inputs": [
        # (k/10)/40·100: close to (and on) ties of the rounding to one decimal.
        {
            "key": "hours",
            "label": "Hours",
            "formula": "{flight_hours} / 10",
            "normalise": {"linear": {"min": 0, "max": 40}},
            "weight": 3,
        },
        {
            "key": "triple",
            "label": "Triple",
            "formula": "{flight_hours} * 0.3",
            "normalise": {"linear": {"min": 1.5, "max": 70, "invert": True}},
            "weight": 1,
        },
        {
            "key": "spend",
            "label": "Spend",
            "formula": "SUM({orders.amount})",
            "normalise": {"thresholds": [[0, 0], [1000, 33.35], [None, 66.65]]},
            "weight": 2,
        },
        {
            "key": "orders",
            "label": "Orders",
            "formula": "COUNT({orders})",
            "normalise": {"linear": {"min": 0, "max": 3}},
            "weight": 7,
        },
        {
            "key": "credit",
            "label": "Credit",
            "formula": "{credit} / 7",
            "normalise": {"linear": {"min": 0, "max": 1000}},
            "weight": 0.5,
        },
        # Errs (a division by zero) or is blank for some records: no value, 0 points.
        {
            "key": "per_hour",
            "label": "Credit per hour",
            "formula": "{credit} / ({flight_hours} - 40)",
            "normalise": {"thresholds": [[-1, 10], [20, 40], [None, 90]]},
            "weight": 1.25,
        },
    ],
    "bands": {"green": 50, "amber": 25.05},
}


def _stored_equal_python(services: Services, mid: int) -> int:
    """Every stored score, band and contribution is the Python scorer's for the raw values."""
    with unit_of_work(services, write=False) as uow:
        m = Model.of(store.model(uow.conn, mid))
        s = uow.catalog.schemas[m.table_id]
        raws = dict(raw_rows(uow.conn, uow.catalog, s, m.inputs, services.clock, limit=5000))
        q = sa.select(store.S.record_id, store.S.score, store.S.band, store.S.contributions)
        stored = {r[0]: r[1:] for r in uow.conn.execute(q.where(store.S.model_id == mid))}
    assert set(raws) <= set(stored)
    for rid, values in raws.items():
        sc = score_of(m.inputs, m.bands, values)
        score, band, parts = stored[rid]
        assert (score, band) == (sc.score, sc.band), (rid, values)
        assert [list(p) for p in parts] == [list(p) for p in sc.parts], (rid, values)
    return len(raws)


def test_stored_scores_equal_the_python_scorer_even_on_rounding_ties(
    services: Services, frozen_clock: FrozenClock
) -> None:
    """PostgreSQL scores a weighted model in SQL, SQLite in Python: on both, each stored score,
    band and contribution equals ``score_of`` over the record's raw values, also for points
    and scores on a tie of the rounding to one decimal (12.25, 0.35 …), before and after the
    records change."""
    rnd = random.Random(2026)
    items: list[dict[str, Any]] = []
    for k in range(200):
        values: dict[str, Any] = {"name": f"T{k}"}
        if k % 11:
            values["flight_hours"] = k if k % 3 else k * 7
        if k % 4 == 0:
            values["credit"] = rnd.randint(0, 9000) + rnd.choice((0, 0.5, 0.25))
        items.append(values)
    ids = [r["id"] for r in services.records.bulk("crm", "customers", items)["items"]]
    orders = [
        {"title": "o", "amount": rnd.choice((0, 1000, 999.5, 1000.25, 40)), "customer": cid}
        for cid in ids
        for _ in range(rnd.randint(0, 3))
    ]
    services.records.bulk("crm", "orders", orders[:900])
    mid = services.scores.create("crm", TIE_MODEL)["id"]  # small: scored as it is saved
    assert _stored_equal_python(services, mid) == 200
    assert services.scores.compute("crm", mid)["changed"] == 0  # nothing moved: nothing written
    # Changes: some records move, one is deleted, one is new; the next run writes just those.
    services.records.create("crm", "customers", {"name": "new", "flight_hours": 35})
    changed = []
    for k, cid in enumerate(ids[:30]):
        rec = services.records.get("crm", "customers", cid)
        changed.append({"id": cid, "version": rec["version"], "flight_hours": 175 + k})
    services.records.bulk("crm", "customers", changed)
    services.records.delete("crm", "customers", ids[-1])
    got = services.scores.compute("crm", mid)
    assert got["scored"] == 200 and 0 < got["changed"] <= 31
    assert _stored_equal_python(services, mid) == 200


# -- runs, history, trend, events -----------------------------------------------------------------
def _model(services: Services, body: dict[str, Any] | None = None) -> int:
    return services.scores.create("crm", body or model_body())["id"]


def test_history_only_on_change_one_point_a_day_and_the_trend(
    services: Services, frozen_clock: FrozenClock
) -> None:
    cid = services.records.create("crm", "customers", {"name": "A", "flight_hours": 80})["id"]
    mid = _model(services)  # a small table: scored as the model is saved
    assert services.scores.of_record("crm", "customers", cid)[0]["score"] == 26.7
    assert services.scores.compute("crm", mid)["changed"] == 0  # nothing moved: no point
    rec = services.records.get("crm", "customers", cid)
    services.records.update(
        "crm", "customers", cid, {"flight_hours": 60, "version": rec["version"]}
    )
    services.scores.compute("crm", mid)
    with unit_of_work(services, write=False) as uow:
        h = store.history(
            uow.conn, mid, [cid], frozen_clock.now().replace(tzinfo=None) - timedelta(days=9)
        )
    assert [p[1] for p in h[cid]] == [20.0]  # the same day: one point, the latest
    frozen_clock.advance(timedelta(days=1))
    rec = services.records.get("crm", "customers", cid)
    services.records.update(
        "crm", "customers", cid, {"flight_hours": 90, "version": rec["version"]}
    )
    services.scores.compute("crm", mid)
    got = services.scores.of_record("crm", "customers", cid)
    assert len(got) == 1
    one = got[0]
    assert one["score"] == 30.0 and one["band"] == "red"
    assert [t[1] for t in one["trend"]] == [20.0, 30.0]
    # Contributions: largest cost first, with the explanation.
    assert [c["input"] for c in one["contributions"]] == ["spend", "hours"]
    assert one["contributions"][1]["text"] == "90 hours flown"
    assert one["contributions"][0]["impact"] == pytest.approx(-66.7)


def test_the_nightly_run_follows_the_test_clock(
    services: Services, frozen_clock: FrozenClock
) -> None:
    contact = frozen_clock.now().replace(tzinfo=None).isoformat()
    cid = services.records.create("crm", "customers", {"name": "A", "last_contact": contact})["id"]
    body = model_body(
        inputs=[
            {
                "label": "Contact",
                "formula": "DAYS(TODAY(), {last_contact})",
                "explain": "no contact for {value} days",
                "normalise": {"thresholds": [[30, 100], [60, 50]]},
                "weight": 1,
            }
        ]
    )
    mid = _model(services, body)
    assert services.scores.nightly()["scored"] == 1
    assert services.scores.of_record("crm", "customers", cid)[0]["band"] == "green"
    frozen_clock.advance(timedelta(days=40))
    services.scores.nightly()
    one = services.scores.of_record("crm", "customers", cid)[0]
    assert (one["score"], one["band"]) == (50.0, "amber")
    frozen_clock.advance(timedelta(days=30))
    services.scores.nightly()
    one = services.scores.of_record("crm", "customers", cid)[0]
    assert (one["score"], one["band"]) == (0.0, "red")
    assert one["contributions"][0]["text"] == "no contact for 70 days"
    assert [t[1] for t in one["trend"]] == [100.0, 50.0, 0.0]
    assert mid


def test_a_related_record_changed_rescores_its_customer(services: Services) -> None:
    cid = services.records.create("crm", "customers", {"name": "A", "flight_hours": 100})["id"]
    mid = _model(services)
    services.scores.compute("crm", mid)
    worker = Dispatcher(services, services.event_handlers)
    worker.drain()
    assert services.scores.of_record("crm", "customers", cid)[0]["score"] == pytest.approx(33.3)
    services.records.create("crm", "orders", {"title": "big", "amount": 5000, "customer": cid})
    worker.drain()
    one = services.scores.of_record("crm", "customers", cid)[0]
    assert (one["score"], one["band"]) == (100.0, "green")
    # The score moved: a score.changed event on the customer, with the payload rules read.
    with unit_of_work(services, write=False) as uow:
        rows = (
            uow.conn.execute(
                outbox.select().where(outbox.c.type == "score.changed").order_by(outbox.c.id)
            )
            .mappings()
            .all()
        )
    assert rows and rows[-1]["record_id"] == cid
    p = rows[-1]["payload"]
    assert p["model_id"] == mid and p["score"] == 100.0 and p["previous"] == pytest.approx(33.3)
    assert p["band"] == "green" and p["previous_band"] == "red"
    assert p["recent"] and p["recent"][-1][1] == pytest.approx(33.3)


# -- churn triggers --------------------------------------------------------------------------------
def _rule(key: str, trigger: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "table": "customers",
        "trigger": trigger,
        "actions": [{"type": "update_record", "values": {"email": '"' + key + '@x.cn"'}}],
    }


def test_churn_triggers_fire_once_per_crossing(
    services: Services, frozen_clock: FrozenClock
) -> None:
    cid = services.records.create("crm", "customers", {"name": "A", "flight_hours": 100})["id"]
    body = model_body(inputs=[model_body()["inputs"][0]])  # hours only: score = hours
    mid = _model(services, body)
    services.scores.compute("crm", mid)  # the baseline: 100, green
    services.rules.create(
        cli(), "crm", _rule("red", {"type": "score.band_entered", "model": mid, "band": "red"})
    )
    services.rules.create(
        cli(),
        "crm",
        _rule("drop", {"type": "score.dropped", "model": mid, "points": 30, "days": 7}),
    )
    worker = Dispatcher(services, services.event_handlers)
    worker.drain()

    def set_hours(h: float) -> None:
        rec = services.records.get("crm", "customers", cid)
        services.records.update(
            "crm", "customers", cid, {"flight_hours": h, "version": rec["version"]}
        )
        worker.drain()  # the score handler rescores, its event runs the rules
        worker.drain()
        frozen_clock.advance(timedelta(days=1))

    def fired() -> dict[str, int]:
        out = {"red": 0, "drop": 0}
        q = rules.join(rule_runs, rule_runs.c.rule_id == rules.c.id)
        count = sa.select(rules.c.key, sa.func.count()).select_from(q).group_by(rules.c.key)
        with unit_of_work(services, write=False) as uow:
            out.update({key: n for key, n in uow.conn.execute(count)})
        return out

    set_hours(80)  # amber? bands 70/40: 80 green; drop 20 < 30
    assert fired() == {"red": 0, "drop": 0}
    set_hours(30)  # red, drop 70 ≥ 30 (first time)
    assert fired() == {"red": 1, "drop": 1}
    set_hours(20)  # still red, still dropped: nothing new
    assert fired() == {"red": 1, "drop": 1}
    set_hours(90)  # recovered: green, re-armed
    assert fired() == {"red": 1, "drop": 1}
    set_hours(10)  # red again, dropped by 80 again
    assert fired() == {"red": 2, "drop": 2}


def test_a_score_rule_names_a_model_of_its_own_table(services: Services) -> None:
    """A rule on customers may not react to a model of orders (nor to one that does not
    exist); a rule on orders may."""
    body = model_body(
        table="orders",
        inputs=[
            {
                "key": "amount",
                "label": "Amount",
                "formula": "{amount}",
                "normalise": {"linear": {"min": 0, "max": 1000}},
                "weight": 1,
            }
        ],
    )
    on_orders = services.scores.create("crm", body)["id"]
    on_customers = _model(services)
    for trigger in (
        {"type": "score.band_entered", "model": on_orders, "band": "red"},
        {"type": "score.dropped", "model": on_orders, "points": 10, "days": 7},
        {"type": "score.band_entered", "model": 9999, "band": "red"},
    ):
        with pytest.raises(Invalid) as e:
            services.rules.create(cli(), "crm", _rule("wrong", trigger))
        assert [m.key for m in e.value.field_errors["trigger.model"]] == [
            "rule.score_model_unknown"
        ]
    ok = {"type": "score.band_entered", "model": on_customers, "band": "red"}
    assert services.rules.create(cli(), "crm", _rule("right", ok))
    rule = {**_rule("orders", {**ok, "model": on_orders}), "table": "orders", "actions": []}
    rule["actions"] = [{"type": "update_record", "values": {"title": '"low"'}}]
    assert services.rules.create(cli(), "crm", rule)


def test_saving_a_model_over_a_large_table_scores_it_in_the_background(
    services: Services, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above ``INLINE_COMPUTE`` live records a save answers at once with ``recomputing``; the
    worker scores the table in steps (here 5 records a step), then the model is no longer
    recomputing. A change of the model is scored the same way, with events for what moved."""
    monkeypatch.setattr(score_service, "INLINE_COMPUTE", 5)
    items = [{"name": f"C{k}", "flight_hours": 10 * k} for k in range(12)]
    ids = [r["id"] for r in services.records.bulk("crm", "customers", items)["items"]]
    worker = Dispatcher(services, services.event_handlers)
    worker.drain()
    r = client.post(f"{A}/score-models", json=model_body())
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    assert r.json()["recomputing"] is True
    assert services.scores.of_record("crm", "customers", ids[0]) == []  # not yet
    assert client.get(f"{A}/score-models/{mid}").json()["recomputing"] is True
    worker.drain()
    assert client.get(f"{A}/score-models").json()["items"][0]["recomputing"] is False
    got = [services.scores.of_record("crm", "customers", cid)[0]["score"] for cid in ids]
    assert got == [round(min(10 * k, 100) / 3, 1) for k in range(12)]  # hours/100, a third
    assert _stored_equal_python(services, mid) == 12

    def changed() -> int:
        q = sa.select(sa.func.count()).where(outbox.c.type == "score.changed")
        with unit_of_work(services, write=False) as uow:
            return int(uow.conn.execute(q).scalar_one())

    assert changed() == 0  # the first run sets the baseline
    r = client.patch(f"{A}/score-models/{mid}", json={"bands": {"green": 30, "amber": 10}})
    assert r.json()["recomputing"] is True
    # Saved again before the worker ran: the first run stops, the second scores.
    inputs = model_body()["inputs"]
    inputs[0]["normalise"] = {"linear": {"min": 0, "max": 50}}
    r = client.patch(f"{A}/score-models/{mid}", json={"inputs": inputs})
    assert r.json()["recomputing"] is True
    worker.drain()
    assert client.get(f"{A}/score-models/{mid}").json()["recomputing"] is False
    assert _stored_equal_python(services, mid) == 12
    one = services.scores.of_record("crm", "customers", ids[3])[0]
    assert (one["score"], one["band"]) == (20.0, "amber")
    assert changed() == 11  # every record but the one at 0 hours moved, once


def test_model_of_row_roundtrip(services: Services) -> None:
    mid = _model(services)
    with unit_of_work(services, write=False) as uow:
        m = Model.of(store.model(uow.conn, mid))
    assert [i["key"] for i in m.inputs] == ["hours", "spend"]
    assert all(i["formula"].startswith(("{#", "SUM({#")) for i in m.inputs)


def test_a_reader_sees_the_points_of_an_input_over_a_hidden_field_but_not_its_value(
    services: Services, client: TestClient
) -> None:
    cid = services.records.create("crm", "customers", {"name": "A", "flight_hours": 30})["id"]
    mid = _model(services)
    _, token = make_user(services, "li")
    role = {
        "key": "sales",
        "name": "Sales",
        "members": ["li"],
        "tables": [
            {
                "app": "crm",
                "table": "customers",
                "actions": ["read"],
                "row_scope": "all",
                "fields": {"flight_hours": "hidden"},
            }
        ],
    }
    assert client.post("/api/v1/roles", json=role).status_code == 201
    url = f"{A}/tables/customers/records/{cid}/score"
    admin = client.get(url).json()["items"][0]
    by_input = {c["input"]: c for c in admin["contributions"]}
    assert by_input["hours"]["raw"] == 30 and by_input["hours"]["text"] == "30 hours flown"
    with TestClient(create_app(services), headers={"authorization": f"Bearer {token}"}) as li:
        got = li.get(url).json()["items"][0]
        assert got["model_id"] == mid and got["score"] == admin["score"]
        seen = {c["input"]: c for c in got["contributions"]}
        # Hours: a field li may not read; spend: through orders, a table li may not read.
        for key in ("hours", "spend"):
            assert seen[key]["hidden"] is True and seen[key]["raw"] is None
            assert seen[key]["points"] == by_input[key]["points"]
            assert seen[key]["text"] == by_input[key]["label"]
        # A record li may not read has no score for li.
        _, other = make_user(services, "wu")
        with TestClient(create_app(services), headers={"authorization": f"Bearer {other}"}) as wu:
            assert wu.get(url).status_code in (403, 404)
