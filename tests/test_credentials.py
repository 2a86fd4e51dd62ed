"""Assessment -> lock -> certificates: an assessment session with two candidates on simulated
benches is marked by the marking engine, locked by the lead assessor and certified; each Open
Badges 3.0 credential verifies with ``benchscore verify``, validates against the official OB 3.0
JSON schema (vendored in tests/schemas), and fails with a one-line reason when any byte changes,
when it is revoked in the signed status list, or when the issuer key is not the pinned one."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from benchscore.vc import statuslist
from benchscore.vc.multikey import did_of
from benchscore.vc.verify import VerificationFailed, verify_document
from scorer.credentials.centre import Centre
from scorer.credentials.record import skill_record
from scorer.credentials.status import status_list_credential
from scorer.store import Store
from scorer.training import assessment as asm
from scorer.training.practice import run_attempt
from scorer.training.store import TrainingError

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "tests" / "schemas" / "ob_v3p0_achievementcredential_schema.json"
STANDARD = REPO / "config" / "standards" / "led-module-l3.toml"
ASSESSORS = ["lead1", "asr2", "asr3"]


def verify_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchscore", "verify", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("cert")
    store = Store(tmp / "scorer.db")
    db = store.db
    asm.create_session(
        db,
        "s2026-12",
        "December practical",
        STANDARD,
        "Training base, hall 2",
        "lead1",
        ASSESSORS,
        [
            {"id": "K01", "name": "Li Wei", "email": "li.wei@example.org", "bench": "b01"},
            {"id": "K02", "name": "Amira Haddad", "email": "amira@example.org", "bench": "b02"},
        ],
    )
    good = run_attempt("led_assembly", "none", time_taken_s=3000)
    bad = run_attempt("led_assembly", "open_led", time_taken_s=3300)
    asm.record_run(db, "s2026-12", "K01", "led", good.to_dict())
    asm.record_run(db, "s2026-12", "K02", "led", bad.to_dict())
    for cid, s in (("K01", 3), ("K02", 2)):
        for who in ASSESSORS[:2]:
            asm.score(db, "s2026-12", cid, "A3.1", who, s)
            asm.score(db, "s2026-12", cid, "A3.2", who, s)
    with pytest.raises(TrainingError, match="not final"):  # the third assessor has not scored
        asm.lock(db, "s2026-12", "lead1")
    for cid, s in (("K01", 3), ("K02", 2)):
        asm.score(db, "s2026-12", cid, "A3.1", "asr3", s)
        asm.score(db, "s2026-12", cid, "A3.2", "asr3", s)
    with pytest.raises(TrainingError, match="only the lead"):
        asm.lock(db, "s2026-12", "asr2")
    with pytest.raises(TrainingError, match="lock the results"):
        asm.certify(db, "s2026-12", Centre.open(tmp / "centre.key", "c", "https://x"), tmp)
    asm.lock(db, "s2026-12", "lead1")
    with pytest.raises(TrainingError, match="locked"):
        asm.score(db, "s2026-12", "K01", "A3.1", "asr3", 0)
    centre = Centre.open(tmp / "centre.key", "Example Skills Centre", "https://certs.example.org")
    paths = asm.certify(db, "s2026-12", centre, tmp / "out")
    (tmp / "centre.pub").write_text(did_of(centre.identity.public.raw) + "\n")
    status = tmp / "status.json"
    status.write_text(json.dumps(status_list_credential(centre, asm.revoked_indexes(db), 1e9)))
    yield {
        "tmp": tmp,
        "db": db,
        "centre": centre,
        "paths": paths,
        "status": status,
        "session": asm.session(db, "s2026-12"),
    }
    store.close()


def test_marks_come_from_the_marking_engine(issued: dict[str, Any]) -> None:
    c = issued["session"]["candidates"]
    k1, k2 = c["K01"]["marks"], c["K02"]["marks"]
    # K01: every measurement in its full band + judgements 3/3 -> 10 of 10
    assert k1["total"] == 10.0 and k1["passed"]
    # K02: an open LED: current 0.199 A, power 2.39 W, 1909 lx -> zero on those; 11.99 V full (1)
    a = {x["aspect"]: x["mark"] for x in k2["aspects"]}
    assert a == {"A1.1": 0.0, "A1.2": 1.0, "A1.3": 0.0, "A2.1": 0.0, "A3.1": 1.33, "A3.2": 0.67}
    assert k2["total"] == 3.0 and k2["pass_mark"] == 6.0 and not k2["passed"]


def test_pass_mark_edge() -> None:
    three = {"a": 3, "b": 3, "c": 3}
    s: dict[str, Any] = {
        "scheme": {**_scheme_dict(), "meta": {"pass_pct": 50.0, "scheme_name": "x"}},
        "assessors": ["a", "b", "c"],
        "candidates": {"K": {"runs": {}, "scores": {"A3.1": three, "A3.2": three}}},
    }
    r = asm.marks_of(s, "K")  # 2 + 1 of 10 by judgement; no run: zero on every measurement
    assert r["total"] == 3.0 and not r["passed"]
    s["scheme"]["meta"]["pass_pct"] = 30.0  # exactly at the pass mark: passes
    assert asm.marks_of(s, "K")["passed"]


def _scheme_dict() -> dict[str, Any]:
    from scorer.marking import load_scheme

    return load_scheme(STANDARD).to_dict()


def test_each_credential_verifies_and_matches_the_schema(issued: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft201909Validator(schema)
    for path in issued["paths"]:
        doc = json.loads(path.read_bytes())
        errors = sorted(validator.iter_errors(doc), key=str)
        assert not errors, errors[0].message
        sub = doc["credentialSubject"]
        assert sub["achievement"]["humanCode"] == "led-module-l3"
        assert sub["achievement"]["version"] == issued["session"]["scheme_version"]
        assert [r["value"] for r in sub["result"]][-1] in ("10", "3")
        got = verify_cli(
            str(path),
            "--issuer-key",
            str(issued["tmp"] / "centre.pub"),
            "--status-list",
            str(issued["status"]),
        )
        assert got.returncode == 0, got.stderr
        assert got.stdout.startswith("VALID urn:uuid:") and "not revoked" in got.stdout
    # the schema is really applied: a credential without validFrom is refused by it
    bad = json.loads(issued["paths"][0].read_bytes())
    del bad["validFrom"]
    assert any("validFrom" in e.message for e in validator.iter_errors(bad))


def test_any_changed_byte_fails(issued: dict[str, Any]) -> None:
    data = issued["paths"][0].read_bytes()
    verify_document(json.loads(data))
    passed = []
    for i in range(len(data)):
        changed = bytearray(data)
        changed[i] ^= 0x01
        try:
            verify_document(json.loads(bytes(changed)))
        except (VerificationFailed, ValueError):
            continue
        passed.append(i)
    assert passed == [], f"{len(passed)} changed bytes still verify, first at {passed[:3]}"
    # the command names the reason in one line
    mutated = issued["tmp"] / "mutated.json"
    mutated.write_bytes(data.replace(b'"value":"10"', b'"value":"11"', 1))
    got = verify_cli(str(mutated))
    assert got.returncode == 1 and got.stdout == ""
    assert got.stderr.count("\n") == 1 and "signature does not match the content" in got.stderr


def test_revoked_credential_fails_and_the_other_stays_valid(issued: dict[str, Any]) -> None:
    db, centre = issued["db"], issued["centre"]
    first, second = (json.loads(p.read_bytes()) for p in issued["paths"])
    asm.revoke(db, first["id"], "lead1", "identity fraud found after the session")
    with pytest.raises(TrainingError, match="already"):
        asm.revoke(db, first["id"], "lead1", "again")
    fresh = issued["tmp"] / "status-2.json"
    fresh.write_text(json.dumps(status_list_credential(centre, asm.revoked_indexes(db), 2e9)))
    got = verify_cli(str(issued["paths"][0]), "--status-list", str(fresh))
    assert got.returncode == 1
    assert "revoked: the issuer's status list of 2033-05-18T03:33:20Z marks entry 0" in got.stderr
    assert verify_cli(str(issued["paths"][1]), "--status-list", str(fresh)).returncode == 0
    # a status list signed by someone else is refused, not believed
    other = Centre.open(issued["tmp"] / "other.key", "Other", "https://certs.example.org")
    forged = issued["tmp"] / "forged.json"
    forged.write_text(json.dumps(status_list_credential(other, [], 2e9)))
    got = verify_cli(str(issued["paths"][0]), "--status-list", str(forged))
    assert got.returncode == 1 and "not the credential issuer's" in got.stderr
    bits = statuslist.decode(json.loads(fresh.read_text())["credentialSubject"]["encodedList"])
    assert statuslist.is_set(bits, int(first["credentialStatus"]["statusListIndex"]))
    assert not statuslist.is_set(bits, int(second["credentialStatus"]["statusListIndex"]))


def test_pinned_key_and_bad_input(issued: dict[str, Any], tmp_path: Path) -> None:
    other = Centre.open(tmp_path / "o.key", "Other", "https://o.example")
    (tmp_path / "o.pub").write_text(other.identity.public.hex)
    got = verify_cli(str(issued["paths"][1]), "--issuer-key", str(tmp_path / "o.pub"))
    assert got.returncode == 1 and "is not the pinned issuer key" in got.stderr
    (tmp_path / "junk.json").write_text("{not json")
    got = verify_cli(str(tmp_path / "junk.json"))
    assert got.returncode == 2 and "is not JSON" in got.stderr and "Traceback" not in got.stderr
    got = verify_cli(str(tmp_path / "missing.json"))
    assert got.returncode == 2 and got.stderr.count("\n") == 1


def test_skill_record_bundles_and_verifies(issued: dict[str, Any]) -> None:
    creds = asm.credentials_of(issued["db"], "AMIRA@example.org")
    assert len(creds) == 1
    vp = skill_record(issued["centre"], creds, 1.9e9)
    assert len(verify_document(vp)) == 1
    vp["verifiableCredential"][0]["name"] = "Something else"
    with pytest.raises(VerificationFailed, match="presentation: signature does not match"):
        verify_document(vp)


def test_printable_certificate_points_to_the_credential(issued: dict[str, Any]) -> None:
    from scorer.console.certificate import (
        certificate_html,
        certificate_pdf,
        credential_url,
        qr_svg,
    )
    from scorer.console.report import chromium_binary

    path = issued["paths"][0]
    body = path.read_bytes()
    doc = json.loads(body)
    url = credential_url("https://certs.example.org", doc["id"])
    assert url == "https://certs.example.org/credentials/" + doc["id"].removeprefix("urn:uuid:")
    html = certificate_html(doc, body, "https://certs.example.org")
    assert qr_svg(url) in html and "Li Wei" in html and "led-module-l3" in html
    assert hashlib.sha256(body).hexdigest() in html and "Bench b01" in html
    assert "certifies that" in html and 'dir="ltr"' in html
    zh = certificate_html(doc, body, "https://certs.example.org", "zh")
    assert "兹证明" in zh and "certifies that" not in zh and "Marks" not in zh
    assert "Li Wei" in zh and qr_svg(url) in zh  # what the credential states stays as stated
    ar = certificate_html(doc, body, "https://certs.example.org", "ar")
    assert 'dir="rtl"' in ar and "يشهد بأنّ" in ar and "certifies that" not in ar
    if chromium_binary() is None:
        pytest.skip("needs chromium for the PDF")
    (REPO / "tests" / "artifacts").mkdir(exist_ok=True)
    for lang in ("en", "zh", "ar"):
        pdf = certificate_pdf(doc, body, "https://certs.example.org", lang=lang)
        assert pdf.startswith(b"%PDF") and len(pdf) > 5000
        name = "certificate-K01.pdf" if lang == "en" else f"certificate-K01-{lang}.pdf"
        (REPO / "tests" / "artifacts" / name).write_bytes(pdf)


def test_the_same_flow_on_postgresql(tmp_path: Path) -> None:
    """Trainees, attempts, a session, certificates and a revocation on PostgreSQL (the runs
    are given: the marking and the SQL are under test here, not the bench)."""
    from tests.test_storage import fresh_postgres_database

    ok = {"name": "current_a", "value": 0.30, "unit": "A", "outcome": "pass"}
    run = {
        "task": "led-module-a",
        "fault": "none",
        "started_at": 1.0,
        "ended_at": 2.0,
        "time_taken_s": 1.0,
        "outcome": "pass",
        "measurements": [ok, {**ok, "name": "illuminance_lx", "value": 3300.0, "unit": "lx"}],
    }
    with fresh_postgres_database() as url:
        store = Store(url)
        db = store.db
        from scorer.training import store as tr

        tr.add_group(db, "g", "G", "coach", "led-module-a")
        tr.add_trainee(db, "mei", "Mei", "g")
        assert tr.add_attempt(db, "mei", run) == 1 and tr.attempts_of(db, "mei")[0]["n"] == 1
        people = [
            {"id": "K01", "name": "Ana", "email": "Ana@x.org", "bench": "b1"},
            {"id": "K02", "name": "Bo", "email": "bo@x.org", "bench": "b2"},
        ]
        asm.create_session(db, "s1", "T", STANDARD, "P", "a1", ["a1", "a2", "a3"], people)
        for cid in ("K01", "K02"):
            asm.record_run(db, "s1", cid, "led", run)
            for who in ("a1", "a2", "a3"):
                asm.score(db, "s1", cid, "A3.1", who, 3)
                asm.score(db, "s1", cid, "A3.2", who, 3)
        marks = asm.lock(db, "s1", "a1")["candidates"]["K01"]["marks"]
        # current 0.30 A full (2), no voltage/power reading (0), 3300 lx partial (1.5), 2 + 1
        assert marks["total"] == 6.5 and marks["passed"]
        centre = Centre.open(tmp_path / "c.key", "C", "https://c.example")
        paths = asm.certify(db, "s1", centre, tmp_path / "out")
        first = json.loads(paths[0].read_bytes())
        assert [
            json.loads(p.read_bytes())["credentialStatus"]["statusListIndex"] for p in paths
        ] == [
            "0",
            "1",
        ]
        asm.revoke(db, first["id"], "a1", "wrong candidate")
        assert asm.revoked_indexes(db) == [0]
        assert len(asm.credentials_of(db, "ana@X.org")) == 1
        with pytest.raises(VerificationFailed, match="revoked"):
            verify_document(first, status_list=status_list_credential(centre, [0], 2e9))
        store.close()
