"""GB/T 35590 conversions, conversion efficiency and output regulation."""

from __future__ import annotations

import pytest

from benchscore.analysis import AnalysisError
from benchscore.analysis import powerbank as pb


def test_measurement_md_example() -> None:
    # 10 000 mAh @ 3.7 V = 37.0 Wh; at η = 0.85 -> 31.45 Wh = 6290 mAh @ 5 V.
    assert pb.cell_energy_wh(10_000) == pytest.approx(37.0)
    assert pb.mah_at_voltage(31.45, 5.0) == pytest.approx(6290.0)
    assert pb.conversion_efficiency(31.45, 10_000) == pytest.approx(0.85)


def test_output_regulation() -> None:
    ok = pb.output_regulation([5.1, 4.9, 5.2], rated_v=5.0)
    assert ok.within and ok.low_limit_v == pytest.approx(4.75)
    assert ok.max_deviation_percent == pytest.approx(4.0)
    high = pb.output_regulation([5.4], rated_v=5.0)
    assert not high.within
    assert pb.output_regulation([5.4], rated_v=5.0, high_limit_v=5.5).within  # Type-C
    assert pb.load_regulation_percent(5.1, 5.0) == pytest.approx(2.0)
    with pytest.raises(AnalysisError):
        pb.mah_at_voltage(1.0, 0.0)
