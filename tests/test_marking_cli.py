"""``benchscore event``: the chief expert's commands on the scorer's database and broker, and
the marks API as the console mounts it."""

from __future__ import annotations

import csv
import io
import json
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from benchscore.app.cli import main
from benchscore.mqtt import close_client
from scorer.api_marks import routes
from scorer.competition import Competition
from scorer.store import Store
from tests.support.brokers import Mosquitto
from tests.test_marking import EVENT, EXAMPLE, GOOD_LED, result

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

REPO = Path(__file__).resolve().parents[1]


def scorer_toml(tmp: Path, broker_port: int = 1883) -> Path:
    conf = tmp / "scorer.toml"
    conf.write_text(
        f'[broker]\nport = {broker_port}\n[storage]\npath = "scorer.db"\n'
        f'[competition]\ntasks_dir = "{REPO / "config" / "tasks"}"\n'
    )
    return conf


def test_load_judge_export_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = str(scorer_toml(tmp_path))
    assert main(["event", "load", str(EXAMPLE), "--config", conf]) == 0
    assert "scheme electronics-2025 version 1 (30 marks)" in capsys.readouterr().out
    store = Store(tmp_path / "scorer.db")
    try:
        store.add_run(result("led01", 1, "led-module-a", GOOD_LED))
    finally:
        store.close()
    assert main(["event", "remark", "--config", conf]) == 0
    for n, score in enumerate([3, 3, 2], 1):
        assert main(["event", "judge", "C01", "A3.1", f"J{n}", str(score), "--config", conf]) == 0
    assert "C01 A3.1: 1.78 of 2 (ok)" in capsys.readouterr().out
    out = tmp_path / "marks.csv"
    assert main(["event", "export", "csv", "--config", conf, "-o", str(out)]) == 0
    rows = {(r["competitor"], r["aspect"]): r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert rows[("C01", "A1.1")]["mark"] == "2.0" and rows[("C01", "A3.1")]["mark"] == "1.78"
    capsys.readouterr()
    assert main(["event", "export", "record", "--competitor", "C01", "--config", conf]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["total"] == 8.78 and record["rank"] == 1
    assert main(["event", "export", "sheet", "--competitor", "C02", "--config", conf]) == 0
    assert "Total" in capsys.readouterr().out
    assert main(["event", "status", "--config", conf]) == 0
    status = capsys.readouterr().out
    assert "led          pending  limit 210 min" in status and "judged 1/3" in status
    # errors are one line and a non-zero status
    assert main(["event", "judge", "C01", "A3.1", "J1", "7", "--config", conf]) == 1
    assert "0, 1, 2 or 3" in capsys.readouterr().err
    assert main(["event", "export", "sheet", "--config", conf]) == 1
    assert main(["event", "status", "--config", str(tmp_path / "missing.toml")]) == 2


def test_clock_commands_reach_the_stations_topics(
    tmp_path: Path, mosquitto: Mosquitto, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = str(scorer_toml(tmp_path, mosquitto.port))
    assert main(["event", "load", str(EXAMPLE), "--config", conf]) == 0
    got: list[dict[str, Any]] = []
    subscribed = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="cli-watch", protocol=mqtt.MQTTv5)
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_message = lambda c, u, m: got.append(json.loads(m.payload))
    sub.connect("127.0.0.1", mosquitto.port)
    sub.loop_start()
    try:
        sub.subscribe(f"benchscore/v1/{EVENT}/+/cmd", qos=1)
        assert subscribed.wait(10)
        assert main(["event", "start", "led", "--config", conf]) == 0
        assert main(["event", "time-limit", "led", "180", "--config", conf]) == 0
        assert main(["event", "freeze", "led", "--config", conf]) == 0
        assert main(["event", "start", "led", "--config", conf]) == 1  # not pending any more
        for _ in range(200):
            if len(got) == 12:
                break
            threading.Event().wait(0.05)
    finally:
        close_client(sub)
    assert len(got) == 12 and {g["command"] for g in got} == {"set_time_limit"}
    assert {g["station"] for g in got} == {"led01", "led02", "led03", "led04"}
    ends = [g["args"]["end_ts"] for g in got]
    assert ends[0] - ends[4] == pytest.approx(30 * 60, abs=1)  # 210 -> 180 min
    assert "frozen" in capsys.readouterr().out


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Competition]]:
    store = Store(tmp_path / "scorer.db")
    sent: list[Any] = []
    comp = Competition(store, send=lambda *a: sent.append(a))
    comp.install_file(EXAMPLE)
    with TestClient(Starlette(routes=routes(comp))) as client:
        yield client, comp
    store.close()


def test_marks_api(api: tuple[TestClient, Competition]) -> None:
    client, comp = api
    comp.store.add_run(result("led01", 1, "led-module-a", GOOD_LED))
    comp.remark(EVENT)
    resp = client.post(
        f"/api/judgements/{EVENT}",
        json={"competitor": "C01", "aspect": "A3.1", "judge": "J1", "score": 3},
    )
    assert resp.status_code == 200 and resp.json()["marks"]
    doc = client.get(f"/api/marks/{EVENT}").json()
    assert doc["competitors"][0]["total"] == 7.0
    text = client.get(f"/api/marks/{EVENT}", params={"format": "csv"}).text
    assert len(list(csv.DictReader(io.StringIO(text)))) == 4 * 18
    assert client.get(f"/api/marks/{EVENT}/totals").json()["C01"]["total"] == 7.0
    assert client.get(f"/api/marks/{EVENT}/versions").json()[0]["version"] == 1
    assert client.get(f"/api/marks/{EVENT}/changes").json()
    assert client.get(f"/api/marks/{EVENT}/standardised").json()[0]["competitor"] == "C01"
    assert client.get(f"/api/marks/{EVENT}/record/C01").json()["rank"] == 1
    sheet = client.get(f"/api/marks/{EVENT}/sheet/C01")
    assert sheet.headers["content-type"].startswith("text/csv") and "Total" in sheet.text
    started = client.post(f"/api/event/{EVENT}/modules/led/start", json={"actor": "chief"})
    assert started.status_code == 200 and started.json()["state"] == "running"
    limit = client.post(f"/api/event/{EVENT}/modules/led/time_limit", json={"minutes": 180})
    assert limit.json()["time_limit_s"] == 180 * 60
    assert set(client.post(f"/api/event/{EVENT}/modules/led/measure").json()["sent"]) == {
        "led01",
        "led02",
        "led03",
        "led04",
    }
    event = client.get(f"/api/event/{EVENT}").json()
    assert [c["state"] for c in event["clocks"]] == ["running", "pending", "pending"]
    # errors are 4xx with a message
    assert client.get("/api/marks/nope").status_code == 400
    assert client.get(f"/api/marks/{EVENT}", params={"version": "x"}).status_code == 400
    assert client.get(f"/api/marks/{EVENT}/sheet/C99").status_code == 400
    bad = client.post(f"/api/judgements/{EVENT}", json={"competitor": "C01"})
    assert bad.status_code == 400 and "missing" in bad.json()["error"]
    assert client.post(f"/api/judgements/{EVENT}", content=b"[1]").status_code == 400
    assert client.post(f"/api/event/{EVENT}/modules/led/start").status_code == 400
    assert client.post(f"/api/event/{EVENT}/modules/led/dance").status_code == 400
    assert client.get(f"/api/appeals/{EVENT}/led01/nope").status_code == 400
