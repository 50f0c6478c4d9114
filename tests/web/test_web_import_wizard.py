"""The import wizard in the browser (issue 21): from the grid's toolbar, a GBK CSV made here
with one bad row is uploaded, its columns mapped (the suggested fields preselected, an unknown
column skipped), a dry run shows the refused row with its reason and writes nothing, the run's
progress reaches done, the records are in the grid, and the error file downloads with a reason
column; the field picker offers only what a column may fill, and the past imports name who
uploaded them. On a phone (375 px) the wizard fits the screen."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from webserver import Server

T = "/api/v1/apps/{app}/tables/members"
HEADER = ["姓名", "会员编号", "等级", "消费", "入会日期", "备注"]
GOOD = [
    ["张伟", "M001", "金卡", "1,200", "2024年3月5日", "老客户"],
    ["王芳", "M002", "银卡", "￥350.5", "2024-04-01", ""],
    ["李娜", "M003", "金卡", "80", "2024/5/6", "转介绍"],
    ["刘洋", "M004", "银卡", "0", "2024-06-30", ""],
]
BAD = ["陈静", "M005", "金卡", "很多", "2024-07-01", "消费不是数字"]


def gbk_csv(tmp_path: Path) -> Path:
    """The members as Excel saves them on a Chinese Windows: GBK, no BOM; the bad row third."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows([GOOD[0], GOOD[1], BAD, GOOD[2], GOOD[3]])
    path = tmp_path / "会员导出.csv"
    path.write_bytes(out.getvalue().encode("gbk"))
    return path


@pytest.fixture
def members(server: Server, request: pytest.FixtureRequest) -> str:
    app = "imp_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[-30:]
    server.api("POST", "/api/v1/apps", {"key": app, "name": "导入测试"})
    levels = {"choices": [{"value": "金卡"}, {"value": "银卡"}]}
    fields = [
        {"key": "name", "name": "姓名", "type": "text", "required": True},
        {"key": "code", "name": "会员编号", "type": "text", "unique": True},
        {"key": "level", "name": "等级", "type": "single_select", "options": levels},
        {"key": "spend", "name": "消费", "type": "number", "options": {"decimals": 2}},
        {"key": "joined", "name": "入会日期", "type": "date"},
    ]
    server.api(
        "POST",
        f"/api/v1/apps/{app}/tables",
        {"key": "members", "name": "会员", "display_field": "name", "fields": fields},
    )
    score = {
        "key": "score",
        "name": "积分",
        "type": "formula",
        "options": {"formula": "{spend} * 2"},
    }
    server.api("POST", T.format(app=app) + "/fields", score)
    return app


def records(server: Server, app: str) -> list[dict[str, Any]]:
    body = {"sort": [{"field": "code", "direction": "asc"}], "limit": 100}
    return server.api("POST", T.format(app=app) + "/records/query", body)["items"]


INSIDE = """w => document.documentElement.scrollWidth <= w + 1 && [
  ...document.querySelectorAll('[data-test=import-wizard] *')
].filter((e) => !e.closest('.preview-wrap')).every((e) => e.getBoundingClientRect().right <= w + 1)"""


def fits(page: Any, width: int) -> bool:
    """Nothing of the wizard reaches past the screen's edge (but the preview, which scrolls)."""
    return bool(page.evaluate(INSIDE, width))


def upload(page: Any, server: Server, app: str, path: Path) -> None:
    page.goto(f"{server.url}/apps/{app}/tables/members")
    page.locator("[data-test=import-button]").click()
    page.wait_for_url(re.compile(r"/tables/members/import"))
    page.locator("[data-test=import-drop] input[type=file]").set_input_files(str(path))
    page.locator("[data-test=import-mapping]").wait_for()


def selected(page: Any, column: int) -> str:
    return page.locator(f"[data-test=import-field-{column}]").inner_text().strip()


def test_a_gbk_csv_is_mapped_dry_run_imported_and_its_refused_row_downloaded(
    signed_in: Any, server: Server, members: str, tmp_path: Path, shoot: Callable[[Any, str], Path]
) -> None:
    page = signed_in
    app = members
    upload(page, server, app, gbk_csv(tmp_path))
    # The file was read as GB18030 and each column got the field of its header; 备注 is skipped.
    assert "gb" in page.locator("[data-test=import-source]").inner_text().lower()
    assert [selected(page, i) for i in range(5)] == HEADER[:5]
    assert selected(page, 5) == "跳过此列"
    assert "张伟" in page.locator("[data-test=import-preview]").inner_text()
    # The picker offers what the API says a column may fill: not the computed 积分.
    page.locator("[data-test=import-field-5]").click()
    code = page.locator("[data-test=import-option-code]:visible")
    code.wait_for()
    assert "唯一" in code.inner_text()
    assert page.locator("[data-test=import-option-score]").count() == 0
    page.keyboard.press("Escape")
    shoot(page, "import-mapping")
    page.locator("[data-test=import-next]").click()
    page.locator("[data-test=import-options]").wait_for()
    assert page.locator("[data-test=import-mode-insert] input").is_checked()
    assert not page.locator("[data-test=import-run-rules] input").is_checked()
    page.locator("[data-test=import-dry-run]").click()

    # The dry run: four to create, the bad row refused with its reason; nothing written.
    outcome = page.locator("[data-test=import-outcome-dry_run]")
    outcome.wait_for()
    assert outcome.locator("[data-test=import-count-created] .n").inner_text() == "4"
    assert outcome.locator("[data-test=import-count-refused] .n").inner_text() == "1"
    refused = outcome.locator(".row.refused")
    assert refused.count() == 1
    assert "消费" in refused.inner_text()
    assert records(server, app) == []
    shoot(page, "import-dry-run")

    # The run: its progress reaches done; the records are there, the bad one is not.
    page.locator("[data-test=import-run]").click()
    page.locator("[data-test=import-done]").wait_for()
    progress = page.locator("[data-test=import-progress][data-status=done]")
    assert progress.locator("[data-test=import-rows-done]").inner_text().startswith("5 / ")
    run = page.locator("[data-test=import-outcome-run]")
    assert run.locator("[data-test=import-count-created] .n").inner_text() == "4"
    assert run.locator("[data-test=import-count-refused] .n").inner_text() == "1"
    saved = records(server, app)
    assert [r["code"] for r in saved] == ["M001", "M002", "M003", "M004"]
    assert saved[0]["level"] == "金卡" and float(saved[0]["spend"]) == 1200
    assert str(saved[0]["joined"]).startswith("2024-03-05")
    shoot(page, "import-done")

    # The error file: the refused row with a reason column, to fix and re-import.
    with page.expect_download() as dl:
        page.locator("[data-test=import-errors-download]").click()
    text = Path(dl.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][: len(HEADER)] == HEADER
    assert len(rows) == 2 and rows[1][0] == "陈静" and rows[1][-1]

    # The grid shows the imported records; the wizard lists the import as done.
    page.locator("[data-test=import-to-grid]").click()
    page.wait_for_url(re.compile(r"/tables/members$"))
    page.locator(".el-table-v2__row [data-field=name]").first.wait_for()
    names = page.locator(".el-table-v2__row [data-field=name]").all_inner_texts()
    assert {n.strip() for n in names} == {"张伟", "王芳", "李娜", "刘洋"}
    page.locator("[data-test=import-button]").click()
    history = page.locator("[data-test=import-history]")
    history.get_by_text("会员导出.csv").first.wait_for()
    assert "已完成" in history.inner_text()
    job = server.api("GET", T.format(app=app) + "/imports")["items"][0]
    by = history.locator(f"[data-test=import-job-by-{job['id']}]")
    assert job["created_by_name"] and job["created_by_name"] in by.inner_text()

    # Fix and re-import: the fixed row alone, by upsert on the member number.
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(",".join(HEADER) + "\n" + ",".join([*BAD[:3], "99", *BAD[4:]]) + "\n")
    page.locator("[data-test=import-drop] input[type=file]").set_input_files(str(fixed))
    page.locator("[data-test=import-next]").click()
    page.locator("[data-test=import-mode-upsert]").click()
    assert "会员编号" in page.locator("[data-test=import-key]").inner_text()
    page.locator("[data-test=import-dry-run]").click()
    page.locator("[data-test=import-run]").click()
    page.locator("[data-test=import-done]").wait_for()
    assert [r["code"] for r in records(server, app)][-1] == "M005"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_wizard_fits_a_phone(
    signed_in: Any,
    server: Server,
    members: str,
    tmp_path: Path,
    lang: str,
    shoot: Callable[[Any, str], Path],
) -> None:
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 812})
    page.evaluate(f"localStorage.setItem('cairn.lang', '{lang}')")
    upload(page, server, members, gbk_csv(tmp_path))
    step = page.locator("[data-test=import-step]").inner_text()
    assert ("第 2 步" if lang == "zh-CN" else "Step 2 of 5") in step
    assert fits(page, 375)
    shoot(page, "import-mapping-phone")
    page.locator("[data-test=import-next]").click()
    page.locator("[data-test=import-options]").wait_for()
    assert fits(page, 375)
    shoot(page, "import-options-phone")
    page.locator("[data-test=import-dry-run]").click()
    page.locator("[data-test=import-outcome-dry_run]").wait_for()
    assert fits(page, 375)
    shoot(page, "import-dry-run-phone")
