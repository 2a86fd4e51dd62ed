"""Assessment (certification) sessions: a pinned standard (marking scheme id and the digest of
its content), candidates on benches, assessors and a lead assessor; the same marking engine as
competitions (:mod:`scorer.marking`); results locked by the lead assessor; then certificates.

Measurement aspects are marked from the candidate's run on their bench (its measurements, as a
station or ``benchscore practice`` reports them); judgement aspects from every assessor's
0-3 score (all of them needed). A locked session no longer changes; only a locked session is
certified.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..credentials import issue
from ..credentials.centre import Centre
from ..db import Database
from ..marking import (
    JUDGE_SCORES,
    JUDGES_NEEDED,
    load_scheme,
    mark_judgement,
    mark_measurement,
    round_mark,
)
from .store import TrainingError, _check_id


def create_session(
    db: Database,
    session_id: str,
    title: str,
    scheme_file: str | Path,
    place: str,
    lead: str,
    assessors: list[str],
    candidates: list[dict[str, str]],
    pass_pct: float = 60.0,
) -> dict[str, Any]:
    """A session; ``candidates``: [{id, name, email, bench}]; the lead is one of ``assessors``."""
    _check_id(session_id, "session")
    scheme = load_scheme(scheme_file)
    if len(set(assessors)) < JUDGES_NEEDED:
        raise TrainingError(
            f"session {session_id}: judgement aspects need {JUDGES_NEEDED} assessors"
        )
    if lead not in assessors:
        raise TrainingError(f"session {session_id}: lead assessor {lead!r} is not an assessor")
    if not 0 < pass_pct <= 100:
        raise TrainingError(f"session {session_id}: pass mark {pass_pct} % is not in 0..100")
    benches = [c["bench"] for c in candidates]
    if len(set(benches)) != len(benches):
        raise TrainingError(f"session {session_id}: two candidates on one bench")
    meta = {"pass_pct": pass_pct, "scheme_name": scheme.name}
    with db.transaction() as tx:
        if tx.one("SELECT id FROM assessment_sessions WHERE id = ?", (session_id,)):
            raise TrainingError(f"session {session_id!r} exists already")
        tx.execute(
            "INSERT INTO assessment_sessions (id, title, scheme, scheme_id, scheme_version, place, "
            "lead, assessors, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                title,
                json.dumps({**scheme.to_dict(), "meta": meta}),
                scheme.id,
                scheme.digest[:12],
                place,
                lead,
                json.dumps(assessors),
                time.time(),
            ),
        )
        for c in candidates:
            _check_id(c["id"], "candidate")
            tx.execute(
                "INSERT INTO assessment_candidates (session, candidate, name, email, bench) "
                "VALUES (?, ?, ?, ?, ?)",
                (session_id, c["id"], c["name"], c["email"], c["bench"]),
            )
    return session(db, session_id)


def session(db: Database, session_id: str) -> dict[str, Any]:
    with db.read() as tx:
        row = tx.one("SELECT * FROM assessment_sessions WHERE id = ?", (session_id,))
        cands = tx.all(
            "SELECT * FROM assessment_candidates WHERE session = ? ORDER BY candidate",
            (session_id,),
        )
    if row is None:
        raise TrainingError(f"no assessment session {session_id!r}")
    out = dict(row)
    out["assessors"] = json.loads(row["assessors"])
    out["scheme"] = json.loads(row["scheme"])
    out["candidates"] = {
        c["candidate"]: {
            **dict(c),
            "runs": json.loads(c["runs"]),
            "scores": json.loads(c["scores"]),
            "marks": json.loads(c["marks"]) if c["marks"] else None,
        }
        for c in cands
    }
    return out


def _open(db: Database, session_id: str, candidate: str) -> dict[str, Any]:
    s = session(db, session_id)
    if s["locked_at"] is not None:
        raise TrainingError(f"session {session_id}: results are locked")
    if candidate not in s["candidates"]:
        raise TrainingError(f"session {session_id}: no candidate {candidate!r}")
    return s


def record_run(
    db: Database, session_id: str, candidate: str, module: str, run: dict[str, Any]
) -> None:
    """The candidate's measured run of ``module`` (the latest counts): {measurements, outcome,
    calibrations?, ended_at}."""
    s = _open(db, session_id, candidate)
    runs = s["candidates"][candidate]["runs"]
    runs[module] = run
    with db.transaction() as tx:
        tx.execute(
            "UPDATE assessment_candidates SET runs = ? WHERE session = ? AND candidate = ?",
            (json.dumps(runs), session_id, candidate),
        )


def score(
    db: Database, session_id: str, candidate: str, aspect: str, assessor: str, value: int
) -> None:
    """An assessor's 0-3 score of a judgement aspect."""
    s = _open(db, session_id, candidate)
    if assessor not in s["assessors"]:
        raise TrainingError(f"session {session_id}: {assessor!r} is not an assessor")
    if value not in JUDGE_SCORES:
        raise TrainingError(f"score {value}: must be one of {list(JUDGE_SCORES)}")
    scores = s["candidates"][candidate]["scores"]
    scores.setdefault(aspect, {})[assessor] = value
    with db.transaction() as tx:
        tx.execute(
            "UPDATE assessment_candidates SET scores = ? WHERE session = ? AND candidate = ?",
            (json.dumps(scores), session_id, candidate),
        )


def marks_of(s: dict[str, Any], candidate: str) -> dict[str, Any]:
    """Every aspect's mark for ``candidate`` by the marking engine, per criterion and total."""
    from ..marking import Scheme

    scheme = Scheme.from_dict({k: v for k, v in s["scheme"].items() if k != "meta"})
    c = s["candidates"][candidate]
    aspects = []
    for a in scheme.aspects:
        if a.type == "J":
            got = c["scores"].get(a.id, {})
            m = mark_judgement(a, [got[x] for x in s["assessors"] if x in got])
            if len(got) < len(s["assessors"]):
                m = type(m)(a.id, m.mark, a.max_mark, "pending", m.detail, scores=m.scores)
        else:
            run = c["runs"].get(a.module)
            value = None
            if run is not None:
                value = next(
                    (x.get("value") for x in run["measurements"] if x["name"] == a.measurement),
                    None,
                )
            m = mark_measurement(a, value, has_run=run is not None)
        aspects.append({"aspect": a.id, "sub": a.sub_criterion, **_mark_dict(m)})
    criteria = []  # one result per sub-criterion (the modules and marks on a certificate)
    for cr in scheme.sub_criteria:
        mine = [x for x in aspects if x["sub"] == cr.id]
        criteria.append(
            {
                "id": cr.id,
                "name": cr.name,
                "mark": round_mark(sum(x["mark"] for x in mine)),
                "max_mark": round_mark(sum(x["max_mark"] for x in mine)),
            }
        )
    total = round_mark(sum(x["mark"] for x in aspects))
    pass_mark = round_mark(scheme.max_total * s["scheme"]["meta"]["pass_pct"] / 100)
    return {
        "aspects": aspects,
        "criteria": criteria,
        "total": total,
        "max_total": scheme.max_total,
        "pass_mark": pass_mark,
        "passed": total >= pass_mark,
        "complete": all(x["status"] not in ("pending", "spread") for x in aspects),
    }


def _mark_dict(m: Any) -> dict[str, Any]:
    return {"mark": m.mark, "max_mark": m.max_mark, "status": m.status, "detail": m.detail}


def lock(db: Database, session_id: str, by: str) -> dict[str, Any]:
    """The lead assessor locks the results (every mark final); the marks are stored."""
    s = session(db, session_id)
    if by != s["lead"]:
        raise TrainingError(f"session {session_id}: only the lead assessor {s['lead']} locks")
    if s["locked_at"] is not None:
        raise TrainingError(f"session {session_id}: locked already")
    results = {cid: marks_of(s, cid) for cid in s["candidates"]}
    open_ = [cid for cid, r in results.items() if not r["complete"]]
    if open_:
        raise TrainingError(f"session {session_id}: marks not final for {', '.join(open_)}")
    with db.transaction() as tx:
        for cid, r in results.items():
            tx.execute(
                "UPDATE assessment_candidates SET marks = ? WHERE session = ? AND candidate = ?",
                (json.dumps(r), session_id, cid),
            )
        tx.execute(
            "UPDATE assessment_sessions SET locked_at = ?, locked_by = ? WHERE id = ?",
            (time.time(), by, session_id),
        )
    return session(db, session_id)


def certify(db: Database, session_id: str, centre: Centre, out_dir: Path) -> list[Path]:
    """Issue one credential per candidate of a locked session; write ``<candidate>.json``."""
    s = session(db, session_id)
    if s["locked_at"] is None:
        raise TrainingError(f"session {session_id}: lock the results before certifying")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    now = time.time()
    info = {
        **{k: s[k] for k in ("id", "title", "scheme_id", "scheme_version", "place", "lead")},
        "scheme_name": s["scheme"]["meta"]["scheme_name"],
        "assessed_at": s["created_at"],
        "locked_at": s["locked_at"],
    }
    for cid, c in s["candidates"].items():
        r = c["marks"]
        evidence = [{"name": f"Bench {c['bench']}", "description": "measurement bench used"}]
        for module, run in sorted(c["runs"].items()):
            cals = ", ".join(run.get("calibrations") or []) or "factory calibration"
            evidence.append(
                {
                    "name": f"Run of module {module}",
                    "description": f"outcome {run['outcome']}; calibrations: {cals}",
                }
            )
        with db.transaction() as tx:
            index = int(tx.scalar("SELECT coalesce(max(status_index), -1) + 1 FROM credentials"))
            cred = issue.build(
                centre,
                {**info, "pass_mark": r["pass_mark"]},
                {"name": c["name"], "email": c["email"]},
                r["criteria"],
                evidence,
                status_index=index,
                issued_at=now,
                passed=r["passed"],
                total=r["total"],
                max_total=r["max_total"],
            )
            body = issue.file_bytes(cred)
            tx.execute(
                "INSERT INTO credentials (id, session, candidate, status_index, issued_at, body) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (cred["id"], session_id, cid, index, now, body.decode("utf-8")),
            )
        path = out_dir / f"{session_id}-{cid}.json"
        path.write_bytes(body)
        paths.append(path)
    return paths


def revoke(db: Database, credential_id: str, by: str, reason: str) -> None:
    if not reason.strip():
        raise TrainingError("revoking a credential needs a reason")
    with db.transaction() as tx:
        row = tx.one("SELECT revoked_at FROM credentials WHERE id = ?", (credential_id,))
        if row is None:
            raise TrainingError(f"no credential {credential_id!r}")
        if row["revoked_at"] is not None:
            raise TrainingError(f"credential {credential_id} is revoked already")
        tx.execute(
            "UPDATE credentials SET revoked_at = ?, revoked_by = ?, reason = ? WHERE id = ?",
            (time.time(), by, reason, credential_id),
        )


def revoked_indexes(db: Database) -> list[int]:
    with db.read() as tx:
        rows = tx.all("SELECT status_index FROM credentials WHERE revoked_at IS NOT NULL")
    return [int(r["status_index"]) for r in rows]


def credentials_of(db: Database, email: str) -> list[dict[str, Any]]:
    """Every credential issued to the candidate with this e-mail (for the skill record)."""
    with db.read() as tx:
        rows = tx.all(
            "SELECT c.body FROM credentials c JOIN assessment_candidates a "
            "ON a.session = c.session AND a.candidate = c.candidate "
            "WHERE lower(a.email) = lower(?) ORDER BY c.issued_at, c.id",
            (email,),
        )
    return [json.loads(r["body"]) for r in rows]
