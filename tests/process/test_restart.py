"""State is in the database after every step: a new process (new Services on the same
database) continues the instances, and timers and deadlines that came due while nothing ran
fire at the first scan."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from cairn.auth import cli
from cairn.core import FrozenClock
from factories import make_services, make_user
from processdata import bpmn

FIELDS = [
    {"key": "plate", "name": "车牌", "type": "text"},
    {"key": "technician", "name": "技师", "type": "user"},
    {"key": "qc_photos", "name": "照片", "type": "attachment"},
]


def test_instances_continue_after_a_restart_and_missed_timers_fire(
    db_url: str, tmp_path: Path
) -> None:
    clock = FrozenClock()
    s = make_services(db_url, tmp_path / "data", clock)
    s.apps.create({"key": "shop", "name": "店"})
    s.schema.create_table("shop", {"key": "orders", "name": "工单", "fields": FIELDS})
    boss, _ = make_user(s, "boss")
    dept = s.directory.create_department(cli(), {"name": "车间", "manager_id": boss})
    tech, _ = make_user(s, "tech", department_id=dept["id"])
    xml = bpmn("car_repair.bpmn").replace(' autoStart="create"', "")
    xml = xml.replace(
        '<cairn:assignee type="role" value="qc"/>', '<cairn:assignee type="user" value="boss"/>'
    )
    s.processes.deploy("shop", {"bpmn": xml}, cli())
    rec = s.records.create("shop", "orders", {"plate": "沪B1", "technician": tech})
    admin = cli(boss, "boss")
    inst = s.processes.start("shop", "repair", {"record_id": rec["id"]}, admin)
    iid = inst["id"]

    def open_task() -> dict:
        [cur] = s.processes.instance(iid, cli())["current"]
        return cur

    for _ in range(3):  # appointment, reception, dispatch (claimed by the admin group or boss)
        t = open_task()
        detail = s.processes.task(t["task_id"], admin)
        if "claim" in detail["actions"]:
            s.processes.act(t["task_id"], "claim", {}, admin)
        s.processes.act(t["task_id"], "complete", {}, admin)
    repair = open_task()
    assert repair["step"] == "repair_work"
    s.close()

    # Down for the weekend: Monday 17:00 Shanghai + 4 working hours is due Tuesday 12:00.
    clock.advance(timedelta(days=4))
    s = make_services(db_url, tmp_path / "data", clock)
    assert s.processes.tick()["alarms"] == 2  # breach and escalation, in that order, once
    tl = s.processes.instance(iid, cli())
    actions = [e["action"] for e in tl["events"]]
    assert actions[-3:] == ["overdue", "escalated", "notified"]
    assert tl["events"][-1]["details"]["to"] == boss

    t = open_task()
    s.processes.act(t["task_id"], "complete", {}, cli(tech, "tech"))
    t = open_task()
    s.processes.act(t["task_id"], "approve", {}, admin)  # qc
    t = open_task()
    s.processes.act(t["task_id"], "complete", {}, admin)  # delivery: the 24 h timer starts
    assert s.processes.instance(iid, cli())["timer_due_at"] is not None
    s.close()

    clock.advance(timedelta(days=3))
    s = make_services(db_url, tmp_path / "data", clock)
    assert s.processes.tick()["timers"] == 1
    assert open_task()["step"] == "follow_up"
    s.close()
