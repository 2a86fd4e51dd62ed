"""``benchscore demo``: a whole hall on one machine.

Starts a broker of its own on loopback (Mosquitto when its binary is present, otherwise the
embedded MQTT 3.1.1 broker), the scorer with its hall page, and simulated stations with
different assemblies (LED assemblies, lighting installations and power banks; good ones,
faulty ones, one with an unplugged sensor), each pressing START by itself every few seconds.
The lighting and power-bank stations run in simulated time (``clock = "sim"``). Prints the
page's address and each verdict as it arrives; stops every process it started on Ctrl-C or
SIGTERM. ``--stations 10`` adds the tunable-white modules and a faulty lighting installation;
the default 13 also the two LED display screens (a good one and a badly installed one) and a
power bank on a cycle-life schedule.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

log = logging.getLogger("benchscore.demo")

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
EVENT = "demo"
DEMO_COMPETITORS = {
    "C01": "Anna Ivanova",
    "C02": "Boris Petrov",
    "C03": "Chen Wei",
    "C04": "Daria Smirnova",
}
"""The competitors of config/event/demo.toml (each gets a contestant account)."""


@dataclass(frozen=True)
class DemoStation:
    id: str
    fault: str
    unplugged: tuple[str, ...] = ()
    note: str = ""
    task: str = "led_assembly"
    """Task file in config/tasks (without .toml)."""
    assembly: str = "led_assembly"
    clock: str = "real"
    """"sim" runs long procedures (a 3 h power-bank test) in simulated time."""
    extra: str = ""
    """More [simulation] lines."""


LINEUP = (
    DemoStation("st01", "none", note="good LED assembly"),
    DemoStation("st02", "open_string", note="LED assembly: one string open"),
    DemoStation(
        "st03",
        "none",
        note="good lighting installation (EN 12464-1 booth, DALI curve via python-dali, sim time)",
        task="lighting_environment",
        assembly="lighting_environment",
        clock="sim",
    ),
    DemoStation(
        "st04",
        "none",
        note="good power bank, full GB/T 35590 test (3 h in simulated time)",
        task="power_bank",
        assembly="power_bank",
        clock="sim",
    ),
    DemoStation("st05", "wrong_bin", note="LED assembly: LEDs from a dim flux bin"),
    DemoStation(
        "st06",
        "weak_cell",
        note="power bank with a weak cell (45 % of its capacity)",
        task="power_bank",
        assembly="power_bank",
        clock="sim",
    ),
    DemoStation("st07", "none", ("light_sensor",), note="bench fault: light sensor unplugged"),
    DemoStation(
        "st08",
        "swapped_channels",
        note="tunable-white module with its channels swapped (nobody answers the diffuser "
        "question: it times out to yes)",
        task="led_tunable_white",
        extra='led_module = "tunable_white"',
    ),
    DemoStation(
        "st09",
        "dead_luminaire",
        note="lighting installation with a dead luminaire",
        task="lighting_environment",
        assembly="lighting_environment",
        clock="sim",
    ),
    DemoStation(
        "st10",
        "none",
        note="good tunable-white module (check, channels, ANSI quadrangles, IEEE 1789 flicker; "
        "the diffuser question answered by a simulated START press)",
        task="led_tunable_white",
        extra='led_module = "tunable_white"\nprompt_answer_s = 2.5',
    ),
    DemoStation(
        "st11",
        "none",
        note="good LED display screen (camera 15 degrees off axis)",
        task="led_screen",
        assembly="led_screen",
        extra="camera_yaw_deg = 15",
    ),
    DemoStation(
        "st12",
        "mixed",
        note="LED display screen: dead module, row out, swapped RGB, misplaced modules, pixels",
        task="led_screen",
        assembly="led_screen",
        extra="camera_yaw_deg = 30",
    ),
    DemoStation(
        "st13",
        "none",
        note="power bank cycle life: a cycler schedule, 10 cycles, capacity fade per cycle",
        task="power_bank_cycle_life_demo",
        assembly="power_bank",
        clock="sim",
        extra="cell_capacity_mah = 400\ncapacity_fade_per_cycle = 0.004\n"
        "physics_step_s = 3\ninitial_soc = 0.0",
    ),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_port(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the demo dies without cleaning up (Linux prctl)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def open_to_observers(conf: Path, dynsec: Path) -> None:
    """The demo's broker lets an anonymous client watch (``mosquitto_sub -t 'benchscore/#'``,
    read only): a hall's broker does not (``benchscore hall init``)."""
    policy = json.loads(dynsec.read_text())
    topic = "benchscore/#"  # a subscription is checked as written: what the README shows
    policy["roles"].append(
        {
            "rolename": "demo-observer",
            "acls": [{"acltype": "subscribePattern", "topic": topic, "allow": True}],
        }
    )
    policy["groups"].append(
        {"groupname": "demo-observers", "roles": [{"rolename": "demo-observer"}], "clients": []}
    )
    policy["anonymousGroup"] = "demo-observers"
    dynsec.write_text(json.dumps(policy, indent=2))
    conf.write_text(conf.read_text().replace("allow_anonymous false", "allow_anonymous true"))


class Demo:
    """The processes of one demo run and their shutdown."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.http_port: int = args.http_port
        self.mqtt_port: int = args.mqtt_port or free_port()
        self.n_stations: int = max(4, min(args.stations, len(LINEUP)))
        self.embedded = bool(args.embedded_broker) or mosquitto_binary() is None
        self.protocol = "3.1.1" if self.embedded else "5"
        self.duration: float | None = args.duration
        self.workdir = Path(tempfile.mkdtemp(prefix="benchscore-demo-"))
        self.scorer_password = secrets.token_urlsafe(18)
        self.enrol_password = secrets.token_urlsafe(18)
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stop_event = threading.Event()

    # -- processes ---------------------------------------------------------------------------
    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        logf = (self.workdir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv,
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.procs.append((name, proc))
        return proc

    def start_broker(self) -> None:
        if self.embedded:
            self.spawn(
                "broker",
                [sys.executable, "-m", "benchscore", "broker", "--port", str(self.mqtt_port)],
            )
        else:
            from scorer.broker_setup import write_dynsec_broker

            files = write_dynsec_broker(
                self.workdir / "broker",
                port=self.mqtt_port,
                scorer_password=self.scorer_password,
                enrol_password=self.enrol_password,
                listener_host="127.0.0.1",
                # started as root, Mosquitto would drop to its own user, which cannot read
                # files in this user's temporary directory
                broker_user="root" if os.geteuid() == 0 else None,
            )
            open_to_observers(files.conf, files.dynsec)
            binary = mosquitto_binary()
            assert binary is not None
            self.spawn("broker", [binary, "-c", str(files.conf)])
        if not wait_port(self.mqtt_port, 15):
            raise RuntimeError(
                f"the broker did not start on port {self.mqtt_port}; see "
                f"{self.workdir / 'broker.log'}"
            )

    def make_keys(self) -> None:
        """The scorer's key pair; stations pin its public key and make their own keys."""
        from benchscore.identity import Identity

        self.scorer_key = Identity.load_or_create(self.workdir / "scorer.key")

    def make_accounts(self) -> list[tuple[str, str, str]]:
        """The console's demo accounts (random passwords, printed once)."""
        from scorer.console.demo import create_demo_accounts

        return create_demo_accounts(self.workdir / "scorer.db", DEMO_COMPETITORS)

    def _broker_login(self, username: str, password: str) -> str:
        if self.embedded:
            return ""
        return f'username = "{username}"\npassword = "{password}"\n'

    def start_scorer(self) -> None:
        conf = self.workdir / "scorer.toml"
        admin = "none" if self.embedded else "dynsec"
        conf.write_text(
            f'event = "{EVENT}"\n[broker]\nhost = "127.0.0.1"\nport = {self.mqtt_port}\n'
            f'protocol = "{self.protocol}"\n'
            + self._broker_login("benchscore-scorer", self.scorer_password)
            + '[storage]\npath = "scorer.db"\n'
            f'[http]\nhost = "127.0.0.1"\nport = {self.http_port}\n'
            f'[security]\nrequire_signatures = true\nscorer_key = "scorer.key"\n'
            f'broker_admin = "{admin}"\n'
            f'[competition]\nevent_file = "{REPO_CONFIG / "event" / "demo.toml"}"\n'
            f'tasks_dir = "{REPO_CONFIG / "tasks"}"\n'
            f'[credentials]\ncentre_key = "centre.key"\n'
            f'centre_url = "http://127.0.0.1:{self.http_port}"\n'
        )
        self.spawn("scorer", [sys.executable, "-m", "benchscore", "scorer", "--config", str(conf)])
        if not wait_port(self.http_port, 20):
            raise RuntimeError(f"the scorer did not start; see {self.workdir / 'scorer.log'}")

    def start_stations(self) -> None:
        """Every simulated Pi gets the same kind of file: broker, enrolment login, the scorer's
        key, its bench; no id, event or task (those come at adoption)."""
        tasks = REPO_CONFIG / "tasks"
        if not (tasks / "led_assembly.toml").exists():
            raise RuntimeError(
                f"task definitions not found in {tasks}: run the demo from a checkout"
            )
        self.screens: dict[str, int] = {}
        for i, st in enumerate(LINEUP[: self.n_stations]):
            conf = self.workdir / f"{st.id}.toml"
            self.screens[st.id] = free_port()
            unplugged = ", ".join(f'"{u}"' for u in st.unplugged)
            conf.write_text(
                f'[station]\nstate_dir = "{self.workdir / ("pi-" + st.id)}"\n'
                f'screen = "127.0.0.1:{self.screens[st.id]}"\n'
                f'scorer_key = "{self.scorer_key.public.hex}"\n'
                f'[broker]\nhost = "127.0.0.1"\nport = {self.mqtt_port}\n'
                f'protocol = "{self.protocol}"\n'
                + self._broker_login("enrol", self.enrol_password)
                + '[hardware]\nbackend = "sim"\n'
                f'[simulation]\nassembly = "{st.assembly}"\nfault = "{st.fault}"\nseed = {i}\n'
                f'clock = "{st.clock}"\n'
                f"auto_start_s = {6.0 + i * 0.7:.1f}\nunplugged = [{unplugged}]\n{st.extra}\n"
            )
            self.spawn(
                st.id, [sys.executable, "-m", "benchscore", "station", "--config", str(conf)]
            )

    def adopt_stations(self, user: str, password: str, timeout_s: float = 60.0) -> None:
        """Adopt every simulated Pi through the console's fleet API, as a technician would:
        read the pairing code each one shows, adopt it as its station id with its task."""
        from benchscore.console_client import ConsoleClient, ConsoleError

        client = ConsoleClient(f"http://127.0.0.1:{self.http_port}")
        client.login(user, password)
        wanted = {st.id: st for st in LINEUP[: self.n_stations]}
        deadline = time.monotonic() + timeout_s
        while wanted and time.monotonic() < deadline and not self.stop_event.is_set():
            codes = {p["code"]: p for p in client.get("/console/api/fleet")["pending"]}
            for sid, st in list(wanted.items()):
                code = self._shown_code(sid)
                if code is None or code not in codes:
                    continue
                try:
                    client.post(
                        "/console/api/fleet/adopt",
                        {"code": code, "station": sid, "task": st.task},
                    )
                except ConsoleError as exc:
                    print(f"  adopting {sid}: {exc}", file=sys.stderr, flush=True)
                    continue
                print(f"  adopted pairing code {code} as {sid} (task {st.task})", flush=True)
                del wanted[sid]
            self.stop_event.wait(0.5)
        if wanted:
            raise RuntimeError(f"stations never asked to be adopted: {', '.join(sorted(wanted))}")

    def _shown_code(self, station: str) -> str | None:
        """The pairing code a simulated Pi shows (what a technician reads off its screen)."""
        try:
            status = json.loads((self.workdir / f"pi-{station}" / "status.json").read_text())
        except (OSError, ValueError):
            return None
        code = status.get("code")
        return code if isinstance(code, str) else None

    def stop_all(self) -> None:
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 8
        for name, proc in reversed(self.procs):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop; killing it", name)
                proc.kill()
                proc.wait()
        self.procs.clear()

    # -- watching --------------------------------------------------------------------------
    def report_verdicts(self) -> None:
        """Print each new run as the scorer stores it."""
        seen: set[object] = set()
        url = f"http://127.0.0.1:{self.http_port}/api/runs"
        while not self.stop_event.wait(2.0):
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    runs = json.load(resp)
            except (OSError, ValueError):
                continue
            for run in reversed(runs):
                key = (run.get("station"), run.get("run_id"))
                if key in seen:
                    continue
                seen.add(key)
                reason = run.get("reason") or ""
                print(
                    f"  {run.get('station')}: {str(run.get('outcome')).upper():5} {reason}",
                    flush=True,
                )

    def run(self) -> int:
        def on_signal(signum: int, frame: FrameType | None) -> None:
            self.stop_event.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        if not port_is_free(self.http_port):
            print(f"port {self.http_port} is in use: pass --http-port N", file=sys.stderr)
            return 2
        try:
            self.make_keys()
            accounts = self.make_accounts()
            from scorer.console.training_demo import demo_training  # a trainee, a certificate

            cert = demo_training(self.workdir, f"http://127.0.0.1:{self.http_port}")
            accounts += cert.accounts
            self.start_broker()
            self.start_scorer()
            self.start_stations()
            broker = (
                "embedded MQTT 3.1.1 broker (no broker logins)"
                if self.embedded
                else "Mosquitto (MQTT 5) with dynamic security"
            )
            print(
                f"benchscore demo: {self.n_stations} simulated stations, {broker} on "
                f"127.0.0.1:{self.mqtt_port}",
                flush=True,
            )
            for st in LINEUP[: self.n_stations]:
                print(f"  {st.id}: {st.note}", flush=True)
            from benchscore.plugins import registry

            plugins = ", ".join(f"{n} [{registry.origin(n)}]" for n in registry.installed())
            print(f"Procedures (plugins, docs/PLUGINS.md): {plugins}", flush=True)
            print(
                f"Hall page: http://127.0.0.1:{self.http_port}/   (Ctrl-C stops everything)",
                flush=True,
            )
            print(
                f"Watch the wire: mosquitto_sub -p {self.mqtt_port} -v -t 'benchscore/#'",
                flush=True,
            )
            print("Console accounts (demo only; random passwords):", flush=True)
            for user, role, password in accounts:
                print(f"  {user:10s} {role:11s} {password}", flush=True)
            print(f"Logs: {self.workdir}", flush=True)
            print(
                f"Training: log in as coach or trainee1 (/console/training). A certificate:\n"
                f"  {cert.credential}\n  benchscore verify {cert.credential} --issuer-key "
                f"{cert.centre_did} --status-list {cert.status_list}\n"
                f"  or upload it at http://127.0.0.1:{self.http_port}/verify",
                flush=True,
            )
            print("Adopting the simulated Pis through the console's fleet API:", flush=True)
            tech = next(a for a in accounts if a[1] == "technician")
            self.adopt_stations(tech[0], tech[2])
            print("Contestant screens (800x480 touchscreen pages; ?lang=zh, ?lang=ar):", flush=True)
            for sid, port in self.screens.items():
                print(f"  {sid}: http://127.0.0.1:{port}/", flush=True)
            watcher = threading.Thread(target=self.report_verdicts, daemon=True)
            watcher.start()
            deadline = None if self.duration is None else time.monotonic() + self.duration
            while not self.stop_event.wait(0.5):
                if deadline is not None and time.monotonic() > deadline:
                    break
                dead = [name for name, p in self.procs if p.poll() is not None]
                if dead:
                    print(
                        f"demo: {', '.join(dead)} exited; see logs in {self.workdir}",
                        file=sys.stderr,
                    )
                    return 1
            return 0
        except RuntimeError as exc:
            print(f"demo: {exc}", file=sys.stderr)
            return 1
        finally:
            self.stop_event.set()
            self.stop_all()
            print("demo: stopped every process it started", flush=True)


def run_demo(args: argparse.Namespace) -> int:
    return Demo(args).run()
