"""Light for the simulated sensors: what falls on a sensor, as a spectrum on a 1 nm grid.

A :class:`LightSpec` names illuminance in lux and a correlated colour temperature; its
spectrum is either a blackbody (incandescent, halogen) or a phosphor-converted white LED
(a blue pump plus a broad phosphor band, mixed to the requested CCT). The simulated chips
integrate it against their own channel responses, so every chip sees the same light and the
colour channels, the IR channels and the lux channels stay consistent with each other.

Colour maths is CIE 1931 2°, with the colour matching functions taken from the multi-lobe
Gaussian fit of Wyman, Sloan and Shirley (JCGT 2(2), 2013): Planckian chromaticities come
out within 0.002 of the tabulated functions' values, enough for a simulation, and there is
no table to ship. CCT of a spectrum is found on
a Planckian table in CIE 1960 (u, v) (nearest point, interpolated), independent of the
McCamy formula the drivers use.

The light-sensor sims also share three small helpers here: :class:`IntegrationCycle`
(free-running integration on the clock, with an oscillator error), :class:`Noise` (seeded
relative noise) and :func:`quantise` (an ADC count, clipped at full scale).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from benchscore.clock import Clock

FloatArray = npt.NDArray[np.float64]

WAVELENGTHS_NM: Final[FloatArray] = np.arange(360.0, 1101.0, 1.0)
"""The spectral grid (nm) every spectrum and channel response is sampled on."""
WAVELENGTHS_NM.setflags(write=False)

STEP_NM: Final = 1.0
KM_LM_PER_W: Final = 683.0
"""Maximum luminous efficacy: lux = 683 · ∫ E(λ) ȳ(λ) dλ with E in W m⁻² nm⁻¹."""

SpectrumKind = Literal["led", "blackbody"]


def _lobe(mu: float, sigma_lo: float, sigma_hi: float) -> FloatArray:
    wl = WAVELENGTHS_NM
    sigma = np.where(wl < mu, sigma_lo, sigma_hi)
    return np.exp(-0.5 * ((wl - mu) / sigma) ** 2)


def _readonly(a: FloatArray) -> FloatArray:
    a.setflags(write=False)
    return a


CMF_X: Final[FloatArray] = _readonly(
    1.056 * _lobe(599.8, 37.9, 31.0)
    + 0.362 * _lobe(442.0, 16.0, 26.7)
    - 0.065 * _lobe(501.1, 20.4, 26.2)
)
CMF_Y: Final[FloatArray] = _readonly(
    0.821 * _lobe(568.8, 46.9, 40.5) + 0.286 * _lobe(530.9, 16.3, 31.1)
)
CMF_Z: Final[FloatArray] = _readonly(
    1.217 * _lobe(437.0, 11.8, 36.0) + 0.681 * _lobe(459.0, 26.0, 13.8)
)


def gaussian_band(centre_nm: float, fwhm_nm: float) -> FloatArray:
    """Return a unit-peak Gaussian pass band on :data:`WAVELENGTHS_NM`."""
    sigma = fwhm_nm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    return np.exp(-0.5 * ((WAVELENGTHS_NM - centre_nm) / sigma) ** 2)


def logistic_edge(edge_nm: float, width_nm: float) -> FloatArray:
    """Return a smooth step from 0 (short wavelengths) to 1 (long), centred at ``edge_nm``."""
    return 1.0 / (1.0 + np.exp(-(WAVELENGTHS_NM - edge_nm) / width_nm))


def silicon_response() -> FloatArray:
    """Return a bare silicon photodiode's relative responsivity (peak 1 near 900 nm)."""
    wl = WAVELENGTHS_NM
    rise = wl / 900.0  # quantum efficiency roughly flat: responsivity grows with wavelength
    fall = 1.0 / (1.0 + np.exp((wl - 1010.0) / 30.0))  # band-gap cut-off
    short = logistic_edge(380.0, 12.0)
    return rise * fall * short


def integrate(spectrum: FloatArray, response: FloatArray) -> float:
    """Return ∫ spectrum · response dλ on the grid."""
    return float(np.dot(spectrum, response) * STEP_NM)


def planck(cct_k: float) -> FloatArray:
    """Return a blackbody spectrum at ``cct_k`` (relative units)."""
    c2 = 1.4388e-2  # m·K
    wl_m = WAVELENGTHS_NM * 1e-9
    return (wl_m**-5) / np.expm1(c2 / (wl_m * cct_k))


def xyz_of(spectrum: FloatArray) -> tuple[float, float, float]:
    """Return tristimulus X, Y, Z of a spectral irradiance (Y in lux)."""
    return (
        KM_LM_PER_W * integrate(spectrum, CMF_X),
        KM_LM_PER_W * integrate(spectrum, CMF_Y),
        KM_LM_PER_W * integrate(spectrum, CMF_Z),
    )


def xy_of(spectrum: FloatArray) -> tuple[float, float]:
    """Return CIE 1931 chromaticity x, y of a spectrum."""
    x, y, z = xyz_of(spectrum)
    s = x + y + z
    return x / s, y / s


def uv_of_xy(x: float, y: float) -> tuple[float, float]:
    """Return CIE 1960 (u, v) of CIE 1931 (x, y)."""
    d = -2.0 * x + 12.0 * y + 3.0
    return 4.0 * x / d, 6.0 * y / d


@lru_cache(maxsize=1)
def _planck_table() -> tuple[FloatArray, FloatArray, FloatArray]:
    temps = np.geomspace(1000.0, 25000.0, 1200)
    us = np.empty_like(temps)
    vs = np.empty_like(temps)
    for i, t in enumerate(temps):
        us[i], vs[i] = uv_of_xy(*xy_of(planck(float(t))))
    return temps, us, vs


def cct_of_xy(x: float, y: float) -> float:
    """Return the CCT (K) of a chromaticity: the nearest Planckian point in (u, v)."""
    temps, us, vs = _planck_table()
    u, v = uv_of_xy(x, y)
    d2 = (us - u) ** 2 + (vs - v) ** 2
    i = int(np.argmin(d2))
    i = min(max(i, 1), len(temps) - 2)
    # parabola through the three nearest table points, in distance² against index
    a, b, c = d2[i - 1], d2[i], d2[i + 1]
    denom = a - 2.0 * b + c
    offset = 0.5 * (a - c) / denom if denom > 0 else 0.0
    offset = max(-1.0, min(1.0, offset))
    log_t = np.log(temps)
    return float(np.exp(np.interp(i + offset, np.arange(len(temps)), log_t)))


def _led_shape(cct_k: float, blue_weight: float) -> FloatArray:
    # Phosphor peak against mired, fitted so the mix lies on the Planckian locus (Duv ~ 0):
    # about 596 nm for 2700 K, 564 nm for 6500 K.
    phosphor_peak = 541.4 + 0.147 * (1e6 / cct_k)
    phosphor = gaussian_band(phosphor_peak, 115.0)
    blue = gaussian_band(450.0, 22.0)
    return np.asarray(blue_weight * blue + phosphor, dtype=np.float64)


def _led_spectrum(cct_k: float) -> FloatArray:
    # bisection on the blue pump weight until the mix has the requested CCT
    lo, hi = 0.0, 50.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if cct_of_xy(*xy_of(_led_shape(cct_k, mid))) < cct_k:
            lo = mid
        else:
            hi = mid
    return _led_shape(cct_k, 0.5 * (lo + hi))


@lru_cache(maxsize=512)
def unit_spectrum(cct_k: float, kind: SpectrumKind) -> FloatArray:
    """Return the spectrum of ``kind`` at ``cct_k`` scaled to 1 lx (W m⁻² nm⁻¹), read-only."""
    if not 1000.0 <= cct_k <= 25000.0:
        raise ValueError(f"CCT {cct_k} K outside 1000..25000 K")
    raw = planck(cct_k) if kind == "blackbody" else _led_spectrum(cct_k)
    scaled = raw / (KM_LM_PER_W * integrate(raw, CMF_Y))
    return _readonly(np.asarray(scaled, dtype=np.float64))


@dataclass(frozen=True)
class LightSpec:
    """Light on a sensor: illuminance (lx), CCT (K) and the kind of source.

    >>> LightSpec(500.0, 4000.0).xyz[1]  # Y is the illuminance
    500.0
    """

    illuminance_lx: float
    cct_k: float = 4000.0
    kind: SpectrumKind = "led"

    def __post_init__(self) -> None:
        if self.illuminance_lx < 0 or not math.isfinite(self.illuminance_lx):
            raise ValueError(f"illuminance {self.illuminance_lx} lx is not a finite value >= 0")
        if self.kind not in ("led", "blackbody"):
            raise ValueError(f"unknown spectrum kind {self.kind!r}")
        if not 1000.0 <= self.cct_k <= 25000.0:
            raise ValueError(f"CCT {self.cct_k} K outside 1000..25000 K")

    @property
    def spectrum(self) -> FloatArray:
        """Spectral irradiance on :data:`WAVELENGTHS_NM` in W m⁻² nm⁻¹."""
        return np.asarray(self.illuminance_lx * unit_spectrum(self.cct_k, self.kind))

    def response(self, channel: FloatArray) -> float:
        """Return ∫ E(λ)·channel(λ) dλ for a channel response on the grid."""
        return self.illuminance_lx * integrate(unit_spectrum(self.cct_k, self.kind), channel)

    @property
    def xyz(self) -> tuple[float, float, float]:
        """Tristimulus values, Y = illuminance in lux."""
        x, y = self.xy
        big_y = self.illuminance_lx
        return big_y * x / y, big_y, big_y * (1.0 - x - y) / y

    @property
    def xy(self) -> tuple[float, float]:
        """CIE 1931 chromaticity of the spectrum."""
        return _xy_cached(self.cct_k, self.kind)


@lru_cache(maxsize=512)
def _xy_cached(cct_k: float, kind: SpectrumKind) -> tuple[float, float]:
    return xy_of(unit_spectrum(cct_k, kind))


LightSource = Callable[[], "LightSpec | float"]
"""What a simulated light sensor is given: a callable returning a LightSpec or plain lux."""


def as_light(value: LightSpec | float) -> LightSpec:
    """Return ``value`` as a LightSpec; a plain number is lux of a 4000 K white LED."""
    if isinstance(value, LightSpec):
        return value
    return LightSpec(float(value))


class IntegrationCycle:
    """Free-running integration cycles of a light sensor, on a clock.

    ``start()`` begins integrating (the first result is ready ``delay_s + period_s`` later);
    ``poll()`` answers whether at least one cycle ended since the last poll, so a chip latches
    a fresh sample only when the clock has moved past a cycle boundary. ``stretch`` scales
    every period: 1.1 is an internal oscillator running 10 % slow.
    """

    def __init__(self, clock: Clock, stretch: float = 1.0) -> None:
        if stretch <= 0:
            raise ValueError(f"stretch {stretch} must be positive")
        self._clock = clock
        self._stretch = stretch
        self._anchor: float | None = None
        self._period = 1.0
        self._seen = 0

    @property
    def running(self) -> bool:
        return self._anchor is not None

    @property
    def period_s(self) -> float:
        """The actual period (stretched), in seconds."""
        return self._period

    def start(self, period_s: float, delay_s: float = 0.0) -> None:
        """Start integrating now; the first cycle ends ``delay_s + period_s`` from now."""
        if period_s <= 0:
            raise ValueError(f"integration period {period_s} s must be positive")
        self._anchor = self._clock.monotonic() + delay_s
        self._period = period_s * self._stretch
        self._seen = 0

    def stop(self) -> None:
        """Stop integrating; the partial cycle is lost."""
        self._anchor = None
        self._seen = 0

    def set_period(self, period_s: float) -> None:
        """Change the period from the current cycle on (the cycle in progress is stretched)."""
        if self._anchor is None:
            self._period = period_s * self._stretch
            return
        self.poll()
        self._anchor += self._seen * self._period
        self._seen = 0
        self._period = period_s * self._stretch

    def poll(self) -> bool:
        """Return True when one or more cycles have ended since the last poll."""
        if self._anchor is None:
            return False
        elapsed = self._clock.monotonic() - self._anchor
        done = math.floor(elapsed / self._period + 1e-9) if elapsed > 0 else 0
        if done > self._seen:
            self._seen = done
            return True
        return False


class Noise:
    """Optional seeded multiplicative noise on a count: ``value · (1 + relative · N(0, 1))``."""

    def __init__(self, relative: float = 0.0, seed: int | None = 0) -> None:
        if relative < 0:
            raise ValueError(f"noise {relative} must be >= 0")
        self.relative = relative
        self._rng = np.random.default_rng(seed)

    def __call__(self, value: float) -> float:
        if self.relative == 0.0 or value == 0.0:
            return value
        return value * (1.0 + self.relative * float(self._rng.standard_normal()))


def quantise(value: float, full_scale: int) -> int:
    """Return an ADC count: ``value`` rounded down to an integer and clipped to 0..full_scale."""
    if not math.isfinite(value):
        return full_scale if value > 0 else 0
    return int(min(max(math.floor(value), 0), full_scale))
