"""The station's side of adoption, message by message: what it accepts, what it refuses and why,
and a key bound to the board it was made on."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import pytest

from benchscore import protocol
from benchscore.identity import Identity
from benchscore.signing import sign_payload
from firmware_py.adoption import accept_adoption, machine_facts
from firmware_py.config import load_station_setup
from firmware_py.main import board_identity
from tests.support.stations import LED_TASK


def adopt_message(station: Identity, scorer: Identity, **change: Any) -> bytes:
    payload: dict[str, Any] = {
        "schema": protocol.SCHEMA_VERSION,
        "type": "adopt",
        "station_kid": station.kid,
        "station": "st07",
        "event": "ws2026",
        "task": {"id": "led-module-a", "procedure": "led_assembly", "toml": LED_TASK.read_text()},
        "scorer_pubkey": scorer.public.hex,
        "adoption_id": "a1",
        "iat": time.time(),
        "broker": {
            "username": "st07",
            "client_id": "st07",
            "password_sealed": base64.b64encode(station.public.seal(b"s3cret")).decode(),
        },
    }
    payload.update(change)
    topic = protocol.adopt_topic(station.kid, "adopt")
    return sign_payload(scorer, topic, payload)


def test_a_genuine_adoption_gives_id_task_and_the_unsealed_login() -> None:
    station, scorer = Identity.generate(), Identity.generate()
    adoption = accept_adoption(adopt_message(station, scorer), station, scorer.public.hex)
    assigned = (adoption.station_id, adoption.event, adoption.task_id)
    assert assigned == ("st07", "ws2026", "led-module-a")
    assert adoption.broker_password == "s3cret" and adoption.scorer_key == scorer.public


@pytest.mark.parametrize(
    "case,why",
    [
        ("other_scorer", "trusts only"),
        ("tampered", "does not verify"),
        ("other_station", "station_kid differs"),
        ("sealed_to_other", "does not open"),
    ],
)
def test_a_forged_adoption_is_refused_with_the_reason(case: str, why: str) -> None:
    station, scorer, rogue = Identity.generate(), Identity.generate(), Identity.generate()
    pinned = scorer.public.hex
    if case == "other_scorer":  # a rogue scorer signs its own key into the message
        raw = adopt_message(station, rogue)
    elif case == "tampered":  # the genuine message with the station id changed on the way
        raw = adopt_message(station, scorer).replace(b'"st07"', b'"st99"', 1)
    elif case == "other_station":
        raw = adopt_message(station, scorer, station_kid=rogue.kid)
    else:
        sealed = base64.b64encode(rogue.public.seal(b"x")).decode()
        raw = adopt_message(
            station,
            scorer,
            broker={"username": "st07", "client_id": "st07", "password_sealed": sealed},
        )
    with pytest.raises(ValueError, match=why):
        accept_adoption(raw, station, pinned)


def test_a_key_copied_to_another_board_is_replaced(tmp_path: Path) -> None:
    conf = tmp_path / "station.toml"
    conf.write_text(f'[station]\nstate_dir = "{tmp_path / "state"}"\n[hardware]\nbackend = "sim"\n')
    setup = load_station_setup(conf)
    setup.state_dir.mkdir()
    first = board_identity(setup)
    assert board_identity(setup).kid == first.kid  # the same board keeps its key
    (setup.state_dir / "identity.board").write_text("another-board\n")  # the card moved
    (setup.state_dir / "adoption.json").write_text("{}")
    moved = board_identity(setup)
    assert moved.kid != first.kid
    assert (setup.state_dir / "identity.key.another-board").exists()
    assert not (setup.state_dir / "adoption.json").exists()
    assert (setup.state_dir / "identity.board").read_text().strip() == machine_facts()["serial"]
