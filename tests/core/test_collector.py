"""``core.collector``: the garbage collector's first threshold raised while bulk jobs run,
and put back as it was when the last one ends."""

from __future__ import annotations

import gc

import pytest

from cairn.core.collector import YOUNG, fewer_collections


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_raised_inside_and_restored_after(thresholds) -> None:
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG, 10, 10)
        with fewer_collections():  # a second job (another thread) shares the setting
            assert gc.get_threshold() == (YOUNG, 10, 10)
        assert gc.get_threshold() == (YOUNG, 10, 10)  # the first job still runs
    assert gc.get_threshold() == (700, 10, 10)


def test_restored_when_the_job_fails(thresholds) -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("the batch failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_or_disabled_threshold_is_left_alone(thresholds) -> None:
    gc.set_threshold(YOUNG * 2, 5, 5)
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG * 2, 5, 5)
    gc.set_threshold(0, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold() == (0, 10, 10)
