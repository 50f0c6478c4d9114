"""Task actions are a registry: one class per action, by a stable key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.auth import cli
from cairn.core import Invalid, RegistryError
from cairn.process import TaskAction, builtin_task_actions
from cairn.process.task_actions import Complete
from factories import make_services


def test_the_builtin_actions_in_the_order_the_api_lists_them() -> None:
    r = builtin_task_actions()
    assert r.keys() == [
        "complete",
        "approve",
        "reject",
        "return",
        "transfer",
        "delegate",
        "add_signer",
        "comment",
        "attach",
        "claim",
    ]
    assert all(isinstance(a, TaskAction) for a in r)


def test_what_each_action_may_do() -> None:
    r = builtin_task_actions()
    assert [a.key for a in r if a.writes_form] == ["complete", "approve", "reject", "return"]
    assert [a.key for a in r if a.decides] == ["complete", "approve"]
    assert [a.key for a in r if a.claims] == ["claim"]


def test_a_key_is_registered_once_and_an_unknown_key_is_a_clear_error() -> None:
    r = builtin_task_actions()
    with pytest.raises(RegistryError):
        r.register(Complete())
    assert "escalate" not in r
    with pytest.raises(RegistryError):
        r.get("escalate")


def test_act_refuses_an_action_the_registry_does_not_know(db_url: str, tmp_path: Path) -> None:
    s = make_services(db_url, tmp_path / "data")
    with pytest.raises(Invalid) as e:
        s.processes.act(1, "escalate", {}, cli(1, "someone"))
    [message] = e.value.field_errors["action"]
    assert message.key == "task.action_unknown" and message.params == {"action": "escalate"}
    s.close()
