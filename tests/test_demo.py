"""``benchscore demo`` as a newcomer runs it: verdicts over HTTP within 60 s, the wire as
``docs/PROTOCOL.md`` documents it, and every process gone after SIGTERM."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from benchscore import protocol
from tests.support.brokers import free_port, wait_port

REPO = Path(__file__).resolve().parents[1]


def documented_topic_patterns() -> list[re.Pattern[str]]:
    """Topic patterns from the topic table of docs/PROTOCOL.md (`benchscore/v1/<event>/...`)."""
    text = (REPO / "docs" / "PROTOCOL.md").read_text()
    topics = re.findall(r"^\| `(benchscore/[^`]+)`", text, flags=re.MULTILINE)
    assert topics, "docs/PROTOCOL.md has no topic table"
    return [
        re.compile("^" + re.sub(r"<[a-z_]+>", "[A-Za-z0-9][A-Za-z0-9_.-]*", t) + "$")
        for t in topics
    ]


def runs(port: int) -> list[dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=2) as resp:
            data = json.load(resp)
    except OSError:
        return []
    assert isinstance(data, list)
    return data


@pytest.mark.parametrize("embedded", [False, True], ids=["mosquitto", "embedded"])
def test_demo_shows_pass_and_fail_and_stops_everything(tmp_path: Path, embedded: bool) -> None:
    sub_bin = shutil.which("mosquitto_sub")
    assert sub_bin, "mosquitto_sub missing: scripts/setup.sh installs mosquitto-clients"
    http_port, mqtt_port = free_port(), free_port()
    argv = [
        sys.executable,
        "-m",
        "benchscore",
        "demo",
        "--http-port",
        str(http_port),
        "--mqtt-port",
        str(mqtt_port),
    ]
    if embedded:
        argv.append("--embedded-broker")
    started = time.monotonic()
    demo = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sub = None
    try:
        wait_port(mqtt_port, 30)
        sub = subprocess.Popen(
            # line-buffered: SIGTERM at the end must not lose what the pipe's buffer held
            ["stdbuf", "-oL", sub_bin, "-p", str(mqtt_port), "-v", "-t", "benchscore/#"]
            + (["-V", "311"] if embedded else []),
            stdout=subprocess.PIPE,
            text=True,
        )
        outcomes: set[object] = set()
        wire: list[str] = []
        reader = threading.Thread(
            target=lambda: wire.extend(line.rstrip("\n") for line in sub.stdout),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()

        def seen(kind: str) -> bool:
            return any(line.split(" ", 1)[0].endswith("/" + kind) for line in list(wire))

        while time.monotonic() - started < 90 and not (
            {"pass", "fail", "fault"} <= outcomes and seen("record") and seen("ack")
        ):
            outcomes = {r.get("outcome") for r in runs(http_port)}
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        assert {"pass", "fail"} <= outcomes, f"after {elapsed:.0f} s: {outcomes}"
        assert "fault" in outcomes  # st07 has its light sensor unplugged
        assert all(set(r) >= {"station", "outcome"} for r in runs(http_port))
    finally:
        demo.send_signal(signal.SIGTERM)
        out, _ = demo.communicate(timeout=30)
        if sub is not None:
            sub.terminate()
            sub.wait(10)
            reader.join(5)
            if sub.stdout is not None:
                sub.stdout.close()
            lines = list(wire)
    assert demo.returncode == 0, out
    assert f"http://127.0.0.1:{http_port}/" in out
    assert "stopped every process it started" in out
    # the certificate the demo issued verifies offline with the line it printed
    verify = next(x.strip() for x in out.splitlines() if x.strip().startswith("benchscore verify"))
    got = subprocess.run(
        [sys.executable, "-m", *verify.split()], capture_output=True, text=True, timeout=60
    )
    assert got.returncode == 0 and got.stdout.startswith("VALID "), got.stderr
    with pytest.raises(OSError):  # the broker is gone with the demo
        wait_port(mqtt_port, 0.5)

    patterns = documented_topic_patterns()
    kinds = set()
    for line in lines:
        topic, _, payload = line.partition(" ")
        assert any(p.match(topic) for p in patterns), f"undocumented topic {topic}"
        if topic.startswith(protocol.ADOPT_PREFIX):
            kind = topic.rsplit("/", 1)[1]
            if payload not in ("", "(null)"):  # an empty retained message clears an adoption
                kid = protocol.parse_adopt_topic(topic, kind)
                check = protocol.validate_hello if kind == "hello" else protocol.validate_adopt
                check(kid, protocol.decode(payload.encode()))
            kinds.add(kind)
            continue
        if topic == protocol.AUDIT_TOPIC:
            assert protocol.decode(payload.encode())["type"] == "audit_head"
            continue
        parts, obj = protocol.parse(
            topic, payload.encode(), protocol.STATION_KINDS + protocol.SCORER_KINDS
        )
        kinds.add(parts.kind)
    assert kinds >= {"status", "live", "record", "ack"}
    if not embedded:  # the wire shows the simulated Pis being adopted
        assert kinds >= {"hello", "adopt"}
