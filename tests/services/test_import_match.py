"""An import's upsert by One-ID match (mode ``match``), on SQLite and PostgreSQL: a row
updates the one record the table's rules match, a row without a match is created, a row
that matches several records equally is refused with them named, two rows matching the same
record update it one after the other; a table without rules refuses the mode."""

from __future__ import annotations

import io
from typing import Any

import pytest

from cairn.auth import cli
from cairn.core import Invalid
from cairn.services import Services
from identitydata import make_people, mobile_rule
from support.imports import records, run, upload


def add(s: Services, **values: Any) -> int:
    return s.records.create("crm", "people", values)["id"]


def test_rows_update_their_match_create_the_rest_and_refuse_ties(services: Services) -> None:
    make_people(services)
    services.identity_rules.create("crm", "people", mobile_rule())
    zhang = add(services, name="张伟", mobile="13800138000", city="北京")
    c = add(services, name="王芳", mobile="13700137000")
    d = add(services, name="王芳芳", mobile="137 0013 7000")
    text = "\n".join(
        [
            "姓名,手机,城市",
            "张伟,138 0013 8000,上海",  # the same mobile however typed: updates 张伟
            "赵六,13600136000,广州",  # no match: a new record
            "王芳,13700137000,",  # two records hold it: refused, both named
            "张伟二,+86 138-0013-8000,",  # 张伟 again: after the first row's update
        ]
    )
    data = io.BytesIO(text.encode())
    dry = run(
        services, upload(services, data, table="people"), dry=True, table="people", mode="match"
    )
    assert dry["counts"] == {"created": 1, "updated": 2, "skipped": 0, "refused": 1}
    data.seek(0)
    job = run(services, upload(services, data, table="people"), table="people", mode="match")
    assert job["status"] == "done", job["error"]
    assert job["counts"] == dry["counts"]
    assert job["settings"]["mode"] == "match"
    (refused,) = job["errors"]
    assert refused["row"] == 4 and f"#{c}" in refused["reason"] and f"#{d}" in refused["reason"]
    got = {r["id"]: (r["name"], r["city"]) for r in records(services, "people")}
    assert got[zhang] == ("张伟二", "上海")
    assert len(got) == 4 and ("赵六", "广州") in got.values()


def test_a_table_without_rules_refuses_the_mode(services: Services) -> None:
    make_people(services)
    job_id = upload(services, io.BytesIO("姓名,手机\n甲,13800138000\n".encode()), table="people")
    with pytest.raises(Invalid) as e:
        services.imports.start(
            "crm", "people", job_id, {"mode": "match"}, dry_run=True, principal=cli()
        )
    assert [m.key for m in e.value.field_errors["mode"]] == ["import.match_no_rules"]
