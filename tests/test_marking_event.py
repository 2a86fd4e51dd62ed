"""The example event of config/event/ end to end: simulated stations running the real LED,
lighting-environment and power-bank procedures publish signed records over a real Mosquitto,
the scorer stores and marks them, judges enter their scores over HTTP, and the per-aspect
marks and the totals come out as the scheme says. And the module clock: a time limit changed
mid-module reaches every station (one that rebooted after the change included), and a marked
run started after time-up is refused."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchscore.mqtt import BrokerConfig
from firmware_py.config import load_station_config
from firmware_py.station import Station
from scorer.competition import Competition
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.brokers import Mosquitto
from tests.support.stations import write_station_config
from tests.support.trust import register_station, write_scorer_key

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "event" / "example.toml"
TASKS = REPO / "config" / "tasks"
EVENT = "regional-2025"

# station -> (assembly, task file, simulated fault); competitor C0n has the n-th of each
BENCHES: dict[str, tuple[str, str, str]] = {
    "led01": ("led_assembly", "led_assembly.toml", "none"),
    "led02": ("led_assembly", "led_assembly.toml", "open_string"),
    "led03": ("led_assembly", "led_assembly.toml", "wrong_bin"),
    "led04": ("led_assembly", "led_assembly.toml", "shorted_led"),
    "env01": ("lighting_environment", "lighting_environment.toml", "none"),
    "env02": ("lighting_environment", "lighting_environment.toml", "dim"),
    "env03": ("lighting_environment", "lighting_environment.toml", "short_hold"),
    "env04": ("lighting_environment", "lighting_environment.toml", "dead_luminaire"),
    "pb01": ("power_bank", "power_bank.toml", "none"),
    "pb02": ("power_bank", "power_bank.toml", "weak_cell"),
    "pb03": ("power_bank", "power_bank.toml", "poor_regulation"),
    "pb04": ("power_bank", "power_bank.toml", "high_ripple"),
}

# judges' scores (J: three judges, 0-3) and entered marks (A4.1: 0 or 1)
SCORES: dict[str, dict[str, list[int]]] = {
    "A3.1": {"C01": [3, 3, 3], "C02": [2, 2, 2], "C03": [1, 2, 2], "C04": [0, 1, 1]},
    "A3.2": {c: [2, 2, 2] for c in ("C01", "C02", "C03", "C04")},
    "A4.1": {"C01": [1], "C02": [1], "C03": [1], "C04": [0]},
    "B3.1": {c: [3, 2, 3] for c in ("C01", "C02", "C03", "C04")},
    "C4.1": {c: [2, 3, 2] for c in ("C01", "C02", "C03", "C04")},
}

# what the scheme gives each competitor, aspect by aspect (the measured values that decide
# it are in the comments)
EXPECTED: dict[str, dict[str, float]] = {
    # LED: good; one string open (0.199 A, 2.39 W, 1908 lx); dim LED bin (1715 lx);
    # one LED bridged (0.379 A, 4.54 W, 3049 lx)
    "A1.1": {"C01": 2.0, "C02": 0.0, "C03": 2.0, "C04": 0.0},
    "A1.2": {"C01": 1.0, "C02": 1.0, "C03": 1.0, "C04": 1.0},
    "A1.3": {"C01": 1.0, "C02": 0.0, "C03": 1.0, "C04": 0.0},
    "A2.1": {"C01": 3.0, "C02": 0.0, "C03": 0.0, "C04": 3.0},
    "A3.1": {"C01": 2.0, "C02": 1.33, "C03": 1.11, "C04": 0.44},
    "A3.2": {"C01": 0.67, "C02": 0.67, "C03": 0.67, "C04": 0.67},
    "A4.1": {"C01": 1.0, "C02": 1.0, "C03": 1.0, "C04": 0.0},
    # lighting: good (708 lx, U0 0.85, meeting 306 lx, off after 20 s); dim luminaires
    # (426 lx, meeting 184 lx); 5 s hold time; one luminaire dead (356 lx, U0 0.53, 154 lx)
    "B1.1": {"C01": 3.0, "C02": 0.0, "C03": 3.0, "C04": 0.0},
    "B1.2": {"C01": 2.0, "C02": 2.0, "C03": 2.0, "C04": 1.0},
    "B2.1": {"C01": 1.0, "C02": 0.0, "C03": 1.0, "C04": 0.0},
    "B2.2": {"C01": 1.0, "C02": 1.0, "C03": 0.0, "C04": 1.0},
    "B3.1": {"C01": 1.78, "C02": 1.78, "C03": 1.78, "C04": 1.78},
    # power bank: good (3159 mAh, 85.4 %); weak cell (1232 mAh, 33 %); poor regulation
    # (3140 mAh, 84.9 %, 4.37 V); high ripple (0.61 V)
    "C1.1": {"C01": 3.0, "C02": 0.0, "C03": 3.0, "C04": 3.0},
    "C1.2": {"C01": 2.0, "C02": 0.0, "C03": 1.0, "C04": 2.0},
    "C2.1": {"C01": 1.0, "C02": 1.0, "C03": 0.0, "C04": 1.0},
    "C2.2": {"C01": 1.0, "C02": 1.0, "C03": 1.0, "C04": 0.0},
    "C3.1": {"C01": 1.0, "C02": 1.0, "C03": 1.0, "C04": 1.0},
    "C4.1": {"C01": 1.56, "C02": 1.56, "C03": 1.56, "C04": 1.56},
}
TOTALS = {"C01": 29.01, "C02": 13.34, "C03": 22.12, "C04": 17.45}
CRITERIA = {
    "C01": {"A": 10.67, "B": 8.78, "C": 9.56},
    "C02": {"A": 4.0, "B": 4.78, "C": 4.56},
    "C03": {"A": 6.78, "B": 7.78, "C": 7.56},
    "C04": {"A": 5.11, "B": 3.78, "C": 8.56},
}


def wait_for(probe: Callable[[], Any], timeout_s: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what} (last: {value!r})")
        time.sleep(0.05)


class Hall:
    """The scorer (with the example event) and the stations of a test, on one Mosquitto."""

    def __init__(self, tmp: Path, broker: Mosquitto) -> None:
        self.tmp = tmp
        self.broker = broker
        self.keys = tmp / "keys"
        self.keys.mkdir()
        self.stations: dict[str, Station] = {}
        self.scorer = ScorerService(
            ScorerConfig(
                event=EVENT,
                broker=BrokerConfig(port=broker.port),
                storage_path=tmp / "scorer.db",
                http=HttpConfig(port=0),
                keys_dir=self.keys,
                require_signatures=True,
                scorer_key=write_scorer_key(tmp),
                event_file=EXAMPLE,
                tasks_dir=TASKS,
            )
        ).start()
        assert self.scorer.mqtt is not None and self.scorer.mqtt.wait_connected(15)
        self.http = httpx.Client(base_url=self.scorer.url.rstrip("/"), timeout=10)

    def station(self, sid: str) -> Station:
        assembly, task, fault = BENCHES[sid]
        register_station(self.tmp / "var" / sid, sid, self.keys)
        cfg = load_station_config(
            write_station_config(
                self.tmp,
                sid,
                port=self.broker.port,
                fault=fault,
                event=EVENT,
                task=TASKS / task,
                extra=f'assembly = "{assembly}"\n',
            )
        )
        station = Station(cfg)
        self.stations[sid] = station
        station.start()
        assert station.link.wait_connected(10)
        return station

    def get(self, path: str, **params: Any) -> Any:
        resp = self.http.get(path, params=params)
        resp.raise_for_status()
        return resp.json() if "json" in resp.headers["content-type"] else resp.text

    @property
    def comp(self) -> Competition:
        """The scorer's competition: writes go through it (the HTTP write API sits behind
        the judges' console's login); reads go over HTTP."""
        assert self.scorer.competition is not None
        return self.scorer.competition

    def close(self) -> None:
        self.http.close()
        for station in self.stations.values():
            station.close()
        self.scorer.stop()


@pytest.fixture
def hall(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Hall]:
    h = Hall(tmp_path, mosquitto)
    try:
        yield h
    finally:
        h.close()


def test_example_event_is_marked_end_to_end(hall: Hall) -> None:
    for module in ("led", "lighting", "powerbank"):
        assert hall.comp.start_module(EVENT, module, actor="chief").state == "running"
    stations = {sid: hall.station(sid) for sid in BENCHES}

    def bench(sid: str) -> None:
        station = stations[sid]
        if not sid.startswith("pb"):
            station.run_once(marked=False)  # the contestant's self-check first
        station.run_once(marked=True)

    threads = [threading.Thread(target=bench, args=(sid,)) for sid in stations]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    outcomes = {sid: s.runs[-1]["outcome"] for sid, s in stations.items()}
    assert outcomes["led01"] == outcomes["env01"] == outcomes["pb01"] == "pass"
    assert all(o == "fail" for sid, o in outcomes.items() if not sid.endswith("1")), outcomes
    wait_for(
        lambda: all(s.outbox.depth == 0 for s in stations.values()),
        60,
        "every record acknowledged by the scorer",
    )
    assert hall.scorer.ingest is not None and hall.scorer.ingest.rejected == {}
    assert len(hall.get("/api/runs", limit=100)) == 8 + 8 + 4

    for aspect, by_competitor in SCORES.items():
        for competitor, scores in by_competitor.items():
            for n, score in enumerate(scores, 1):
                hall.comp.enter_score(EVENT, competitor, aspect, f"J{n}", score)

    doc = hall.get(f"/api/marks/{EVENT}")
    assert doc["scheme"] == "electronics-2025" and doc["scheme_version"] == 1
    got: dict[str, dict[str, float]] = {}
    for competitor in doc["competitors"]:
        for a in competitor["aspects"]:
            got.setdefault(a["aspect"], {})[competitor["id"]] = a["mark"]
    assert got == EXPECTED
    statuses = {a["status"] for c in doc["competitors"] for a in c["aspects"]}
    assert statuses == {"ok"}, statuses
    totals = {c["id"]: c["total"] for c in doc["competitors"]}
    assert totals == TOTALS
    assert {c["id"]: c["criteria"] for c in doc["competitors"]} == CRITERIA
    # the counted runs are the marked ones, never the self-checks
    event = hall.get(f"/api/event/{EVENT}")
    done = {(c["module"], c["competitor"]): c for c in event["completion"]}
    assert all(c["complete"] for c in done.values()), done
    led = done[("led", "C01")]
    assert led["self_checks"] == 1 and led["marked_runs"] == 1 and led["counted_run"] is not None
    assert led["counted_run"] == stations["led01"].runs[1]["run_id"]
    assert {c["state"] for c in event["clocks"]} == {"running"}

    # exports
    text = hall.get(f"/api/marks/{EVENT}", format="csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 * 18
    assert {(r["competitor"], r["aspect"]): float(r["mark"]) for r in rows} == {
        (c, a): m for a, by_c in EXPECTED.items() for c, m in by_c.items()
    }
    sheet = list(csv.reader(io.StringIO(hall.get(f"/api/marks/{EVENT}/sheet/C03"))))
    assert sheet[-1][1] == "Total" and float(sheet[-1][10]) == TOTALS["C03"]
    b22 = next(r for r in sheet if r[2:3] == ["B2.2"])
    assert float(b22[8]) == pytest.approx(5.26, abs=0.01) and b22[10] == "0"
    ranking = hall.get(f"/api/marks/{EVENT}/standardised")
    assert [r["competitor"] for r in ranking] == ["C01", "C03", "C04", "C02"]
    assert ranking[0]["ws_score"] > 700 > ranking[-1]["ws_score"]
    record = hall.get(f"/api/marks/{EVENT}/record/C01")
    assert record["total"] == TOTALS["C01"] and record["rank"] == 1
    pb = next(m for m in record["modules"] if m["module"] == "powerbank")
    assert {m["name"] for m in pb["measured"]} >= {"capacity_mah", "efficiency_pct"}

    # an appeal re-analyses the raw curves with the scorer's analysis code: same values
    for sid in ("led01", "env01", "pb01"):
        run_id = stations[sid].runs[-1]["run_id"]
        report = hall.get(f"/api/appeals/{EVENT}/{sid}/{run_id}")
        recomputed = {m["name"]: m["status"] for m in report["measurements"]}
        differs = [m for m in report["measurements"] if m["status"] == "differs"]
        assert not report["differs"] and not report["marks_change"], [
            (m["name"], m["stored"], m["recomputed"]) for m in differs
        ]
        assert report["counted"] is True
        bound = {"led01": "current_a", "env01": "work_mean_lx", "pb01": "capacity_mah"}[sid]
        assert recomputed[bound] == "same", report


def test_time_limit_change_reaches_every_station_and_time_up_refuses_marked_runs(
    hall: Hall,
) -> None:
    leds = [hall.station(f"led0{n}") for n in (1, 2, 3)]  # led04 boots later
    clock = hall.comp.start_module(EVENT, "led", actor="chief")
    assert clock.started_at is not None
    assert clock.end_ts == pytest.approx(clock.started_at + 210 * 60)
    wait_for(
        lambda: all(s.time_limit_end == clock.end_ts for s in leds),
        15,
        "the 3.5 h end on every station",
    )
    # a marked run within the time limit is taken
    leds[0].run_once(marked=True)

    # the chief expert shortens the module to 3 h, live
    clock = hall.comp.set_time_limit(EVENT, "led", 180, actor="chief")
    end = clock.end_ts
    assert end == pytest.approx(clock.started_at + 180 * 60)
    wait_for(lambda: all(s.time_limit_end == end for s in leds), 15, "the 3 h end")
    # a station that was off when the change went out gets it when it comes back
    late = hall.station("led04")
    wait_for(lambda: late.time_limit_end == end, 20, "the 3 h end on the rebooted station")
    # ... and the scorer sees every station hold it (their retained status says so)
    wait_for(
        lambda: (
            {s["id"]: s["time_limit_end"] for s in hall.get("/api/stations")}
            == {f"led0{n}": end for n in (1, 2, 3, 4)}
        ),
        15,
        "every station's status with the new end",
    )

    # three hours later (simulated station clocks): time is up
    for station in hall.stations.values():
        station.clock.advance(180 * 60 + 1)  # type: ignore[attr-defined]
    assert hall.scorer.store is not None
    store = hall.scorer.store
    sent = hall.comp.measure(EVENT, "led")  # a synchronized marked start
    assert set(sent) == {"led01", "led02", "led03", "led04"}
    replies = wait_for(
        lambda: r if len(r := store.replies(sent.values())) == 4 else None,
        15,
        "a reply from every station",
    )
    assert all(not r["ok"] and "time is up" in r["detail"] for r in replies), replies
    # a self-check is still allowed, and the START button is refused as well
    assert hall.stations["led02"].handle_command("self_check", {})[0] is True
    assert hall.stations["led03"].refusal(marked=True).startswith("time is up")
    assert hall.stations["led03"].refusal(marked=False) == ""
    runs = hall.get("/api/runs")
    assert [(r["station"], r["marked"]) for r in runs] == [("led01", True)]
    states = [c["state"] for c in hall.get(f"/api/event/{EVENT}")["clocks"]]
    assert states == ["running", "pending", "pending"]
