"""The payload decoder: orjson's fast path and the standard decoder agree on every verdict.

``protocol.decode`` parses with orjson (when installed: the scorer's extra) and hands a payload
to the standard library's decoder when orjson refuses it (so the reason and detail are the same
as always) or when it holds 19 digits in a row (an integer orjson might turn into a float)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchscore import protocol
from benchscore.protocol import PayloadError


@pytest.fixture(autouse=True, params=["orjson", "json only"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with orjson and as on a station without it (the standard decoder)."""
    assert protocol._fast_loads is not None, "orjson is in the scorer extra"
    if request.param == "json only":
        monkeypatch.setattr(protocol, "_fast_loads", None)
    return str(request.param)


def _std(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"schema":2,"v":[1.5,-0.0,1e-300,2.2250738585072014e-308,0.1,3]}',
        b'{"schema":2,"a":1,"a":2}',  # a repeated key: the last one counts, as in json
        b'{"schema":2,"s":"\\u00e9\\n","t":"\xc3\xa9"}',
        # 18 digits: the fast path; 19 and more: the standard decoder, exact integers
        b'{"schema":2,"seq":999999999999999999}',
        b'{"schema":2,"seq":9223372036854775807}',
        b'{"schema":2,"seq":-9223372036854775809}',
        b'{"schema":2,"seq":18446744073709551616}',
        b'{"schema":2,"seq":123456789012345678901234567890}',
    ],
)
def test_same_object_as_the_standard_decoder(raw: bytes) -> None:
    got = protocol.decode(raw)
    want = _std(raw)
    assert got == want
    assert [type(v) for v in got.values()] == [type(v) for v in want.values()]


def test_integers_past_64_bits_stay_exact_integers() -> None:
    for value in (2**63, -(2**63) - 1, 2**64, 10**30):
        got = protocol.decode(b'{"schema":2,"seq":%d}' % value)["seq"]
        assert got == value and type(got) is int


def test_a_seq_past_64_bits_is_refused_as_out_of_range_not_as_a_float() -> None:
    record = {
        "schema": 2,
        "type": "record",
        "event": "ev",
        "station": "st01",
        "boot_id": "b1",
        "seq": 2**64,
        "run_id": "r",
        "kind": "curve",
        "curve": "c",
        "chunk": 0,
        "columns": ["t"],
        "data": [[0.0]],
    }
    with pytest.raises(PayloadError) as err:
        protocol.parse("benchscore/v1/ev/st01/record", json.dumps(record).encode())
    assert err.value.reason == "schema"
    assert "outside 0..2^63-1" in err.value.detail


@pytest.mark.parametrize(
    "raw,reason,detail",
    [
        (b'{"schema":2,"x":NaN}', "malformed", "NaN is not allowed"),
        (b'{"schema":2,"x":-Infinity}', "malformed", "-Infinity is not allowed"),
        (b'{"schema":2,"x":[1,2}', "malformed", "not UTF-8 JSON"),
        (b'{"schema":2,"x":"\xff"}', "malformed", "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "malformed", "nested too deeply"),
        (b"null", "malformed", "got NoneType"),
        (b'"text"', "malformed", "got str"),
        (b'{"schema":1}', "unsupported", "schema 1"),
        (b'{"schema":"2"}', "unsupported", "schema '2'"),
    ],
)
def test_refusals_name_what_is_wrong(raw: bytes, reason: str, detail: str) -> None:
    with pytest.raises(PayloadError) as err:
        protocol.decode(raw)
    assert err.value.reason == reason
    assert detail in err.value.detail


def test_a_lone_surrogate_decodes_as_the_standard_decoder_does() -> None:
    # orjson refuses it; the standard decoder keeps it (the ingest's own checks decide)
    assert protocol.decode(b'{"schema":2,"s":"\\ud800"}')["s"] == "\ud800"


def test_a_float_past_the_range_decodes_to_infinity_for_the_validator_to_refuse() -> None:
    # orjson refuses 1e400; the standard decoder makes it inf, and the validator names it
    assert protocol.decode(b'{"schema":2,"x":1e400}')["x"] == float("inf")
