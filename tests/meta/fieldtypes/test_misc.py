"""location: a point with an optional address."""

from __future__ import annotations

from typing import Any

import pytest

from ..helpers import cell


def test_location_keeps_the_point_and_the_address() -> None:
    point = {"lat": 39.9087, "lng": 116.3975, "address": "北京市东城区天安门"}
    assert cell("location").read(point) == point


def test_location_without_an_address() -> None:
    assert cell("location").read({"lat": 31, "lng": 121}) == {"lat": 31.0, "lng": 121.0}
    assert cell("location").read({"lat": 31, "lng": 121, "address": ""}) == {
        "lat": 31.0,
        "lng": 121.0,
    }


@pytest.mark.parametrize(("lat", "lng"), [(90, 180), (-90, -180), (0, 0), (89.999999, -179.999999)])
def test_location_edges_are_accepted(lat: float, lng: float) -> None:
    assert cell("location").read({"lat": lat, "lng": lng}) == {"lat": lat, "lng": lng}


@pytest.mark.parametrize(
    "value",
    [
        {"lat": 90.0001, "lng": 0},
        {"lat": -91, "lng": 0},
        {"lat": 0, "lng": 180.5},
        {"lat": 0, "lng": -181},
        {"lat": float("nan"), "lng": 0},
        {"lat": 0, "lng": float("inf")},
        {"lat": "39.9", "lng": "116.4"},
        {"lat": True, "lng": 0},
        {"lat": 0},
        {"lat": 0, "lng": 0, "address": 12},
        {"lat": 0, "lng": 0, "address": "x" * 501},
        {"lat": 0, "lng": 0, "zoom": 3},
        [39.9, 116.4],
        "39.9,116.4",
    ],
)
def test_bad_location_is_rejected(value: Any) -> None:
    assert cell("location").error_key(value) == "value.location"


def test_blank_location() -> None:
    assert cell("location").coerce(None) is None
    assert cell("location").dump(None) is None
