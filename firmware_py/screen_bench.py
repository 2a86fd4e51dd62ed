"""Opens the ``led_screen`` bench of a station: pattern output, camera, camera calibration.

Real hardware (``backend = "hw"``): :class:`drivers.pattern_output.FramebufferOutput` (a
framebuffer device or, ``driver = "file"``, a file) and :class:`drivers.camera.PiCamera2Camera`
or :class:`drivers.camera.OpenCVCamera`. Simulation: the devices of
:mod:`firmware_py.sim_screen`; the first time a simulated station opens its bench without a
camera calibration, it calibrates the camera against the simulation's ground truth (a
reference meter that reads exactly) and stores that like any calibration.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from benchscore.analysis._arrays import AnalysisError
from benchscore.analysis.led_screen.patterns import pattern
from firmware_py.calibration import CalibrationError
from firmware_py.camera_calibration import (
    CameraCalibration,
    CameraCalibrationStore,
    calibrate_camera,
)
from firmware_py.procedures.led_screen import ScreenBench, layout_from

if TYPE_CHECKING:
    from firmware_py.hardware import StationHardware

log = logging.getLogger(__name__)


def camera_store(hw: StationHardware) -> CameraCalibrationStore:
    return CameraCalibrationStore(hw.config.calibration_path.with_name("camera_calibration.json"))


def _real_devices(hw: StationHardware) -> tuple[Any, Any]:
    from drivers.camera import OpenCVCamera, PiCamera2Camera
    from drivers.pattern_output import FramebufferOutput

    out_cfg, cam_cfg = hw.config.hardware.pattern_output, hw.config.hardware.camera
    output = hw._keep(
        FramebufferOutput(
            out_cfg.device,
            width=out_cfg.width,
            height=out_cfg.height,
            bits_per_pixel=out_cfg.bits_per_pixel,
            offset=out_cfg.offset,
        )
    )
    camera: Any
    if cam_cfg.driver == "opencv":
        camera = OpenCVCamera(
            cam_cfg.device, width=cam_cfg.width, height=cam_cfg.height, frames=cam_cfg.frames
        )
    else:
        camera = PiCamera2Camera(
            width=cam_cfg.width,
            height=cam_cfg.height,
            frames=cam_cfg.frames,
            colour_gains=cam_cfg.colour_gains,
        )
    return output, hw._keep(camera)


def open_screen_bench(hw: StationHardware, *, raw: bool = False) -> ScreenBench:
    """The bench of a led_screen station; raises OSError / DriverError naming a missing device."""
    config = hw.config
    layout = layout_from(config.task)
    if hw.sim is not None:
        sim = hw.sim.screen
        output, camera = sim.output, sim.camera
    else:
        output, camera = _real_devices(hw)
    output.show(pattern(layout, "black"))  # is it there?
    camera.set_exposure(config.hardware.camera.exposure_us, config.hardware.camera.gain)
    camera.capture()  # is it there?
    cal: CameraCalibration | None = None
    if not raw:
        store = camera_store(hw)
        cal = store.active()
        if cal is None and hw.sim is not None:
            cal = _calibrate_sim(hw, output, camera)
            if cal is not None:
                store.add(cal)
    return ScreenBench(
        output=output,
        camera=camera,
        colour_matrix=None if cal is None else cal.colour_matrix(),
        calibration_exposure_us=0 if cal is None else cal.exposure_us,
        calibration_gain=1.0 if cal is None else cal.gain,
        calibrations=() if cal is None else (cal.id,),
        uncertainty_luminance=None if cal is None else cal.uncertainty_luminance,
        uncertainty_uv=None if cal is None else cal.uncertainty_uv,
    )


def _calibrate_sim(hw: StationHardware, output: Any, camera: Any) -> CameraCalibration | None:
    assert hw.sim is not None
    config = hw.config
    exposure = int(config.task.parameters.get("exposure_us", config.hardware.camera.exposure_us))
    try:
        cal = calibrate_camera(
            output,
            camera,
            layout_from(config.task),
            hw.sim.screen.reference,
            station=config.station_id,
            reference_name="simulation ground truth",
            exposure_us=exposure,
        )
    except (AnalysisError, CalibrationError) as exc:
        log.warning("camera calibration against the simulation failed: %s", exc)
        return None
    log.info("camera calibrated against the simulation: %s", cal.id)
    return cal
