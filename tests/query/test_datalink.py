"""Data-linkage options (``cairn.query.datalink``) checked against an in-memory catalog: a
relation's fill pairs and a choice field's parent and cascade, as users write them (keys,
option values) → as stored (ids) → as shown again; and the cascade check of a write
(``cairn.store.cascades``). No database."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cairn.core import FieldErrors, Invalid
from cairn.meta import App, Field, FieldContext, Table, builtin_field_types
from cairn.meta.conversions import carried, fill_compatible
from cairn.meta.packages import in_cascade_order
from cairn.query.datalink import datalink_options, datalink_public
from cairn.store.cascades import check_cascades
from cairn.store.catalog import Catalog, TableSchema
from cairn.store.record_input import Prepared

TYPES = builtin_field_types()

MAKES = [{"id": "cessna", "value": "Cessna"}, {"id": "cirrus", "value": "Cirrus"}]
MODELS = [
    {"id": "c172", "value": "Cessna 172"},
    {"id": "c208", "value": "Cessna 208"},
    {"id": "sr22", "value": "Cirrus SR22"},
]


def _options(type_: str, **options: Any) -> dict[str, Any]:
    return TYPES.get(type_).validate_options(options)


def _choices(
    id_: int, table_id: int, key: str, name: str, choices: list[dict[str, Any]], many: bool = False
) -> Field:
    """A single (or, ``many``, multi) select field with ``choices``, as the field service
    stores it."""
    type_ = "multi_select" if many else "single_select"
    return Field(
        id=id_,
        table_id=table_id,
        key=key,
        name=name,
        type=type_,
        options=_options(type_, choices=choices),
    )


def catalog(extra: list[Field] = ()) -> Catalog:  # type: ignore[assignment]
    """customers(1): name, phone, tier, since, photo, secret, orders (reverse);
    orders(2): title, customer (single), customers (many), contact_phone, tier_text, amount,
    no (auto number), note_date, make, model, total (rollup)."""
    c, o = 1, 2
    fields = [
        Field(id=10, table_id=c, key="name", name="名称", type="text"),
        Field(id=11, table_id=c, key="phone", name="手机", type="phone"),
        _choices(12, c, "tier", "等级", [{"value": "VIP"}, {"value": "Gold"}]),
        Field(id=13, table_id=c, key="since", name="签约", type="date"),
        Field(id=14, table_id=c, key="photo", name="照片", type="attachment"),
        Field(
            id=15,
            table_id=c,
            key="secret",
            name="证件号",
            type="text",
            options={"sensitive": True},
        ),
        Field(
            id=16,
            table_id=c,
            key="orders",
            name="订单",
            type="relation",
            options={"target_table_id": o, "multiple": True, "reverse_of": 21},
        ),
        Field(id=20, table_id=o, key="title", name="标题", type="text"),
        Field(
            id=21,
            table_id=o,
            key="customer",
            name="客户",
            type="relation",
            options={"target_table_id": c, "multiple": False, "reverse_field_id": 16},
        ),
        Field(
            id=22,
            table_id=o,
            key="customers",
            name="客户们",
            type="relation",
            options={"target_table_id": c, "multiple": True},
        ),
        Field(id=23, table_id=o, key="contact_phone", name="联系电话", type="phone"),
        Field(id=24, table_id=o, key="tier_text", name="等级文字", type="text"),
        Field(id=25, table_id=o, key="amount", name="金额", type="number"),
        Field(id=26, table_id=o, key="no", name="单号", type="auto_number"),
        Field(id=27, table_id=o, key="flag", name="标记", type="boolean"),
        _choices(28, o, "make", "厂商", MAKES),
        _choices(29, o, "model", "机型", MODELS),
        Field(
            id=30,
            table_id=o,
            key="total",
            name="合计",
            type="rollup",
            options={"relation_field_id": 22, "function": "count"},
        ),
        _choices(31, o, "tags", "标签", MODELS, many=True),
        *extra,
    ]
    tables = [
        Table(id=c, app_id=1, key="customers", name="客户"),
        Table(id=o, app_id=1, key="orders", name="订单"),
    ]
    ctx = FieldContext(timezone=ZoneInfo("Asia/Shanghai"))
    return Catalog(1, [App(id=1, key="crm", name="CRM")], tables, fields, TYPES, ctx)


def save(cat: Catalog, key: str, options: dict[str, Any], table: int = 2) -> dict[str, Any]:
    """Options of the field ``key`` of ``table`` after a change, as the field service saves
    them (a relation's stored options merged with what is sent)."""
    s = cat.schema(table)
    f = s.by_key[key]
    ft = s.type_of(f)
    raw = {**f.options, **options} if f.is_relation else options
    return datalink_options(cat, s, f.key, f.id, ft, raw, lambda o: ft.validate_options(o, f))


def errors_of(e: pytest.ExceptionInfo[Invalid]) -> dict[str, list[str]]:
    return {loc: [m.key for m in ms] for loc, ms in e.value.field_errors.items()}


def changed(cat: Catalog, key: str, options: dict[str, Any], table: int = 2) -> Catalog:
    """The catalog with the field ``key`` holding ``options``."""
    fields = [
        f.model_copy(update={"options": options}) if f.key == key and f.table_id == table else f
        for f in cat.all_fields.values()
    ]
    return Catalog(
        1, list(cat.apps.values()), list(cat.all_tables.values()), fields, TYPES, cat.ctx
    )


# -- fill ----------------------------------------------------------------------------------


def test_fill_is_stored_with_field_ids_and_shown_with_keys() -> None:
    cat = catalog()
    fill = [{"from": "phone", "to": "contact_phone"}, {"from": "tier", "to": "tier_text"}]
    stored = save(cat, "customer", {"fill": fill})
    assert stored["fill"] == [{"from": 11, "to": 23}, {"from": 12, "to": 24}]
    assert stored["multiple"] is False and stored["reverse_field_id"] == 16
    cat = changed(cat, "customer", stored)
    shown = dict(stored)
    datalink_public(cat, cat.all_fields[21], shown)
    assert shown["fill"] == fill
    # Saved again as stored (the relation's other options changed only): still the same.
    assert save(cat, "customer", {})["fill"] == stored["fill"]


def test_a_relation_without_fill_keeps_its_options_as_they_were() -> None:
    cat = catalog()
    assert "fill" not in save(cat, "customer", {})
    assert "fill" not in save(cat, "customer", {"fill": []})
    assert "fill" not in save(cat, "customer", {"fill": None})


@pytest.mark.parametrize(
    ("fill", "where", "key"),
    [
        ([{"from": "nope", "to": "contact_phone"}], "options.fill.0.from", "field.fill_unknown"),
        ([{"from": "phone", "to": "nope"}], "options.fill.0.to", "field.fill_unknown"),
        ([{"from": "phone", "to": "customer"}], "options.fill.0.to", "field.fill_self"),
        ([{"from": "orders", "to": "title"}], "options.fill.0.from", "field.fill_source"),
        ([{"from": "photo", "to": "title"}], "options.fill.0.from", "field.fill_source"),
        ([{"from": "name", "to": "no"}], "options.fill.0.to", "field.fill_target"),
        ([{"from": "name", "to": "total"}], "options.fill.0.to", "field.fill_target"),
        ([{"from": "name", "to": "customers"}], "options.fill.0.to", "field.fill_target"),
        ([{"from": "since", "to": "flag"}], "options.fill.0.to", "field.fill_type"),
        ([{"from": "secret", "to": "title"}], "options.fill.0.to", "field.fill_sensitive"),
        (
            [{"from": "phone", "to": "title"}, {"from": "name", "to": "title"}],
            "options.fill.1.to",
            "field.fill_duplicate",
        ),
        ([{"from": "name", "to": "title", "mode": "sync"}], "options.fill.0", "field.fill_shape"),
        ({"from": "name"}, "options.fill", "field.fill_shape"),
        (["name"], "options.fill", "field.fill_shape"),
    ],
)
def test_bad_fill_pairs_are_refused_where_they_are(fill: Any, where: str, key: str) -> None:
    with pytest.raises(Invalid) as e:
        save(catalog(), "customer", {"fill": fill})
    assert errors_of(e)[where] == [key]


def test_every_bad_pair_is_reported_at_once() -> None:
    fill = [
        {"from": "nope", "to": "title"},
        {"from": "phone", "to": "contact_phone"},
        {"from": "since", "to": "flag"},
    ]
    with pytest.raises(Invalid) as e:
        save(catalog(), "customer", {"fill": fill})
    assert errors_of(e) == {
        "options.fill.0.from": ["field.fill_unknown"],
        "options.fill.2.to": ["field.fill_type"],
    }


def test_a_relation_to_many_records_fills_nothing() -> None:
    with pytest.raises(Invalid) as e:
        save(catalog(), "customers", {"fill": [{"from": "phone", "to": "contact_phone"}]})
    assert errors_of(e) == {"options.fill": ["field.fill_multiple"]}
    # Nor may a relation that fills become one to many.
    cat = catalog()
    cat = changed(cat, "customer", save(cat, "customer", {"fill": [{"from": 11, "to": 23}]}))
    with pytest.raises(Invalid) as e:
        save(cat, "customer", {"multiple": True})
    assert errors_of(e) == {"options.fill": ["field.fill_multiple"]}


def test_which_types_fill_which() -> None:
    t = TYPES.get
    assert fill_compatible(t("phone"), t("phone"))
    assert fill_compatible(t("phone"), t("text"))
    assert fill_compatible(t("single_select"), t("text"))
    assert fill_compatible(t("single_select"), t("single_select"))
    assert fill_compatible(t("number"), t("currency"))
    assert fill_compatible(t("user"), t("user"))
    assert fill_compatible(t("auto_number"), t("text"))  # a customer number, copied as text
    assert not fill_compatible(t("user"), t("text"))  # an id is no name
    assert not fill_compatible(t("location"), t("text"))
    assert not fill_compatible(t("date"), t("boolean"))
    assert not fill_compatible(t("attachment"), t("attachment"))
    assert not fill_compatible(t("text"), t("auto_number"))
    assert not fill_compatible(t("relation"), t("relation"))
    assert not fill_compatible(t("formula"), t("text"))


def test_a_copied_value_is_carried_as_a_conversion_carries_it() -> None:
    assert carried(["VIP", "Gold"], "text") == "VIP, Gold"
    assert carried(["VIP", "Gold"], "choices") == ["VIP", "Gold"]
    assert carried(True, "text") == "true"
    assert carried(True, "boolean") is True
    assert carried("13800000000", "text") == "13800000000"


# -- cascade -------------------------------------------------------------------------------


CASCADE = {"Cessna": ["Cessna 172", "Cessna 208"], "Cirrus": ["Cirrus SR22"]}


def test_cascade_is_stored_with_ids_and_shown_with_values() -> None:
    cat = catalog()
    stored = save(cat, "model", {"choices": MODELS, "parent": "make", "cascade": CASCADE})
    assert stored["parent"] == 28
    assert stored["cascade"] == {"cessna": ["c172", "c208"], "cirrus": ["sr22"]}
    cat = changed(cat, "model", stored)
    shown = dict(stored)
    datalink_public(cat, cat.all_fields[29], shown)
    assert shown["parent"] == "make" and shown["cascade"] == CASCADE
    # Ids work as well as values (an API client copying the stored form).
    again = save(cat, "model", {"choices": MODELS, "parent": "make", "cascade": stored["cascade"]})
    assert again["cascade"] == stored["cascade"]


def test_a_renamed_option_shows_its_new_name_in_the_cascade() -> None:
    cat = catalog()
    stored = save(cat, "model", {"choices": MODELS, "parent": "make", "cascade": CASCADE})
    cat = changed(cat, "model", stored)
    renamed = [{**MAKES[0], "value": "Textron Cessna"}, MAKES[1]]
    make_opts = TYPES.get("single_select").validate_options({"choices": renamed})
    cat = changed(cat, "make", make_opts)
    shown = dict(stored)
    datalink_public(cat, cat.all_fields[29], shown)
    assert shown["cascade"] == {
        "Textron Cessna": ["Cessna 172", "Cessna 208"],
        "Cirrus": ["Cirrus SR22"],
    }


def test_choices_without_a_parent_keep_their_options_as_they_were() -> None:
    stored = save(catalog(), "model", {"choices": MODELS})
    assert set(stored) == {"choices"}
    stored = save(catalog(), "model", {"choices": MODELS, "parent": None, "cascade": {}})
    assert set(stored) == {"choices"}


@pytest.mark.parametrize(
    ("options", "where", "key"),
    [
        ({"parent": "nope"}, "options.parent", "field.cascade_parent"),
        ({"parent": "model"}, "options.parent", "field.cascade_parent"),
        ({"parent": "title"}, "options.parent", "field.cascade_parent"),
        ({"parent": "tags"}, "options.parent", "field.cascade_parent"),
        ({"cascade": CASCADE}, "options.parent", "field.cascade_no_parent"),
        ({"parent": "make", "cascade": ["Cessna"]}, "options.cascade", "field.cascade_shape"),
        (
            {"parent": "make", "cascade": {"Piper": ["Cessna 172"]}},
            "options.cascade.Piper",
            "field.cascade_option",
        ),
        (
            {"parent": "make", "cascade": {"Cessna": ["PA-44"]}},
            "options.cascade.Cessna",
            "field.cascade_option",
        ),
    ],
)
def test_bad_cascades_are_refused_where_they_are(
    options: dict[str, Any], where: str, key: str
) -> None:
    with pytest.raises(Invalid) as e:
        save(catalog(), "model", {"choices": MODELS, **options})
    assert errors_of(e) == {where: [key]}


def test_choices_cannot_depend_on_themselves_through_others() -> None:
    cat = catalog()
    cat = changed(cat, "model", save(cat, "model", {"choices": MODELS, "parent": "make"}))
    with pytest.raises(Invalid) as e:
        save(cat, "make", {"choices": MAKES, "parent": "model"})
    assert errors_of(e) == {"options.parent": ["field.cascade_cycle"]}
    assert "make → model → make" in e.value.field_errors["options.parent"][0].params["fields"]


def test_a_package_creates_a_parent_before_the_fields_depending_on_it() -> None:
    fields = [
        {"key": "city", "options": {"parent": "province"}},
        {"key": "title"},
        {"key": "district", "options": {"parent": "city"}},
        {"key": "province"},
    ]
    order = [f["key"] for _, f in in_cascade_order(fields)]
    assert order == ["title", "province", "city", "district"]
    assert [i for i, _ in in_cascade_order(fields)] == [1, 3, 0, 2]


# -- the cascade check of a write ----------------------------------------------------------


class Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self._mapping = values


def _cascaded() -> TableSchema:
    cat = catalog()
    stored = save(cat, "model", {"choices": MODELS, "parent": "make", "cascade": CASCADE})
    cat = changed(cat, "model", stored)
    tags = save(cat, "tags", {"choices": MODELS, "parent": "make", "cascade": CASCADE})
    return changed(cat, "tags", tags).schema(2)


def _write(index: int, record_id: int | None = None, **columns: Any) -> Prepared:
    p = Prepared(index, record_id, 1 if record_id else None)
    p.columns = {({"make": 28, "model": 29, "tags": 31})[k]: v for k, v in columns.items()}
    return p


def test_a_write_takes_only_the_options_its_parent_allows() -> None:
    s = _cascaded()
    before = {7: Row({"f_28": "cessna", "f_29": "c172", "f_31": None})}
    errors = FieldErrors()
    items = [
        _write(0, make="cessna", model="c208"),  # fits
        _write(1, make="cirrus", model="c172"),  # does not
        _write(2, model="sr22"),  # no make
        _write(3, make="cirrus", tags=json.dumps(["sr22", "c208"])),  # one of the tags is wrong
        _write(4, 7, make="cirrus"),  # the record's model no longer fits
        _write(5, 7, model="c208"),  # fits the record's make
        _write(6, make=None, model=None),  # both blank: nothing to check
    ]
    check_cascades(s, items, before, errors, single=False)
    got = {loc: [(m.key, m.params) for m in ms] for loc, ms in errors.errors.items()}
    assert got == {
        "records.1.model": [
            ("value.cascade", {"value": "Cessna 172", "parent": "厂商", "parent_value": "Cirrus"})
        ],
        "records.2.model": [("value.cascade_blank", {"parent": "厂商"})],
        "records.3.tags": [
            ("value.cascade", {"value": "Cessna 208", "parent": "厂商", "parent_value": "Cirrus"})
        ],
        "records.4.model": [
            ("value.cascade", {"value": "Cessna 172", "parent": "厂商", "parent_value": "Cirrus"})
        ],
    }
