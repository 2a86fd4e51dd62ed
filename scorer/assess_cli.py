"""``benchscore assess``: a certification centre's sessions from the scorer host's shell, and
``benchscore training``: groups and trainees.

    benchscore assess create S1 --standard config/standards/led-module-l3.toml --title T \\
        --place P --lead A1 --assessors A1,A2,A3 --candidates cands.csv --config scorer.toml
    benchscore assess run S1 K01 --module led --config ...   (the bench's latest stored run;
        --simulate TASK [--fault F] measures on a simulated bench instead)
    benchscore assess score S1 K01 A3.1 --assessor A2 --score 3 --config ...
    benchscore assess show S1 | lock S1 --by A1 | certify S1 --out DIR [--pdf]
    benchscore assess revoke URN --by A1 --reason ... | status-list --out F | key
    benchscore assess record EMAIL --out F      (the skill record: a signed presentation)
    benchscore training group G --name N --trainer U --task T [--limit S] [--target S]
    benchscore training trainee U --name N --group G

``cands.csv`` has the columns id, name, email, bench. Certificates need ``[credentials]
centre_key`` in the scorer's config (the centre's own key, not the scorer's wire key).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from typing import Any

from benchscore.argtypes import positive
from benchscore.errors import UserError

from .console.i18n import LANGS


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    a = sub.add_parser("assess", help="certification: sessions, marks, lock, certificates")
    s = a.add_subparsers(dest="assess_command", required=True)

    def cmd(name: str, text: str) -> argparse.ArgumentParser:
        p = s.add_parser(name, help=text)
        p.add_argument("--config", required=True, help="scorer TOML file")
        return p

    p = cmd("create", "an assessment session pinning a standard")
    p.add_argument("session")
    p.add_argument("--standard", required=True, help="marking scheme TOML (the standard)")
    p.add_argument("--title", required=True)
    p.add_argument("--place", required=True)
    p.add_argument("--lead", required=True, help="the lead assessor (locks the results)")
    p.add_argument("--assessors", required=True, help="comma-separated, the lead included")
    p.add_argument("--candidates", required=True, help="CSV: id,name,email,bench")
    p.add_argument("--pass-pct", type=positive, default=60.0, help="pass mark in %% (60)")
    p = cmd("run", "record a candidate's measured run")
    p.add_argument("session")
    p.add_argument("candidate")
    p.add_argument("--module", required=True)
    p.add_argument("--simulate", metavar="TASK", help="measure on a simulated bench")
    p.add_argument("--fault", default="none")
    p = cmd("score", "an assessor's 0-3 score of a judgement aspect")
    p.add_argument("session")
    p.add_argument("candidate")
    p.add_argument("aspect")
    p.add_argument("--assessor", required=True)
    p.add_argument("--score", type=int, required=True)
    cmd("show", "marks of every candidate").add_argument("session")
    p = cmd("lock", "the lead assessor locks the results")
    p.add_argument("session")
    p.add_argument("--by", required=True)
    p = cmd("certify", "issue the credentials of a locked session")
    p.add_argument("session")
    p.add_argument("--out", required=True, help="directory for the credential files")
    p.add_argument("--pdf", action="store_true", help="also the printable certificates")
    p.add_argument(
        "--lang", default="en", choices=LANGS, help="the printable certificates' language (en)"
    )
    p = cmd("revoke", "revoke a credential (the next status list marks it)")
    p.add_argument("credential", help="its id, urn:uuid:...")
    p.add_argument("--by", required=True)
    p.add_argument("--reason", required=True)
    cmd("status-list", "write the signed status list").add_argument("--out", required=True)
    cmd("key", "print the centre's public key (did:key) for --issuer-key")
    p = cmd("record", "a person's skill record (signed presentation of their credentials)")
    p.add_argument("email")
    p.add_argument("--out", required=True)

    t = sub.add_parser("training", help="training groups and trainees")
    ts = t.add_subparsers(dest="training_command", required=True)
    p = ts.add_parser("group", help="add a training group")
    p.add_argument("group")
    p.add_argument("--name", required=True)
    p.add_argument("--trainer", required=True, help="the trainer's user name")
    p.add_argument("--task", required=True, help="the task id the group practises")
    p.add_argument("--limit", type=positive, default=None, help="time limit (s)")
    p.add_argument("--target", type=positive, default=None, help="time to beat (s)")
    p.add_argument("--config", required=True)
    p = ts.add_parser("trainee", help="add a trainee to a group")
    p.add_argument("username")
    p.add_argument("--name", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--config", required=True)


def _candidates(path: str) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for n, row in enumerate(rows, 2):
        missing = [k for k in ("id", "name", "email", "bench") if not (row.get(k) or "").strip()]
        if missing:
            raise UserError(f"{path}:{n}: missing {', '.join(missing)}")
    if not rows:
        raise UserError(f"{path}: no candidates")
    return [{k: row[k].strip() for k in ("id", "name", "email", "bench")} for row in rows]


def _centre(config: Any) -> Any:
    from .credentials.centre import Centre

    if config.centre_key is None:
        raise UserError(
            f"{config.source or 'scorer config'}: [credentials] centre_key is not set: this "
            "scorer issues no certificates"
        )
    return Centre.open(config.centre_key, config.centre_name, config.centre_url)


def stored_run(store: Any, bench: str) -> dict[str, Any]:
    runs = store.list_runs(station=bench, limit=1)
    if not runs:
        raise UserError(f"bench {bench}: no stored run (measure first, or use --simulate)")
    r = runs[0]
    with store.db.read() as tx:
        payload = tx.scalar("SELECT payload FROM runs WHERE id = ?", (r["id"],))
    try:
        calibrations = list(json.loads(payload).get("calibrations") or [])
    except (TypeError, ValueError, AttributeError):
        calibrations = []
    return {
        "outcome": r["outcome"],
        "ended_at": r["ended_at"],
        "measurements": [
            {"name": m["name"], "value": m["value"], "unit": m["unit"], "outcome": m["outcome"]}
            for m in r["measurements"]
        ],
        "calibrations": calibrations,
    }


def run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .store import Store
    from .training import assessment as asm
    from .training import store as tr

    config = load_config(args.config)
    st = Store(config.storage_target)
    db = st.db
    try:
        if args.command == "training":
            if args.training_command == "group":
                tr.check_limits(args.limit, args.target)
                tr.add_group(db, args.group, args.name, args.trainer, args.task)
                tr.set_limits(db, args.group, args.limit, args.target)
            else:
                tr.add_trainee(db, args.username, args.name, args.group)
            print("added")
            return 0
        c = args.assess_command
        if c == "create":
            assessors = [x.strip() for x in args.assessors.split(",") if x.strip()]
            s = asm.create_session(
                db,
                args.session,
                args.title,
                args.standard,
                args.place,
                args.lead,
                assessors,
                _candidates(args.candidates),
                args.pass_pct,
            )
            print(f"session {s['id']}: standard {s['scheme_id']} version {s['scheme_version']}")
        elif c == "run":
            s = asm.session(db, args.session)
            if args.candidate not in s["candidates"]:
                raise UserError(f"session {args.session}: no candidate {args.candidate!r}")
            if args.simulate:
                from .training.practice import run_attempt

                got = run_attempt(args.simulate, args.fault).to_dict()
            else:
                got = stored_run(st, s["candidates"][args.candidate]["bench"])
            asm.record_run(db, args.session, args.candidate, args.module, got)
            print(f"{args.candidate}: run of {args.module} recorded ({got['outcome']})")
        elif c == "score":
            asm.score(db, args.session, args.candidate, args.aspect, args.assessor, args.score)
            print("scored")
        elif c == "show":
            s = asm.session(db, args.session)
            for cid in s["candidates"]:
                r = s["candidates"][cid]["marks"] or asm.marks_of(s, cid)
                state = "locked" if s["locked_at"] else "open"
                print(
                    f"{cid}: {r['total']:g} of {r['max_total']:g} (pass {r['pass_mark']:g}) "
                    f"{'PASS' if r['passed'] else 'NOT PASSED'}; "
                    f"{'final' if r['complete'] else 'marks pending'}; {state}"
                )
        elif c == "lock":
            asm.lock(db, args.session, args.by)
            print(f"session {args.session}: locked by {args.by}")
        elif c == "certify":
            centre = _centre(config)
            paths = asm.certify(db, args.session, centre, Path(args.out))
            for path in paths:
                print(path)
                if args.pdf:
                    from .console.certificate import certificate_pdf

                    body = path.read_bytes()
                    pdf = path.with_suffix(".pdf")
                    pdf.write_bytes(
                        certificate_pdf(json.loads(body), body, centre.url, lang=args.lang)
                    )
                    print(pdf)
        elif c == "revoke":
            asm.revoke(db, args.credential, args.by, args.reason)
            print(f"revoked {args.credential}: publish a new status list (assess status-list)")
        elif c == "status-list":
            from .credentials.status import status_list_credential

            doc = status_list_credential(_centre(config), asm.revoked_indexes(db), time.time())
            Path(args.out).write_text(json.dumps(doc))
            print(args.out)
        elif c == "key":
            print(_centre(config).did)
        elif c == "record":
            from .credentials.record import skill_record

            creds = asm.credentials_of(db, args.email)
            Path(args.out).write_text(json.dumps(skill_record(_centre(config), creds, time.time())))
            print(f"{args.out}: {len(creds)} credential(s)")
        return 0
    finally:
        st.close()
