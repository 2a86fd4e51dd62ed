"""Shared by the console's tests: an app over a real store with the example event loaded,
accounts of every role, and logged-in clients (Starlette's TestClient, or a real server for
the browser)."""

from __future__ import annotations

import json
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")
    from starlette.testclient import TestClient

from benchscore.protocol import Topics
from scorer.accounts.auth import add_user
from scorer.competition import Competition
from scorer.ingest import Ingest
from scorer.store import Store
from scorer.web import create_app

REPO = Path(__file__).resolve().parents[2]
EVENT_FILE = REPO / "config" / "event" / "example.toml"
EVENT = "regional-2025"
PASSWORD = "correct horse battery"
ROLES = ("admin", "judge", "technician", "viewer", "contestant")
REMOTE = ("192.0.2.10", 50000)  # TEST-NET-1: a client that is not this machine

# station -> competitor in config/event/example.toml (module "led")
LED_STATIONS = {"led01": "C01", "led02": "C02", "led03": "C03", "led04": "C04"}


@dataclass
class Hall:
    store: Store
    ingest: Ingest
    comp: Competition
    app: Any
    sent: list[tuple[str, str, str, str, dict[str, Any]]] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)
    """role -> username."""

    def close(self) -> None:
        self.store.close()


def make_hall(tmp_path: Path, *, event: bool = True) -> Hall:
    store = Store(tmp_path / "scorer.db")
    comp = Competition(store)
    if event:
        comp.install_file(EVENT_FILE)
    ingest = Ingest(store, on_result=comp.on_result, on_status=comp.reconcile)
    hall = Hall(store, ingest, comp, None)
    comp.send = lambda *cmd: hall.sent.append(cmd)
    hall.app = create_app(store, hall.ingest, comp)
    db = hall.app.state.console.db
    for role in ROLES:
        name = f"{role}1"
        add_user(
            db,
            name,
            role,
            PASSWORD,
            display_name=f"{role.title()} One",
            contestant="C01" if role == "contestant" else None,
            scrypt_n=2**6,
        )
        hall.users[role] = name
    for extra in ("judge2", "judge3"):
        add_user(db, extra, "judge", PASSWORD, scrypt_n=2**6)
    return hall


def client(app: Any, remote: bool = True) -> TestClient:
    return TestClient(
        app, client=REMOTE if remote else ("testclient", 50000), follow_redirects=False
    )


def login(c: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log ``c`` in; return its CSRF token."""
    page = c.get("/login")
    assert page.status_code == 200, page.text
    token = re.search(r'data-csrf="([^"]+)"', page.text)
    assert token, "the login page carries a CSRF token"
    resp = c.post(
        "/console/api/login",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": token.group(1)},
    )
    assert resp.status_code == 200, resp.text
    me = c.get("/console/hall" if resp.json()["user"]["role"] != "contestant" else "/console/me")
    found = re.search(r'data-csrf="([^"]+)"', me.text)
    assert found
    return found.group(1)


def enc(obj: object) -> bytes:
    return json.dumps(obj).encode()


def status(station: str, state: str = "done", **extra: Any) -> dict[str, Any]:
    return {
        "schema": 2,
        "type": "status",
        "event": EVENT,
        "station": station,
        "online": True,
        "state": state,
        "boot_id": "b1",
        "sw": "0.1.0",
        "task": "led-module-a",
        "reason": "current_a 0.25 A outside 0.27..0.33 A" if state == "done" else None,
        "health": {
            "uptime_s": 100.0,
            "runs": 2,
            "bus_errors": {"ina226@0x40": 1} if station == "led02" else {},
            "outbox_depth": 3 if station == "led03" else 0,
            "outbox_full": False,
            "clock": {"synced": True, "offset_s": 0.0021},
            "cpu_temp_c": 51.5,
            "calibration": {"ina226@0x40": "CAL-2025-014", "bh1750@0x23": "CAL-2025-022"},
        },
        **extra,
    }


def result(station: str, seq: int, current: float = 0.30, run: int = 1) -> dict[str, Any]:
    now = time.time()
    return {
        "schema": 2,
        "type": "record",
        "event": EVENT,
        "station": station,
        "boot_id": "b1",
        "seq": seq,
        "run_id": f"b1-{run}",
        "kind": "result",
        "task": "led-module-a",
        "procedure": "led_assembly",
        "marked": True,
        "calibrations": [f"{station}.light_sensor.illuminance_lx.20260301T101500Z"],
        "started_at": now - 2,
        "ended_at": now - 1,
        "outcome": "pass" if 0.27 <= current <= 0.33 else "fail",
        "reason": "" if 0.27 <= current <= 0.33 else f"current_a {current} A outside 0.27..0.33 A",
        "measurements": [
            {
                "name": "current_a",
                "value": current,
                "unit": "A",
                "limits": {"low": 0.27, "high": 0.33, "marginal_low": 0.28, "marginal_high": 0.32},
                "outcome": "pass" if 0.27 <= current <= 0.33 else "fail",
                "curve": "samples",
            },
            {
                "name": "voltage_v",
                "value": 12.0,
                "unit": "V",
                "limits": {"low": 11.4, "high": 12.6},
                "outcome": "pass",
            },
            {
                "name": "illuminance_lx",
                "value": 2850.0,
                "unit": "lx",
                "limits": {"low": 2400, "high": 3400},
                "outcome": "pass",
            },
        ],
    }


def curve(
    station: str, seq: int, name: str, columns: list[str], data: list[list[float]], run: int = 1
) -> dict[str, Any]:
    return {
        "schema": 2,
        "type": "record",
        "event": EVENT,
        "station": station,
        "boot_id": "b1",
        "seq": seq,
        "run_id": f"b1-{run}",
        "kind": "curve",
        "curve": name,
        "chunk": 0,
        "columns": columns,
        "data": data,
    }


def live(station: str, i: int, ts: float | None = None) -> dict[str, Any]:
    import math

    return {
        "schema": 2,
        "type": "live",
        "event": EVENT,
        "station": station,
        "boot_id": "b1",
        "run_id": "b1-2",
        "ts": time.time() if ts is None else ts,
        "phase": "measure",
        "values": {
            "voltage_v": 12.0 + 0.05 * math.sin(i / 3),
            "current_a": 0.30 + 0.01 * math.sin(i / 5),
            "illuminance_lx": 2800 + 60 * math.sin(i / 4),
        },
    }


def feed(ingest: Ingest) -> None:
    """Statuses, runs and curves of the four LED stations (led02's current fails)."""
    seq = 0
    for st in LED_STATIONS:
        t = Topics(EVENT, st)
        ingest.handle(t.status, enc(status(st)))
        seq += 1
        n = 40
        ts = [i * 0.1 for i in range(n)]
        ingest.handle(
            t.record,
            enc(
                curve(
                    st,
                    seq,
                    "samples",
                    ["t_s", "voltage_v", "current_a"],
                    [
                        ts,
                        [12.0 - 0.001 * i for i in range(n)],
                        [0.3 + 0.0005 * i for i in range(n)],
                    ],
                )
            ),
        )
        seq += 1
        grid = [(x, y) for y in range(4) for x in range(5)]
        ingest.handle(
            t.record,
            enc(
                curve(
                    st,
                    seq,
                    "grid",
                    ["x_m", "y_m", "illuminance_lx"],
                    [
                        [float(x) for x, _ in grid],
                        [float(y) for _, y in grid],
                        [300.0 + 40 * x - 25 * abs(y - 1.5) for x, y in grid],
                    ],
                )
            ),
        )
        seq += 1
        ingest.handle(
            t.record,
            enc(
                curve(
                    st,
                    seq,
                    "dimming",
                    ["level_pct", "illuminance_lx"],
                    [[0, 25, 50, 75, 100], [0, 700, 1420, 2150, 2850]],
                )
            ),
        )
        seq += 1
        ingest.handle(t.record, enc(result(st, seq, 0.25 if st == "led02" else 0.30)))
        ingest.handle(t.live, enc(live(st, 0)))
