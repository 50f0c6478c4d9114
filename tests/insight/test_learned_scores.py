"""The learned churn model through the API (issue 22): a manager trains it against a yes/no
"churned" field and reads its AUC and weights before anything changes; switching it on scores
the table with it and explains each score input by input; bad churn fields, too little
history and inputs changed since training are refused with the field named. Both databases
(the ``services`` fixture)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.api import create_app
from cairn.core import Invalid
from cairn.services import Services
from cairn.services.score_learning import ScoreLearning
from factories import make_admin, reader_without

A = "/api/v1/apps/crm"

MODEL = {
    "name": "Health",
    "table": "customers",
    "inputs": [
        {
            "key": "hours",
            "label": "Flight hours",
            "formula": "{flight_hours}",
            "explain": "{value} hours flown",
            "normalise": {"linear": {"min": 0, "max": 200}},
            "weight": 1,
        },
        {
            "key": "credit",
            "label": "Credit",
            "formula": "{credit}",
            "explain": "credit {value}",
            "normalise": {"linear": {"min": 0, "max": 100000}},
            "weight": 1,
        },
    ],
    "bands": {"green": 70, "amber": 40},
}


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    token = make_admin(services)
    headers = {"accept-language": "en", "authorization": f"Bearer {token}"}
    with TestClient(create_app(services), headers=headers) as c:
        yield c


def customers(services: Services, n: int, seed: int = 7) -> None:
    """``n`` customers with a churned box: those who fly little churn more often (credit is
    noise)."""
    services.schema.create_field(
        "crm", "customers", {"key": "churned", "name": "已流失", "type": "boolean"}
    )
    rnd = random.Random(seed)
    items = []
    for i in range(n):
        hours = rnd.randint(0, 200)
        churned = rnd.random() < (0.85 if hours < 70 else 0.1)
        items.append(
            {
                "name": f"C{i}",
                "flight_hours": hours,
                "credit": rnd.randint(0, 100000),
                "churned": churned,
            }
        )
    services.records.bulk("crm", "customers", items, return_items=False)


def codes(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {e["field"]: e["code"] for e in r.json()["errors"]}


def test_train_reports_the_auc_then_switching_on_scores_with_the_learned_model(
    services: Services, client: TestClient
) -> None:
    customers(services, 160)
    m = client.post(f"{A}/score-models", json=MODEL).json()
    assert m["kind"] == "weighted" and m["learned"] is None

    r = client.post(f"{A}/score-models/{m['id']}/train", json={"churn_field": "churned"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["rows"] == 160 and report["held_out"] == 40
    assert report["auc"] > 0.7  # flight hours separate the churners
    assert report["active"] is False and report["churn_field"] == "churned"
    hours, credit = report["weights"]
    assert hours["input"] == "hours" and hours["points"] > 0  # more hours: healthier
    assert abs(hours["points"]) > abs(credit["points"])  # credit is noise
    assert report["trained_at"].endswith(("Z", "+00:00"))  # with its offset

    # Trained, not switched on: the weighted model still scores.
    got = client.get(f"{A}/score-models/{m['id']}").json()
    assert got["kind"] == "weighted" and got["learned"]["auc"] == report["auc"]
    low = client.post(f"{A}/tables/customers/records", json={"name": "Low", "flight_hours": 2})
    high = client.post(f"{A}/tables/customers/records", json={"name": "High", "flight_hours": 190})
    lid, hid = low.json()["id"], high.json()["id"]
    client.post(f"{A}/score-models/{m['id']}/compute")
    weighted = client.get(f"{A}/tables/customers/records/{lid}/score").json()["items"][0]

    r = client.post(f"{A}/score-models/{m['id']}/learned", json={"on": True})
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "learned"
    assert client.get(f"{A}/score-models").json()["items"][0]["kind"] == "learned"

    low_score = client.get(f"{A}/tables/customers/records/{lid}/score").json()["items"][0]
    high_score = client.get(f"{A}/tables/customers/records/{hid}/score").json()["items"][0]
    assert low_score["score"] != weighted["score"]
    assert low_score["score"] < 40 < 70 <= high_score["score"]
    assert low_score["band"] == "red" and high_score["band"] == "green"
    assert (weighted["kind"], low_score["kind"]) == ("weighted", "learned")
    why = {c["input"]: c for c in low_score["contributions"]}
    assert set(why) == {"hours", "credit"}  # one contribution per input
    assert why["hours"]["text"] == "2 hours flown" and why["hours"]["impact"] < -10
    assert low_score["contributions"][0]["input"] == "hours"  # the largest cost first

    # Off again: the weighted model scores as before.
    r = client.post(f"{A}/score-models/{m['id']}/learned", json={"on": False})
    assert r.json()["kind"] == "weighted"
    again = client.get(f"{A}/tables/customers/records/{lid}/score").json()["items"][0]
    assert again["score"] == weighted["score"]
    assert again["contributions"] == weighted["contributions"]


def test_bad_churn_fields_and_too_little_history_are_refused(
    services: Services, client: TestClient
) -> None:
    customers(services, 20)
    m = client.post(f"{A}/score-models", json=MODEL).json()
    train = f"{A}/score-models/{m['id']}/train"
    for name in ("nowhere", "name", "flight_hours"):
        r = client.post(train, json={"churn_field": name})
        assert codes(r) == {"churn_field": "score.churn_field"}
        assert name in r.json()["errors"][0]["message"]
    r = client.post(train, json={"churn_field": "churned"})
    assert codes(r) == {"churn_field": "score.learned_too_few"}
    assert "20 customers" in r.json()["errors"][0]["message"]
    # Nothing trained: it cannot be switched on.
    r = client.post(f"{A}/score-models/{m['id']}/learned", json={"on": True})
    assert codes(r) == {"on": "score.not_trained"}
    assert client.get(f"{A}/score-models/{m['id']}").json()["learned"] is None


def test_changed_inputs_switch_the_learned_model_off_and_refuse_it_until_retrained(
    services: Services, client: TestClient
) -> None:
    customers(services, 120)
    m = client.post(f"{A}/score-models", json=MODEL).json()
    url = f"{A}/score-models/{m['id']}"
    assert client.post(f"{url}/train", json={"churn_field": "已流失"}).status_code == 200
    assert client.post(f"{url}/learned", json={"on": True}).json()["kind"] == "learned"

    # A label or a weight may change: the learned model stays on.
    inputs = [dict(i) for i in MODEL["inputs"]]  # type: ignore[call-overload]
    inputs[0]["label"] = "Hours flown"
    r = client.patch(url, json={"inputs": inputs})
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "learned" and r.json()["learned"]["current"] is True

    # A formula changes: back to the weighted model, and switching on is refused.
    inputs[1]["formula"] = "{credit} / 1000"
    r = client.patch(url, json={"inputs": inputs})
    assert r.json()["kind"] == "weighted" and r.json()["learned"]["current"] is False
    r = client.post(f"{url}/learned", json={"on": True})
    assert codes(r) == {"on": "score.learned_stale"}

    # Trained again, it may be switched on.
    assert client.post(f"{url}/train", json={"churn_field": "churned"}).json()["current"]
    assert client.post(f"{url}/learned", json={"on": True}).json()["kind"] == "learned"

    # A package carries the weighted model (the learned one is this installation's history).
    pkg = services.packages.export("crm")
    assert [m["kind"] for m in pkg["score_models"]] == ["weighted"]
    services.packages.import_package(pkg, key="crm2")
    copy = client.get("/api/v1/apps/crm2/score-models").json()["items"][0]
    assert copy["kind"] == "weighted" and copy["learned"] is None


def test_a_churn_field_the_trainer_may_not_read_is_refused(
    services: Services, client: TestClient
) -> None:
    customers(services, 60)
    m = client.post(f"{A}/score-models", json={**MODEL, "inputs": MODEL["inputs"][1:]}).json()
    li = reader_without(services, client, "churned")
    with pytest.raises(Invalid) as e:
        ScoreLearning(services).train("crm", m["id"], "churned", li)
    assert e.value.field_errors["churn_field"][0].key == "score.field_hidden"
    assert client.get(f"{A}/score-models/{m['id']}").json()["learned"] is None
