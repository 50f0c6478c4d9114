from __future__ import annotations

from collections.abc import Iterator

import pytest

from cairn.core import FrozenClock
from cairn.integrations import ChannelEnv, ChannelRegistry, builtin_channels
from support.receiver import Receiver


@pytest.fixture
def env(frozen_clock: FrozenClock) -> ChannelEnv:
    return ChannelEnv(frozen_clock)


@pytest.fixture
def channels(env: ChannelEnv) -> ChannelRegistry:
    return builtin_channels(env)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().running() as r:
        yield r
