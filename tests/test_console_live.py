"""Live samples to browsers: the hub's fan-out, and the SSE stream with its history."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

from benchscore.protocol import Topics
from scorer.console.live import LiveHub
from scorer.ingest import Ingest
from scorer.store import Store
from tests.browser.support import EVENT, client, enc, live, login, make_hall


def events(text: str) -> list[tuple[str, dict[str, object]]]:
    out = []
    for block in text.split("\n\n"):
        lines = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_hub_pushes_each_new_sample_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    ingest = Ingest(store)
    hub = LiveHub(ingest)

    async def run() -> tuple[list[bytes], list[bytes]]:
        every = hub.subscribe(None)
        one = hub.subscribe("st02")
        for st in ("st01", "st02"):
            ingest.handle(Topics(EVENT, st).live, enc({**live(st, 0), "station": st}))
        assert hub.poll() == 2
        assert hub.poll() == 0  # nothing new
        ingest.handle(Topics(EVENT, "st01").live, enc({**live("st01", 1), "station": "st01"}))
        assert hub.poll() == 1
        got_all = [every.queue.get_nowait() for _ in range(every.queue.qsize())]
        got_one = [one.queue.get_nowait() for _ in range(one.queue.qsize())]
        hub.unsubscribe(every)
        hub.unsubscribe(one)
        return got_all, got_one

    got_all, got_one = asyncio.run(run())
    assert len(got_all) == 2 and b'"st01"' in got_all[0] and b'"st02"' in got_all[0]
    assert len(got_one) == 1 and b'"st01"' not in got_one[0]
    assert len(hub.history("st01")) == 2
    store.close()


def test_sse_stream_history_then_live(tmp_path: Path) -> None:
    h = make_hall(tmp_path)
    try:
        c = client(h.app)
        login(c, "viewer1")
        topic = Topics(EVENT, "led01").live
        stop = threading.Event()

        def station() -> None:
            i = 0
            while not stop.is_set():
                h.ingest.handle(topic, enc(live("led01", i)))
                i += 1
                time.sleep(0.02)

        feeder = threading.Thread(target=station, daemon=True)
        feeder.start()
        try:
            time.sleep(0.05)
            first = c.get("/console/api/live", params={"station": "led01", "max_s": 0.5})
            second = c.get("/console/api/live", params={"station": "led01", "max_s": 0.3})
        finally:
            stop.set()
            feeder.join(2)
        assert first.headers["content-type"].startswith("text/event-stream")
        got = events(first.text)
        assert got[0][0] == "history"
        lives = [e for kind, e in got if kind == "live"]
        assert len(lives) >= 5
        ts = [s["ts"] for e in lives for s in e["samples"]]  # type: ignore[attr-defined]
        assert ts == sorted(ts) and len(set(ts)) == len(ts)
        history = events(second.text)[0][1]["samples"]
        assert len(history) >= len(ts)  # the hub kept what it pushed
        assert c.get("/console/api/live", params={"station": "../x"}).status_code == 400
    finally:
        h.close()
