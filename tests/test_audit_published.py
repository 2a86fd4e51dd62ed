"""The audit chain's head is anchored where the database cannot rewrite it: published,
retained and signed by the scorer key, on the broker; ``benchscore audit verify --head`` with
that head catches a cut tail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchscore.mqtt import BrokerConfig
from benchscore.protocol import AUDIT_TOPIC
from benchscore.signing import verify_payload
from scorer.accounts import audit
from scorer.accounts.db import ConsoleDB
from scorer.config import HttpConfig, ScorerConfig
from scorer.service import ScorerService
from tests.support.brokers import Mosquitto, MqttPeer
from tests.support.trust import TEST_SCORER, write_scorer_key


def test_the_audit_head_is_published_signed_and_anchors_verify(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    db_path = tmp_path / "scorer.db"
    scorer = ScorerService(
        ScorerConfig(
            event="test",
            broker=BrokerConfig(port=mosquitto.port),
            storage_path=db_path,
            http=HttpConfig(port=0),
            scorer_key=write_scorer_key(tmp_path),
        )
    ).start()
    peer = MqttPeer(mosquitto.port, "auditor", None, None)
    try:
        assert scorer.store is not None and scorer.mqtt is not None
        assert scorer.mqtt.wait_connected(10)
        db = ConsoleDB(scorer.store.db)
        for i in range(3):
            audit.append(db, "chief", "mark.override", f"C0{i}", None, i, "test")
        assert scorer.publish_audit_head()
        assert not scorer.publish_audit_head()  # unchanged: nothing new to anchor
        assert peer.connect() and peer.subscribe(AUDIT_TOPIC)
        msg = peer.next_message(10)
        assert msg.retain and verify_payload(TEST_SCORER.public, AUDIT_TOPIC, bytes(msg.payload))
        anchored = json.loads(msg.payload)
        assert (anchored["rows"], anchored["hash"]) == tuple(audit.head(db))
    finally:
        peer.close()
        scorer.stop()

    conf = tmp_path / "scorer.toml"
    conf.write_text(f'[storage]\npath = "{db_path}"\n[security]\nrequire_signatures = false\n')

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "benchscore", "audit", "verify", "--config", str(conf),
             "--head", anchored["hash"], "--count", str(anchored["rows"])],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert verify().returncode == 0
    import sqlite3

    with sqlite3.connect(db_path) as raw:  # someone with the database cuts the last entry
        for (name,) in raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'console_audit'"
        ).fetchall():
            raw.execute(f'DROP TRIGGER "{name}"')  # the append-only guard goes first
        raw.execute("DELETE FROM console_audit WHERE id = (SELECT max(id) FROM console_audit)")
    cut = verify()
    said = (cut.stdout + cut.stderr).strip()
    assert cut.returncode != 0 and "rows were cut" in said and len(said.splitlines()) == 1
    assert "Traceback" not in said
