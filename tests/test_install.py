"""Installs per role, updates and rollbacks, run for real in scratch roots on this machine.

Follows the README's "A real station on a Pi" and "A hall" sections with ``--prefix`` (a
scratch root instead of /) and ``--no-apt``: scripts/install.sh builds real release venvs from
this checkout or from wheels, scripts/update-stations.sh fans out over "hosts" that are scratch
roots reached with ``env BENCHSCORE_PREFIX={host} bash -c`` in place of ssh (the real per-host
steps run), scripts/rollback.sh flips them back, scripts/wheelhouse.sh downloads for this
machine's platform. A throwaway system user stands in for ``benchscore`` (``--owner``), so
ownership is applied and checked as root would on a Pi. Builds venvs: about 2-4 minutes.
"""

from __future__ import annotations

import base64
import grp
import hashlib
import json
import os
import platform
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.brokers import Mosquitto
from tests.support.stations import write_station_config

REPO = Path(__file__).resolve().parents[1]
INSTALL = REPO / "scripts" / "install.sh"
ROLLBACK = REPO / "scripts" / "rollback.sh"
UPDATE = REPO / "scripts" / "update-stations.sh"
WHEELHOUSE = REPO / "scripts" / "wheelhouse.sh"
LOCAL_SSH = "env BENCHSCORE_PREFIX={host} bash -c"
VERSION = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M)[1]  # type: ignore[index]
# what a station must never carry: the scorer's web and database stack, the developer's tools
NOT_ON_A_STATION = {
    "psycopg", "psycopg-binary", "starlette", "uvicorn", "selenium", "pytest", "ruff", "mypy",
    "amqtt", "hypothesis", "httpx",
}  # fmt: skip
NO_APT_ON_A_STATION = re.compile(r"postgres|chromium|fonts-|-dev\b|build-essential|gcc|mosquitto")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="installs chown to a throwaway system user"),
    pytest.mark.timeout(900),  # a loaded machine builds a venv in over a minute
]


def run(*cmd: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout)


def scratch_root(prefix: str) -> Path:
    """A root under /tmp the service user can walk into (pytest's own tmp is root-only)."""
    root = Path(tempfile.mkdtemp(prefix=f"benchscore-{prefix}-"))
    root.chmod(0o755)
    return root


def mode_owner(path: Path) -> tuple[str, str, str]:
    st = path.stat()
    return (
        oct(stat.S_IMODE(st.st_mode)),
        pwd.getpwuid(st.st_uid).pw_name,
        grp.getgrgid(st.st_gid).gr_name,
    )


def installed_version(root: Path) -> str:
    out = run(root / "usr/local/bin/benchscore", "--version")
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def history(root: Path) -> list[str]:
    return (root / "opt/benchscore/history").read_text().split()


def deploy_sim_config(root: Path, port: int, owner: str) -> Path:
    """The root's /etc/benchscore/station.toml: a simulated bench on the test broker whose
    state lives in the root's /var/lib/benchscore (root:owner 0640, like the real one)."""
    etc = root / "etc/benchscore"
    etc.mkdir(parents=True, exist_ok=True)
    path = write_station_config(etc, "station", port=port, auto_start_s=0.5)
    text = path.read_text().replace(
        "[broker]", f'state_dir = "{root / "var/lib/benchscore"}"\n[broker]', 1
    )
    path.write_text(text)
    path.chmod(0o640)
    shutil.chown(path, "root", owner)
    return path


@pytest.fixture(scope="module")
def owner() -> Iterator[str]:
    """A throwaway system user standing in for ``benchscore``."""
    name = f"bstest{os.getpid() % 100000}"
    made = run("useradd", "--system", "--user-group", "--no-create-home",
               "--shell", "/usr/sbin/nologin", name)  # fmt: skip
    assert made.returncode == 0, made.stderr
    try:
        yield name
    finally:
        run("userdel", name)
        run("groupdel", name)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    mq = Mosquitto(tmp_path_factory.mktemp("broker")).start()
    try:
        yield mq
    finally:
        mq.stop()


@pytest.fixture(scope="module")
def station_root(owner: str) -> Iterator[Path]:
    """README, "A real station on a Pi": scripts/install.sh --role station, in a scratch root."""
    root = scratch_root("pi")
    try:
        out = run(INSTALL, "--role", "station", "--prefix", root, "--no-apt", "--owner", owner)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "next steps:" in out.stdout
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/wheelhouse.sh for this machine's platform."""
    out_dir = tmp_path_factory.mktemp("wheelhouse")
    plat = f"linux_{platform.machine()}"
    out = run(WHEELHOUSE, "--role", "station", "--platform", plat, "--out", out_dir,
              "--python-version", f"{sys.version_info[0]}.{sys.version_info[1]}")  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    return out_dir


def rewrap_wheel(base: Path, out_dir: Path, version: str, *, break_status: bool = False) -> Path:
    """``base`` (a benchscore wheel) as another version: a valid wheel with its own dist-info
    and RECORD. With ``break_status`` it is a release whose ``station status`` cannot read the
    station's state, as a bad release would."""
    old = base.name.split("-")[1]
    out = out_dir / base.name.replace(f"-{old}-", f"-{version}-")
    records = []
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            name = info.filename.replace(
                f"benchscore-{old}.dist-info", f"benchscore-{version}.dist-info"
            )
            if name.endswith(".dist-info/RECORD"):
                record_name = name
                continue
            data = src.read(info)
            if name.endswith(".dist-info/METADATA"):
                data = data.replace(
                    f"\nVersion: {old}\n".encode(), f"\nVersion: {version}\n".encode()
                )
            elif name == "benchscore/__init__.py":
                data = data.replace(
                    f'__version__ = "{old}"'.encode(), f'__version__ = "{version}"'.encode()
                )
            elif name == "firmware_py/station_cli.py" and break_status:
                data += (
                    b"\n\ndef station_status(config: StationConfig) -> dict[str, Any]:\n"
                    b"    raise ValueError(f'{config.state_dir}: unknown layout')\n"
                )
            dst.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append(f"{name},sha256={digest},{len(data)}")
        dst.writestr(record_name, "\n".join([*records, f"{record_name},,"]) + "\n")
    return out


# -- the station install ---------------------------------------------------------------------


@pytest.mark.slow
def test_station_install_follows_the_layout(station_root: Path, owner: str) -> None:
    base = station_root / "opt/benchscore"
    assert os.readlink(base / "current") == f"releases/{VERSION}"
    assert history(station_root) == [VERSION]
    binary = station_root / "usr/local/bin/benchscore"
    assert binary.resolve() == (base / "releases" / VERSION / "venv/bin/benchscore").resolve()
    assert installed_version(station_root) == f"benchscore {VERSION}"
    for script in ("install.sh", "rollback.sh"):  # /opt/benchscore/current/scripts/rollback.sh
        copy = base / "current" / "scripts" / script
        assert copy.read_bytes() == (REPO / "scripts" / script).read_bytes()
    config = station_root / "etc/benchscore/station.toml"
    assert config.read_text() == (REPO / "config/stations/pi-station.toml").read_text()
    assert mode_owner(station_root / "etc/benchscore") == ("0o750", "root", owner)
    assert mode_owner(config) == ("0o640", "root", owner)
    assert mode_owner(station_root / "var/lib/benchscore") == ("0o700", owner, owner)
    recorded = (base / "ownership.txt").read_text()
    assert "applied=1" in recorded and f"0700 {owner}:{owner} /var/lib/benchscore" in recorded
    unit = station_root / "etc/systemd/system/benchscore-station.service"
    text = unit.read_text()
    assert f"\nUser={owner}\n" in text and f"\nGroup={owner}\n" in text
    assert text.replace(owner, "benchscore") == (REPO / "systemd" / unit.name).read_text()
    wants = station_root / "etc/systemd/system/multi-user.target.wants" / unit.name
    assert wants.is_symlink(), "the station starts at boot"
    # nothing of the scorer
    assert not (station_root / "etc/benchscore/scorer.toml").exists()
    assert not (station_root / "etc/systemd/system/benchscore-scorer.service").exists()


@pytest.mark.slow
def test_installed_unit_verifies(station_root: Path, tmp_path: Path) -> None:
    """systemd-analyze verify on the installed unit, its ExecStart pointed into the root."""
    unit = station_root / "etc/systemd/system/benchscore-station.service"
    copy = tmp_path / unit.name
    copy.write_text(
        unit.read_text().replace(
            "/usr/local/bin/benchscore", str(station_root / "usr/local/bin/benchscore")
        )
    )
    out = run("systemd-analyze", "verify", copy)
    assert out.returncode == 0 and out.stdout + out.stderr == "", out.stdout + out.stderr


@pytest.mark.slow
def test_station_release_holds_only_what_a_station_needs(station_root: Path) -> None:
    python = station_root / "opt/benchscore/current/venv/bin/python"
    out = run(python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check")
    assert out.returncode == 0, out.stderr
    names = {p["name"].lower() for p in json.loads(out.stdout)}
    assert {"benchscore", "numpy", "paho-mqtt", "gpiozero", "smbus2", "pyserial"} <= names
    assert names & NOT_ON_A_STATION == set()


@pytest.mark.parametrize("arch", ["amd64", "arm64", "armhf"])
def test_station_apt_packages_are_minimal(arch: str) -> None:
    out = run(INSTALL, "--role", "station", "--print-apt", "--arch", arch)
    assert out.returncode == 0, out.stderr
    pkgs = out.stdout.split()
    assert pkgs[:2] == ["python3", "python3-venv"]
    assert not [p for p in pkgs if NO_APT_ON_A_STATION.search(p)], pkgs
    # numpy and PyNaCl from Debian on armhf, with the `cffi` distribution PyNaCl declares
    for debian_only in ("python3-numpy", "python3-nacl", "python3-cffi"):
        assert (debian_only in pkgs) == (arch == "armhf"), (debian_only, pkgs)


def test_scorer_apt_packages() -> None:
    plain = run(INSTALL, "--role", "scorer", "--print-apt").stdout.split()
    assert plain == ["python3", "python3-venv", "mosquitto", "mosquitto-clients"]
    more = run(INSTALL, "--role", "scorer", "--print-apt", "--postgresql").stdout.split()
    assert more == [*plain, "postgresql"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--role", "stations"], "--role 'stations': expected station or scorer"),
        ([], "--role is required: station or scorer"),
        (
            ["--role", "station", "--postgresql"],
            "--postgresql and --pdf-reports are for --role scorer",
        ),
        (["--role", "station", "--from-wheel", "/no.whl"], "--from-wheel /no.whl: no such file"),
        (["--role", "station", "--keep", "1"], "--keep '1': expected a whole number, 2 or more"),
        (["--role", "station", "--wheelhouse"], "--wheelhouse needs a value (see --help)"),
        (
            ["--role", "station", "--version-tag", "../x"],
            "--version-tag '../x': use letters, digits and . _ + -",
        ),
    ],
)
def test_bad_arguments_get_one_line(args: list[str], message: str) -> None:
    out = run(INSTALL, *args, "--prefix", "/nonexistent-root")
    assert out.returncode == 2
    assert out.stderr.strip() == f"install.sh: {message}", out.stderr
    assert not Path("/nonexistent-root").exists()


@pytest.mark.slow
def test_service_user_reads_its_config_and_owns_its_state(
    station_root: Path, owner: str, broker: Mosquitto
) -> None:
    """The installed station, run as the service user with the unit's umask, reads its config,
    writes its state, and nobody else can look into that state."""
    config = deploy_sim_config(station_root, broker.port, owner)
    state = station_root / "var/lib/benchscore"
    sub = subprocess.Popen(
        ["mosquitto_sub", "-p", str(broker.port), "-t", "benchscore/#", "-C", "1", "-W", "30"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    station = subprocess.Popen(
        ["runuser", "-u", owner, "--", "sh", "-c",
         f"umask 077; exec {station_root}/usr/local/bin/benchscore station --config {config}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        first, _ = sub.communicate(timeout=40)
        assert station.poll() is None, station.communicate()[0][-2000:]
    finally:
        station.terminate()
        log, _ = station.communicate(timeout=20)
        sub.kill()
    assert first, log[-2000:]
    made = [p for p in state.rglob("*")]
    assert made, "the station wrote nothing to its state directory"
    for path in made:
        mode, user, _ = mode_owner(path)
        assert user == owner, path
        assert int(mode, 8) & 0o077 == 0, (path, mode)
    key = state / "identity.key"
    if key.exists():  # the station makes its identity on first start
        assert mode_owner(key)[:2] == ("0o600", owner)
    denied = run("runuser", "-u", "nobody", "--", "ls", state)
    assert denied.returncode != 0 and "Permission denied" in denied.stderr


@pytest.mark.slow
def test_install_again_changes_nothing(station_root: Path, owner: str) -> None:
    config = station_root / "etc/benchscore/station.toml"
    config.write_text(config.read_text() + "# edited by the technician\n")
    started = time.monotonic()
    out = run(INSTALL, "--role", "station", "--prefix", station_root, "--no-apt", "--owner", owner)
    assert out.returncode == 0, out.stderr
    assert f"release {VERSION} (station) is installed already: reusing it" in out.stdout
    assert config.read_text().endswith("# edited by the technician\n")
    assert history(station_root) == [VERSION]
    assert (station_root / "opt/benchscore/current").resolve().name == VERSION
    assert time.monotonic() - started < 30


# -- the scorer install ----------------------------------------------------------------------


@pytest.mark.slow
def test_scorer_install(owner: str) -> None:
    """README, "A hall": scripts/install.sh --role scorer (hall init writes its config)."""
    root = scratch_root("scorer")
    try:
        out = run(INSTALL, "--role", "scorer", "--prefix", root, "--no-apt", "--owner", owner)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "benchscore hall init /etc/benchscore --event FILE" in out.stdout
        assert installed_version(root) == f"benchscore {VERSION}"
        python = root / "opt/benchscore/current/venv/bin/python"
        names = {
            p["name"].lower()
            for p in json.loads(run(python, "-m", "pip", "list", "--format=json").stdout)
        }
        assert {"starlette", "uvicorn", "psycopg"} <= names
        assert names & {"selenium", "pytest", "ruff", "mypy", "gpiozero", "smbus2"} == set()
        unit = root / "etc/systemd/system/benchscore-scorer.service"
        assert f"\nUser={owner}\n" in unit.read_text()
        assert not (root / "etc/systemd/system/multi-user.target.wants").exists()
        assert mode_owner(root / "var/lib/benchscore") == ("0o700", owner, owner)
        assert not (root / "etc/benchscore/scorer.toml").exists()
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- offline halls, updates, rollbacks -------------------------------------------------------


@pytest.mark.slow
def test_wheelhouse_holds_the_station_for_this_platform(wheelhouse: Path) -> None:
    names = sorted(p.name for p in wheelhouse.glob("*.whl"))
    assert f"benchscore-{VERSION}-py3-none-any.whl" in names
    numpy = [n for n in names if n.startswith("numpy-")]
    assert numpy and platform.machine() in numpy[0]
    assert {n.split("-")[0].lower() for n in names} & {"psycopg", "starlette", "uvicorn"} == set()


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["aarch64", "armv7l"])
def test_wheelhouse_for_a_pi(arch: str, tmp_path: Path) -> None:
    """The README's wheelhouse for 64-bit Pis; on 32-bit ones numpy and PyNaCl are Debian's."""
    out = run(WHEELHOUSE, "--role", "station", "--platform", f"linux_{arch}", "--out", tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    names = sorted(p.name for p in tmp_path.glob("*.whl"))
    assert f"benchscore-{VERSION}-py3-none-any.whl" in names
    assert any(n.startswith("paho_mqtt-") for n in names), names
    numpy = [n for n in names if n.startswith("numpy-")]
    if arch == "aarch64":
        assert numpy and numpy[0].endswith("_aarch64.whl") and "-cp311-" in numpy[0]
    else:
        assert numpy == []
        assert "python3-numpy, python3-nacl and python3-cffi from Debian" in out.stdout
    foreign = [n for n in names if "x86_64" in n]
    assert foreign == []


def test_wheelhouse_refuses_an_unknown_platform(tmp_path: Path) -> None:
    out = run(WHEELHOUSE, "--role", "station", "--platform", "win_amd64", "--out", tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("wheelhouse.sh: --platform 'win_amd64': expected linux_aarch64")


@pytest.mark.slow
def test_update_two_stations_then_roll_back(
    station_root: Path, owner: str, broker: Mosquitto, wheelhouse: Path, tmp_path: Path
) -> None:
    """update-stations.sh over two "hosts" (scratch roots): a good release reaches both; a bad
    one fails its check on the first, which is rolled back, and the second is left alone;
    rollback.sh then steps back once more; the next install forgets the bad release."""
    a = station_root  # installed from the checkout by the fixture
    b = scratch_root("pi-b")  # a Pi whose image has only its config
    try:
        deploy_sim_config(a, broker.port, owner)
        deploy_sim_config(b, broker.port, owner)
        hosts = tmp_path / "hosts"
        hosts.write_text(f"# the hall's stations\n{a}\n\n{b}\n")
        (ours,) = wheelhouse.glob(f"benchscore-{VERSION}-*.whl")
        good = rewrap_wheel(ours, tmp_path, "99.0.1")
        bad = rewrap_wheel(ours, tmp_path, "99.0.2", break_status=True)

        out = run(UPDATE, "--hosts", hosts, "--wheel", good, "--wheelhouse", wheelhouse,
                  "--no-apt", "--ssh-command", LOCAL_SSH, timeout=600)  # fmt: skip
        assert out.returncode == 0, out.stdout + out.stderr
        assert "update-stations: updated 2 of 2 to 99.0.1" in out.stdout
        assert installed_version(a) == installed_version(b) == "benchscore 99.0.1"
        assert history(a) == [VERSION, "99.0.1"] and history(b) == ["99.0.1"]

        out = run(UPDATE, "--hosts", hosts, "--wheel", bad, "--wheelhouse", wheelhouse,
                  "--no-apt", "--ssh-command", LOCAL_SSH, timeout=600)  # fmt: skip
        assert out.returncode != 0
        assert f"update-stations: {a}: check failed: station status failed:" in out.stdout
        assert "unknown layout" in out.stdout
        assert f"update-stations: {a}: rolled back (current -> releases/99.0.1" in out.stdout
        assert (
            f"not tried (stopped after the first failure, --keep-going goes on): {b}" in out.stdout
        )
        assert installed_version(a) == "benchscore 99.0.1"
        assert history(a) == [VERSION, "99.0.1"]
        assert not (b / "opt/benchscore/releases/99.0.2").exists()

        back = run(ROLLBACK, "--prefix", a)
        assert back.returncode == 0, back.stderr
        assert installed_version(a) == f"benchscore {VERSION}" and history(a) == [VERSION]
        alone = run(ROLLBACK, "--prefix", b)
        assert alone.returncode == 2
        assert alone.stderr.strip().endswith("nothing to go back to")
        assert installed_version(b) == "benchscore 99.0.1"

        again = run(INSTALL, "--role", "station", "--from-wheel", good, "--prefix", a,
                    "--wheelhouse", wheelhouse, "--no-apt", "--owner", owner)  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert "release 99.0.1 (station) is installed already: reusing it" in again.stdout
        assert "removed old release 99.0.2" in again.stdout
        assert sorted(p.name for p in (a / "opt/benchscore/releases").iterdir()) == sorted(
            [VERSION, "99.0.1"]
        )
        assert history(a) == [VERSION, "99.0.1"]
        assert os.readlink(a / "opt/benchscore/previous") == f"releases/{VERSION}"
    finally:
        shutil.rmtree(b, ignore_errors=True)


@pytest.mark.parametrize("keep_going", [False, True])
def test_update_stops_at_the_first_failed_host_unless_told_to_go_on(
    keep_going: bool, tmp_path: Path
) -> None:
    """Two hosts whose install fails at once (their root is a file): the first failure stops
    the update, or with --keep-going the second host is tried too; nothing to roll back."""
    hosts = [tmp_path / "pi-1", tmp_path / "pi-2"]
    for host in hosts:
        host.write_text("not a directory\n")
    listing = tmp_path / "hosts"
    listing.write_text("".join(f"{h}  # bench {i}\n" for i, h in enumerate(hosts)))
    wheel = tmp_path / f"benchscore-{VERSION}-py3-none-any.whl"
    wheel.write_bytes(b"")
    args = ["--hosts", listing, "--wheel", wheel, "--no-apt", "--ssh-command", LOCAL_SSH]
    out = run(UPDATE, *args, *(["--keep-going"] if keep_going else []))
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert f"update-stations: {hosts[0]}: still on nothing (nothing to roll back)" in lines
    assert any(ln.startswith(f"update-stations: {hosts[0]}: install failed: ") for ln in lines)
    tried_second = f"update-stations: {hosts[1]}: updating to {VERSION}" in lines
    assert tried_second == keep_going
    summary = lines[-1]
    assert summary.startswith(f"update-stations: updated 0 of 2 to {VERSION}; failed: {hosts[0]}")
    assert ("not tried" in summary) != keep_going


@pytest.mark.parametrize(
    "args,message",
    [
        ([], "--hosts FILE is required"),
        (["--hosts", "/no/hosts"], "--wheel PATH is required"),
        (["--hosts", "/no/hosts", "--wheel", "/no.whl"], "--hosts /no/hosts: no such file"),
        (["--hosts", "HOSTS", "--wheel", "HOSTS"], "--wheel HOSTS: not a benchscore wheel"),
    ],
)
def test_update_bad_arguments_get_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("pi-1\n")
    argv = [str(hosts) if a == "HOSTS" else a for a in args]
    out = run(UPDATE, *argv)
    assert out.returncode == 2
    assert out.stderr.strip().startswith(f"update-stations: {message.replace('HOSTS', str(hosts))}")


def test_rollback_with_nothing_installed_says_so(tmp_path: Path) -> None:
    out = run(ROLLBACK, "--prefix", tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == f"rollback.sh: nothing is installed in {tmp_path}/opt/benchscore"


# -- the README's commands -------------------------------------------------------------------

README = REPO / "README.md"
# README commands that are the lead's (benchscore hall/stations, adoption): tested with that code
LEAD_COMMANDS = {"benchscore hall init", "benchscore stations adopt", "benchscore stations replace",
                 "benchscore stations revoke", "benchscore stations list",
                 "benchscore station status"}  # fmt: skip
# needs systemd as PID 1 (not here): the units pass systemd-analyze verify instead
SYSTEMD_COMMANDS = {"systemctl enable", "systemctl daemon-reload", "journalctl -u"}
# copies a file `benchscore hall init` wrote: tests/test_adoption.py checks that file
HALL_FILE_COMMANDS = {"cp -r /etc/benchscore/systemd/mosquitto.service.d"}


def readme_commands() -> list[str]:
    """Every command of the "A real station on a Pi" and "A hall" sections: the lines of their
    sh blocks and the inline code that starts with a command."""
    text = README.read_text()
    section = text[text.index("## A real station on a Pi") : text.index("## More")]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    lines = [ln.strip() for block in blocks for ln in block.splitlines() if ln.strip()]
    starts = r"(?:sudo )?(?:scripts/|/opt/\S*\.sh|benchscore |systemctl |journalctl )"
    inline = re.findall(rf"`({starts}[^`]*)`", re.sub(r"\s*\n\s*", " ", section))
    return [re.sub(r"\s+#.*", "", c).removeprefix("sudo ") for c in lines + inline]


def test_every_readme_command_is_one_the_tests_run() -> None:
    commands = readme_commands()
    assert len(commands) >= 10
    scripts_seen = set()
    for command in commands:
        words = command.split()
        if words[0].endswith(".sh"):
            script = REPO / "scripts" / Path(words[0]).name
            scripts_seen.add(script.name)
            usage = run(script, "--help").stdout
            for option in (w for w in words if w.startswith("--")):
                assert option in usage, f"README: {command}: {option} is not an option"
        elif command == "benchscore --version":
            continue  # installed_version() runs it
        elif words[0] == "benchscore":
            assert " ".join(words[:3]) in LEAD_COMMANDS or " ".join(words[:2]) in LEAD_COMMANDS, (
                command
            )
            sub = [w for w in words[1:3] if not w.startswith("-") and w.islower()]
            usage = subprocess.run(
                [sys.executable, "-m", "benchscore", *sub[:2], "--help"],
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
            for option in (w for w in words if w.startswith("--")):
                assert option in usage, f"README: {command}: {option} is not an option"
        elif " ".join(words[:3]) in HALL_FILE_COMMANDS:
            continue
        else:
            assert " ".join(words[:2]) in SYSTEMD_COMMANDS, command
    # the scripts the tests above run, as the README runs them
    assert scripts_seen == {"install.sh", "update-stations.sh", "wheelhouse.sh", "rollback.sh"}
    assert "scripts/install.sh --role station" in commands
    assert "scripts/install.sh --role scorer" in commands
