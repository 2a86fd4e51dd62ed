"""Scorer configuration: one TOML file, every error names the file and the key.

Example (``config/scorer.toml``)::

    event = "+"                 # which event to subscribe to; "+" is every event

    [broker]
    host = "127.0.0.1"
    port = 1883
    protocol = "5"              # "5" or "3.1.1"
    # username = "scorer"
    # password = "secret"
    # client_id = "scorer-1"    # unique per scorer worker
    # share_group = "scorers"   # workers share records through $share/scorers/...
    # role = "central"          # a central scorer behind venue bridges: stores, never acks

    [storage]
    path = "scorer.db"          # SQLite, relative to this file's directory
    # url = "postgresql://scorer@db.hall:5432/benchscore"   # PostgreSQL instead (psycopg 3)

    [competition]
    event_file = "event/example.toml"   # event, modules, competitors, marking scheme
    tasks_dir = "tasks"                 # task files: parameters for re-analysis in appeals

    [http]
    host = "127.0.0.1"
    port = 8080                 # 0 picks a free port
    # trusted_proxies = ["127.0.0.1"]   # only these may set X-Forwarded-For (default: none)
"""

from __future__ import annotations

import dataclasses
import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchscore.configfile import ConfigError as ConfigError  # one class for every config file
from benchscore.mqtt import PROTOCOLS, BrokerConfig
from benchscore.protocol import ID_RE


@dataclass(frozen=True)
class HttpConfig:
    """Where the hall page and the JSON API listen."""

    host: str = "127.0.0.1"
    port: int = 8080
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of reverse proxies whose ``X-Forwarded-For`` names the client;
    empty (the default): the header is never trusted, the client is the TCP peer."""


@dataclass(frozen=True)
class ScorerConfig:
    """Everything the scorer needs to run."""

    event: str = "+"
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    storage_path: Path = Path("scorer.db")
    http: HttpConfig = field(default_factory=HttpConfig)
    keys_dir: Path | None = None
    """Optional directory of ``<station>.pub`` files: stations set up by hand (adopted ones are
    in the database)."""
    require_signatures: bool = True
    """Refuse messages of stations that have no key in force. Secure by default: only a
    development setup turns this off."""
    scorer_key: Path | None = None
    """The scorer's own Ed25519 key (signs acks, commands, adoptions); made if missing."""
    broker_admin: str = "none"
    """``dynsec``: the scorer manages station logins through Mosquitto's dynamic-security
    plugin; ``none``: the broker's own password/ACL files do (docs/SCALING.md)."""
    storage_url: str | None = None
    """A ``postgresql://`` URL: PostgreSQL instead of the SQLite file at ``storage_path``."""
    client_id: str = "benchscore-scorer"
    """MQTT client id; each scorer worker needs its own."""
    share_group: str | None = None
    """Receive records through the MQTT shared subscription ``$share/<group>/...``."""
    role: str = "venue"
    """``venue``: the scorer the stations talk to (acks records, sends commands). ``central``:
    a scorer behind venue bridges (docs/SCALING.md): stores and marks, never acks and never
    commands a station (the venue's scorer does both)."""
    event_file: Path | None = None
    """The competition (event, modules, competitors, scheme) loaded at start."""
    tasks_dir: Path | None = None
    """Task files (``config/tasks``): their parameters feed the re-analysis of appeals."""
    source: Path | None = None
    """The file this configuration was loaded from, if any."""
    centre_key: Path | None = None
    """``[credentials] centre_key``: the certification centre's own Ed25519 key (signs
    certificates; not the scorer's wire key); None: this scorer issues no certificates."""
    centre_name: str = "benchscore certification centre"
    centre_url: str = "https://certs.example.org"
    """The centre's public address (its verify page, status list and standards live under it)."""

    @property
    def storage_target(self) -> str | Path:
        """What :class:`scorer.store.Store` opens: the PostgreSQL URL, else the SQLite path."""
        return self.storage_url if self.storage_url else self.storage_path


_TOP_KEYS = {"event", "broker", "storage", "http", "security", "competition", "credentials"}
_CREDENTIAL_KEYS = {"centre_key", "centre_name", "centre_url"}
_SECURITY_KEYS = {"keys_dir", "require_signatures", "scorer_key", "broker_admin"}
_BROKER_KEYS = {
    "host",
    "port",
    "protocol",
    "username",
    "password",
    "keepalive_s",
    "tls_ca_file",
    "client_id",
    "share_group",
    "role",
}
_STORAGE_KEYS = {"path", "url"}
_COMPETITION_KEYS = {"event_file", "tasks_dir"}
_HTTP_KEYS = {"host", "port", "trusted_proxies"}


class _Reader:
    """Typed access to a TOML table; errors read ``<file>: <key>: <problem>``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.name}: {key}: {problem}")

    def table(self, raw: dict[str, Any], key: str, known: set[str]) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {value!r}")
        self.no_unknown(value, known, prefix=f"{key}.")
        return value

    def no_unknown(self, raw: dict[str, Any], known: set[str], prefix: str = "") -> None:
        for key in sorted(set(raw) - known):
            raise self.fail(f"{prefix}{key}", f"unknown key; expected one of {sorted(known)}")

    def string(self, raw: dict[str, Any], key: str, where: str, default: str) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {value!r}")
        return value

    def opt_string(self, raw: dict[str, Any], key: str, where: str) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {value!r}")
        return value

    def integer(
        self, raw: dict[str, Any], key: str, where: str, default: int, low: int, high: int
    ) -> int:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer, got {value!r}")
        if not low <= value <= high:
            raise self.fail(where, f"{value} is outside {low}..{high}")
        return value


def parse_config(
    raw: dict[str, Any], name: str = "<config>", base_dir: Path | None = None
) -> ScorerConfig:
    """Build a :class:`ScorerConfig` from a parsed TOML document.

    ``name`` is used in error messages; a relative storage path is resolved against
    ``base_dir`` (the config file's directory) when given.
    """
    r = _Reader(name)
    r.no_unknown(raw, _TOP_KEYS)

    event = r.string(raw, "event", "event", "+")
    if event != "+" and not ID_RE.match(event):
        raise r.fail("event", f"{event!r} must be '+' or 1-64 letters, digits, '_', '.', '-'")

    b = r.table(raw, "broker", _BROKER_KEYS)
    protocol = b.get("protocol", "5")
    if type(protocol) is int and protocol == 5:
        protocol = "5"  # `protocol = 5` without quotes means the obvious thing
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        raise r.fail("broker.protocol", f"expected one of {sorted(PROTOCOLS)}, got {protocol!r}")
    broker = BrokerConfig(
        host=r.string(b, "host", "broker.host", "127.0.0.1"),
        port=r.integer(b, "port", "broker.port", 1883, 1, 65535),
        protocol=protocol,
        username=r.opt_string(b, "username", "broker.username"),
        password=r.opt_string(b, "password", "broker.password"),
        keepalive_s=r.integer(b, "keepalive_s", "broker.keepalive_s", 15, 5, 3600),
        tls_ca_file=r.opt_string(b, "tls_ca_file", "broker.tls_ca_file"),
    )
    if broker.password is not None and broker.username is None:
        raise r.fail("broker.password", "given without broker.username")
    client_id = r.string(b, "client_id", "broker.client_id", "benchscore-scorer")
    if not 1 <= len(client_id) <= 64:
        raise r.fail("broker.client_id", "1-64 characters")
    share_group = r.opt_string(b, "share_group", "broker.share_group")
    if share_group is not None and not ID_RE.match(share_group):
        raise r.fail("broker.share_group", f"{share_group!r}: 1-64 letters, digits, '_', '.', '-'")

    role = r.string(b, "role", "broker.role", "venue")
    if role not in ("venue", "central"):
        raise r.fail("broker.role", f"expected 'venue' or 'central', got {role!r}")

    s = r.table(raw, "storage", _STORAGE_KEYS)
    path_text = r.string(s, "path", "storage.path", "scorer.db")
    if not path_text:
        raise r.fail("storage.path", "must not be empty")
    storage_path = Path(path_text).expanduser()
    if not storage_path.is_absolute() and base_dir is not None:
        storage_path = base_dir / storage_path
    storage_url = r.opt_string(s, "url", "storage.url")
    if storage_url is not None and not storage_url.startswith(("postgresql://", "postgres://")):
        raise r.fail("storage.url", "expected a postgresql:// URL (use storage.path for SQLite)")

    comp = r.table(raw, "competition", _COMPETITION_KEYS)
    event_text = r.opt_string(comp, "event_file", "competition.event_file")
    event_file = _resolve(event_text, base_dir)
    tasks_dir = _resolve(r.opt_string(comp, "tasks_dir", "competition.tasks_dir"), base_dir)

    h = r.table(raw, "http", _HTTP_KEYS)
    http = HttpConfig(
        host=r.string(h, "host", "http.host", "127.0.0.1"),
        port=r.integer(h, "port", "http.port", 8080, 0, 65535),
        trusted_proxies=_proxies(r, h.get("trusted_proxies", [])),
    )
    if not http.host:
        raise r.fail("http.host", "must not be empty")

    sec = r.table(raw, "security", _SECURITY_KEYS)
    keys_text = r.opt_string(sec, "keys_dir", "security.keys_dir")
    keys_dir = None
    if keys_text:
        keys_dir = Path(keys_text).expanduser()
        if not keys_dir.is_absolute() and base_dir is not None:
            keys_dir = base_dir / keys_dir
    require = sec.get("require_signatures", True)
    if not isinstance(require, bool):
        raise r.fail("security.require_signatures", f"expected true or false, got {require!r}")
    scorer_key = _resolve(
        r.string(sec, "scorer_key", "security.scorer_key", "scorer.key"), base_dir
    )
    broker_admin = r.string(sec, "broker_admin", "security.broker_admin", "none")
    if broker_admin not in ("none", "dynsec"):
        raise r.fail("security.broker_admin", f"expected 'dynsec' or 'none', got {broker_admin!r}")

    cred = r.table(raw, "credentials", _CREDENTIAL_KEYS)
    centre_key = _resolve(r.opt_string(cred, "centre_key", "credentials.centre_key"), base_dir)
    centre_name = r.string(cred, "centre_name", "credentials.centre_name", ScorerConfig.centre_name)
    centre_url = r.string(cred, "centre_url", "credentials.centre_url", ScorerConfig.centre_url)
    if not centre_url.startswith(("https://", "http://")):
        raise r.fail(
            "credentials.centre_url", f"expected an http(s):// address, got {centre_url!r}"
        )

    return ScorerConfig(
        centre_key=centre_key,
        centre_name=centre_name,
        centre_url=centre_url,
        event=event,
        broker=broker,
        storage_path=storage_path,
        http=http,
        keys_dir=keys_dir,
        require_signatures=require,
        scorer_key=scorer_key,
        broker_admin=broker_admin,
        storage_url=storage_url,
        client_id=client_id,
        share_group=share_group,
        role=role,
        event_file=event_file,
        tasks_dir=tasks_dir,
    )


def _proxies(r: _Reader, raw: Any) -> tuple[str, ...]:
    """``http.trusted_proxies``: a list of IP addresses or networks (``10.0.0.0/8``)."""
    where = "http.trusted_proxies"
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise r.fail(where, f"expected a list of IP addresses, got {raw!r}")
    for text in raw:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise r.fail(where, f"{text!r} is not an IP address or network") from None
    return tuple(raw)


def _resolve(text: str | None, base_dir: Path | None) -> Path | None:
    """A path from the config, relative to the config file's directory (None if unset)."""
    if not text:
        return None
    path = Path(text).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def load_config(path: str | Path) -> ScorerConfig:
    """Load a scorer TOML file; raise :class:`ConfigError` naming the file and the key."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p.name}: not UTF-8: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p.name}: invalid TOML: {exc}") from None
    cfg = parse_config(raw, name=p.name, base_dir=p.resolve().parent)
    return dataclasses.replace(cfg, source=p.resolve())
