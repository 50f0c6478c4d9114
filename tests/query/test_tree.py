import pytest

from cairn.core import Invalid
from cairn.query import SortKey, filter_to_json, parse_filter, parse_sort


def _key(e: Invalid) -> tuple[str, str]:
    ((loc, msgs),) = e.field_errors.items()
    return loc, msgs[0].key


def test_round_trip():
    raw = {
        "and": [
            {"field": "tier", "op": "eq", "value": "VIP"},
            {
                "or": [
                    {"field": "a", "op": "is_empty"},
                    {"not": {"field": "b", "op": "gt", "value": 3}},
                ]
            },
        ]
    }
    assert filter_to_json(parse_filter(raw)) == raw


def test_no_filter():
    assert parse_filter(None) is None
    assert parse_filter({}) is None


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        ([], "filter"),
        ({"field": "a"}, "filter"),
        ({"and": {}}, "filter"),
        ({"and": [1]}, "filter.and.0"),
        ({"field": "a", "op": "eq", "value": 1, "x": 2}, "filter"),
        ({"field": 3, "op": "eq"}, "filter.field"),
        ({"field": "a", "op": ""}, "filter.op"),
        ({"or": [{"not": "x"}]}, "filter.or.0.not"),
    ],
)
def test_bad_shapes(raw, loc):
    with pytest.raises(Invalid) as e:
        parse_filter(raw)
    assert _key(e.value) == (loc, "filter.shape")


def test_depth_limit():
    node = {"field": "a", "op": "is_empty"}
    for _ in range(9):
        node = {"not": node}
    parse_filter(node)  # 10 levels
    with pytest.raises(Invalid) as e:
        parse_filter({"not": node})
    assert _key(e.value) == ("filter", "filter.depth")


def test_node_limit():
    ok = {"and": [{"field": "a", "op": "is_empty"}] * 199}
    parse_filter(ok)
    with pytest.raises(Invalid) as e:
        parse_filter({"and": [{"field": "a", "op": "is_empty"}] * 200})
    assert _key(e.value) == ("filter", "filter.depth")


def test_sort_shapes():
    assert parse_sort([{"field": "a"}, {"field": "b", "direction": "desc"}]) == [
        SortKey("a"),
        SortKey("b", "desc"),
    ]
    assert parse_sort("-a") == [SortKey("a", "desc")]
    assert parse_sort(None) == []
    with pytest.raises(Invalid) as e:
        parse_sort([{"field": "a", "direction": "up"}])
    assert _key(e.value) == ("sort.0.direction", "sort.field")
    with pytest.raises(Invalid) as e:
        parse_sort([{"field": "a"}, {"field": ""}])
    assert _key(e.value) == ("sort.1.field", "sort.field")
