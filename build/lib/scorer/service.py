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
from pathlib import Path
from types import FrameType

import uvicorn

from benchscore.sdnotify import notify, watchdog_interval_s
from benchscore.signing import KeyRing

from .competition import Competition
from .config import ConfigError, ScorerConfig, load_config
from .ingest import Ingest
from .mqtt_ingest import MqttIngest
from .store import Store
from .web import create_app

log = logging.getLogger(__name__)


class ScorerService:
    """Open the store, subscribe to the broker, serve the hall page; ``stop()`` undoes it."""

    def __init__(self, config: ScorerConfig, client_id: str | None = None) -> None:
        self.config = config
        self.client_id = client_id or config.client_id
        self.store: Store | None = None
        self.ingest: Ingest | None = None
        self.competition: Competition | None = None
        self.mqtt: MqttIngest | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._port: int | None = None

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
        self.store = Store(cfg.storage_target, worker=self.client_id)
        competition = Competition(self.store, tasks_dir=cfg.tasks_dir)
        self.competition = competition
        if cfg.event_file is not None:
            event, version = competition.install_file(cfg.event_file)
            log.info("event %s, scheme %s v%d", event.id, version.scheme.id, version.version)
        self.ingest = Ingest(
            self.store,
            keys=KeyRing(cfg.keys_dir),
            require_signatures=cfg.require_signatures,
            on_result=competition.on_result,
            on_status=competition.reconcile,
        )
        app = create_app(self.store, self.ingest, competition)

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
            )
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="scorer-http", daemon=True
        )
        self._thread.start()

        self.mqtt = MqttIngest(
            cfg.broker,
            self.ingest,
            event=cfg.event,
            client_id=self.client_id,
            share_group=cfg.share_group,
        )
        self.ingest.on_ack = self.mqtt.send_ack
        competition.send = self.mqtt.send_command
        self.mqtt.start()

        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the scorer's web server stopped while starting")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the scorer's web server did not start on {self.url}")
            time.sleep(0.02)
        log.info("scorer hall page at %s (database %s)", self.url, self.store.db.name)

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
            log.error("scorer failed to start: %s", exc)
            return 1
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
