"""``benchscore verify FILE [--issuer-key FILE] [--status-list FILE]``: check a certificate
offline.

FILE is an Open Badges 3.0 credential (JSON) or a skill record (a presentation of several).
The proof is checked against the issuer's did:key (and, with ``--issuer-key``, against the key
the reader trusts: a did:key, a ``z6Mk...`` Multikey or 64 hex characters); with
``--status-list`` (the centre's signed Bitstring Status List) a revoked credential fails.
Exit 0: verified (one line per credential); 1: does not verify (one line: why);
2: a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchscore.errors import EXIT_BAD_INPUT, EXIT_FAILED, UserError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help="check a certificate (Open Badges 3.0 credential) offline")
    p.add_argument("file", help="credential or skill record (JSON)")
    p.add_argument(
        "--issuer-key", help="the issuer's public key you trust (did:key, z6Mk.. or hex)"
    )
    p.add_argument("--status-list", help="the issuer's signed status list (revocations)")


def _read_json(path: str, what: str) -> Any:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: {what} is not JSON ({exc})") from None


def read_key(path: str) -> bytes:
    """The raw Ed25519 public key in ``path`` (did:key, Multikey or hex)."""
    from benchscore.identity import parse_public_key
    from benchscore.vc.multikey import KeyFormatError, public_of_did, public_of_multibase

    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the issuer key: {exc}") from None
    try:
        if text.startswith("did:key:"):
            return public_of_did(text)
        if text.startswith("z"):
            return public_of_multibase(text)
        return parse_public_key(text, path)
    except (KeyFormatError, ValueError) as exc:
        raise UserError(f"{path}: not an Ed25519 public key: {exc}") from None


def run(args: argparse.Namespace) -> int:
    try:
        from benchscore.vc.verify import VerificationFailed, verify_document
    except ImportError as exc:  # pragma: no cover - credentials extra missing
        print(f"benchscore verify: needs the 'credentials' extra ({exc.name})", file=sys.stderr)
        return EXIT_FAILED
    try:
        doc = _read_json(args.file, "credential")
        pinned = read_key(args.issuer_key) if args.issuer_key else None
        status = _read_json(args.status_list, "status list") if args.status_list else None
    except UserError as exc:
        print(f"benchscore verify: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if status is not None and not isinstance(status, dict):
        print(f"benchscore verify: {args.status_list}: not a status list", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        results = verify_document(doc, pinned=pinned, status_list=status)
    except VerificationFailed as exc:
        print(f"benchscore verify: {args.file}: NOT VALID: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for r in results:
        print(
            f"VALID {r.id}: {r.achievement!r} for {r.subject!r}, issued by "
            f"{r.issuer_name or r.issuer[:32]} on {r.valid_from}; status: {r.status}"
        )
    return 0
