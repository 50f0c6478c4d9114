"""Scenario 3: car repair, started automatically when an order is created; quality check
rejects back to repair with photos; 24 hours after delivery a follow-up call task opens."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from cairn.core import FrozenClock
from cairn.services import Services
from cairn.worker.dispatch import Dispatcher
from processdata import Org, act, app_with_table, bpmn, deploy, mine, only_task, timeline

ORDER_FIELDS = [
    {"key": "plate", "name": "车牌", "type": "text"},
    {"key": "technician", "name": "技师", "type": "user"},
    {"key": "qc_photos", "name": "质检照片", "type": "attachment"},
]


def test_car_repair_rejected_by_qc_then_delivered_and_followed_up(
    services: Services, client: TestClient, frozen_clock: FrozenClock
) -> None:
    app_with_table(
        client, "shop", "4S 店", {"key": "orders", "name": "维修工单", "fields": ORDER_FIELDS}
    )
    org = Org(services)
    for name in ("booker", "advisor1", "foreman1", "tech1", "qc1"):
        org.user(name)
    rw = {"app": "shop", "table": "orders", "actions": ["create", "read", "update"]}
    org.role("staff", ["booker", "advisor1", "foreman1", "tech1", "qc1"], [rw])
    org.role("advisor", ["advisor1"])
    org.role("foreman", ["foreman1"])
    org.role("qc", ["qc1"])
    d = deploy(client, "shop", bpmn("car_repair.bpmn"))
    assert d["auto_start"] is True and d["table"] == "orders"

    with org.client("booker") as booker:
        rec = booker.post("/api/v1/apps/shop/tables/orders/records", json={"plate": "沪A12345"})
        rid = rec.json()["id"]
        assert mine(booker) == []
        # The worker hands the record event to the process engine: the process starts.
        Dispatcher(services, services.event_handlers).drain()
        Dispatcher(services, services.event_handlers).drain()  # a replay starts nothing new
        task = only_task(booker)
        assert task["step"] == "appointment"
        iid = task["instance_id"]
        act(booker, task["id"], "complete")

    with org.client("advisor1") as adv:
        [task] = mine(adv, "claimable")
        act(adv, task["id"], "claim")
        act(adv, task["id"], "complete")
    with org.client("foreman1") as fm:
        [task] = mine(fm, "claimable")
        act(fm, task["id"], "claim")
        act(fm, task["id"], "complete", data={"technician": org.ids["tech1"]})
    with org.client("tech1") as tech:
        act(tech, only_task(tech)["id"], "complete", comment="已更换刹车片")

    with org.client("qc1") as qc:
        [task] = mine(qc, "claimable")
        act(qc, task["id"], "claim")
        up = qc.post(
            "/api/v1/apps/shop/tables/orders/fields/qc_photos/files",
            files={"file": ("brake.jpg", b"\xff\xd8\xff fake jpeg", "image/jpeg")},
        )
        assert up.status_code == 201, up.text
        fid = up.json()["id"]
        act(
            qc,
            task["id"],
            "reject",
            comment="刹车异响未消除",
            attachments=[fid],
            data={"qc_photos": [fid]},
        )

    with org.client("tech1") as tech:
        task = only_task(tech)
        assert task["step"] == "repair_work"  # back to repair, to the same technician
        tl = timeline(tech, iid)
        rejected = next(s for s in tl["steps"] if s["step"] == "qc")
        assert rejected["action"] == "reject" and rejected["attachments"] == [fid]
        act(tech, task["id"], "complete", comment="重新调整卡钳")
    with org.client("qc1") as qc:
        [task] = mine(qc, "claimable")
        act(qc, task["id"], "claim")
        act(qc, task["id"], "approve")
    with org.client("advisor1") as adv:
        task = only_task(adv)  # delivery: the advisor who received the car
        assert task["step"] == "delivery"
        act(adv, task["id"], "complete")
        assert mine(adv) == []
        frozen_clock.advance(timedelta(hours=23))
        assert services.processes.tick()["timers"] == 0
        assert mine(adv) == []
        frozen_clock.advance(timedelta(hours=1, seconds=1))
        assert services.processes.tick()["timers"] == 1
        task = only_task(adv)
        assert task["step"] == "follow_up"
        act(adv, task["id"], "complete", comment="客户满意")
        tl = timeline(adv, iid)
    assert tl["status"] == "completed"
    assert [s["step"] for s in tl["steps"]].count("repair_work") == 2
    assert any(e["action"] == "timer" for e in tl["events"])
    r = client.get(f"/api/v1/apps/shop/tables/orders/records/{rid}/processes")
    assert [i["status"] for i in r.json()["items"]] == ["completed"]
