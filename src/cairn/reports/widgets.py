"""Widget types: one class per chart a user picks, each shaping a dataset result or a KPI
into what ECharts renders (series + axes), so the web UI only draws.

Every point a user can click carries the raw keys of its dimensions (option ids, record ids,
date-bucket starts, bin starts; not the labels shown), which the drill-down endpoint turns
back into the filter of the records behind it. A point is a list of keys, one per dimension
(rows, then columns):

- line, bar, stacked bar: ``data.x_keys[i]`` is the key of the i-th x value; with a second
  dimension each series has ``key`` (point ``[x_keys[i], series.key]``), else each series
  names the ``measure`` it shows (point ``[x_keys[i]]``); a KPI split: ``x_keys`` are the
  split's keys;
- pie and funnel: each item has ``keys`` (a KPI's funnel stages: ``[stage index]``);
- number card and gauge from a dataset: ``keys`` of the row shown;
- China map: each province has ``points``, the keys of every value merged into it (``广东``
  and ``广东省`` are one province); values that are no province are in ``unmatched``, each
  with its ``points`` too;
- table: ``data.row_keys[i]`` are the keys of ``data.rows[i]``;
- pivot: the cell ``cells[r][c]`` is the point ``rows[r].keys + columns[c].keys``.

A widget without dimensions is one point: any point drills into all of its records.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cairn.core import Registry, TypeDef
from cairn.reports.datasets import DatasetResult, pivot
from cairn.reports.dimensions import plain

Data = dict[str, Any]


def _keys(keys: tuple[Any, ...]) -> list[Any]:
    return [plain(k) for k in keys]


def _name(label: Any, key: Any) -> str:
    if label is not None:
        return str(label)
    return "" if key is None else str(plain(key))


class WidgetType(TypeDef):
    #: The sources it can show: "dataset", "kpi".
    sources: ClassVar[frozenset[str]] = frozenset({"dataset"})

    def from_dataset(self, r: DatasetResult, n_rows: int, settings: dict[str, Any]) -> Data:
        raise NotImplementedError

    def from_kpi(self, k: dict[str, Any], settings: dict[str, Any]) -> Data:
        raise NotImplementedError


class NumberCard(WidgetType):
    """One number, with the previous period and the change (a KPI), as a trend."""

    key = "number"
    sources = frozenset({"dataset", "kpi"})

    def from_dataset(self, r: DatasetResult, n_rows: int, settings: dict[str, Any]) -> Data:
        value = r.rows[0][2][0] if r.rows else None
        keys = _keys(r.rows[0][0]) if r.rows else []
        return {"value": value, "label": r.measures[0].label, "keys": keys}

    def from_kpi(self, k: dict[str, Any], settings: dict[str, Any]) -> Data:
        prev = k.get("previous", {}).get("value") if k.get("previous") else None
        change = k.get("change")
        trend = None if change is None else "up" if change > 0 else "down" if change < 0 else "flat"
        return {
            "value": k.get("value"),
            "unit": k.get("unit"),
            "previous": prev,
            "change": change,
            "trend": trend,
        }


class Cartesian(WidgetType):
    """x = the first dimension; one series per measure, or with a second dimension one series
    per value of it (first measure)."""

    sources = frozenset({"dataset", "kpi"})
    series_type: ClassVar[str] = "bar"
    stacked: ClassVar[bool] = False

    def from_dataset(self, r: DatasetResult, n_rows: int, settings: dict[str, Any]) -> Data:
        if not r.dimensions:
            x = [""]
            x_keys: list[Any] = [None]
            series = [
                {"name": m.label, "measure": m.key, "data": [r.rows[0][2][j] if r.rows else None]}
                for j, m in enumerate(r.measures)
            ]
        elif len(r.dimensions) == 1:
            x = [_name(lb[0], k[0]) for k, lb, _ in r.rows]
            x_keys = [plain(k[0]) for k, _, _ in r.rows]
            series = [
                {"name": m.label, "measure": m.key, "data": [v[j] for _, _, v in r.rows]}
                for j, m in enumerate(r.measures)
            ]
        else:
            xs: dict[Any, int] = {}
            names: dict[Any, str] = {}
            by_series: dict[Any, dict[Any, Any]] = {}
            for k, lb, v in r.rows:
                xs.setdefault(k[0], len(xs))
                names.setdefault(k[0], _name(lb[0], k[0]))
                by_series.setdefault((k[1], _name(lb[1], k[1])), {})[k[0]] = v[0]
            x = [names[k] for k in xs]
            x_keys = [plain(k) for k in xs]
            series = [
                {"name": name, "key": plain(sk), "data": [vals.get(k) for k in xs]}
                for (sk, name), vals in by_series.items()
            ]
        return self._chart(x, x_keys, series, settings)

    def from_kpi(self, k: dict[str, Any], settings: dict[str, Any]) -> Data:
        groups = k.get("groups") or []
        x = [_name(g["label"], g["key"]) for g in groups]
        x_keys = [g["key"] for g in groups]
        series = [{"name": k["kpi"], "data": [g["value"] for g in groups]}]
        return self._chart(x, x_keys, series, settings)

    def _chart(
        self, x: list[str], x_keys: list[Any], series: list[Data], settings: dict[str, Any]
    ) -> Data:
        horizontal = bool(settings.get("horizontal")) and self.series_type == "bar"
        cat = {"type": "category", "data": x}
        val = {"type": "value"}
        out_series = []
        for s in series:
            item = {"type": self.series_type, **s}
            if self.stacked:
                item["stack"] = "total"
            if self.series_type == "line" and settings.get("smooth"):
                item["smooth"] = True
            out_series.append(item)
        return {
            "xAxis": val if horizontal else cat,
            "yAxis": cat if horizontal else val,
            "legend": {"data": [s["name"] for s in series]},
            "tooltip": {"trigger": "axis"},
            "series": out_series,
            "x_keys": x_keys,
        }


class Line(Cartesian):
    key = "line"
    series_type = "line"


class Bar(Cartesian):
    key = "bar"


class StackedBar(Cartesian):
    key = "stacked_bar"
    stacked = True


class Pie(WidgetType):
    key = "pie"
    sources = frozenset({"dataset", "kpi"})

    def from_dataset(self, r: DatasetResult, n_rows: int, settings: dict[str, Any]) -> Data:
        data = [
            {"name": _name(lb[0], k[0]) if k else "", "value": v[0], "keys": _keys(k)}
            for k, lb, v in r.rows
        ]
        return self._pie(r.measures[0].label, data)

    def from_kpi(self, k: dict[str, Any], settings: dict[str, Any]) -> Data:
        data = [
            {"name": _name(g["label"], g["key"]), "value": g["value"], "keys": [g["key"]]}
            for g in k.get("groups") or []
        ]
        return self._pie(k["kpi"], data)

    def _pie(self, name: str, data: list[Data]) -> Data:
        return {
            "tooltip": {"trigger": "item"},
            "legend": {"data": [d["name"] for d in data]},
            "series": [{"type": "pie", "name": name, "data": data}],
        }


class Funnel(WidgetType):
    """Stages of the funnel KPI, or a dataset's first dimension in order."""

    key = "funnel"
    sources = frozenset({"dataset", "kpi"})

    def from_dataset(self, r: DatasetResult, n_rows: int, settings: dict[str, Any]) -> Data:
        data = [
            {"name": _name(lb[0], k[0]) if k else "", "value": v[0], "keys": _keys(k)}
            for k, lb, v in r.rows
        ]
        return self._funnel(r.measures[0].label, data)

    def from_kpi(self, k: dict[str, Any], settings: dict[str, Any]) -> Data:
        stages = k.get("values", {}).get("stages") or []
        data = [
            {"name": s.get("label", str(i)), "value": s["count"], "rate": s["rate"], "keys": [i]}
            for i, s in enumerate(stages)
        ]
        out = self._funnel(k["kpi"], data)
        out["conversion"] = k.get("value")
        return out

    def _funnel(self, name: str, data: list[Data]) -> Data:
        return {
            "tooltip": {"trigger": "item"},
            "legend": {"data": [d["name"] for d in data]},
            "series": [{"type": "funnel", "name": name, "sort": "none", "data": data}],
        }


class Gauge(WidgetType):
    key = "gauge"
    sources = frozenset({"dataset", "kpi"})

    def from_dataset(self, r: DatasetResult, n_rows: int, settings: dict[str, Any]) -> Data:
        value = r.rows[0][2][0] if r.rows else None
        out = self._gauge(r.measures[0].label, value, settings)
        out["keys"] = _keys(r.rows[0][0]) if r.rows else []
        return out

    def from_kpi(self, k: dict[str, Any], settings: dict[str, Any]) -> Data:
        return self._gauge(k["kpi"], k.get("value"), settings)

    def _gauge(self, name: str, value: Any, settings: dict[str, Any]) -> Data:
        return {
            "series": [
                {
                    "type": "gauge",
                    "name": name,
                    "min": settings.get("min", 0),
                    "max": settings.get("max", 100),
                    "data": [{"name": name, "value": value}],
                }
            ]
        }


class Table(WidgetType):
    key = "table"
    sources = frozenset({"dataset", "kpi"})

    def from_dataset(self, r: DatasetResult, n_rows: int, settings: dict[str, Any]) -> Data:
        cols = [{"key": d.key, "label": d.label} for d in r.dimensions]
        cols += [{"key": m.key, "label": m.label} for m in r.measures]
        rows = [
            [
                _name(lb[i], k[i]) if (k[i] is not None or lb[i] is not None) else None
                for i in range(len(k))
            ]
            + list(v)
            for k, lb, v in r.rows
        ]
        row_keys = [_keys(k) for k, _, _ in r.rows]
        return {"columns": cols, "rows": rows, "row_keys": row_keys, "truncated": r.truncated}

    def from_kpi(self, k: dict[str, Any], settings: dict[str, Any]) -> Data:
        cols = [{"key": "group", "label": ""}, {"key": "value", "label": k["kpi"]}]
        groups = k.get("groups") or []
        rows = [[_name(g["label"], g["key"]), g["value"]] for g in groups]
        row_keys = [[g["key"]] for g in groups]
        if not rows:
            rows, row_keys = [["", k.get("value")]], [[]]
        return {"columns": cols, "rows": rows, "row_keys": row_keys, "truncated": False}


class PivotTable(WidgetType):
    key = "pivot"

    def from_dataset(self, r: DatasetResult, n_rows: int, settings: dict[str, Any]) -> Data:
        return pivot(r, n_rows)


#: Provinces, municipalities, autonomous regions and SARs by the names of ECharts' China map.
PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省",
    "上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省",
    "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省",
    "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区", "新疆维吾尔自治区",
    "台湾省", "香港特别行政区", "澳门特别行政区",
)  # fmt: skip


def _short(full: str) -> str:
    for suffix in ("特别行政区", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"):
        if full.endswith(suffix):
            return full[: -len(suffix)]
    return full


_BY_SHORT = {_short(p): p for p in PROVINCES}


def province_name(value: str, full: bool = True) -> str | None:
    """``广东`` or ``广东省`` → the map's name (full, or short like 广东); None if not one."""
    v = value.strip()
    p = _BY_SHORT.get(v) or (v if v in PROVINCES else None) or _BY_SHORT.get(_short(v))
    if p is None:
        return None
    return p if full else _short(p)


class ChinaMap(WidgetType):
    """Values per province on ECharts' ``china`` map (names full or ``settings.names:
    short``); values that are not provinces are listed apart."""

    key = "china_map"

    def from_dataset(self, r: DatasetResult, n_rows: int, settings: dict[str, Any]) -> Data:
        full = settings.get("names", "full") != "short"
        data: dict[str, Any] = {}
        points: dict[str, list[list[Any]]] = {}
        unmatched = []
        for k, lb, v in r.rows:
            raw = _name(lb[0], k[0]) if k else ""
            name = province_name(raw, full)
            if name is None:
                unmatched.append({"name": raw, "value": v[0], "points": [_keys(k)]})
            else:
                data[name] = (data.get(name) or 0) + (v[0] or 0)
                points.setdefault(name, []).append(_keys(k))
        values = [x for x in data.values() if isinstance(x, (int, float))]
        return {
            "tooltip": {"trigger": "item"},
            "visualMap": {
                "min": min(values, default=0),
                "max": max(values, default=0),
                "calculable": True,
            },
            "series": [
                {
                    "type": "map",
                    "map": settings.get("map", "china"),
                    "name": r.measures[0].label,
                    "data": [{"name": n, "value": x, "points": points[n]} for n, x in data.items()],
                }
            ],
            "unmatched": unmatched,
        }


WidgetRegistry = Registry[WidgetType]


def register_builtins(registry: WidgetRegistry) -> None:
    for cls in (NumberCard, Line, Bar, StackedBar, Pie, Funnel, Gauge, Table, PivotTable, ChinaMap):
        registry.register(cls())


def builtin_widgets() -> WidgetRegistry:
    registry: WidgetRegistry = Registry("widget")
    register_builtins(registry)
    return registry
