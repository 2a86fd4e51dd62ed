"""Write a hall's Mosquitto files: dynamic security (the default) or plain password/ACL files.

``benchscore hall init`` calls :func:`write_dynsec_broker`. The base policy (scorer role, enrol
role and client, default access) is written into ``dynamic-security.json`` *before the broker's
first start*, rather than sent as commands once it runs, because then

* the broker never runs, not even for a moment, with a policy other than the contract's;
* hall init needs no running broker and no scorer connection, and can be tested offline;
* the enrol password is hashed by Mosquitto's own tool and never reaches the scorer's config.

The file format relied on (Mosquitto 2.0.x, ``plugins/dynamic-security/config.c``): a JSON
object with ``clients`` (``username``, ``textName``, ``password`` + ``salt`` + ``iterations``
exactly as ``mosquitto_ctrl dynsec init`` writes them, ``roles: [{rolename}]``), ``roles``
(``rolename``, ``acls: [{acltype, topic, allow}]``), ``groups`` and ``defaultACLAccess``
(``publishClientSend``, ``publishClientReceive``, ``subscribe``, ``unsubscribe``: booleans).
Password hashes are only ever copied from files ``mosquitto_ctrl dynsec init`` made (the
password goes to it on stdin, never on a command line). ``DynSecAdmin.ensure_roles``
(``scorer.broker_admin``) repairs the same policy over MQTT on a broker whose file was made
another way.

Mosquitto saves changes by writing ``<file>.new`` and renaming it: the directory holding
``dynamic-security.json`` must be writable by the broker's user, or changes are lost at restart.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import sysconfig
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchscore.protocol import SCORER_KINDS, STATION_KINDS, check_id
from scorer.broker_roles import (
    ADMIN_ROLE,
    DEFAULT_ACL_ACCESS,
    ENROL_ROLE,
    ENROL_USER,
    SCORER_ROLE,
    SCORER_USER,
    Acl,
    admin_acls,
    enrol_acls,
    scorer_acls,
    topic,
)

DYNSEC_FILE = "dynamic-security.json"
PLUGIN_NAME = "mosquitto_dynamic_security.so"


class BrokerSetupError(ValueError):
    """A broker file cannot be written; the message names what and where."""


@dataclass(frozen=True)
class DynSecBrokerFiles:
    conf: Path
    dynsec: Path


@dataclass(frozen=True)
class PlainBrokerFiles:
    conf: Path
    passwd: Path
    acl: Path


def dynsec_plugin_path() -> Path:
    """The dynamic security plugin of this machine's Mosquitto (Debian: the multiarch dir)."""
    triplet = sysconfig.get_config_var("MULTIARCH") or ""
    candidates = [f"/usr/lib/{triplet}/{PLUGIN_NAME}"] if triplet else []
    candidates += sorted(glob.glob(f"/usr/lib/*/{PLUGIN_NAME}"))
    candidates += [f"/usr/lib/{PLUGIN_NAME}", f"/usr/local/lib/{PLUGIN_NAME}"]
    for path in candidates:
        if Path(path).is_file():
            return Path(path)
    raise BrokerSetupError(
        f"{PLUGIN_NAME} not found in /usr/lib/*/: install Mosquitto 2.x (Debian package "
        "mosquitto), or use the plain password/ACL configuration (write_plain_broker)"
    )


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if path is None:
        raise BrokerSetupError(f"{name} not found: install the Debian package mosquitto")
    return path


def _refuse_existing(*paths: Path) -> None:
    for path in paths:
        if path.exists():
            raise BrokerSetupError(f"{path} exists: refusing to overwrite a hall's broker files")


def _common_conf(port: int, listener_host: str, runtime_dir: Path, broker_user: str | None) -> str:
    if not 0 < port < 65536:
        raise BrokerSetupError(f"broker port {port} is not a TCP port")
    user = f"user {broker_user}\n" if broker_user else ""
    return (
        user + "per_listener_settings false\n"
        "allow_anonymous false\n"
        f"listener {port} {listener_host}\n"
        "# The scorer receives every station's backlog after an outage: let its queue grow.\n"
        "max_queued_messages 100000\n"
        "max_inflight_messages 20\n"
        "# Send each packet at once: Nagle's algorithm held acks and PUBACKs for a delayed ACK.\n"
        "set_tcp_nodelay true\n"
        "persistence true\n"
        f"persistence_location {runtime_dir}/\n"
        "autosave_interval 60\n"
    )


def _dynsec_client(username: str, password: str, workdir: Path) -> dict[str, Any]:
    """A client entry with a password hash made by ``mosquitto_ctrl dynsec init``."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        scratch = Path(tmp) / DYNSEC_FILE
        done = subprocess.run(
            [_tool("mosquitto_ctrl"), "dynsec", "init", str(scratch), username],
            input=f"{password}\n{password}\n",
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not scratch.exists():
            raise BrokerSetupError(
                f"mosquitto_ctrl dynsec init failed for {username}: "
                f"{(done.stderr or done.stdout).strip()[:300]}"
            )
        made = json.loads(scratch.read_text())
    client = dict(made["clients"][0])
    if client.get("username") != username or "password" not in client:
        raise BrokerSetupError(
            f"mosquitto_ctrl dynsec init wrote an unexpected file for {username}"
        )
    return client


def _role(rolename: str, acls: list[Acl]) -> dict[str, Any]:
    return {"rolename": rolename, "acls": [a.as_json() for a in acls]}


def dynsec_policy(scorer_client: dict[str, Any], enrol_client: dict[str, Any]) -> dict[str, Any]:
    """The whole initial ``dynamic-security.json`` around two hashed client entries."""
    scorer = dict(
        scorer_client,
        textName="benchscore scorer (dynsec admin)",
        roles=[{"rolename": ADMIN_ROLE}, {"rolename": SCORER_ROLE}],
    )
    enrol = dict(enrol_client, textName="station claim login", roles=[{"rolename": ENROL_ROLE}])
    return {
        "clients": [scorer, enrol],
        "roles": [
            _role(ADMIN_ROLE, admin_acls()),
            _role(SCORER_ROLE, scorer_acls()),
            _role(ENROL_ROLE, enrol_acls()),
        ],
        "groups": [],
        "defaultACLAccess": dict(DEFAULT_ACL_ACCESS),
    }


def write_dynsec_broker(
    directory: Path,
    *,
    port: int,
    scorer_password: str,
    enrol_password: str,
    listener_host: str = "0.0.0.0",
    runtime_dir: Path | None = None,
    broker_user: str | None = None,
) -> DynSecBrokerFiles:
    """Write ``mosquitto.conf`` and ``dynamic-security.json`` into ``directory``.

    ``runtime_dir`` is where the broker will find the JSON file and keep its persistence
    (default: ``directory``); it must be writable by the broker's user. ``broker_user`` (e.g.
    ``mosquitto``) goes into the conf as ``user``; when this runs as root, ``directory`` and the
    files are also given to that user. Refuses to overwrite either file: the JSON holds every
    station's login once the hall runs.
    """
    directory = Path(directory)
    runtime_dir = Path(runtime_dir) if runtime_dir is not None else directory.resolve()
    conf, dynsec = directory / "mosquitto.conf", directory / DYNSEC_FILE
    _refuse_existing(conf, dynsec)
    _check_passwords(scorer_password, enrol_password)
    _owner(broker_user)
    conf_text = (
        "# Mosquitto for a benchscore hall with dynamic security (scorer/broker_setup.py).\n"
        "# Station logins are created, revoked and deleted by the scorer; edit nothing here.\n"
        + _common_conf(port, listener_host, runtime_dir, broker_user)
        + f"plugin {dynsec_plugin_path()}\n"
        f"plugin_opt_config_file {runtime_dir / DYNSEC_FILE}\n"
    )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        policy = dynsec_policy(
            _dynsec_client(SCORER_USER, scorer_password, directory),
            _dynsec_client(ENROL_USER, enrol_password, directory),
        )
        _write_private(dynsec, json.dumps(policy, indent=2) + "\n")
        conf.write_text(conf_text)
        _give_to(broker_user, directory, conf, dynsec)
    except OSError as exc:
        raise BrokerSetupError(f"cannot write the broker files in {directory}: {exc}") from None
    return DynSecBrokerFiles(conf=conf, dynsec=dynsec)


def _check_passwords(*passwords: str) -> None:
    for password in passwords:
        if not password or "\n" in password or "\r" in password:
            raise BrokerSetupError("broker passwords must be non-empty single lines")


def _owner(user: str | None) -> tuple[int, int] | None:
    """uid and gid of ``user`` (None: leave ownership alone)."""
    if not user:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise BrokerSetupError(f"broker user {user!r} does not exist on this machine") from None
    return entry.pw_uid, entry.pw_gid


def _give_to(user: str | None, *paths: Path) -> None:
    """Make ``paths`` the broker user's when running as root (it reads them, writes the dir)."""
    owner = _owner(user)
    if owner is None or os.geteuid() != 0:
        return
    for path in paths:
        os.chown(path, *owner)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


# -- plain files (brokers without the plugin) ---------------------------------------------
def plain_acl_text() -> str:
    """The ACL file for brokers without dynamic security (``config/mosquitto/benchscore.acl``)."""
    lines = [
        "# benchscore ACL for Mosquitto without dynamic security (scorer/broker_setup.py).",
        "# Usernames: benchscore-scorer, enrol (the claim login of unadopted stations), and one",
        "# per adopted station named exactly as its station id. A plain ACL cannot fix a",
        "# login's client id: prefer the dynamic security plugin (docs/SCALING.md).",
        "",
        f"user {SCORER_USER}",
        *(_plain_line(a) for a in scorer_acls()),
        "",
        f"user {ENROL_USER}",
        *(_plain_line(a) for a in enrol_acls()),
        "",
        "# Every other user: only its own station's topics, in any event (%u = username).",
        *(f"pattern write {topic('+', '%u', k)}" for k in STATION_KINDS),
        *(f"pattern read {topic('+', '%u', k)}" for k in SCORER_KINDS),
    ]
    return "\n".join(lines) + "\n"


def _plain_line(acl: Acl) -> str:
    access = "write" if acl.acltype == "publishClientSend" else "read"
    return f"topic {access} {acl.topic}"


def _passwd(passwd: Path, username: str, password: str, create: bool) -> None:
    """Add ``username`` to a Mosquitto password file (the password goes in on stdin)."""
    args = [_tool("mosquitto_passwd"), *(["-c"] if create else []), str(passwd), username]
    done = subprocess.run(
        args, input=f"{password}\n{password}\n", capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BrokerSetupError(
            f"mosquitto_passwd failed for {username} in {passwd}: "
            f"{(done.stderr or done.stdout).strip()[:300]}"
        )


def add_plain_station(passwd: Path, station_id: str, password: str) -> None:
    """Add or replace a station's login in a plain password file (reload the broker after)."""
    try:
        check_id(station_id, "station id")
    except ValueError as exc:
        raise BrokerSetupError(str(exc)) from None
    _check_passwords(password)
    _passwd(Path(passwd), station_id, password, create=False)


def write_plain_broker(
    directory: Path,
    *,
    port: int,
    scorer_password: str,
    enrol_password: str,
    stations: Mapping[str, str] | None = None,
    listener_host: str = "0.0.0.0",
    runtime_dir: Path | None = None,
    broker_user: str | None = None,
) -> PlainBrokerFiles:
    """Write ``mosquitto.conf``, ``benchscore.passwd`` and ``benchscore.acl`` into ``directory``.

    ``stations`` maps station ids to passwords. ``runtime_dir`` is where the broker will read
    the files (default: ``directory``); ``broker_user`` as in :func:`write_dynsec_broker`.
    """
    directory = Path(directory)
    runtime_dir = Path(runtime_dir) if runtime_dir is not None else directory.resolve()
    conf, passwd, acl = (
        directory / n for n in ("mosquitto.conf", "benchscore.passwd", "benchscore.acl")
    )
    _refuse_existing(conf, passwd, acl)
    _check_passwords(scorer_password, enrol_password, *(stations or {}).values())
    _owner(broker_user)
    conf_text = (
        "# Mosquitto for a benchscore hall with plain password/ACL files "
        "(scorer/broker_setup.py).\n"
        + _common_conf(port, listener_host, runtime_dir, broker_user)
        + f"password_file {runtime_dir / 'benchscore.passwd'}\n"
        f"acl_file {runtime_dir / 'benchscore.acl'}\n"
    )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _passwd(passwd, SCORER_USER, scorer_password, create=True)
        os.chmod(passwd, 0o600)
        _passwd(passwd, ENROL_USER, enrol_password, create=False)
        for station_id, password in (stations or {}).items():
            add_plain_station(passwd, station_id, password)
        acl.write_text(plain_acl_text())
        conf.write_text(conf_text)
        _give_to(broker_user, directory, conf, passwd, acl)
    except OSError as exc:
        raise BrokerSetupError(f"cannot write the broker files in {directory}: {exc}") from None
    return PlainBrokerFiles(conf=conf, passwd=passwd, acl=acl)
