"""Accounts for ``benchscore demo``: one of each role with a random password, printed.

The demo calls :func:`create_demo_accounts` with the scorer's database before starting the
scorer, and prints what it returns. Outside the demo there is no account until someone runs
``benchscore users add`` (and so no default password anywhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..accounts.auth import AccountError, add_user, generate_password
from ..accounts.db import ConsoleDB
from ..store import Store

DEMO_STAFF = (
    ("chief", "admin", "Chief Expert"),
    ("judge1", "judge", "Judge One"),
    ("judge2", "judge", "Judge Two"),
    ("judge3", "judge", "Judge Three"),
    ("tech", "technician", "Technician"),
    ("viewer", "viewer", "Viewer"),
)


def create_demo_accounts(
    storage: str | Path, competitors: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """Create the demo's accounts in the database ``storage``; ``competitors`` maps a
    competitor id to a name (one contestant account each, named after the id in lower case).
    Returns (username, role, password) of the accounts created (existing ones are kept)."""
    store = Store(storage)
    try:
        db = ConsoleDB(store.db)
        wanted: list[tuple[str, str, str, str | None]] = [(u, r, d, None) for u, r, d in DEMO_STAFF]
        wanted += [
            (cid.lower(), "contestant", name, cid) for cid, name in (competitors or {}).items()
        ]
        made = []
        for username, role, display, contestant in wanted:
            password = generate_password()
            try:
                add_user(db, username, role, password, display_name=display, contestant=contestant)
            except AccountError:
                continue  # exists from an earlier run
            made.append((username, role, password))
        return made
    finally:
        store.close()
