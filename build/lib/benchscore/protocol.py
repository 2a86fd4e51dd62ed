"""Wire protocol v1: topics, payload builders and validators shared by station and scorer.

``docs/PROTOCOL.md`` is the human description of what this module enforces. Every payload is a
JSON object with ``"schema": 1`` and a ``"type"``. Validation never trusts the payload: each
failure raises :class:`PayloadError` carrying a short machine ``reason`` and a detail that names
the offending field.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Final

SCHEMA_VERSION: Final = 1
ROOT: Final = "benchscore"
PROTOCOL: Final = "v1"
MAX_PAYLOAD_BYTES: Final = 256 * 1024
"""Largest payload the scorer accepts; anything longer is rejected as ``oversized``."""
LIVE_EXPIRY_S: Final = 10
"""MQTT 5 message expiry of live samples: a judge never sees a stale value."""

ID_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
STATION_STATES: Final = frozenset({"idle", "ready", "running", "done", "fault", "offline"})
RUN_OUTCOMES: Final = frozenset({"pass", "fail", "fault"})
MEAS_OUTCOMES: Final = frozenset({"pass", "marginal", "fail", "error"})


class PayloadError(ValueError):
    """A payload that must not be stored. ``reason`` is one of a fixed set of words."""

    REASONS: Final = frozenset(
        {
            "malformed",
            "oversized",
            "schema",
            "wrong_topic",
            "unknown_topic",
            "unsupported",
            "bad_signature",
            "unknown_station",
            "stale_boot",
        }
    )

    def __init__(self, reason: str, detail: str) -> None:
        assert reason in self.REASONS, reason
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def check_id(value: str, what: str) -> str:
    """Return ``value`` if it is a valid event or station id, else raise ValueError."""
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ValueError(
            f"{what} {value!r} must be 1-64 characters of letters, digits, '_', '.', '-'"
        )
    return value


# -- topics --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topics:
    """The topics of one station: ``benchscore/v1/<event>/<station>/<kind>``."""

    event: str
    station: str

    def __post_init__(self) -> None:
        check_id(self.event, "event id")
        check_id(self.station, "station id")

    @property
    def base(self) -> str:
        return f"{ROOT}/{PROTOCOL}/{self.event}/{self.station}"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    @property
    def live(self) -> str:
        return f"{self.base}/live"

    @property
    def record(self) -> str:
        return f"{self.base}/record"

    @property
    def reply(self) -> str:
        return f"{self.base}/reply"

    @property
    def ack(self) -> str:
        return f"{self.base}/ack"

    @property
    def cmd(self) -> str:
        return f"{self.base}/cmd"


STATION_KINDS: Final = ("status", "live", "record", "reply")
"""Topic kinds a station publishes (the scorer subscribes to these)."""
SCORER_KINDS: Final = ("ack", "cmd")
"""Topic kinds the scorer publishes to one station (the station subscribes to these)."""
RECORD_KINDS: Final = frozenset({"result", "curve"})
COMMANDS: Final = frozenset({"start", "abort", "arm", "self_check", "set_time_limit", "rebirth"})
MAX_CURVE_POINTS: Final = 5000
"""Most samples per column in one curve chunk."""


def subscription(event: str = "+") -> list[str]:
    """Topic filters the scorer subscribes to (all stations of ``event``)."""
    return [f"{ROOT}/{PROTOCOL}/{event}/+/{kind}" for kind in STATION_KINDS]


def scorer_topic(event: str, station: str, kind: str) -> str:
    """A topic the scorer publishes to one station (``ack`` or ``cmd``)."""
    assert kind in SCORER_KINDS, kind
    return (
        f"{ROOT}/{PROTOCOL}/{check_id(event, 'event id')}/{check_id(station, 'station id')}/{kind}"
    )


@dataclass(frozen=True)
class TopicParts:
    event: str
    station: str
    kind: str


def parse_topic(topic: str, kinds: tuple[str, ...] = STATION_KINDS) -> TopicParts:
    """Split a station topic; raise PayloadError('unknown_topic') for anything else."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != ROOT or parts[1] != PROTOCOL:
        raise PayloadError("unknown_topic", f"topic {topic!r} is not benchscore/v1/<e>/<s>/<k>")
    _, _, event, station, kind = parts
    if kind not in kinds:
        raise PayloadError("unknown_topic", f"topic {topic!r}: unknown kind {kind!r}")
    if not ID_RE.match(event) or not ID_RE.match(station):
        raise PayloadError("unknown_topic", f"topic {topic!r}: invalid event or station id")
    return TopicParts(event, station, kind)


# -- encoding ------------------------------------------------------------------------------
def encode(payload: dict[str, Any]) -> bytes:
    """Encode a payload as compact UTF-8 JSON (NaN is not JSON: it is refused)."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


def decode(raw: bytes) -> dict[str, Any]:
    """Decode a payload; raise PayloadError for oversized, non-JSON or non-object payloads."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise PayloadError("oversized", f"{len(raw)} bytes > limit {MAX_PAYLOAD_BYTES}")
    try:
        obj = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise PayloadError("malformed", f"not UTF-8 JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise PayloadError("malformed", f"expected a JSON object, got {type(obj).__name__}")
    schema = obj.get("schema")
    if schema != SCHEMA_VERSION:
        raise PayloadError("unsupported", f"schema {schema!r}; this scorer speaks {SCHEMA_VERSION}")
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


# -- field checks --------------------------------------------------------------------------
def _field(obj: dict[str, Any], key: str, types: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise PayloadError("schema", f"{where}: missing field {key!r}")
    value = obj[key]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise PayloadError("schema", f"{where}.{key}: expected {_names(types)}, got a boolean")
    if not isinstance(value, types):
        raise PayloadError(
            "schema", f"{where}.{key}: expected {_names(types)}, got {type(value).__name__}"
        )
    return value


def _names(types: type | tuple[type, ...]) -> str:
    ts = types if isinstance(types, tuple) else (types,)
    return " or ".join(t.__name__ for t in ts)


def _number(obj: dict[str, Any], key: str, where: str, optional: bool = False) -> float | None:
    if optional and obj.get(key) is None:
        return None
    value = _field(obj, key, (int, float), where)
    if not math.isfinite(value):
        raise PayloadError("schema", f"{where}.{key}: not a finite number")
    return float(value)


def _choice(obj: dict[str, Any], key: str, allowed: frozenset[str], where: str) -> str:
    value: str = _field(obj, key, str, where)
    if value not in allowed:
        raise PayloadError("schema", f"{where}.{key}: {value!r} not one of {sorted(allowed)}")
    return value


def _ident(obj: dict[str, Any], key: str, where: str) -> str:
    value: str = _field(obj, key, str, where)
    if not ID_RE.match(value):
        raise PayloadError("schema", f"{where}.{key}: invalid id {value!r}")
    return value


def _text(obj: dict[str, Any], key: str, where: str, limit: int = 500) -> str:
    value: str = _field(obj, key, str, where)
    if len(value) > limit:
        raise PayloadError("schema", f"{where}.{key}: longer than {limit} characters")
    if "\x00" in value:
        raise PayloadError("schema", f"{where}.{key}: contains a NUL character")
    return value


def _check_origin(obj: dict[str, Any], topic: TopicParts, where: str) -> None:
    station = _ident(obj, "station", where)
    event = _ident(obj, "event", where)
    if station != topic.station or event != topic.event:
        raise PayloadError(
            "wrong_topic",
            f"{where}: payload says {event}/{station} but was published on "
            f"{topic.event}/{topic.station}",
        )


# -- payload validators --------------------------------------------------------------------
def validate(topic: TopicParts, obj: dict[str, Any]) -> dict[str, Any]:
    """Validate a decoded payload for its topic kind; return it unchanged if valid."""
    kind = _field(obj, "type", str, "payload")
    if kind != topic.kind:
        raise PayloadError("wrong_topic", f"a {kind!r} payload on a {topic.kind!r} topic")
    _VALIDATORS[kind](topic, obj)
    return obj


def _validate_status(topic: TopicParts, obj: dict[str, Any]) -> None:
    _check_origin(obj, topic, "status")
    _field(obj, "online", bool, "status")
    _choice(obj, "state", STATION_STATES, "status")
    _text(obj, "boot_id", "status", 64)
    if obj.get("reason") is not None:
        _text(obj, "reason", "status")


def _validate_live(topic: TopicParts, obj: dict[str, Any]) -> None:
    _check_origin(obj, topic, "live")
    _number(obj, "ts", "live")
    values = _field(obj, "values", dict, "live")
    if len(values) > 64:
        raise PayloadError("schema", "live.values: more than 64 values")
    for name in values:
        if not isinstance(name, str) or len(name) > 64:
            raise PayloadError("schema", f"live.values: bad name {name!r}")
        _number(values, name, "live.values", optional=True)


def _validate_record(topic: TopicParts, obj: dict[str, Any]) -> None:
    where = "record"
    _check_origin(obj, topic, where)
    _text(obj, "boot_id", where, 64)
    seq = _field(obj, "seq", int, where)
    if not 0 <= seq < 2**63:
        raise PayloadError("schema", f"{where}.seq: outside 0..2^63-1")
    _text(obj, "run_id", where, 64)
    kind = _choice(obj, "kind", RECORD_KINDS, where)
    if obj.get("historical") is not None:
        _field(obj, "historical", bool, where)
    if obj.get("sig") is not None:
        _text(obj, "sig", where, 64)
    if kind == "result":
        _validate_result(obj, f"{where}(result)")
    else:
        _validate_curve(obj, f"{where}(curve)")


def _validate_result(obj: dict[str, Any], where: str) -> None:
    _text(obj, "task", where, 64)
    _text(obj, "procedure", where, 64)
    started = _number(obj, "started_at", where)
    ended = _number(obj, "ended_at", where)
    assert started is not None and ended is not None
    if ended < started:
        raise PayloadError("schema", f"{where}: ended_at is before started_at")
    _choice(obj, "outcome", RUN_OUTCOMES, where)
    _text(obj, "reason", where)
    for flag in ("interrupted", "marked"):
        if obj.get(flag) is not None:
            _field(obj, flag, bool, where)
    if obj.get("calibrations") is not None:
        cals = _field(obj, "calibrations", list, where)
        if len(cals) > 64 or not all(isinstance(c, str) and 0 < len(c) <= 64 for c in cals):
            raise PayloadError("schema", f"{where}.calibrations: at most 64 ids of 1-64 characters")
    meas = _field(obj, "measurements", list, where)
    if len(meas) > 1000:
        raise PayloadError("schema", f"{where}.measurements: more than 1000 entries")
    seen: set[str] = set()
    for i, m in enumerate(meas):
        mw = f"{where}.measurements[{i}]"
        if not isinstance(m, dict):
            raise PayloadError("schema", f"{mw}: expected an object")
        name = _text(m, "name", mw, 64)
        if name in seen:
            raise PayloadError("schema", f"{mw}: duplicate measurement {name!r}")
        seen.add(name)
        _number(m, "value", mw, optional=True)
        _text(m, "unit", mw, 16)
        _choice(m, "outcome", MEAS_OUTCOMES, mw)
        limits = _field(m, "limits", dict, mw)
        for key in limits:
            if key not in {"low", "high", "marginal_low", "marginal_high"}:
                raise PayloadError("schema", f"{mw}.limits: unknown key {key!r}")
            _number(limits, key, f"{mw}.limits")
        if m.get("reason") is not None:
            _text(m, "reason", mw)
        if m.get("curve") is not None:
            _text(m, "curve", mw, 64)


def _validate_curve(obj: dict[str, Any], where: str) -> None:
    _text(obj, "curve", where, 64)
    chunk = _field(obj, "chunk", int, where)
    if not 0 <= chunk < 2**31:
        raise PayloadError("schema", f"{where}.chunk: outside 0..2^31-1")
    columns = _field(obj, "columns", list, where)
    data = _field(obj, "data", list, where)
    if not 1 <= len(columns) <= 16 or len(columns) != len(data):
        raise PayloadError("schema", f"{where}: 1-16 columns, one data array per column")
    length = None
    for i, (name, col) in enumerate(zip(columns, data, strict=True)):
        if not isinstance(name, str) or not 0 < len(name) <= 32:
            raise PayloadError("schema", f"{where}.columns[{i}]: bad column name {name!r}")
        if not isinstance(col, list) or len(col) > MAX_CURVE_POINTS:
            raise PayloadError(
                "schema", f"{where}.data[{i}]: a list of at most {MAX_CURVE_POINTS} numbers"
            )
        if length is not None and len(col) != length:
            raise PayloadError("schema", f"{where}.data[{i}]: columns differ in length")
        length = len(col)
        for v in col:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise PayloadError("schema", f"{where}.data[{i}]: {v!r} is not a finite number")


def _validate_reply(topic: TopicParts, obj: dict[str, Any]) -> None:
    _check_origin(obj, topic, "reply")
    _text(obj, "cmd_id", "reply", 64)
    _field(obj, "ok", bool, "reply")
    _text(obj, "detail", "reply")


def _validate_ack(topic: TopicParts, obj: dict[str, Any]) -> None:
    _check_origin(obj, topic, "ack")
    _text(obj, "boot_id", "ack", 64)
    seqs = _field(obj, "seqs", list, "ack")
    if len(seqs) > 10_000 or any(isinstance(q, bool) or not isinstance(q, int) for q in seqs):
        raise PayloadError("schema", "ack.seqs: a list of at most 10000 integers")


def _validate_cmd(topic: TopicParts, obj: dict[str, Any]) -> None:
    _check_origin(obj, topic, "cmd")
    _text(obj, "cmd_id", "cmd", 64)
    _choice(obj, "command", COMMANDS, "cmd")
    _field(obj, "args", dict, "cmd")


_VALIDATORS: Final = {
    "status": _validate_status,
    "live": _validate_live,
    "record": _validate_record,
    "reply": _validate_reply,
    "ack": _validate_ack,
    "cmd": _validate_cmd,
}


def parse(
    topic: str, raw: bytes, kinds: tuple[str, ...] = STATION_KINDS
) -> tuple[TopicParts, dict[str, Any]]:
    """Parse and validate one MQTT message on a topic of ``kinds``; raise PayloadError."""
    parts = parse_topic(topic, kinds)
    return parts, validate(parts, decode(raw))
