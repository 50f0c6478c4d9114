"""Import-friendly cell forms: what people type, as the field types' coercers take it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.imports.mapping import check, suggest
from cairn.imports.values import (
    as_boolean,
    as_date,
    as_datetime,
    as_number,
    as_text,
    choice_reader,
    excel_date,
    fold,
    remembered,
)
from cairn.meta import Field

DATES = st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31))


@settings(max_examples=80)
@given(DATES)
def test_chinese_and_iso_dates_read_as_iso(d: date) -> None:
    forms = [
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}.{d.month:02d}.{d.day:02d}",
        f"{d.year}-{d.month}-{d.day}",
        f"{d.year}{d.month:02d}{d.day:02d}",
        f" {d.isoformat()} ",
    ]
    for text in forms:
        assert as_date(text) == d.isoformat(), text


@settings(max_examples=80)
@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)), st.integers(0, 86399))
def test_excel_serials_are_days_since_1899_12_30(d: date, seconds: int) -> None:
    serial = (d - date(1899, 12, 30)).days
    assert as_date(serial) == d.isoformat()
    assert as_date(float(serial)) == d.isoformat()
    at = datetime(d.year, d.month, d.day) + timedelta(seconds=seconds)
    assert as_datetime(serial + seconds / 86400) in (
        at.isoformat(),
        (at - timedelta(seconds=1)).isoformat(),  # a float's last bit
        (at + timedelta(seconds=1)).isoformat(),
    )


def test_datetimes_with_chinese_time_marks() -> None:
    assert as_datetime("2024年3月5日 8:30") == "2024-03-05T08:30:00"
    assert as_datetime("2024/3/5 08:30:15") == "2024-03-05T08:30:15"
    assert as_datetime(datetime(2024, 3, 5, 8, 30, 1, 500)) == "2024-03-05T08:30:01"
    assert excel_date(0) is None
    assert as_date("2024年2月30日") == "2024年2月30日"  # no such day: the coercer refuses it


@settings(max_examples=80)
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_numbers_with_separators_and_yuan_signs(n: Decimal) -> None:
    plain = f"{n:.2f}"
    grouped = f"{n:,.2f}"
    for text in (grouped, f"¥{grouped}", f"￥{grouped}", f"{grouped}元", f"RMB {grouped}"):
        assert Decimal(as_number(text)) == Decimal(plain), text


def test_accounting_negatives_and_floats() -> None:
    assert as_number("(1,200.50)") == "-1200.50"
    assert as_number(0.1) == Decimal("0.1")
    assert as_text(13800138000.0) == "13800138000"


def test_yes_no_marks() -> None:
    assert as_boolean("√") is True
    assert as_boolean("×") is False
    assert as_boolean("是") == "是"  # the boolean type reads 是 itself


def field(key: str, name: str, type_: str = "text", **options: object) -> Field:
    return Field(
        id=hash(key) % 1000 + 1, table_id=1, key=key, name=name, type=type_, options=options
    )


def test_choices_by_label_ignoring_case_and_width() -> None:
    f = field("tier", "等级", "single_select", choices=[{"id": "a1", "value": "VIP"}])
    assert choice_reader(f, many=False)(" ｖｉｐ ") == "VIP"
    many = field("tags", "标签", "multi_select", choices=[{"id": "t", "value": "Gold"}])
    assert choice_reader(many, many=True)("gold、x") == ["Gold", "x"]


FIELDS = [field("name", "客户名称"), field("phone", "手机"), field("tier", "Tier")]


def test_mapping_by_key_name_saved_and_two_row_header() -> None:
    header = ["客户名称", "PHONE", "tier ", "备注", "客户信息 / 手机"]
    assert suggest(header, FIELDS) == ["name", "phone", "tier", None, None]
    assert suggest(["名称", "客户信息 / 手机"], FIELDS) == [None, "phone"]
    assert suggest(["名称"], FIELDS, {"名称": "name"}) == ["name"]
    assert suggest(["id", "客户名称"], FIELDS) == [None, "name"]


def test_mapping_check_names_the_bad_column() -> None:
    import pytest

    from cairn.core import Invalid

    with pytest.raises(Invalid) as e:
        check(["name", "name"], ["a", "b"], FIELDS)
    assert "mapping.1" in e.value.field_errors
    with pytest.raises(Invalid):
        check([None], ["a"], FIELDS)
    assert check({"b": "phone"}, ["a", "b"], FIELDS) == [None, "phone"]
    assert fold("Ｃｕｓｔｏｍｅｒ Name") == "customername"


@settings(max_examples=60)
@given(
    st.lists(
        st.sampled_from(["是", "否", " 是 ", "2024年3月5日", "¥1,200.00", "x", ""])
        | st.text(max_size=8),
        max_size=40,
    )
)
def test_remembered_readers_answer_as_the_reader(cells: list[str]) -> None:
    """A remembering reader answers each cell as its reader does, however often it repeats,
    also once it is full (it then reads the rest each time)."""
    for read in (as_boolean, as_date, as_number):
        for size in (2, 4096):
            memo = remembered(read, size)
            assert [memo(c) for c in cells + cells] == [read(c) for c in cells + cells]


def test_remembered_reader_reads_a_repeated_text_once() -> None:
    seen: list[str] = []

    def read(cell: object) -> object:
        seen.append(str(cell))
        return str(cell).upper()

    memo = remembered(read, size=2)
    assert [memo(c) for c in ["a", "b", "a", "c", "c", 1, 1]] == ["A", "B", "A", "C", "C", "1", "1"]
    assert seen == ["a", "b", "c", "c", "1", "1"]  # full at two; non-text cells always read
