"""The hall page and the JSON API, through Starlette's TestClient over a real SQLite store."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    # Starlette >= 1.x prefers httpx2 for its TestClient and warns (once, on import) when it
    # falls back to httpx; the dev extra pins httpx. Harmless for these tests.
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")
    from starlette.testclient import TestClient

from benchscore.protocol import Topics
from scorer.ingest import Ingest
from scorer.store import Store
from scorer.web import create_app
from tests.test_scorer_store import live, record, status


def enc(obj: object) -> bytes:
    return json.dumps(obj).encode()


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[Ingest]:
    store = Store(tmp_path / "scorer.db")
    yield Ingest(store)
    store.close()


@pytest.fixture
def client(ingest: Ingest) -> Iterator[TestClient]:
    with TestClient(create_app(ingest.store, ingest)) as c:
        yield c


def feed_hall(ingest: Ingest) -> None:
    a, b = Topics("ev1", "st01"), Topics("ev1", "st02")
    ingest.handle(a.status, enc(status("st01", "done")))
    ingest.handle(a.record, enc(record("st01", 1, outcome="pass", reason="")))
    ingest.handle(a.record, enc(record("st01", 2)))
    ingest.handle(a.live, enc(live("st01")))
    ingest.handle(b.live, enc(live("st02", voltage_v=3.3)))  # live only, no status yet
    ingest.handle(b.record, b"not json")


def test_hall_page_is_self_contained(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("/") for r in refs), refs
    assert "http://" not in html and "https://" not in html
    for ref in refs:
        if ref.startswith("/static/"):
            assert client.get(ref).status_code == 200, ref
    js = client.get("/static/hall.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert "/api/hall" in js.text and "setTimeout(poll, POLL_MS)" in js.text
    assert ".innerHTML" not in js.text  # station-supplied text is never parsed as HTML
    assert "http://" not in js.text and "https://" not in js.text
    assert "url(" not in client.get("/static/hall.css").text
    assert client.get("/static/secret.db").status_code == 404
    assert client.get("/static/..%2Fstore.py").status_code == 404


def test_api_runs(ingest: Ingest, client: TestClient) -> None:
    assert client.get("/api/runs").json() == []
    feed_hall(ingest)
    ingest.handle(Topics("ev1", "st03").record, enc(record("st03", 1)))
    runs = client.get("/api/runs").json()
    assert [(r["station"], r["seq"], r["outcome"]) for r in runs] == [
        ("st03", 1, "fail"),
        ("st01", 2, "fail"),
        ("st01", 1, "pass"),
    ]
    first = runs[0]
    for key in ("id", "event", "run_id", "task", "reason", "started_at", "ended_at"):
        assert key in first
    assert [m["name"] for m in first["measurements"]] == [
        "forward_voltage",
        "current",
        "illuminance",
    ]
    assert first["measurements"][2]["limits"] == {"low": 50.0}
    only = client.get("/api/runs", params={"station": "st01", "limit": 1}).json()
    assert [(r["station"], r["seq"]) for r in only] == [("st01", 2)]
    assert client.get("/api/runs", params={"limit": "many"}).status_code == 400
    assert client.get("/api/runs", params={"limit": 0}).status_code == 400
    assert client.get("/api/runs", params={"station": "../x"}).status_code == 400


def test_api_stations_and_hall(ingest: Ingest, client: TestClient) -> None:
    feed_hall(ingest)
    stations = client.get("/api/stations").json()
    assert [(s["id"], s["state"], s["last_run"]["seq"]) for s in stations] == [("st01", "done", 2)]

    hall = client.get("/api/hall").json()
    by_id = {s["id"]: s for s in hall["stations"]}
    assert list(by_id) == ["st01", "st02"]
    st1 = by_id["st01"]
    assert st1["state"] == "done" and st1["online"] is True
    assert st1["last_run"]["outcome"] == "fail" and "illuminance" in st1["last_run"]["reason"]
    assert len(st1["last_run"]["measurements"]) == 3
    assert st1["live"]["values"]["illuminance_lx"] == 310.0 and st1["live"]["ts"] == 1_700_000_010.5
    assert by_id["st02"]["state"] is None and by_id["st02"]["last_run"] is None
    assert by_id["st02"]["live"]["values"] == {"voltage_v": 3.3}
    assert hall["counts"] == {"accepted": 5, "duplicates": 0, "rejected": {"malformed": 1}}
    assert hall["rejections"] == {"malformed": 1}
    assert isinstance(hall["now"], float)


def test_api_rejections_and_health(ingest: Ingest, client: TestClient) -> None:
    assert client.get("/api/health").json() == {
        "ok": True,
        "accepted": 0,
        "duplicates": 0,
        "rejected": 0,
        "rejected_by_reason": {},
    }
    feed_hall(ingest)
    ingest.handle(Topics("ev1", "st01").record, enc(record("st02")))
    ingest.handle(Topics("ev1", "st01").record, enc(record("st01", 1)))  # duplicate
    rej = client.get("/api/rejections").json()
    assert rej["counts"] == {"malformed": 1, "wrong_topic": 1}
    assert [r["reason"] for r in rej["recent"]] == ["wrong_topic", "malformed"]
    assert rej["recent"][0]["topic"] == "benchscore/v1/ev1/st01/record"
    assert len(client.get("/api/rejections", params={"limit": 1}).json()["recent"]) == 1
    health = client.get("/api/health").json()
    assert health["ok"] is True and health["accepted"] == 5 and health["duplicates"] == 1
    assert health["rejected"] == 2
    assert health["rejected_by_reason"] == {"malformed": 1, "wrong_topic": 1}


def test_api_is_not_cached(client: TestClient) -> None:
    for path in ("/", "/api/hall", "/api/runs", "/api/health"):
        assert client.get(path).headers["cache-control"] == "no-store", path
