"""Power banks: rated capacity conversions, conversion efficiency, output regulation.

GB/T 35590-2017 (portable power banks for portable digital devices):

- Cell capacity is in mAh at the cell's nominal voltage (3.7 V for Li-ion); rated capacity is
  what the bank delivers at its output, in mAh at the rated output voltage (5 V).
  mAh at V = 1000·Wh / V.
- Conversion efficiency η = E_out / E_cell = ∫V_out·I_out dt / (C_cell·3.7 V); it must reach
  the declared value, or 80 % when none is declared.
- Output voltage within ±5 % of rated at every load step up to the rated current; for USB,
  4.75-5.25 V (USB 2.0 VBUS), 5.5 V allowed above for USB Type-C.
- Ripple and noise <= 200 mV peak-to-peak: see :func:`electrical.ripple_peak_to_peak_v`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from benchscore.analysis._arrays import AnalysisError, as_1d

LI_ION_NOMINAL_V: Final = 3.7
GBT35590_DEFAULT_EFFICIENCY: Final = 0.80
GBT35590_RIPPLE_LIMIT_V: Final = 0.200


def mah_at_voltage(energy_wh: float, voltage_v: float) -> float:
    """Return the capacity in mAh that ``energy_wh`` represents at ``voltage_v``."""
    if voltage_v <= 0:
        raise AnalysisError("voltage_v must be positive")
    return 1000.0 * energy_wh / voltage_v


def cell_energy_wh(cell_capacity_mah: float, cell_voltage_v: float = LI_ION_NOMINAL_V) -> float:
    """Return the rated cell energy in Wh: mAh × nominal V / 1000 (10 000 mAh -> 37.0 Wh)."""
    if cell_capacity_mah <= 0 or cell_voltage_v <= 0:
        raise AnalysisError("cell_capacity_mah and cell_voltage_v must be positive")
    return cell_capacity_mah * cell_voltage_v / 1000.0


def conversion_efficiency(
    output_energy_wh: float,
    cell_capacity_mah: float,
    cell_voltage_v: float = LI_ION_NOMINAL_V,
) -> float:
    """Return η = E_out / (C_cell·V_cell) as a fraction (GB/T 35590-2017; >= 0.80 by default)."""
    return output_energy_wh / cell_energy_wh(cell_capacity_mah, cell_voltage_v)


@dataclass(frozen=True)
class Regulation:
    """Output voltage against its limits, in volts and % of rated."""

    rated_v: float
    low_limit_v: float
    high_limit_v: float
    min_v: float
    max_v: float
    mean_v: float
    max_deviation_percent: float
    within: bool


def output_regulation(
    voltage_v: npt.ArrayLike,
    *,
    rated_v: float = 5.0,
    tolerance_fraction: float = 0.05,
    high_limit_v: float | None = None,
) -> Regulation:
    """Check output voltage samples against rated ± tolerance (GB/T 35590: ±5 %).

    ``high_limit_v`` overrides the upper limit (5.5 V for USB Type-C sources).
    """
    v = as_1d("voltage_v", voltage_v)
    if rated_v <= 0 or tolerance_fraction < 0:
        raise AnalysisError("rated_v must be positive and tolerance_fraction not negative")
    low = rated_v * (1.0 - tolerance_fraction)
    high = rated_v * (1.0 + tolerance_fraction) if high_limit_v is None else high_limit_v
    v_min, v_max = float(v.min()), float(v.max())
    deviation = float(np.max(np.abs(v - rated_v))) / rated_v * 100.0
    return Regulation(
        rated_v=rated_v,
        low_limit_v=low,
        high_limit_v=high,
        min_v=v_min,
        max_v=v_max,
        mean_v=float(v.mean()),
        max_deviation_percent=deviation,
        within=bool(low <= v_min and v_max <= high),
    )


def load_regulation_percent(no_load_v: float, full_load_v: float) -> float:
    """Return load regulation (V_no-load - V_full-load) / V_full-load in %."""
    if full_load_v <= 0:
        raise AnalysisError("full_load_v must be positive")
    return (no_load_v - full_load_v) / full_load_v * 100.0
