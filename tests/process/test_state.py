"""Saved process state carries a version; older state is upgraded on load, never refused;
a version newer than the code is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from cairn.auth import cli
from cairn.core import Conflict, FrozenClock
from cairn.process import Definition, ScriptContext, state
from cairn.services import Services
from cairn.store import system
from factories import make_services, make_user
from processdata import bpmn

BPMN = Path(__file__).parent / "bpmn"
FIELDS = [
    {"key": "plate", "name": "车牌", "type": "text"},
    {"key": "technician", "name": "技师", "type": "user"},
    {"key": "qc_photos", "name": "照片", "type": "attachment"},
]


def test_current_state_is_packed_with_its_version() -> None:
    d = Definition((BPMN / "car_repair.bpmn").read_text())
    run = d.new(ScriptContext(), {"initiator_id": 1})
    run.advance()
    saved = state.pack(run.dump())
    assert saved["v"] == state.CURRENT == 2
    assert state.upgrade(saved) == saved
    assert state.workflow(saved, 2) == run.dump()


def test_version_1_state_is_upgraded_not_refused() -> None:
    d = Definition((BPMN / "car_repair.bpmn").read_text())
    run = d.new(ScriptContext(), {"initiator_id": 1})
    run.advance()
    old = run.dump()  # how state was saved before versions: the workflow dict itself
    assert state.version_of(old) == 1 and state.version_of(old, 1) == 1
    upgraded = state.upgrade(old, 1)
    assert upgraded == {"v": 2, "workflow": old}
    [task] = d.load(state.workflow(old, 1), ScriptContext()).ready()
    assert task.step_id == "appointment"


def test_an_unknown_future_version_is_a_clear_error() -> None:
    with pytest.raises(Conflict) as e:
        state.upgrade({"v": state.CURRENT + 1, "workflow": {}})
    assert e.value.message.key == "process.state_version"
    assert e.value.message.params == {"version": state.CURRENT + 1}
    with pytest.raises(Conflict):
        state.workflow({}, 99)  # the column says so


def _started(db_url: str, tmp_path: Path) -> tuple[Services, int, int]:
    s = make_services(db_url, tmp_path / "data", FrozenClock())
    s.apps.create({"key": "shop", "name": "店"})
    s.schema.create_table("shop", {"key": "orders", "name": "工单", "fields": FIELDS})
    boss, _ = make_user(s, "boss")
    xml = bpmn("car_repair.bpmn").replace(' autoStart="create"', "")
    s.processes.deploy("shop", {"bpmn": xml}, cli())
    rec = s.records.create("shop", "orders", {"plate": "沪B1"})
    inst = s.processes.start("shop", "repair", {"record_id": rec["id"]}, cli(boss, "boss"))
    return s, inst["id"], boss


def _saved(s: Services, iid: int) -> tuple[dict, int]:
    t = system.process_instances
    with s.engine.connect() as conn:
        row = conn.execute(sa.select(t.c.state, t.c.state_version).where(t.c.id == iid)).one()
    return row.state, row.state_version


def _rewrite(s: Services, iid: int, saved: dict, version: int) -> None:
    t = system.process_instances
    with s.engine.begin() as conn:
        conn.execute(t.update().where(t.c.id == iid).values(state=saved, state_version=version))


def _act_on_current(s: Services, iid: int, boss: int) -> str:
    admin = cli(boss, "boss")
    [cur] = s.processes.instance(iid, cli())["current"]
    if "claim" in s.processes.task(cur["task_id"], admin)["actions"]:
        s.processes.act(cur["task_id"], "claim", {}, admin)
    s.processes.act(cur["task_id"], "complete", {}, admin)
    return cur["step"]


def test_an_instance_saved_in_the_old_format_loads_and_runs_on(db_url: str, tmp_path: Path) -> None:
    s, iid, boss = _started(db_url, tmp_path)
    saved, version = _saved(s, iid)
    assert saved["v"] == version == state.CURRENT
    _rewrite(s, iid, saved["workflow"], 1)  # as the code before versions saved it
    assert _act_on_current(s, iid, boss) == "appointment"
    saved, version = _saved(s, iid)
    assert saved["v"] == version == state.CURRENT  # saved again in the current format
    [cur] = s.processes.instance(iid, cli())["current"]
    assert cur["step"] == "reception"
    s.close()


def test_an_instance_saved_by_a_newer_version_is_refused_clearly(
    db_url: str, tmp_path: Path
) -> None:
    s, iid, boss = _started(db_url, tmp_path)
    saved, _ = _saved(s, iid)
    _rewrite(s, iid, {**saved, "v": 99}, 99)
    with pytest.raises(Conflict) as e:
        _act_on_current(s, iid, boss)
    assert e.value.message.key == "process.state_version"
    assert s.processes.instance(iid, cli())["status"] == "running"  # nothing changed
    s.close()
