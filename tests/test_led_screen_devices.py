"""The led_screen seams and records: framebuffer output bytes, a camera through OpenCV on a
real image file, images carried as curves, the camera's colour calibration, config errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchscore import image_curve
from benchscore.configfile import ConfigError
from drivers.errors import DriverError
from drivers.pattern_output import FramebufferOutput, pack
from firmware_py.calibration import CalibrationError
from firmware_py.camera_calibration import (
    CameraCalibrationStore,
    calibrate_camera,
    fit_colour_matrix,
)
from firmware_py.config import load_station_config
from tests.support.benches import write_config

cv2 = pytest.importorskip("cv2")
REPO = Path(__file__).resolve().parents[1]


def test_framebuffer_file_gets_xrgb8888_at_the_offset(tmp_path: Path) -> None:
    fb = tmp_path / "fb0"
    out = FramebufferOutput(fb, width=8, height=4, bits_per_pixel=32, offset=(2, 1))
    frame = np.zeros((2, 3, 3), dtype=np.float32)
    frame[0, 0] = (1.0, 0.5, 0.0)  # orange
    frame[1, 2] = (0.0, 0.0, 1.0)  # blue
    out.show(frame)
    out.close()
    raw = np.frombuffer(fb.read_bytes(), dtype=np.uint8).reshape(4, 8, 4)
    assert raw[1, 2].tolist() == [0, 128, 255, 0]  # B, G, R, X
    assert raw[2, 4].tolist() == [255, 0, 0, 0]
    assert int(raw.sum()) == 0 + 128 + 255 + 255


def test_rgb565_and_frames_that_do_not_fit(tmp_path: Path) -> None:
    white = np.ones((1, 1, 3), dtype=np.float32)
    assert pack(white, 16).tolist() == [[0xFF, 0xFF]]
    red = np.zeros((1, 1, 3), dtype=np.float32)
    red[..., 0] = 1.0
    assert pack(red, 16).tolist() == [[0x00, 0xF8]]
    out = FramebufferOutput(tmp_path / "fb", width=4, height=4, offset=(2, 2))
    with pytest.raises(DriverError, match="does not fit"):
        out.show(np.zeros((3, 3, 3), dtype=np.float32))
    out.close()


def test_opencv_camera_reads_an_image_file_as_rgb(tmp_path: Path) -> None:
    from drivers.camera import OpenCVCamera

    bgr = np.zeros((20, 30, 3), dtype=np.uint8)
    bgr[..., 2] = 200  # red in OpenCV's BGR order
    path = tmp_path / "frame.png"
    cv2.imwrite(str(path), bgr)
    cam = OpenCVCamera(str(path))
    cam.set_exposure(20000)
    img = cam.capture()
    cam.close()
    assert img.shape == (20, 30, 3) and cam.full_scale == 255
    assert img[..., 0].min() == 200 and img[..., 1:].max() == 0
    with pytest.raises(DriverError, match="cannot open"):
        OpenCVCamera(str(tmp_path / "missing.png"))


def test_image_curve_round_trip() -> None:
    ok, buf = cv2.imencode(".png", np.arange(300, dtype=np.uint8).reshape(10, 30))
    data = buf.tobytes()
    for blob in (data, data + b"x", data + b"xy"):  # every padding
        columns = image_curve.to_columns(blob)
        assert all(0 <= v < 2**24 and v == int(v) for v in columns[image_curve.COLUMN])
        assert image_curve.from_columns(columns) == blob
    assert image_curve.media_type(data) == "image/png"
    assert image_curve.from_columns({"t_s": [1.0]}) is None
    assert image_curve.from_columns({image_curve.COLUMN: [99.0, 1.0]}) is None  # cut short


def test_colour_matrix_fit_recovers_a_known_camera() -> None:
    true = np.array([[700.0, 200.0, 50.0], [300.0, 900.0, 80.0], [10.0, 100.0, 1200.0]])
    rgb = np.array([[0.3, 0.05, 0.01], [0.04, 0.35, 0.05], [0.0, 0.03, 0.28], [0.34, 0.43, 0.34]])
    xyz = rgb @ true.T
    m, u_lum, u_uv = fit_colour_matrix(rgb, xyz, reference_uncertainty=0.02)
    assert np.allclose(m, true, rtol=1e-9)
    assert u_lum == pytest.approx(0.04, rel=1e-6) and u_uv < 1e-9
    xyz[3] *= [1.0, 1.05, 1.0]  # an inconsistent white reading shows up as fit uncertainty
    _, u_lum2, _ = fit_colour_matrix(rgb, xyz, reference_uncertainty=0.02)
    assert u_lum2 > u_lum
    with pytest.raises(CalibrationError, match=">= 3 fields"):
        fit_colour_matrix(rgb[:2], xyz[:2])


def test_camera_calibration_against_the_simulated_meter(tmp_path: Path) -> None:
    from benchscore.analysis.led_screen import ScreenLayout
    from firmware_py.sim_screen import build_screen_sim

    path = write_config(tmp_path, "cal", task="led_screen", assembly="led_screen")
    config = load_station_config(path)
    sim = build_screen_sim(config)
    cal = calibrate_camera(
        sim.output,
        sim.camera,
        ScreenLayout(128, 64, 32, 16),
        sim.reference,
        station="cal",
        reference_name="simulation ground truth",
        exposure_us=20000,
        reference_uncertainty=0.03,
    )
    assert cal.id.startswith("cal.camera.xyz.")
    assert 0.06 <= cal.uncertainty_luminance < 0.08  # the meter's 3 % (k=2) and a small fit
    store = CameraCalibrationStore(tmp_path / "camera_calibration.json")
    store.add(cal)
    assert store.active() == cal
    # at twice the exposure the signal doubles: the matrix halves
    half = np.asarray(cal.colour_matrix(40000).matrix)
    assert np.allclose(half, np.asarray(cal.matrix) / 2)


def test_bad_camera_config_is_one_plain_line(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        "badcam",
        task="led_screen",
        assembly="led_screen",
        hardware='[hardware.camera]\ndriver = "webcam"\n',
    )
    with pytest.raises(ConfigError, match=r"hardware\.camera\.driver: 'webcam' is not one of"):
        load_station_config(path)
    proc = subprocess.run(
        [sys.executable, "-m", "benchscore", "station", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "webcam" in proc.stderr


def test_task_layout_that_does_not_add_up_is_refused(tmp_path: Path) -> None:
    task = tmp_path / "screen.toml"
    text = (REPO / "config" / "tasks" / "led_screen.toml").read_text()
    task.write_text(text.replace("width_px = 128", "width_px = 100"))
    from firmware_py.config import load_task

    with pytest.raises(ConfigError, match="whole number of 32 x 16 modules"):
        load_task(task)
