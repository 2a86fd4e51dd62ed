"""``led_screen`` on the simulated bench: pass, fail and fault verdicts, through the scorer
with the evidence images stored, shown and re-analysed on appeal."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from benchscore import image_curve
from benchscore.measurement import RunOutcome
from benchscore.mqtt import BrokerConfig
from firmware_py.config import load_station_config
from firmware_py.station import Station
from scorer.appeals import recompute
from scorer.config import HttpConfig, ScorerConfig
from scorer.console.report import _run_html
from scorer.service import ScorerService
from tests.support.benches import run, station, write_config
from tests.support.stations import write_station_config
from tests.support.trust import write_scorer_key

pytest.importorskip("cv2")
REPO = Path(__file__).resolve().parents[1]


def screen_config(tmp_path: Path, sid: str, fault: str, unplugged: str = "") -> Path:
    return write_config(
        tmp_path,
        sid,
        task="led_screen",
        assembly="led_screen",
        fault=fault,
        simulation=f"camera_yaw_deg = 15\nunplugged = [{unplugged}]",
    )


def test_good_screen_passes_faulty_fails_and_evidence_is_recorded(tmp_path: Path) -> None:
    with station(screen_config(tmp_path, "good", "none")) as hw:
        good = run(hw)
    assert good.result.outcome is RunOutcome.PASS, good.result.reason
    assert good.values()["failed_pixel_rate"] == 0.0
    assert good.values()["colour_uniformity_duv"] < 0.005  # calibrated against the sim meter
    assert [c.split(".")[1:3] for c in good.result.calibrations] == [["camera", "xyz"]]
    jpeg = image_curve.from_columns(good.curves["image_white"][0])
    assert jpeg is not None and image_curve.media_type(jpeg) == "image/jpeg"
    assert len(good.curves["ledmap_white"][0]["r"]) == 128 * 64

    with station(screen_config(tmp_path, "bad", "mixed")) as hw:
        bad = run(hw)
    assert bad.result.outcome is RunOutcome.FAIL
    assert bad.failing() == {
        "failed_pixel_rate",
        "regional_failed_pixel_rate",
        "dead_modules",
        "lines_out",
        "swapped_channel_modules",
        "misplaced_modules",
    }
    assert "dead_module at module" in bad.result.reason


def test_unplugged_camera_is_a_bench_fault(tmp_path: Path) -> None:
    path = screen_config(tmp_path, "nocam", "none", '"camera"')
    with station(path) as hw:
        with pytest.raises(OSError, match="camera"):
            hw.open_bench(raw=True)  # the bench's own check, before any calibration
        with pytest.raises(OSError, match="camera"):
            hw.open_bench()


def test_verdicts_through_the_scorer_evidence_and_appeal(mosquitto, tmp_path: Path) -> None:
    task = REPO / "config" / "tasks" / "led_screen.toml"
    scorer = ScorerService(
        ScorerConfig(
            event="test",
            broker=BrokerConfig(port=mosquitto.port, protocol="5"),
            storage_path=tmp_path / "scorer.db",
            http=HttpConfig(port=0),
            scorer_key=write_scorer_key(tmp_path),
            require_signatures=False,  # this test is about the screen, not the keys
        )
    ).start()
    stations: dict[str, Station] = {}
    try:
        assert scorer.mqtt is not None and scorer.mqtt.wait_connected(10)
        for sid, fault, unplugged in (
            ("good", "none", ()),
            ("bad", "mixed", ()),
            ("nocam", "none", ("camera",)),
        ):
            path = write_station_config(
                tmp_path,
                sid,
                port=mosquitto.port,
                fault=fault,
                unplugged=unplugged,
                task=task,
                extra='assembly = "led_screen"\ncamera_yaw_deg = 30\n',
            )
            st = Station(load_station_config(path))
            stations[sid] = st
            st.start()
            assert st.link.wait_connected(10)
        for st in stations.values():
            st.run_once()
        store = scorer.store
        assert store is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = {r["station"]: r for r in store.list_runs()}
            names = store.curve_names("bad", runs["bad"]["run_id"]) if "bad" in runs else []
            if len(runs) == 3 and "image_white" in names:
                break
            time.sleep(0.3)
        assert {s: r["outcome"] for s, r in runs.items()} == {
            "good": "pass",
            "bad": "fail",
            "nocam": "fault",
        }
        bad_run = runs["bad"]["run_id"]
        jpeg = image_curve.from_columns(store.curve("bad", bad_run, "image_white"))
        assert jpeg is not None and jpeg.startswith(b"\xff\xd8")
        # every chunk of the LED maps arrived before the appeal reads them
        deadline = time.monotonic() + 30
        while len(store.curve("bad", bad_run, "ledmap_sweep_4").get("r", [])) < 8192:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        appeal = recompute(store, "bad", bad_run, REPO / "config" / "tasks")
        statuses = {r["name"]: r["status"] for r in appeal["measurements"]}
        assert set(statuses.values()) == {"same"}, appeal["measurements"]
        assert len(statuses) == 10
        html = _run_html(store, "en", "bad", runs["bad"])
        assert html.count("data:image/jpeg;base64,") == 3
        assert "ledmap_" not in html
        with urllib.request.urlopen(scorer.url + "api/runs", timeout=5) as resp:
            assert resp.status == 200
    finally:
        for st in stations.values():
            st.close()
        scorer.stop()


def test_a_dark_screen_fails_every_measurement_with_the_photo_as_evidence() -> None:
    from benchscore.analysis.led_screen import Finding, Kind, ScreenLayout
    from benchscore.clock import SimClock
    from benchscore.sim.led_screen import CameraModel, SimCamera, SimPatternOutput, SimScreen
    from firmware_py.config import load_task
    from firmware_py.procedures import PROCEDURES
    from firmware_py.procedures.led_screen import ScreenBench

    task = load_task(REPO / "config" / "tasks" / "led_screen.toml")
    layout = ScreenLayout(128, 64, 32, 16)
    dark = SimScreen(layout, [Finding(Kind.DEAD_MODULE, module=k) for k in range(16)])
    output = SimPatternOutput(dark)
    bench = ScreenBench(output=output, camera=SimCamera(output, CameraModel()))
    curves: dict[str, dict[str, list[float]]] = {}
    proc = PROCEDURES["led_screen"](
        bench, task, SimClock(), lambda p, v: None, curve=lambda n, c: curves.__setitem__(n, c)
    )
    result = proc.run()
    assert result.outcome is RunOutcome.FAIL
    assert {m.outcome.value for m in result.measurements} == {"fail"}
    assert len(result.measurements) == len(task.limits)
    assert "not found in the photo" in result.reason
    assert image_curve.from_columns(curves["image_registration"]) is not None
    assert output.frame is not None and float(output.frame.max()) == 0.0  # left black


@pytest.mark.parametrize(
    "fault,failing",
    [
        ("dead_pixels", {"failed_pixel_rate", "regional_failed_pixel_rate"}),
        ("stuck_pixels", {"failed_pixel_rate", "regional_failed_pixel_rate"}),
        ("dim_pixels", {"dim_pixels"}),
        ("dead_module", {"failed_pixel_rate", "regional_failed_pixel_rate", "dead_modules"}),
        ("dead_card", {"failed_pixel_rate", "regional_failed_pixel_rate", "dead_cards"}),
        ("dim_module", {"luminance_uniformity_pct"}),
        ("dead_row", {"failed_pixel_rate", "regional_failed_pixel_rate", "lines_out"}),
        ("swapped_channels", {"swapped_channel_modules"}),  # white stays white
        ("misplaced_module", {"misplaced_modules"}),
        ("rotated_module", {"misplaced_modules"}),
    ],
)
def test_each_screen_fault_fails_its_measurement(
    tmp_path: Path, fault: str, failing: set[str]
) -> None:
    with station(screen_config(tmp_path, "f", fault)) as hw:
        r = run(hw)
    assert r.result.outcome is RunOutcome.FAIL, r.result.reason
    assert r.failing() == failing, r.result.reason
