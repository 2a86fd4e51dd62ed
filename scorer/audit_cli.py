"""``benchscore audit verify``: check the console's audit chain, and that it still holds a head
anchored outside the database (printed on an export, a mark sheet or a report, or published by
the scorer).

    benchscore audit verify --config scorer.toml                 # the chain itself
    benchscore audit verify --config scorer.toml --head HASH     # ... still holding HASH
    benchscore audit verify --config scorer.toml --head HASH --count N   # HASH is row N

Without an anchor a cut tail or a suffix rewritten with its hashes recomputed goes unseen; with
one, either is a mismatch. Exit status: 0 verified, 1 broken or mismatched (one line says
where), 2 the command could not run (bad arguments, config or database).
"""

from __future__ import annotations

import argparse
import sys

from .accounts import audit
from .accounts.db import ConsoleDB, ConsoleDBError
from .config import ConfigError, load_config
from .store import Store, StoreError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit`` and its ``verify`` subcommand to ``benchscore``'s subcommands."""
    p = sub.add_parser("audit", help="verify the console's audit chain against an anchored head")
    audit_sub = p.add_subparsers(dest="audit_command", required=True)
    v = audit_sub.add_parser("verify", help="check the chain and an anchored head")
    v.add_argument("--config", required=True, help="the scorer's TOML file (names the database)")
    v.add_argument("--head", default=None, help="the anchored head hash (16-64 hex digits)")
    v.add_argument("--count", type=int, default=None, help="the anchored head's row count")


def _fail(text: str) -> int:
    print(f"benchscore audit: {text}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run ``benchscore audit verify``; return the exit status."""
    anchor = None if args.head is None else args.head.strip().lower()
    if anchor is not None and (problem := audit.anchor_problem(anchor)) is not None:
        return _fail(f"--head: {problem}")
    if args.count is not None and args.count < 0:
        return _fail(f"--count: {args.count} is not a row count (0 or more)")
    try:
        config = load_config(args.config)
        if config.storage_url is None and not config.storage_path.is_file():
            return _fail(f"{args.config}: storage.path: no database at {config.storage_path}")
        store = Store(config.storage_target, worker="benchscore-audit")
    except (ConfigError, StoreError) as exc:
        return _fail(str(exc))
    try:
        result = audit.verify_anchored(audit.entries(ConsoleDB(store.db)), anchor, args.count)
    except (ConsoleDBError, StoreError) as exc:
        return _fail(str(exc))
    finally:
        store.close()
    if not result["ok"]:
        verdict = "BROKEN" if result["first_bad"] is not None else "MISMATCH"
        print(f"audit chain {verdict}: {result['problem']}")
        return 1
    line = f"audit chain OK: {result['count']} rows, head {result['head']}"
    if result["anchored_at"] is not None:
        line += f"; the anchored head is row {result['anchored_at']}"
    print(line)
    return 0
