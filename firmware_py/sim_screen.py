"""The simulated bench of a ``led_screen`` station (``backend = "sim"``).

A :class:`~benchscore.sim.led_screen.SimScreen` with the faults of ``[simulation] fault``
(:mod:`benchscore.sim.led_screen.scenarios`), fed by a simulated pattern output and
photographed by a simulated camera standing ``camera_yaw_deg`` off the screen's axis.
``unplugged = ["camera"]`` (or ``"pattern_output"``) takes a device off the bench;
``sensor_gain.camera`` scales the camera's exposure (what its calibration absorbs).
:meth:`SimScreenBench.reference` is the reference meter (simulation ground truth).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchscore.analysis.led_screen import ScreenLayout
from benchscore.analysis.led_screen.patterns import pattern
from benchscore.sim.led_screen import CameraModel, SimCamera, SimPatternOutput, SimScreen
from benchscore.sim.led_screen.scenarios import faults_for, field_xyz

if TYPE_CHECKING:
    from firmware_py.config import StationConfig

SIM_IMAGE = (1024, 768)
"""The simulated camera's resolution: fast to render, about 5 pixels per LED."""


@dataclass
class SimScreenBench:
    screen: SimScreen
    output: SimPatternOutput
    camera: SimCamera

    def reference(self, name: str, region: tuple[slice, slice]) -> tuple[float, float, float]:
        """CIE XYZ (cd/m^2) a reference meter reads over ``region`` on pattern ``name``."""
        emission = self.screen.emission(pattern(self.screen.layout, name))
        return field_xyz(emission, region)


def build_screen_sim(config: StationConfig) -> SimScreenBench:
    from firmware_py.procedures.led_screen import layout_from

    sim = config.simulation
    layout: ScreenLayout = layout_from(config.task)
    fault = "none" if sim.golden else sim.fault
    screen = SimScreen(layout, faults_for(fault, layout, sim.seed), seed=sim.seed)
    output = SimPatternOutput(screen, present="pattern_output" not in sim.unplugged)
    gain = sim.sensor_gain.get("camera", 1.0)
    model = CameraModel(
        image_w=SIM_IMAGE[0],
        image_h=SIM_IMAGE[1],
        yaw_deg=sim.camera_yaw_deg,
        exposure=CameraModel.exposure * gain,
        noise=sim.noise,
    )
    camera = SimCamera(output, model, seed=sim.seed, present="camera" not in sim.unplugged)
    return SimScreenBench(screen, output, camera)
