"""Every ``benchscore`` command, run as a real process, with each kind of bad input a
technician or an attacker could give: missing file, malformed TOML, nan/inf/negative values,
low above high, unknown procedure or chip, a corrupt outbox, a missing or malformed key file,
an unwritable state dir, a bad event file, bad arguments.

Each must end with a non-zero exit status and exactly one line of output that names the file,
key or argument, and never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.brokers import free_port
from tests.support.stations import LED_TASK, REPO, write_station_config

EVENT_DIR = REPO / "config" / "event"


@dataclass(frozen=True)
class Case:
    """One bad input: the command line (``{d}`` is the work dir), what the line must name."""

    id: str
    argv: tuple[str, ...]
    names: str
    status: int = 2


def _task(d: Path, name: str, old: str, new: str) -> Path:
    """A copy of the LED task with ``old`` replaced by ``new`` (must occur)."""
    text = LED_TASK.read_text()
    assert old in text, old
    path = d / f"{name}.toml"
    path.write_text(text.replace(old, new, 1))
    return path


PORT = free_port()  # nothing listens there: the stations' broker is unreachable


def _station(d: Path, name: str, *, task: Path = LED_TASK, extra: str = "") -> Path:
    sub = d / name
    sub.mkdir()
    return write_station_config(sub, name, port=PORT, task=task, extra=extra)


def _identity(d: Path, name: str, text: str, mode: int = 0o600) -> None:
    """The station's own key file in its state dir, with ``text`` in it."""
    state = d / name / "var" / name
    state.mkdir(parents=True, exist_ok=True)
    (state / "identity.key").write_text(text)
    (state / "identity.key").chmod(mode)


def _event(d: Path, name: str, old: str, new: str, scheme: Path | None = None) -> Path:
    text = (EVENT_DIR / "example.toml").read_text()
    assert old in text, old
    text = text.replace(old, new, 1)
    target = scheme or EVENT_DIR / "electronics-scheme.toml"
    text = text.replace('scheme = "electronics-scheme.toml"', f'scheme = "{target}"')
    path = d / f"{name}.toml"
    path.write_text(text)
    return path


def _scheme(d: Path, name: str, old: str, new: str) -> Path:
    text = (EVENT_DIR / "electronics-scheme.toml").read_text()
    assert old in text, old
    path = d / f"{name}.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def _scorer(d: Path, name: str, body: str) -> Path:
    path = d / f"{name}.toml"
    path.write_text(body)
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    (d / "broken.toml").write_text('[station]\nid = "st01"\nevent = ["unclosed"\n')
    (d / "binary.toml").write_bytes(b"\xff\xfe\x00garbage")
    # station files
    _station(d, "good")
    _station(d, "chip", extra='[hardware.light_sensor]\nchip = "bh1705"\n')
    _station(d, "shunt", extra="[hardware.power_monitor]\nshunt_ohm = nan\n")
    _station(d, "gainrange", extra="[calibration]\ngain_range = [2.0, inf]\n")
    _station(d, "typo", extra='[hardware.power_monitr]\nchip = "ina226"\n')
    _station(d, "notask", task=d / "missing-task.toml")
    for name, old, new in (
        ("low-nan", "low = 3.2", "low = nan"),
        ("high-inf", "high = 4.0", "high = inf"),
        ("low-high", "low = 3.2", "low = 4.5"),
        ("settle", "settle_s = 0.5", "settle_s = -3"),
        ("samples", "samples = 5", "samples = 0"),
        ("interval", "sample_interval_s = 0.1", "sample_interval_s = -0.1"),
        ("procedure", 'procedure = "led_assembly"', 'procedure = "led_asembly"'),
    ):
        _station(d, f"t-{name}", task=_task(d, f"task-{name}", old, new))
    blocker = d / "a-file"
    blocker.write_text("not a directory\n")
    unwritable = _station(d, "statedir")
    unwritable.write_text(
        unwritable.read_text().replace("[station]\n", f'[station]\nstate_dir = "{blocker}/var"\n')
    )
    _station(d, "corrupt")
    (d / "corrupt" / "var" / "corrupt").mkdir(parents=True)
    (d / "corrupt" / "var" / "corrupt" / "outbox.db").write_bytes(b"not sqlite " * 500)
    _station(d, "badkey")
    _identity(d, "badkey", "not hex at all\n")
    _station(d, "openkey")
    _identity(d, "openkey", "11" * 32 + "\n", 0o644)
    oldkey = _station(d, "oldkey")  # a schema-1 file naming an HMAC key
    oldkey.write_text(oldkey.read_text().replace("[station]\n", '[station]\nkey_file = "k"\n'))
    (d / "bad-scorer.key").write_text("zz\n")
    (d / "bad-scorer.key").chmod(0o600)
    _scorer(d, "sc-badkey", f'[security]\nscorer_key = "{d / "bad-scorer.key"}"\n')
    calib = _station(d, "calstore")
    (d / "calstore" / "var" / "calstore").mkdir(parents=True)
    (d / "calstore" / "var" / "calstore" / "calibration.json").write_text("{not json")
    assert calib.exists()
    # event files
    _event(d, "ev-nan", "time_limit_min = 210", "time_limit_min = nan")
    _event(d, "ev-neg", "time_limit_min = 210", "time_limit_min = -5")
    _event(d, "ev-who", 'led01 = "C01"', 'led01 = "C10"')
    _event(d, "ev-noscheme", "[event]", "[event]", scheme=d / "missing-scheme.toml")
    band = _scheme(
        d, "sc-band", "full = { low = 0.28, high = 0.32 }", "full = { low = 0.4, high = 0.3 }"
    )
    _event(d, "ev-band", "[event]", "[event]", scheme=band)
    mark = _scheme(d, "sc-mark", "max_mark = 2.0", "max_mark = nan")
    _event(d, "ev-mark", "[event]", "[event]", scheme=mark)
    (d / "ev-broken.toml").write_text("[event\nid = 1\n")
    # scorer files
    (d / "garbage.db").write_bytes(b"this is not a database " * 200)
    _scorer(d, "sc-good", f'[storage]\npath = "{d / "scorer.db"}"\n[broker]\nport = {PORT}\n')
    _scorer(d, "sc-empty", f'[storage]\npath = "{d / "empty.db"}"\n[broker]\nport = {PORT}\n')
    _scorer(d, "sc-port", "[http]\nport = -1\n")
    _scorer(d, "sc-key", '[brokr]\nhost = "x"\n')
    _scorer(d, "sc-db", f'[storage]\npath = "{d / "garbage.db"}"\n')
    _scorer(d, "sc-dbdir", f'[storage]\npath = "{blocker}/scorer.db"\n')
    _scorer(
        d,
        "sc-event",
        f'[competition]\nevent_file = "{d / "ev-nan.toml"}"\n[http]\nport = 0\n'
        f'[storage]\npath = "{d / "sc-event.db"}"\n[broker]\nport = {PORT}\n',
    )
    (d / "log.csv").write_text("t,i,v\n0,1,4\n1,x,4\n")
    (d / "empty.csv").write_text("")
    return d


def st(name: str) -> str:
    return f"{{d}}/{name}/{name}.toml"


CASES = [
    # -- global and argument errors
    Case("no-command", (), "command"),
    Case("unknown-command", ("fly",), "fly"),
    Case("log-level", ("--log-level", "LOUD", "station", "--config", "x"), "--log-level"),
    Case("demo-flag", ("demo", "--stations", "many"), "--stations"),
    Case("demo-range", ("demo", "--stations", "99"), "--stations"),
    Case("demo-port", ("demo", "--mqtt-port", "70000"), "--mqtt-port"),
    Case("broker-port", ("broker", "--port", "abc"), "--port"),
    # -- station run / status
    Case("run-missing", ("station", "run", "--config", "{d}/none.toml"), "none.toml"),
    Case("run-malformed", ("station", "run", "--config", "{d}/broken.toml"), "broken.toml"),
    Case("run-binary", ("station", "run", "--config", "{d}/binary.toml"), "binary.toml"),
    Case("run-chip", ("station", "run", "--config", st("chip")), "did you mean 'bh1750'"),
    Case("run-shunt-nan", ("station", "run", "--config", st("shunt")), "shunt_ohm"),
    Case("run-typo-key", ("station", "run", "--config", st("typo")), "power_monitr"),
    Case("run-no-task", ("station", "run", "--config", st("notask")), "missing-task.toml"),
    Case("run-low-nan", ("station", "run", "--config", st("t-low-nan")), "limits.power_w.low"),
    Case("run-low-high", ("station", "run", "--config", st("t-low-high")), "power_w"),
    Case("run-settle", ("station", "run", "--config", st("t-settle")), "settle_s"),
    Case("run-samples", ("station", "run", "--config", st("t-samples")), "parameters.samples"),
    Case("run-procedure", ("station", "run", "--config", st("t-procedure")), "led_assembly"),
    Case("run-statedir", ("station", "run", "--config", st("statedir")), "a-file"),
    Case("run-key-bad", ("station", "run", "--config", st("badkey")), "identity.key"),
    Case("run-key-open", ("station", "run", "--config", st("openkey")), "chmod 600"),
    Case("run-key-file", ("station", "run", "--config", st("oldkey")), "key_file"),
    Case("status-gain", ("station", "status", "--config", st("gainrange")), "gain_range"),
    Case("status-corrupt", ("station", "status", "--config", st("corrupt")), "outbox.db"),
    Case("status-statedir", ("station", "status", "--config", st("statedir")), "a-file"),
    # -- outbox
    Case("list-corrupt", ("outbox", "list", "--config", st("corrupt")), "outbox.db"),
    Case("replay-corrupt", ("outbox", "replay", "--config", st("corrupt")), "outbox.db"),
    Case("replay-key-bad", ("outbox", "replay", "--config", st("badkey")), "identity.key"),
    Case("salvage-nofile", ("outbox", "salvage", "--config", st("good")), "FILE"),
    Case(
        "salvage-missing",
        ("outbox", "salvage", "{d}/gone.db", "--config", st("good")),
        "gone.db",
    ),
    Case("outbox-action", ("outbox", "burn", "--config", st("good")), "burn"),
    # -- the station's identity
    Case("identity-bad", ("station", "identity", "--config", st("badkey")), "identity.key"),
    Case("identity-unwritable", ("station", "identity", "--config", st("statedir")), "a-file"),
    # -- calibrate
    Case("cal-missing", ("calibrate", "--config", "{d}/none.toml", "list"), "none.toml"),
    Case(
        "cal-sensor",
        ("calibrate", "--config", st("good"), "sensor", "lux", "--reference", "1"),
        "lux",
    ),
    Case(
        "cal-ref-nan",
        ("calibrate", "--config", st("good"), "sensor", "light_sensor", "--reference", "nan"),
        "--reference",
    ),
    Case(
        "cal-ref-zero",
        ("calibrate", "--config", st("good"), "sensor", "light_sensor", "--reference", "0"),
        "--reference",
    ),
    Case("cal-list-sensor", ("calibrate", "--config", st("good"), "list", "grd.1"), "grd.1"),
    Case("cal-remove", ("calibrate", "--config", st("good"), "remove", "nope"), "nope"),
    Case("cal-store", ("calibrate", "--config", st("calstore"), "list"), "calibration.json"),
    Case("cal-selftest", ("calibrate", "--config", st("good"), "self-test"), "golden", 1),
    Case("cal-action", ("calibrate", "--config", st("good"), "tune"), "tune"),
    # -- scorer
    Case("scorer-missing", ("scorer", "--config", "{d}/none.toml"), "none.toml"),
    Case("scorer-malformed", ("scorer", "--config", "{d}/broken.toml"), "broken.toml"),
    Case("scorer-port", ("scorer", "--config", "{d}/sc-port.toml"), "http.port"),
    Case("scorer-key", ("scorer", "--config", "{d}/sc-key.toml"), "brokr"),
    Case("scorer-db", ("scorer", "--config", "{d}/sc-db.toml"), "garbage.db", 1),
    Case("scorer-dbdir", ("scorer", "--config", "{d}/sc-dbdir.toml"), "a-file"),
    Case("scorer-badkey", ("scorer", "--config", "{d}/sc-badkey.toml"), "bad-scorer.key"),
    Case(
        "scorer-event",
        ("--log-level", "WARNING", "scorer", "--config", "{d}/sc-event.toml"),
        "time_limit_min",
    ),
    # -- event
    Case(
        "ev-missing",
        ("event", "load", "{d}/none.toml", "--config", "{d}/sc-good.toml"),
        "none.toml",
    ),
    Case(
        "ev-broken",
        ("event", "load", "{d}/ev-broken.toml", "--config", "{d}/sc-good.toml"),
        "ev-broken.toml",
    ),
    Case(
        "ev-nan",
        ("event", "load", "{d}/ev-nan.toml", "--config", "{d}/sc-good.toml"),
        "time_limit_min",
    ),
    Case(
        "ev-band",
        ("event", "load", "{d}/ev-band.toml", "--config", "{d}/sc-good.toml"),
        "sc-band.toml",
    ),
    Case(
        "ev-mark",
        ("event", "load", "{d}/ev-mark.toml", "--config", "{d}/sc-good.toml"),
        "max_mark",
    ),
    Case("ev-who", ("event", "load", "{d}/ev-who.toml", "--config", "{d}/sc-good.toml"), "C10"),
    Case(
        "ev-noscheme",
        ("event", "load", "{d}/ev-noscheme.toml", "--config", "{d}/sc-good.toml"),
        "missing-scheme.toml",
    ),
    Case("ev-db", ("event", "status", "--config", "{d}/sc-db.toml"), "garbage.db", 1),
    Case("ev-none", ("event", "status", "--config", "{d}/sc-empty.toml"), "event", 1),
    Case(
        "ev-minutes",
        ("event", "time-limit", "led", "nan", "--config", "{d}/sc-good.toml"),
        "minutes",
    ),
    Case(
        "ev-judge",
        ("event", "judge", "C01", "A1", "J1", "inf", "--config", "{d}/sc-good.toml"),
        "score",
    ),
    Case("ev-export", ("event", "export", "pdf", "--config", "{d}/sc-good.toml"), "pdf"),
    # -- users
    Case("users-missing", ("users", "list", "--config", "{d}/none.toml"), "none.toml"),
    Case("users-db", ("users", "list", "--config", "{d}/sc-db.toml"), "garbage.db", 1),
    Case(
        "users-role",
        ("users", "add", "bob", "--role", "king", "--config", "{d}/sc-good.toml"),
        "king",
    ),
    # -- analyze
    Case(
        "an-missing",
        ("analyze", "discharge", "{d}/none.csv", "--time", "t", "--current", "i", "--voltage", "v"),
        "none.csv",
    ),
    Case(
        "an-column",
        ("analyze", "discharge", "{d}/log.csv", "--time", "t", "--current", "I", "--voltage", "v"),
        "I",
    ),
    Case("an-color", ("analyze", "color", "--x", "nan", "--y", "0.3"), "x"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_ends_in_one_line_naming_it(work: Path, case: Case) -> None:
    argv = [a.replace("{d}", str(work)) for a in case.argv]
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    proc = subprocess.run(
        [sys.executable, "-m", "benchscore", *argv],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=work,
        env=env,
    )
    output = proc.stdout + proc.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    assert "Traceback" not in output, output
    assert proc.returncode == case.status, output
    assert len(lines) == 1, output
    assert case.names in lines[0], output
    assert not any(line.startswith("<") for line in lines), "no journal prefixes on a pipe"
