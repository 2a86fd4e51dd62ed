"""Wire protocol: topics (``benchscore/v1/...``), payload builders and validators shared by
station and scorer.

``docs/PROTOCOL.md`` is the human description of what this module enforces. Every payload is a
JSON object with ``"schema": 2`` and a ``"type"``; signatures are :mod:`benchscore.signing`'s.
Validation never trusts the payload: each failure raises :class:`PayloadError` carrying a
short machine ``reason`` and a detail that names the offending field.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

_fast_loads: Callable[[bytes], Any] | None
try:  # the scorer's extra installs it; a station decodes only small acks and commands
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - a station without orjson
    _fast_loads = None

SCHEMA_VERSION: Final = 2
ROOT: Final = "benchscore"
PROTOCOL: Final = "v1"
MAX_PAYLOAD_BYTES: Final = 256 * 1024
"""Largest payload the scorer accepts; anything longer is rejected as ``oversized``."""
LIVE_EXPIRY_S: Final = 10
"""MQTT 5 message expiry of live samples: a judge never sees a stale value."""

ID_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
STATION_STATES: Final = frozenset(
    {"idle", "ready", "running", "done", "fault", "offline", "unadopted"}
)
ADOPT_EVENT: Final = "_adopt"
"""The event level of the adoption topics: ``benchscore/v1/_adopt/<kid>/<hello|adopt>``
(an event id starts with a letter or digit, so it can never be this)."""
ADOPT_PREFIX: Final = f"{ROOT}/{PROTOCOL}/{ADOPT_EVENT}/"
AUDIT_TOPIC: Final = f"{ROOT}/{PROTOCOL}/_scorer/audit"
"""Retained, signed by the scorer key: the head of the console's audit chain, so a rewrite of
the database cannot also rewrite what every subscriber has seen."""
KID_RE: Final = re.compile(r"^[0-9a-f]{16}$")
CMD_MAX_AGE_S: Final = 120.0
"""Longest life the scorer gives a command (``exp - iat``); stations refuse longer ones."""
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
COMMANDS: Final = frozenset(
    {"start", "abort", "arm", "self_check", "set_time_limit", "rebirth", "answer"}
)
PROMPT_KINDS: Final = frozenset({"instruction", "yes_no", "number"})
"""What an operator prompt asks: ``done`` to an instruction, yes or no, or a number."""
ANSWER_SOURCES: Final = frozenset({"touchscreen", "button", "judge", "timeout", "aborted"})
"""Who answered a prompt (``timeout``: nobody, the default was taken; ``aborted``: the run
ended first)."""
CODE_RE: Final = re.compile(r"^[a-z0-9_.]{1,64}$")
MEAS_OPTIONAL_NUMBERS: Final = {"u": 0.0}
"""Optional numbers of a measurement and their least value (``u``: expanded uncertainty,
k = 2, in the measurement's unit)."""
MAX_CURVE_POINTS: Final = 5000
"""Most samples per column in one curve chunk."""


def subscription(event: str = "+") -> list[str]:
    """Topic filters the scorer subscribes to (all stations of ``event``)."""
    return [f"{ROOT}/{PROTOCOL}/{event}/+/{kind}" for kind in STATION_KINDS]


def adopt_topic(kid: str, kind: str) -> str:
    """``benchscore/v1/_adopt/<kid>/hello`` (station) or ``.../adopt`` (scorer, retained)."""
    assert kind in ("hello", "adopt"), kind
    if not KID_RE.match(kid):
        raise ValueError(f"key id {kid!r} must be 16 lowercase hex characters")
    return f"{ROOT}/{PROTOCOL}/{ADOPT_EVENT}/{kid}/{kind}"


def adopt_subscription(kind: str) -> str:
    """The filter for every station's adoption ``hello`` (scorer) or ``adopt`` messages."""
    return f"{ROOT}/{PROTOCOL}/{ADOPT_EVENT}/+/{kind}"


def parse_adopt_topic(topic: str, kind: str) -> str:
    """The key id of an adoption topic of ``kind``; PayloadError('unknown_topic') otherwise."""
    parts = topic.split("/")
    if (
        len(parts) != 5
        or parts[:3] != [ROOT, PROTOCOL, ADOPT_EVENT]
        or parts[4] != kind
        or not KID_RE.match(parts[3])
    ):
        raise PayloadError("unknown_topic", f"topic {topic!r} is not an adoption {kind} topic")
    return parts[3]


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
    obj: Any = None
    if _fast_loads is not None and _NINETEEN_NINES not in raw.translate(_DIGITS_TO_NINE):
        # on an error the standard decoder below names what is wrong, the same way as always
        with contextlib.suppress(ValueError):
            obj = _fast_loads(raw)
    if obj is None:
        obj = _decode_std(raw)
    if not isinstance(obj, dict):
        raise PayloadError("malformed", f"expected a JSON object, got {type(obj).__name__}")
    schema = obj.get("schema")
    if schema != SCHEMA_VERSION:
        raise PayloadError("unsupported", f"schema {schema!r}; this scorer speaks {SCHEMA_VERSION}")
    return obj


_DIGITS_TO_NINE: Final = bytes.maketrans(b"012345678", b"999999999")
_NINETEEN_NINES: Final = b"9" * 19
"""19 digits in a row (found with one translate and one substring search, both in C) may be an
integer that orjson turns into a float (past 64 bits): such a payload (none of benchscore's
own) goes to the standard decoder, which keeps Python's exact integers."""


def _decode_std(raw: bytes) -> Any:
    """The standard library's decoder: NaN and Infinity refused, errors named."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise PayloadError("malformed", f"not UTF-8 JSON: {exc}") from None
    except RecursionError:
        raise PayloadError("malformed", "JSON nested too deeply") from None


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
    _check_signature_fields(obj, kind)
    _VALIDATORS[kind](topic, obj)
    return obj


def _check_signature_fields(obj: dict[str, Any], where: str) -> None:
    """``kid`` and ``sig`` are optional here (whether one is required is the verifier's call)."""
    if obj.get("kid") is not None:
        kid = _text(obj, "kid", where, 16)
        if not KID_RE.match(kid):
            raise PayloadError("schema", f"{where}.kid: 16 lowercase hex characters")
    if obj.get("sig") is not None:
        _text(obj, "sig", where, 128)


def _validate_status(topic: TopicParts, obj: dict[str, Any]) -> None:
    _check_origin(obj, topic, "status")
    _field(obj, "online", bool, "status")
    _choice(obj, "state", STATION_STATES, "status")
    _text(obj, "boot_id", "status", 64)
    if obj.get("reason") is not None:
        _text(obj, "reason", "status")
    _reason_code(obj, "status")
    if obj.get("prompt") is not None:
        _prompt(_field(obj, "prompt", dict, "status"), "status.prompt", asked=True)


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
    _reason_code(obj, where)
    if obj.get("prompts") is not None:
        prompts = _field(obj, "prompts", list, where)
        if len(prompts) > 32:
            raise PayloadError("schema", f"{where}.prompts: more than 32 prompts")
        for i, pr in enumerate(prompts):
            if not isinstance(pr, dict):
                raise PayloadError("schema", f"{where}.prompts[{i}]: expected an object")
            _prompt(pr, f"{where}.prompts[{i}]", asked=False)
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
        _reason_code(m, mw)
        for key, least in MEAS_OPTIONAL_NUMBERS.items():
            number = _number(m, key, mw, optional=True)
            if number is not None and number < least:
                raise PayloadError("schema", f"{mw}.{key}: below {least:g}")


def _reason_code(obj: dict[str, Any], where: str) -> None:
    """Optional ``code`` (a message id) and ``params`` (at most 16 names of numbers, short
    texts or booleans) of a reason a reader's screen renders in its language."""
    if obj.get("code") is not None:
        code = _text(obj, "code", where, 64)
        if not CODE_RE.match(code):
            raise PayloadError("schema", f"{where}.code: lowercase letters, digits, '_', '.'")
    if obj.get("params") is not None:
        params = _field(obj, "params", dict, where)
        if len(params) > 16:
            raise PayloadError("schema", f"{where}.params: more than 16 parameters")
        for name, value in params.items():
            if not isinstance(name, str) or not 0 < len(name) <= 32:
                raise PayloadError("schema", f"{where}.params: bad name {name!r}")
            if isinstance(value, str):
                _text(params, name, f"{where}.params", 200)
            elif not isinstance(value, bool):
                _number(params, name, f"{where}.params")


def _answer_value(obj: dict[str, Any], key: str, where: str) -> None:
    """A prompt's answer or default: true/false, a finite number, or null."""
    value = obj.get(key)
    if value is not None and not isinstance(value, bool):
        _number(obj, key, where)


def _prompt(obj: dict[str, Any], where: str, *, asked: bool) -> None:
    """An operator prompt: pending in a status (``asked``), answered in a result record."""
    _text(obj, "id", where, 64)
    _choice(obj, "kind", PROMPT_KINDS, where)
    _text(obj, "text", where)
    _reason_code(obj, where)
    _number(obj, "asked_at", where)
    _number(obj, "timeout_s", where, optional=True)
    _answer_value(obj, "default", where)
    for key in ("min", "max"):
        _number(obj, key, where, optional=True)
    if asked:
        return
    _choice(obj, "by", ANSWER_SOURCES, where)
    _number(obj, "answered_at", where)
    _answer_value(obj, "value", where)
    if obj.get("judge") is not None:
        _text(obj, "judge", where, 64)


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
        _check_column(col, f"{where}.data[{i}]")


_NUMBER_TYPES: Final = frozenset({int, float})


def _check_column(col: list[Any], where: str) -> None:
    """Every value a finite number, not a boolean: one check of the set of types and one
    vectorised finiteness check for the whole column (a chunk holds thousands of values); only
    a column that fails is walked, to name its first bad value."""
    if set(map(type, col)) <= _NUMBER_TYPES:
        try:
            if np.isfinite(np.asarray(col, dtype=np.float64)).all():
                return
        except OverflowError:  # an integer past the float range
            pass
    for v in col:
        try:
            ok = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
        except OverflowError:
            ok = False
        if not ok:
            raise PayloadError("schema", f"{where}: {v!r} is not a finite number")


def _validate_reply(topic: TopicParts, obj: dict[str, Any]) -> None:
    _check_origin(obj, topic, "reply")
    _text(obj, "cmd_id", "reply", 64)
    _field(obj, "ok", bool, "reply")
    _text(obj, "detail", "reply")


def ack_payload(event: str, station: str, boot_id: str, seqs: list[int]) -> dict[str, Any]:
    """The scorer's ``ack`` for records ``seqs`` of ``boot_id`` (to be signed before sending)."""
    return {
        "schema": SCHEMA_VERSION,
        "type": "ack",
        "event": event,
        "station": station,
        "boot_id": boot_id,
        "seqs": seqs,
    }


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
    iat = _number(obj, "iat", "cmd")
    exp = _number(obj, "exp", "cmd")
    assert iat is not None and exp is not None
    if not 0 < exp - iat <= CMD_MAX_AGE_S:
        raise PayloadError("schema", f"cmd: exp - iat must be 0..{CMD_MAX_AGE_S:.0f} s")


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


# -- adoption ------------------------------------------------------------------------------
MAX_TASK_TOML: Final = 64 * 1024
HEX64_RE: Final = re.compile(r"^[0-9a-f]{64}$")


def _hex_key(obj: dict[str, Any], key: str, where: str) -> str:
    value = _text(obj, key, where, 64)
    if not HEX64_RE.match(value):
        raise PayloadError("schema", f"{where}.{key}: 64 lowercase hex characters")
    return value


def validate_hello(kid: str, obj: dict[str, Any]) -> dict[str, Any]:
    """An unadopted station's announcement on ``_adopt/<kid>/hello``."""
    where = "hello"
    if _field(obj, "type", str, where) != "hello":
        raise PayloadError("wrong_topic", "not a hello payload on a hello topic")
    _check_signature_fields(obj, where)
    _hex_key(obj, "pubkey", where)
    _text(obj, "code", where, 9)
    for key, limit in (("serial", 64), ("mac", 32), ("model", 100), ("sw", 32)):
        _text(obj, key, where, limit)
    _number(obj, "ts", where)
    procs = _field(obj, "procedures", list, where)
    if len(procs) > 64 or not all(isinstance(p, str) and 0 < len(p) <= 64 for p in procs):
        raise PayloadError("schema", f"{where}.procedures: at most 64 names of 1-64 characters")
    if obj.get("kid") != kid:
        raise PayloadError("wrong_topic", f"{where}: kid differs from the topic's {kid}")
    return obj


def validate_adopt(kid: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The scorer's adoption of the station with key ``kid`` (retained on ``.../adopt``)."""
    where = "adopt"
    if _field(obj, "type", str, where) != "adopt":
        raise PayloadError("wrong_topic", "not an adopt payload on an adopt topic")
    _check_signature_fields(obj, where)
    if _text(obj, "station_kid", where, 16) != kid:
        raise PayloadError("wrong_topic", f"{where}: station_kid differs from the topic's {kid}")
    _ident(obj, "station", where)
    _ident(obj, "event", where)
    _hex_key(obj, "scorer_pubkey", where)
    _text(obj, "adoption_id", where, 64)
    _number(obj, "iat", where)
    task = _field(obj, "task", dict, where)
    _ident(task, "id", f"{where}.task")
    _text(task, "procedure", f"{where}.task", 64)
    _text(task, "toml", f"{where}.task", MAX_TASK_TOML)
    broker = obj.get("broker")
    if broker is not None:
        if not isinstance(broker, dict):
            raise PayloadError("schema", f"{where}.broker: expected an object or null")
        _text(broker, "username", f"{where}.broker", 64)
        _text(broker, "client_id", f"{where}.broker", 64)
        _text(broker, "password_sealed", f"{where}.broker", 512)
    for key in ("calibrations", "counters"):
        if obj.get(key) is not None:
            _field(obj, key, dict, where)
    return obj
