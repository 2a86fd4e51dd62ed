"""The sampler reads every channel per tick, stamps both clocks, and skips ticks it missed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from firmware_py.sampler import Sampler


def test_every_channel_read_once_per_tick_with_both_timestamps() -> None:
    calls = {"a": 0, "b": 0}

    def a() -> float:
        calls["a"] += 1
        return float(calls["a"])

    def b() -> float:
        calls["b"] += 1
        return -1.0

    block = Sampler({"a": a, "b": b}, rate_hz=200).run(0.1)
    n = len(block.t_mono_s)
    assert n == calls["a"] == calls["b"] == 20
    assert np.array_equal(block.values["a"], np.arange(1, n + 1))
    assert np.all(block.values["b"] == -1.0)
    assert np.all(np.diff(block.t_mono_s) > 0)
    assert abs(block.t_wall_s[0] - time.time()) < 5
    assert block.overruns == 0


def test_a_channel_slower_than_the_period_causes_overruns_not_bunching() -> None:
    def slow() -> float:
        time.sleep(0.025)  # 2.5 periods at 100 Hz
        return 0.0

    block = Sampler({"slow": slow}, rate_hz=100).run(0.2)
    assert block.overruns > 0
    assert len(block.t_mono_s) + block.overruns == 20
    assert np.all(block.periods_s > 0.02)  # skipped, never a burst of catch-up reads


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="positive"):
        Sampler({"a": lambda: 0.0}, rate_hz=0)
    with pytest.raises(ValueError, match="at least one channel"):
        Sampler({}, rate_hz=10)
