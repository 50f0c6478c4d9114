"""Record imports through the services, on SQLite and PostgreSQL: dry run, upsert, refused
rows, resume after a crash, cancel, rules and audit, names of users and related records."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from cairn.auth import cli
from cairn.core import FrozenClock
from cairn.core import events as ev
from cairn.services import Services, import_batches
from cairn.store import system

HEADER = "客户名称,手机,等级,授信额度,签约日期,有效"


def csv_file(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO("\r\n".join([header, *rows]).encode(encoding))


def upload(services: Services, data: io.BytesIO, name: str = "c.csv", **kw: Any) -> int:
    return services.imports.upload("crm", "customers", name, data, cli(), **kw)["id"]


def run(services: Services, job_id: int, dry: bool = False, **body: Any) -> dict[str, Any]:
    services.imports.start("crm", "customers", job_id, body, dry_run=dry, principal=cli())
    services.import_runs.work()
    return services.imports.get("crm", "customers", job_id)


def customers(services: Services) -> list[dict[str, Any]]:
    return services.records.query("crm", "customers", sort=[{"field": "id"}], limit=1000)["items"]


def count(services: Services, table: sa.Table) -> int:
    with services.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_gbk_csv_imports_with_friendly_values(services: Services) -> None:
    data = csv_file(
        '张三,13800138000,vip,"￥12,800.00",2024年3月5日,是',
        "李四,139 0013 9000,Gold,1000,2024/3/6,否",
        encoding="gbk",
    )
    up = services.imports.upload("crm", "customers", "客户.csv", data, cli())
    assert up["source"]["encoding"] == "gb18030"
    assert up["suggested"] == ["name", "phone", "tier", "credit", "signed_on", "active"]
    assert up["preview"][0][0] == "张三"
    job = run(services, up["id"])
    assert job["status"] == "done"
    assert job["counts"] == {"created": 2, "updated": 0, "skipped": 0, "refused": 0}
    rows = customers(services)
    assert [
        (r["name"], r["phone"], r["tier"], r["credit"], r["signed_on"], r["active"]) for r in rows
    ] == [
        ("张三", "+8613800138000", "VIP", 12800, "2024-03-05", True),
        ("李四", "+8613900139000", "Gold", 1000, "2024-03-06", False),
    ]


def test_dry_run_writes_nothing_and_reports_each_row(services: Services) -> None:
    job_id = upload(
        services, csv_file("张三,13800138000,VIP,,,", "李四,not a phone,VIP,,,", ",,,,,是")
    )
    events_before, audit_before = count(services, system.outbox), count(services, system.audit_log)
    job = run(services, job_id, dry=True, mode="insert")
    assert job["status"] == "done" and job["phase"] == "dry_run"
    assert job["counts"] == {"created": 1, "updated": 0, "skipped": 0, "refused": 2}
    outcomes = job["report"]["dry_run"]["rows"]
    assert [(r["row"], r["outcome"]) for r in outcomes] == [
        (2, "created"),
        (3, "refused"),
        (4, "refused"),
    ]
    assert "手机" in outcomes[1]["reason"]
    assert "客户名称" in outcomes[2]["reason"]  # required: refused by the bulk write's check
    assert customers(services) == []
    assert count(services, system.outbox) == events_before
    assert count(services, system.audit_log) == audit_before
    errors = "".join(services.imports.errors_csv("crm", "customers", job_id, phase="dry_run"))
    assert errors.startswith("\ufeff客户名称,手机,等级,授信额度,签约日期,有效,行号,错误原因")
    assert "not a phone" in errors


def test_upsert_by_key_updates_creates_and_keeps_empty_cells(services: Services) -> None:
    old = services.records.create(
        "crm", "customers", {"name": "旧名", "phone": "13800138000", "tier": "Gold", "credit": 5}
    )
    data = csv_file(
        "新名,13800138000,VIP,,,",  # an empty cell leaves the value
        "王五,13700137000,,,,",
        "王五改,13700137000,Standard,,,",  # the same key twice: created, then updated
        header=HEADER,
    )
    job = run(services, upload(services, data), mode="upsert", key="phone")
    assert job["counts"] == {"created": 1, "updated": 2, "skipped": 0, "refused": 0}
    rows = {r["phone"]: r for r in customers(services)}
    assert len(rows) == 2
    assert rows["+8613800138000"]["id"] == old["id"]
    assert (rows["+8613800138000"]["name"], rows["+8613800138000"]["tier"]) == ("新名", "VIP")
    assert rows["+8613800138000"]["credit"] == 5
    assert (rows["+8613700137000"]["name"], rows["+8613700137000"]["tier"]) == (
        "王五改",
        "Standard",
    )


def test_update_only_and_insert_only_skip_with_a_reason(services: Services) -> None:
    services.records.create("crm", "customers", {"name": "甲", "phone": "13800138000"})
    data = csv_file("甲2,13800138000,,,,", "乙,13900139000,,,,")
    job = run(services, upload(services, data), mode="update", key="phone")
    assert job["counts"] == {"created": 0, "updated": 1, "skipped": 1, "refused": 0}
    job = run(
        services, upload(services, csv_file("甲3,13800138000,,,,")), mode="insert", key="phone"
    )
    assert job["counts"]["skipped"] == 1
    assert [r["name"] for r in customers(services)] == ["甲2"]


def test_refused_rows_go_to_the_error_file_and_the_rest_is_written(services: Services) -> None:
    services.records.create("crm", "customers", {"name": "甲", "phone": "13800138000"})
    data = csv_file(
        "乙,13900139000,VIP,,,",
        "丙,13800138000,VIP,,,",  # the phone is another record's (unique): refused by bulk
        "丁,13600136000,白金,,,",  # no such option
        "戊,13500135000,VIP,-5,2024-02-30,",
    )
    services.settings.import_batch_rows = 10
    job = run(services, upload(services, data), mode="insert")
    assert job["counts"] == {"created": 1, "updated": 0, "skipped": 0, "refused": 3}
    assert [e["row"] for e in job["errors"]] == [3, 4, 5]
    text = "".join(services.imports.errors_csv("crm", "customers", job["id"], language="en"))
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].endswith(",Row,Reason")
    assert lines[1].startswith("丙,13800138000,VIP,,,,3,")
    assert "白金" in lines[2]
    assert "签约日期" in lines[3]
    assert sorted(r["name"] for r in customers(services)) == ["乙", "甲"]


def test_xlsx_with_merged_headers_and_serial_dates(services: Services, tmp_path: Any) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["客户信息", None, "签约日期"])
    ws.merge_cells("A1:B1")
    ws.merge_cells("C1:C2")
    ws.append(["客户名称", "手机", None])
    ws.append(["张三", 13800138000, 45356])
    ws.append(["李四", 13900139000, 45357.75])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    up = services.imports.upload("crm", "customers", "c.xlsx", buf, cli())
    assert up["source"]["header"] == ["客户信息 / 客户名称", "客户信息 / 手机", "签约日期"]
    assert up["suggested"] == ["name", "phone", "signed_on"]
    job = run(services, up["id"])
    assert job["counts"]["created"] == 2
    assert [r["signed_on"] for r in customers(services)] == ["2024-03-05", "2024-03-06"]


def test_a_crash_mid_run_resumes_without_duplicates(
    services: Services, frozen_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.settings.import_batch_rows = 3
    rows = [f"客户{i},1380013{i:04d},,,," for i in range(10)]
    job_id = upload(services, csv_file(*rows))
    services.imports.start(
        "crm", "customers", job_id, {"mode": "upsert", "key": "phone"}, dry_run=False
    )
    real = import_batches.Batches.__call__
    calls = {"n": 0}

    def dies_in_the_third_batch(self: Any, batch: Any, offset: int) -> bool:
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("the worker was killed")  # not caught: the process dies
        return real(self, batch, offset)

    monkeypatch.setattr(import_batches.Batches, "__call__", dies_in_the_third_batch)
    with pytest.raises(SystemExit):
        services.import_runs.work()
    monkeypatch.setattr(import_batches.Batches, "__call__", real)
    job = services.imports.get("crm", "customers", job_id)
    assert (job["status"], job["rows_done"]) == ("running", 6)
    assert services.import_runs.work() == 0  # its worker may still be alive: not taken yet
    frozen_clock.advance(timedelta(seconds=services.settings.import_stale_seconds + 1))
    assert services.import_runs.work() == 1
    job = services.imports.get("crm", "customers", job_id)
    assert (job["status"], job["rows_done"], job["counts"]["created"]) == ("done", 10, 10)
    names = [r["name"] for r in customers(services)]
    assert sorted(names) == sorted(f"客户{i}" for i in range(10))


def test_cancel_stops_after_the_committed_batches(services: Services) -> None:
    services.settings.import_batch_rows = 2
    job_id = upload(services, csv_file(*[f"客户{i},,,,," for i in range(9)]))
    services.imports.start("crm", "customers", job_id, {}, dry_run=False, principal=cli())
    seen: list[int] = []

    def cancel_after_the_second(done: int) -> None:
        seen.append(done)
        if len(seen) == 2:
            services.imports.cancel("crm", "customers", job_id)

    assert services.import_runs.run_now(job_id, progress=cancel_after_the_second) == "cancelled"
    job = services.imports.get("crm", "customers", job_id)
    assert (job["status"], job["rows_done"]) == ("cancelled", 4)
    assert len(customers(services)) == 4
    queued = upload(services, csv_file("甲,,,,,"))
    services.imports.start("crm", "customers", queued, {}, dry_run=False)
    assert services.imports.cancel("crm", "customers", queued)["status"] == "cancelled"
    assert services.import_runs.work() == 0


def test_rules_stay_quiet_unless_asked_and_the_audit_says_so(services: Services) -> None:
    job = run(services, upload(services, csv_file("甲,,,,,")))
    job2 = run(services, upload(services, csv_file("乙,,,,,")), run_rules=True)
    with services.engine.connect() as conn:
        o = system.outbox.c
        payloads = [
            p
            for (p,) in conn.execute(
                sa.select(o.payload).where(o.type == ev.RECORD_CREATED).order_by(o.id)
            )
        ]
        a = system.audit_log.c
        audits = list(
            conn.execute(
                sa.select(a.action, a.details).where(a.action.like("record.import%")).order_by(a.id)
            )
        )
    assert payloads[0][ev.NO_RULES] is True and payloads[0]["import_id"] == job["id"]
    assert ev.NO_RULES not in payloads[1] and payloads[1]["import_id"] == job2["id"]
    done = [d for action, d in audits if action == "record.import"]
    assert [d["run_rules"] for d in done] == [False, True]
    assert [action for action, _ in audits].count("record.import_start") == 2


def test_users_by_name_and_relations_by_display_field(services: Services) -> None:
    wang = services.directory.create_user(cli(), {"username": "wang", "display_name": "王经理"})
    services.schema.create_field(
        "crm", "customers", {"key": "manager", "name": "客户经理", "type": "user"}
    )
    acme = services.records.create("crm", "customers", {"name": "Acme"})
    data = io.BytesIO('标题,金额,客户\n订单一,"1,200", Acme \n订单二,5,Nobody\n'.encode())
    up = services.imports.upload("crm", "orders", "o.csv", data, cli())
    assert up["suggested"] == ["title", "amount", "customer"]
    services.imports.start("crm", "orders", up["id"], {}, dry_run=False)
    services.import_runs.work()
    job = services.imports.get("crm", "orders", up["id"])
    assert job["counts"] == {"created": 1, "updated": 0, "skipped": 0, "refused": 1}
    assert "Nobody" in job["errors"][0]["reason"]
    order = services.records.query("crm", "orders")["items"][0]
    assert (order["title"], order["amount"], order["customer"]) == ("订单一", 1200, acme["id"])
    data = csv_file("丙,,,,,,王经理", header=HEADER + ",客户经理")
    job = run(services, upload(services, data))
    assert job["counts"]["created"] == 1
    row = next(r for r in customers(services) if r["name"] == "丙")
    assert row["manager"] == wang["id"]


def test_saved_mapping_is_suggested_next_time(services: Services) -> None:
    data = csv_file("甲,13800138000", header="名字,电话号码")
    up = services.imports.upload("crm", "customers", "dms.csv", data, cli())
    assert up["suggested"] == [None, None]
    body = {"mapping": ["name", "phone"], "save_as": "DMS 月度"}
    services.imports.start("crm", "customers", up["id"], body, dry_run=True)
    again = services.imports.upload(
        "crm", "customers", "dms2.csv", csv_file("乙,", header="电话号码,名字"), cli()
    )
    assert again["suggested"] == ["phone", "name"]
    assert [m["name"] for m in again["mappings"]] == ["DMS 月度"]


def test_full_batches_upsert_by_key_twice(services: Services) -> None:
    """1,200 rows in batches of 1,000 (the key lookups go in pages the query layer takes);
    the same file again updates every record and creates none, each update with its history
    row (written a batch at a time) and its event, the import's meta in it."""
    services.settings.import_batch_rows = 1000
    rows = [f"客户{i},1380{i:07d},VIP,,," for i in range(1200)]
    first = run(services, upload(services, csv_file(*rows)), mode="upsert", key="phone")
    assert first["counts"]["created"] == 1200
    rows = [f"客户{i},1380{i:07d},Gold,,," for i in range(1200)]
    again = run(services, upload(services, csv_file(*rows)), mode="upsert", key="phone")
    assert again["counts"] == {"created": 0, "updated": 1200, "skipped": 0, "refused": 0}
    with services.engine.connect() as conn:
        h, o = system.history.c, system.outbox.c
        logged = list(conn.execute(sa.select(h.record_id, h.version).where(h.action == "update")))
        events = [
            p for (p,) in conn.execute(sa.select(o.payload).where(o.type == ev.RECORD_UPDATED))
        ]
    assert len({r for r, _ in logged}) == len(logged) == 1200
    assert {v for _, v in logged} == {2}
    assert len(events) == 1200
    assert all(p["import_id"] == again["id"] and p[ev.NO_RULES] for p in events)


def test_a_job_whose_user_is_gone_fails_with_the_reason(services: Services) -> None:
    """The worker writes as the user who started the import; disabled meanwhile, the job
    stops with the reason in their language and nothing written."""
    from cairn.auth import Principal

    services.directory.create_user(cli(), {"username": "boss", "is_admin": True})
    user = services.directory.create_user(cli(), {"username": "li", "is_admin": True})
    li = Principal(user["id"], "li", True, "session")
    job_id = services.imports.upload("crm", "customers", "c.csv", csv_file("甲,,,,,"), li)["id"]
    services.imports.start("crm", "customers", job_id, {}, dry_run=False, principal=li)
    services.directory.update_user(cli(), "li", {"status": "disabled"})
    assert services.import_runs.work() == 1
    job = services.imports.get("crm", "customers", job_id)
    assert job["status"] == "failed"
    assert job["error"] == "导入已停止：发起导入的用户已不是有效用户。"
    assert customers(services) == []


def test_a_200000_row_file_imports_whole_with_its_refused_rows_numbered(
    services: Services, tmp_path: Any
) -> None:
    """The issue's large file: 200,000 rows streamed in batches (the default batch size), every
    row created except two bad ones near the end, which are refused with their own row numbers
    (the header is row 1), and the error file holds just those two."""
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER + "\r\n")
        for i in range(200_000):
            amount = "很多" if i in (150_000, 199_998) else f"¥{i % 900 + 100:,}"
            f.write(f"客户{i},1{i % 9 + 30}{i:08d},VIP,{amount},2024/3/5,是\r\n")
    with path.open("rb") as data:
        job_id = upload(services, io.BytesIO(data.read()), name="large.csv")
    done = run(services, job_id, mode="upsert", key="phone")
    assert done["status"] == "done"
    assert done["counts"] == {"created": 199_998, "updated": 0, "skipped": 0, "refused": 2}
    listed = services.records.query("crm", "customers", limit=1, count="exact")
    assert listed["total"] == 199_998
    errors = services.imports.errors_csv("crm", "customers", job_id, principal=cli())
    text = "".join(errors).lstrip("\ufeff").splitlines()
    assert len(text) == 3 and text[1].startswith("客户150000,") and ",150002," in text[1]
    assert text[2].startswith("客户199998,") and ",200000," in text[2]
