"""Protocol v1: topics, and the validator's verdict on good and bad payloads."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from benchscore import protocol
from benchscore.protocol import PayloadError, Topics

RECORD: dict[str, Any] = {
    "schema": 2,
    "type": "record",
    "event": "ev",
    "station": "st01",
    "boot_id": "b1",
    "seq": 3,
    "run_id": "b1-3",
    "kind": "result",
    "task": "led-module-a",
    "procedure": "led_assembly",
    "started_at": 100.0,
    "ended_at": 101.5,
    "outcome": "fail",
    "reason": "current_a low",
    "measurements": [
        {
            "name": "current_a",
            "value": 0.2,
            "unit": "A",
            "limits": {"low": 0.27, "high": 0.33},
            "outcome": "fail",
            "reason": "current_a low",
        }
    ],
}


def test_topics() -> None:
    t = Topics("ev", "st01")
    assert (t.status, t.live, t.record) == (
        "benchscore/v1/ev/st01/status",
        "benchscore/v1/ev/st01/live",
        "benchscore/v1/ev/st01/record",
    )
    assert protocol.subscription("ev") == [
        "benchscore/v1/ev/+/status",
        "benchscore/v1/ev/+/live",
        "benchscore/v1/ev/+/record",
        "benchscore/v1/ev/+/reply",
    ]
    with pytest.raises(ValueError, match="station id"):
        Topics("ev", "st/01")


def test_valid_record_round_trips() -> None:
    parts, obj = protocol.parse("benchscore/v1/ev/st01/record", protocol.encode(RECORD))
    assert (parts.event, parts.station, parts.kind) == ("ev", "st01", "record")
    assert obj == RECORD


def mutate(path: list[Any], value: Any) -> bytes:
    obj = copy.deepcopy(RECORD)
    target = obj
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    "topic,payload,reason,detail",
    [
        ("benchscore/v1/ev/st01/record", b"\xff\xfe", "malformed", "UTF-8"),
        ("benchscore/v1/ev/st01/record", b"[1,2]", "malformed", "JSON object"),
        ("benchscore/v1/ev/st01/record", b'{"schema":2,"x":NaN}', "malformed", "NaN"),
        ("benchscore/v1/ev/st01/record", b"x" * (256 * 1024 + 1), "oversized", "bytes"),
        ("benchscore/v1/ev/st01/record", mutate(["schema"], 1), "unsupported", "schema 1"),
        ("benchscore/v1/ev/st02/record", mutate(["seq"], 3), "wrong_topic", "st02"),
        ("benchscore/v1/ev/st01/live", mutate(["seq"], 3), "wrong_topic", "'record' payload"),
        ("benchscore/v2/ev/st01/record", mutate(["seq"], 3), "unknown_topic", "benchscore/v1"),
        (
            "benchscore/v1/ev/st01/record",
            mutate(["seq"], KeyError),
            "schema",
            "record: missing field 'seq'",
        ),
        (
            "benchscore/v1/ev/st01/record",
            mutate(["seq"], "3"),
            "schema",
            "record.seq: expected int",
        ),
        ("benchscore/v1/ev/st01/record", mutate(["seq"], True), "schema", "got a boolean"),
        (
            "benchscore/v1/ev/st01/record",
            mutate(["outcome"], "great"),
            "schema",
            "record(result).outcome",
        ),
        ("benchscore/v1/ev/st01/record", mutate(["ended_at"], 1.0), "schema", "before started_at"),
        (
            "benchscore/v1/ev/st01/record",
            mutate(["measurements", 0, "limits", "lo"], 1),
            "schema",
            "unknown key 'lo'",
        ),
        (
            "benchscore/v1/ev/st01/record",
            mutate(["measurements", 0, "value"], "0.2"),
            "schema",
            "measurements[0].value",
        ),
    ],
)
def test_bad_payloads_are_rejected_with_reason(
    topic: str, payload: bytes, reason: str, detail: str
) -> None:
    with pytest.raises(PayloadError) as info:
        protocol.parse(topic, payload)
    assert info.value.reason == reason
    assert detail in info.value.detail


def test_encode_refuses_nan() -> None:
    with pytest.raises(ValueError):
        protocol.encode({"x": float("nan")})
