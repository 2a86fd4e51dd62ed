"""The station side of ``led_efficacy``: power on, settle, sample, judge, power off."""

from __future__ import annotations

from statistics import fmean
from typing import Any, ClassVar

from benchscore_led_efficacy.plugin import CURVE, PLUGIN, efficacy_lx_per_w
from firmware_py.procedures.base import CurveStream, Procedure, ProcedureResult, safely


class LEDEfficacyProcedure(Procedure):
    """Bench (roles of :data:`PLUGIN`): ``power`` (jig relay), ``power_monitor``,
    ``light_sensor``. Measures ``efficacy_lx_per_w`` and, when the task judges them,
    ``input_power_w`` and ``illuminance_lx``; curve ``efficacy`` holds every sample."""

    name: ClassVar[str] = PLUGIN.name
    required_limits: ClassVar[tuple[str, ...]] = ("efficacy_lx_per_w",)
    parameters: ClassVar[dict[str, float]] = dict(PLUGIN.parameters)
    bench: Any

    def execute(self, result: ProcedureResult) -> None:
        bench, p = self.bench, self.params
        bench.power.on()
        self.live("settle", {})
        self.wait(p["settle_s"])
        stream = CurveStream(self.curve, CURVE, ["t_s", "power_w", "illuminance_lx"])
        t0 = self.clock.monotonic()
        for _ in range(max(1, int(p["samples"]))):
            reading = bench.power_monitor.read()
            lux = bench.light_sensor.measure_lx()
            stream.append(
                t_s=self.clock.monotonic() - t0, power_w=reading.power_w, illuminance_lx=lux
            )
            self.live("measure", {"power_w": reading.power_w, "illuminance_lx": lux})
            self.wait(p["sample_interval_s"])
        stream.flush()
        cols = stream.columns
        try:
            efficacy = efficacy_lx_per_w(cols["power_w"], cols["illuminance_lx"])
        except ValueError as exc:
            result.measurements.append(self.not_measured("efficacy_lx_per_w", str(exc)))
        else:
            result.measurements.append(self.judge("efficacy_lx_per_w", efficacy, CURVE))
        for name, column in (("input_power_w", "power_w"), ("illuminance_lx", "illuminance_lx")):
            if self.has_limits(name):
                result.measurements.append(self.judge(name, fmean(cols[column]), CURVE))

    def teardown(self) -> None:
        safely(self.bench.power.off)
