"""The scorer process: store + MQTT ingest + the hall page served by uvicorn.

:class:`ScorerService` runs everything in background threads (tests and the demo embed it);
:func:`run_scorer` is the foreground entry point behind ``benchscore scorer --config FILE``.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from benchscore.errors import describe
from benchscore.identity import Identity
from benchscore.protocol import AUDIT_TOPIC, SCHEMA_VERSION
from benchscore.sdnotify import notify, watchdog_interval_s
from benchscore.signing import sign_payload

from .broker_admin import BrokerAdmin, DynSecAdmin, NoBrokerAdmin
from .competition import Competition
from .config import ConfigError, ScorerConfig, load_config
from .fleet.adoption import Fleet
from .fleet.keys import StationKeys, scorer_identity
from .ingest import Ingest
from .mqtt_ingest import MqttIngest
from .store import Store
from .web import create_app

log = logging.getLogger(__name__)

AUDIT_ANCHOR_S = 5.0
"""How often the audit chain's head is checked and, if it moved, anchored on the broker."""


class ScorerService:
    """Open the store, subscribe to the broker, serve the hall page; ``stop()`` undoes it."""

    def __init__(self, config: ScorerConfig, client_id: str | None = None) -> None:
        self.config = config
        self.client_id = client_id or config.client_id
        self.store: Store | None = None
        self.ingest: Ingest | None = None
        self.competition: Competition | None = None
        self.mqtt: MqttIngest | None = None
        self.fleet: Fleet | None = None
        self.identity: Identity | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._cleared: set[str] = set()
        self._audit_published: Any = None
        self._stopping = threading.Event()
        self._anchor: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The HTTP port actually bound (config ``http.port = 0`` picks a free one)."""
        if self._port is None:
            raise RuntimeError("the scorer is not started")
        return self._port

    @property
    def url(self) -> str:
        """The hall page's address, e.g. ``http://127.0.0.1:8080/``."""
        host = self.config.http.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def start(self, timeout: float = 10.0) -> ScorerService:
        """Start everything; raise (and clean up) if the web server does not come up."""
        if self._thread is not None:
            raise RuntimeError("the scorer is already started")
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout: float) -> None:
        cfg = self.config
        self.identity = scorer_identity(cfg)  # a bad key file stops the start before the store
        self.store = Store(cfg.storage_target, worker=self.client_id)
        competition = Competition(self.store, tasks_dir=cfg.tasks_dir)
        self.competition = competition
        if cfg.event_file is not None:
            event, version = competition.install_file(cfg.event_file)
            log.info("event %s, scheme %s v%d", event.id, version.scheme.id, version.version)
        keys = StationKeys(self.store, cfg.keys_dir)
        self.ingest = Ingest(
            self.store,
            keys=keys,
            require_signatures=cfg.require_signatures,
            on_result=competition.on_result,
            on_status=self._on_status(competition),
        )
        self.mqtt = MqttIngest(
            cfg.broker,
            self.ingest,
            event=cfg.event,
            client_id=self.client_id,
            share_group=cfg.share_group,
            scorer=self.identity,
            on_hello=self._on_hello if cfg.role == "venue" else None,  # the venue adopts
        )
        self.fleet = Fleet(
            self.store,
            self.identity,
            self.mqtt.publish,
            make_broker_admin(cfg, self.mqtt.client),
            cfg.tasks_dir,
            keys,
        )
        app = create_app(self.store, self.ingest, competition, fleet=self.fleet)
        if cfg.centre_key is not None:  # the public certificate check (scorer/credentials)
            from .credentials.centre import Centre

            app.state.centre = Centre.open(cfg.centre_key, cfg.centre_name, cfg.centre_url)

        family = socket.AF_INET6 if ":" in cfg.http.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock = sock
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((cfg.http.host, cfg.http.port))
        except OSError as exc:
            raise OSError(
                exc.errno, f"cannot listen on {cfg.http.host}:{cfg.http.port}: {exc.strerror}"
            ) from None
        sock.listen(128)
        self._port = int(sock.getsockname()[1])

        server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                lifespan="off",
                ws="none",
                http="h11",
                timeout_graceful_shutdown=2,
                proxy_headers=bool(cfg.http.trusted_proxies),  # X-Forwarded-For: only these
                forwarded_allow_ips=list(cfg.http.trusted_proxies),
            )
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="scorer-http", daemon=True
        )
        self._thread.start()

        if cfg.role == "venue":  # a central scorer stores and marks, the venue's acks
            self.ingest.on_ack = self.mqtt.send_ack
            competition.send = self.mqtt.send_command
        else:
            log.info("central scorer: records are stored but not acked, no commands are sent")
        self.mqtt.start()
        self._anchor = threading.Thread(target=self._anchor_loop, name="audit-anchor", daemon=True)
        self._anchor.start()

        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the scorer's web server stopped while starting")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the scorer's web server did not start on {self.url}")
            time.sleep(0.02)
        log.info("scorer hall page at %s (database %s)", self.url, self.store.db.name)

    def _on_hello(self, topic: str, raw: bytes) -> None:
        if self.fleet is not None:
            self.fleet.on_hello(topic, raw)

    def _on_status(self, competition: Competition) -> Callable[[dict[str, Any]], object]:
        """Statuses go to the time-limit reconciler; a station's first status under a newly
        adopted key also clears its retained adopt message."""

        def hook(obj: dict[str, Any]) -> None:
            competition.reconcile(obj)
            records = obj.get("calibration_records")
            if self.fleet is not None and isinstance(records, list) and obj.get("online"):
                self.fleet.note_calibrations(str(obj["station"]), records)
            kid = obj.get("kid")
            if self.fleet is not None and isinstance(kid, str) and kid not in self._cleared:
                self._cleared.add(kid)
                self.fleet.clear_adoption(kid)

        return hook

    def publish_audit_head(self) -> bool:
        """Publish the audit chain's head (retained, signed) if it moved; True if published."""
        from .accounts import audit
        from .accounts.db import ConsoleDB

        if self.store is None or self.mqtt is None or self.identity is None:
            return False
        head = audit.head(ConsoleDB(self.store.db))
        if head == self._audit_published:
            return False
        payload = {
            "schema": SCHEMA_VERSION,
            "type": "audit_head",
            "rows": head.rows,
            "hash": head.hash,
            "ts": time.time(),
        }
        self.mqtt.publish(AUDIT_TOPIC, sign_payload(self.identity, AUDIT_TOPIC, payload), True)
        self._audit_published = head
        return True

    def _anchor_loop(self) -> None:
        """Every :data:`AUDIT_ANCHOR_S`, anchor the audit chain's head on the broker."""
        while not self._stopping.wait(AUDIT_ANCHOR_S):
            try:
                if self.mqtt is not None and self.mqtt.connected:
                    self.publish_audit_head()
            except Exception:  # anchoring must never stop the scorer
                log.exception("could not publish the audit head")

    def healthy(self) -> bool:
        """True while the web server thread runs and the store is open (for the watchdog)."""
        return (
            self._thread is not None
            and self._thread.is_alive()
            and self.store is not None
            and not self.store.closed
        )

    def stop(self) -> None:
        """Stop the web server, the MQTT link and close the store; safe to call twice."""
        self._stopping.set()
        if self._anchor is not None:
            self._anchor.join(5)
            self._anchor = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            if self._thread.is_alive():
                log.warning("the scorer's web server did not stop within 10 s")
            self._thread = None
        self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.competition is not None:
            self.competition.close()
        if self.mqtt is not None:
            self.mqtt.stop()
            self.mqtt = None
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> ScorerService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_broker_admin(cfg: ScorerConfig, client: Any) -> BrokerAdmin:
    """Station logins through the dynamic-security plugin, or none (plain broker files)."""
    if cfg.broker_admin == "dynsec":
        return DynSecAdmin(client)
    return NoBrokerAdmin()


def run_scorer(config_path: str | Path) -> int:
    """Run the scorer in the foreground until SIGINT or SIGTERM; return an exit status."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    service = ScorerService(config)
    try:
        try:
            service.start()
        except Exception as exc:
            refusal = describe(exc)
            if refusal is None:
                raise
            log.error("scorer failed to start: %s", refusal.message)
            return refusal.status
        log.info(
            "hall page: %s  (event %r, broker %s:%s)",
            service.url,
            config.event,
            config.broker.host,
            config.broker.port,
        )
        notify("READY=1")  # the store is open and the page is served
        watchdog = watchdog_interval_s()
        while not stop.wait(min(1.0, watchdog or 1.0)):
            if watchdog is not None and service.healthy():
                notify("WATCHDOG=1")
        notify("STOPPING=1")
        return 0
    finally:
        service.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
