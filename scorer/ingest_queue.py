"""Messages off paho's network thread: a bounded queue and one worker that ingests in batches.

paho calls ``on_message`` on its network thread and acknowledges a QoS 1 message to the broker
(PUBACK) when the callback returns. :meth:`IngestQueue.put` only queues the message, so the
network thread goes back to reading at once; the worker takes everything that has arrived, up
to ``batch_max`` messages, and hands it to :meth:`scorer.ingest.Ingest.handle_batch` (records
stored in one transaction, then one ack per station).

Back-pressure: when ``maxsize`` messages wait, ``put`` blocks the network thread, which stops
reading from the broker; the broker then holds further messages (``max_inflight_messages``
in flight, the rest queued for the scorer). A message in the queue was PUBACKed but not yet
stored: if the process dies, it is lost from the broker's view, and its station, which has no
ack for it, sends it again after ``ack_timeout_s`` (the station outbox keeps it until acked).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Final

from .ingest import Ingest

log = logging.getLogger(__name__)

QUEUE_MAX: Final = 5000
"""Messages waiting before the network thread is held (about 8 MB of 1.5 kB records)."""
BATCH_MAX: Final = 2000
"""Most messages ingested together (one transaction). Large, so that a backlog from many
stations still has several records of each station per batch, and so one ack for them."""

_STOP: Final = ("", b"")


class IngestQueue:
    """A bounded queue of (topic, payload) and the thread that ingests it in batches."""

    def __init__(
        self, ingest: Ingest, *, maxsize: int = QUEUE_MAX, batch_max: int = BATCH_MAX
    ) -> None:
        if maxsize < 1 or batch_max < 1:
            raise ValueError("maxsize and batch_max must be at least 1")
        self.ingest = ingest
        self.batch_max = batch_max
        self._queue: queue.Queue[tuple[str, bytes]] = queue.Queue(maxsize)
        self._thread: threading.Thread | None = None
        self.batches = 0
        """Batches handed to the ingest so far."""
        self.messages = 0
        """Messages handed to the ingest so far."""

    def start(self) -> None:
        """Start the worker thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="ingest", daemon=True)
            self._thread.start()

    def put(self, topic: str, payload: bytes) -> None:
        """Queue a message; blocks while the queue is full (back-pressure on the broker)."""
        self._queue.put((topic, payload))

    @property
    def depth(self) -> int:
        """Messages waiting (approximate)."""
        return self._queue.qsize()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ingest what is queued, then stop the worker; safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("the ingest worker did not finish within %.0f s", timeout_s)
        dropped = 0
        while True:  # what came after the stop: never acked, so its stations send it again
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
            dropped += 1
        if dropped:
            log.info("%d messages that arrived while stopping were not ingested", dropped)
        log.info(
            "ingest worker: %d messages in %d batches (%.1f per batch)",
            self.messages,
            self.batches,
            self.messages / max(1, self.batches),
        )

    def _work(self) -> None:
        running = True
        while running:
            batch = [self._queue.get()]
            while len(batch) < self.batch_max:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for i, message in enumerate(batch):
                if message is _STOP:
                    batch, running = batch[:i], False
                    break
            if not batch:
                continue
            try:
                self.ingest.handle_batch(batch)  # never raises; this is a last resort
            except Exception:
                log.exception("ingest of a batch of %d messages failed", len(batch))
            self.batches += 1
            self.messages += len(batch)
