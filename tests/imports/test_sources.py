"""Reading uploaded files: encodings a Chinese office produces, XLSX with merged header cells."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from cairn.core import Invalid
from cairn.imports.sources import combine_header, detect_encoding, kind_of, open_source

HEADER = "客户名称,手机,等级,签约日期"
ROWS = ["张三,13800138000,金卡,2024年3月5日", "李四,13900139000,银卡,2024/3/6"]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_gbk_csv_without_bom_reads_its_chinese_header(tmp_path: Path) -> None:
    text = "\r\n".join([HEADER, *ROWS]) + "\r\n"
    p = write(tmp_path, "客户.csv", text.encode("gbk"))
    src = open_source(p, kind_of(p.name, p.read_bytes()[:8]))
    assert src.encoding == "gb18030"
    assert src.header == ["客户名称", "手机", "等级", "签约日期"]
    assert [r for _, r in src.numbered()] == [r.split(",") for r in ROWS]
    assert [n for n, _ in src.numbered()] == [2, 3]


def test_utf8_bom_csv_has_no_bom_in_its_first_header(tmp_path: Path) -> None:
    text = "\n".join([HEADER, *ROWS])
    p = write(tmp_path, "c.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    src = open_source(p, "csv")
    assert src.encoding == "utf-8-sig"
    assert src.header[0] == "客户名称"
    assert src.preview()[0][0] == "张三"


def test_plain_utf8_csv_and_empty_rows_keep_their_numbers(tmp_path: Path) -> None:
    p = write(tmp_path, "c.csv", f"{HEADER}\n{ROWS[0]}\n,,,\n{ROWS[1]}\n".encode())
    src = open_source(p, "csv")
    assert src.encoding == "utf-8"
    assert [n for n, _ in src.numbered()] == [2, 4]


def test_old_excel_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid) as e:
        kind_of("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert e.value.field_errors["file"][0].key == "import.xls"


def xlsx_with_merged_header(tmp_path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(["客户信息", None, None, "签约日期", "备注"])
    ws.merge_cells("A1:C1")
    ws.merge_cells("D1:D2")
    ws.merge_cells("E1:E2")
    ws.append(["姓名", "手机", "等级", None, None])
    ws.append(["张三", 13800138000, "金卡", 45356, "首单"])
    ws.append(["李四", "13900139000", "银卡", datetime(2024, 3, 6), None])
    wb.create_sheet("其他").append(["x"])
    p = tmp_path / "c.xlsx"
    wb.save(p)
    return p


def test_xlsx_two_row_header_with_merged_cells(tmp_path: Path) -> None:
    p = xlsx_with_merged_header(tmp_path)
    src = open_source(p, kind_of(p.name, p.read_bytes()[:8]))
    assert src.kind == "xlsx"
    assert src.sheets == ["客户", "其他"]
    assert src.header_rows == 2
    assert src.header == [
        "客户信息 / 姓名",
        "客户信息 / 手机",
        "客户信息 / 等级",
        "签约日期",
        "备注",
    ]
    rows = [r for _, r in src.numbered()]
    assert rows[0] == ["张三", 13800138000, "金卡", 45356, "首单"]
    assert rows[1][3] == datetime(2024, 3, 6)
    assert [n for n, _ in src.numbered()] == [3, 4]


def test_xlsx_chosen_sheet_and_header_height(tmp_path: Path) -> None:
    p = xlsx_with_merged_header(tmp_path)
    one = open_source(p, "xlsx", header_rows=1)
    assert one.header[:3] == ["客户信息", "列2", "列3"]
    other = open_source(p, "xlsx", sheet="其他")
    assert other.header == ["x"]
    with pytest.raises(Invalid):
        open_source(p, "xlsx", sheet="无")


def test_header_names_unnamed_columns() -> None:
    assert combine_header([["a", "", "c"]]) == ["a", "列2", "c"]
    assert combine_header([["组", "", "单"], ["x", "y", ""]]) == ["组 / x", "组 / y", "单"]


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet="客户名称手机等级张三李四王五金银卡，。、abcXYZ0123 ", min_size=1, max_size=200
    )
)
def test_detected_encoding_reads_the_text_back(text: str) -> None:
    for enc in ("utf-8", "gbk", "gb18030"):
        data = text.encode(enc)
        assert data.decode(detect_encoding(data)) == text
