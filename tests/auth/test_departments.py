"""The department tree and "a user's manager" (the rule later engines use)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.auth import cli
from cairn.core import Conflict, FrozenClock, Invalid
from cairn.services import Services
from factories import make_services, make_user


@pytest.fixture
def services(db_url: str, tmp_path: Path, frozen_clock: FrozenClock):
    s = make_services(db_url, tmp_path / "data", frozen_clock)
    yield s
    s.close()


def test_manager_rule(services: Services) -> None:
    d = services.directory
    ceo = make_user(services, "ceo")[0]
    head = make_user(services, "head")[0]
    lead = make_user(services, "lead")[0]
    staff = make_user(services, "staff")[0]
    loner = make_user(services, "loner")[0]
    hq = d.create_department(cli(), {"name": "HQ", "manager_id": ceo})["id"]
    sales = d.create_department(cli(), {"name": "Sales", "parent_id": hq, "manager_id": head})["id"]
    east = d.create_department(cli(), {"name": "East", "parent_id": sales})["id"]  # no manager
    for user, dept in ((head, sales), (lead, east), (staff, sales), (ceo, hq)):
        d.update_user(cli(), user, {"department_id": dept})
    d.update_department(cli(), east, {"manager_id": lead})
    assert d.manager_of(staff) == head  # the manager of their primary department
    assert d.manager_of(head) == ceo  # manages it themselves: the parent's manager
    assert d.manager_of(lead) == head  # manages East: Sales's manager
    assert d.manager_of(ceo) is None  # top of the tree
    assert d.manager_of(loner) is None  # no department
    d.update_department(cli(), east, {"manager_id": None})
    other = make_user(services, "other", department_id=east)[0]
    assert d.manager_of(other) == head  # East has no manager: the nearest parent's


def test_tree_rules(services: Services) -> None:
    d = services.directory
    a = d.create_department(cli(), {"name": "A"})["id"]
    b = d.create_department(cli(), {"name": "B", "parent_id": a})["id"]
    with pytest.raises(Invalid):
        d.update_department(cli(), a, {"parent_id": b})  # a cycle
    with pytest.raises(Invalid):
        d.update_department(cli(), a, {"parent_id": a})
    with pytest.raises(Conflict):
        d.delete_department(cli(), a)  # has a sub-department
    d.delete_department(cli(), b)
    d.delete_department(cli(), a)
    assert d.list_departments()["items"] == []
