"""Sample-to-browser latency of live previews, against the broker hop measured in the same run.

500 simulated stations publish live previews at 2 Hz each (1000 messages/s, QoS 0) through a
real Mosquitto to a real scorer (MQTT ingest, the console's live hub, uvicorn); 20 clients hold
the hall's Server-Sent Events stream open (every station, as the hall page does). For every
sample a client receives, latency = arrival time - the sample's ``ts`` (set by the publisher
just before publishing; all on this machine's clock). The baseline is an MQTT subscriber to the
same live topics in the same run: what the broker hop alone costs. Publishers, the scorer and
the clients are three processes (the scorer's GIL is its own), on however many cores there are.

Target: p99 <= 250 ms (sample to browser).

Run: .venv/bin/python bench/bench_live_latency.py [--stations 500] [--rate 2] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_P99_MS = 250.0
EVENT = "bench"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


# -- the publishers (a process of their own) ---------------------------------------------------
def run_publishers(port: int, stations: int, rate: float, seconds: float) -> int:
    from benchscore.mqtt import BrokerConfig, close_client, make_client
    from benchscore.protocol import Topics, encode

    client = make_client("bench-publisher", BrokerConfig(port=port))
    client.connect("127.0.0.1", port)
    client.loop_start()
    topics = [Topics(EVENT, f"st{i:03d}").live for i in range(stations)]
    interval = 1.0 / (stations * rate)
    start = time.monotonic()
    n = 0
    while True:
        due = start + n * interval
        now = time.monotonic()
        if now - start > seconds:
            break
        if due > now:
            time.sleep(due - now)
        i = n % stations
        sample = {
            "schema": 1,
            "type": "live",
            "event": EVENT,
            "station": f"st{i:03d}",
            "boot_id": "bench",
            "run_id": "bench-1",
            "ts": time.time(),
            "phase": "measure",
            "values": {
                "voltage_v": 12.0,
                "current_a": 0.3 + (n % 7) * 1e-3,
                "illuminance_lx": 2850.0,
            },
        }
        client.publish(topics[i], encode(sample), qos=0)
        n += 1
    close_client(client)
    print(json.dumps({"published": n}), flush=True)
    return 0


# -- the clients (a process of their own) ------------------------------------------------------
async def sse_client(
    url: str, cookie: str, stop_at: float, warm_at: float, lat: list[float], counts: dict[str, int]
) -> None:
    import httpx

    async with httpx.AsyncClient(timeout=None, cookies={"bs_session": cookie}) as client:  # noqa: SIM117
        async with client.stream("GET", url + "/console/api/live?max_s=3600") as resp:
            assert resp.status_code == 200, resp.status_code
            async for line in resp.aiter_lines():
                now = time.time()
                if line.startswith("data: "):
                    samples = json.loads(line[6:]).get("samples", [])
                    if now >= warm_at:
                        lat.extend(now - s["ts"] for s in samples)
                        counts["samples"] += len(samples)
                    counts["messages"] += 1
                if time.monotonic() > stop_at:
                    return


def run_clients(url: str, cookie: str, n: int, port: int, warm: float, seconds: float) -> int:
    from benchscore.mqtt import BrokerConfig, close_client, make_client

    base: list[float] = []
    t_warm = time.time() + warm

    def on_message(c: Any, u: Any, m: Any) -> None:
        now = time.time()
        if now >= t_warm:
            base.append(now - json.loads(m.payload)["ts"])

    sub = make_client("bench-baseline", BrokerConfig(port=port))
    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe(f"benchscore/v1/{EVENT}/+/live", qos=0)
    sub.loop_start()

    lat: list[float] = []
    counts = {"samples": 0, "messages": 0}

    async def main() -> None:
        stop_at = time.monotonic() + warm + seconds
        await asyncio.gather(
            *(sse_client(url, cookie, stop_at, t_warm, lat, counts) for _ in range(n))
        )

    asyncio.run(main())
    close_client(sub)
    print(json.dumps({"sse": lat, "mqtt": base, **counts}), flush=True)
    return 0


# -- the conductor ------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=500)
    ap.add_argument("--rate", type=float, default=2.0, help="live previews per station per s")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0, help="measured time")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--role", choices=["publishers", "clients"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--cookie", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.role == "publishers":
        return run_publishers(args.port, args.stations, args.rate, args.seconds)
    if args.role == "clients":
        return run_clients(
            args.url, args.cookie, args.clients, args.port, args.warmup, args.seconds
        )

    import httpx

    from benchscore.mqtt import BrokerConfig
    from scorer.accounts.auth import add_user
    from scorer.accounts.db import ConsoleDB
    from scorer.config import HttpConfig, ScorerConfig
    from scorer.service import ScorerService
    from tests.support.brokers import Mosquitto

    me = [sys.executable, str(Path(__file__).resolve())]
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        work = Path(tmp)
        broker = Mosquitto(work).start()
        scorer = ScorerService(
            ScorerConfig(
                event=EVENT,
                broker=BrokerConfig(port=broker.port),
                storage_path=work / "scorer.db",
                http=HttpConfig(port=0),
            )
        ).start()
        try:
            assert scorer.mqtt is not None and scorer.mqtt.wait_connected(10)
            assert scorer.store is not None
            add_user(
                ConsoleDB(scorer.store.db), "watcher", "viewer", "bench password", scrypt_n=2**8
            )
            url = scorer.url.rstrip("/")
            with httpx.Client() as h:
                page = h.get(url + "/login").text
                token = page.split('data-csrf="')[1].split('"')[0]
                r = h.post(
                    url + "/console/api/login",
                    headers={"X-CSRF-Token": token},
                    json={"username": "watcher", "password": "bench password"},
                )
                r.raise_for_status()
                cookie = h.cookies["bs_session"]
            total = args.warmup + args.seconds
            cpu0 = os.times()
            clients = subprocess.Popen(
                [
                    *me,
                    "--role",
                    "clients",
                    "--url",
                    url,
                    "--cookie",
                    cookie,
                    "--clients",
                    str(args.clients),
                    "--port",
                    str(broker.port),
                    "--warmup",
                    str(args.warmup),
                    "--seconds",
                    str(args.seconds),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(1.0)  # the streams open before the first sample
            pubs = subprocess.Popen(
                [
                    *me,
                    "--role",
                    "publishers",
                    "--port",
                    str(broker.port),
                    "--stations",
                    str(args.stations),
                    "--rate",
                    str(args.rate),
                    "--seconds",
                    str(total + 1.5),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            out, _ = clients.communicate(timeout=total + 60)
            pub_out, _ = pubs.communicate(timeout=30)
            cpu1 = os.times()
            hub_subs = scorer.ingest.accepted if scorer.ingest else 0
        finally:
            scorer.stop()
            broker.stop()
    got = json.loads(out.strip().splitlines()[-1])
    published = json.loads(pub_out.strip().splitlines()[-1])["published"]
    sse = [x * 1000 for x in got["sse"]]
    mqtt = [x * 1000 for x in got["mqtt"]]
    scorer_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    rate = args.stations * args.rate
    expected = rate * args.seconds * args.clients
    print(
        f"live latency: {args.stations} stations x {args.rate:g} Hz = {rate:g} live msg/s through "
        f"Mosquitto, {args.clients} SSE clients (hall stream), {args.seconds:g} s measured "
        f"after {args.warmup:g} s warm-up, {os.cpu_count()} cores"
    )
    print(f"  published {published} samples; scorer ingested {hub_subs} messages")
    print(
        f"  baseline  MQTT subscriber (broker hop):  p50 {pct(mqtt, 50):7.1f} ms   "
        f"p99 {pct(mqtt, 99):7.1f} ms   ({len(mqtt)} samples)"
    )
    print(
        f"  console   sample -> browser (SSE):       p50 {pct(sse, 50):7.1f} ms   "
        f"p99 {pct(sse, 99):7.1f} ms   max {max(sse) if sse else float('nan'):.1f} ms   "
        f"({len(sse)} samples, {len(sse) / max(1.0, expected):.1%} of those sent)"
    )
    print(
        f"  added by the scorer:                     p50 {pct(sse, 50) - pct(mqtt, 50):7.1f} ms   "
        f"p99 {pct(sse, 99) - pct(mqtt, 99):7.1f} ms"
    )
    print(
        f"  scorer process CPU: {scorer_cpu / (args.warmup + args.seconds + 1):.0%} of one core; "
        f"mean latency {statistics.fmean(sse) if sse else float('nan'):.1f} ms"
    )
    ok = pct(sse, 99) <= TARGET_P99_MS
    print(f"  target p99 <= {TARGET_P99_MS:g} ms: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
