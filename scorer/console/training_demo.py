"""What ``benchscore demo`` shows of training and certification: a trainer and a trainee account
(random passwords), three practice attempts on the simulated bench, and one certified
assessment whose credential file, the centre's key and status list are written next to the
demo's logs, so the printed ``benchscore verify`` line works offline."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from ..accounts.auth import AccountError, add_user, generate_password
from ..accounts.db import ConsoleDB
from ..credentials.centre import Centre
from ..credentials.status import status_list_credential
from ..store import Store
from ..training import assessment as asm
from ..training import store as tr
from ..training.practice import run_attempt

STANDARD = Path(__file__).resolve().parents[2] / "config" / "standards" / "led-module-l3.toml"


@dataclass(frozen=True)
class DemoCertificate:
    accounts: list[tuple[str, str, str]]
    credential: Path
    centre_did: Path
    status_list: Path


def demo_training(workdir: Path, centre_url: str) -> DemoCertificate:
    """Accounts, practice attempts and one certificate in ``workdir/scorer.db``."""
    store = Store(workdir / "scorer.db")
    try:
        db = store.db
        made = []
        for username, role, name in (("coach", "trainer", "Coach"), ("trainee1", "trainee", "")):
            password = generate_password()
            try:
                add_user(ConsoleDB(db), username, role, password, display_name=name or username)
            except AccountError:
                continue
            made.append((username, role, password))
        try:
            tr.add_group(db, "demo-class", "Demo class", "coach", "led-module-a")
            tr.add_trainee(db, "trainee1", "Erik Larsen", "demo-class")
            tr.set_limits(db, "demo-class", 3600.0, 2700.0)
        except tr.TrainingError:
            pass  # from an earlier run
        attempts = [("open_led", 3900.0), ("wrong_bin", 3300.0), ("none", 2800.0)]
        for fault, taken in attempts:
            tr.add_attempt(
                db, "trainee1", run_attempt("led_assembly", fault, time_taken_s=taken).to_dict()
            )
        sid = f"demo-{int(time.time())}"
        asm.create_session(
            db,
            sid,
            "Demo assessment",
            STANDARD,
            "the demo hall",
            "chief",
            ["chief", "judge1", "judge2"],
            [{"id": "K01", "name": "Erik Larsen", "email": "erik@example.org", "bench": "st01"}],
        )
        asm.record_run(db, sid, "K01", "led", tr.attempts_of(db, "trainee1")[-1])
        for who in ("chief", "judge1", "judge2"):
            asm.score(db, sid, "K01", "A3.1", who, 3)
            asm.score(db, sid, "K01", "A3.2", who, 2)
        asm.lock(db, sid, "chief")
        centre = Centre.open(workdir / "centre.key", "benchscore demo centre", centre_url)
        (path,) = asm.certify(db, sid, centre, workdir / "certificates")
        did = workdir / "centre.did"
        did.write_text(centre.did + "\n")
        status = workdir / "certificates" / "status-list.json"
        status.write_text(
            json.dumps(status_list_credential(centre, asm.revoked_indexes(db), time.time()))
        )
        return DemoCertificate(made, path, did, status)
    finally:
        store.close()
