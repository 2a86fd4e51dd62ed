"""Keys for tests: one fixed scorer key pair every test station pins, and station identities
registered with a scorer by their ``.pub`` files (as a technician does for a bench set up by
hand; adoption is tested on its own in tests/test_adoption.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from benchscore.identity import Identity

TEST_SCORER = Identity(hashlib.sha256(b"benchscore test scorer").digest())
"""The scorer key of every test scorer (its public key is pinned in every test station)."""
TEST_SCORER_PUB = TEST_SCORER.public.hex


def write_scorer_key(directory: Path) -> Path:
    """The test scorer's key file in ``directory`` (0600), for ``ScorerConfig.scorer_key``."""
    path = directory / "scorer.key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        Identity(hashlib.sha256(b"benchscore test scorer").digest()).save(path)
    return path


def register_station(state_dir: Path, station: str, keys_dir: Path) -> Identity:
    """Make (or read) the station's identity in its state dir and give the scorer its public
    key as ``<keys_dir>/<station>.pub``."""
    identity = Identity.load_or_create(state_dir / "identity.key")
    keys_dir.mkdir(parents=True, exist_ok=True)
    (keys_dir / f"{station}.pub").write_text(identity.public.hex + "\n")
    return identity
