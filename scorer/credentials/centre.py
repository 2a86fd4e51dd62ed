"""The certification centre that signs credentials: its own Ed25519 key, apart from the
scorer's wire key.

The scorer's key (``scorer/fleet/keys.py``) signs acks and commands on a hall's network and may
be replaced with the scorer's machine; a certificate must verify for years, so the centre
signs with a key of its own (``centre.key``, kept with the centre's records and backed up
apart). Its public key is the issuer: ``did:key:z6Mk...`` (the DID carries the key, so a
verifier needs no network).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchscore.identity import Identity
from benchscore.vc import proof, rdfc
from benchscore.vc.multikey import did_of


def utc_stamp(ts: float) -> str:
    """``2026-12-02T15:04:05Z`` for a Unix time."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Centre:
    identity: Identity
    name: str
    url: str
    """The centre's public address (its verify page and status list live under it)."""

    @classmethod
    def open(cls, key_file: str | Path, name: str, url: str) -> Centre:
        """The centre whose key is ``key_file`` (made, mode 0600, on first use)."""
        return cls(Identity.load_or_create(key_file), name, url.rstrip("/"))

    @property
    def did(self) -> str:
        return did_of(self.identity.public.raw)

    @property
    def status_list_id(self) -> str:
        return f"{self.url}/credentials/status/1"

    def profile(self) -> dict[str, Any]:
        return {"id": self.did, "type": ["Profile"], "name": self.name, "url": self.url}

    def rdfc_proof(self, doc: dict[str, Any], at: float) -> dict[str, Any]:
        """An ``eddsa-rdfc-2022`` proof over ``doc`` (for a proof set next to the JCS one)."""
        return rdfc.proof_for(doc, self.identity.public.raw, self.identity.sign, utc_stamp(at))

    def sign(self, doc: dict[str, Any], at: float, purpose: str = "assertionMethod") -> Any:
        return proof.sign(doc, self.identity.public.raw, self.identity.sign, utc_stamp(at), purpose)
