"""The Data Integrity proof ``eddsa-jcs-2022`` (W3C vc-di-eddsa): sign and check a JSON document.

hashData = SHA-256(JCS(proof configuration)) || SHA-256(JCS(document without its proof)),
signed with Ed25519; ``proofValue`` is ``z`` + base58btc(signature). The proof configuration is
the proof without ``proofValue`` and carries a copy of the document's ``@context`` (the
verifier checks that the document's ``@context`` starts with it). JCS (RFC 8785) is the
``rfc8785`` library's; Ed25519 is PyNaCl's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Final

import base58
import rfc8785

from benchscore.identity import PublicKey

from .multikey import KeyFormatError, method_of, public_of_did

CRYPTOSUITE: Final = "eddsa-jcs-2022"


class ProofError(ValueError):
    """The proof is missing, malformed or does not verify (the message says which)."""


def canonical(doc: Any) -> bytes:
    """RFC 8785 canonical bytes of ``doc``."""
    try:
        return rfc8785.dumps(doc)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ProofError(f"cannot canonicalise: {exc}") from None


def _hash_data(doc: dict[str, Any], config: dict[str, Any]) -> bytes:
    return hashlib.sha256(canonical(config)).digest() + hashlib.sha256(canonical(doc)).digest()


def sign(
    doc: dict[str, Any],
    public: bytes,
    signer: Callable[[bytes], bytes],
    created: str,
    purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """``doc`` with an ``eddsa-jcs-2022`` proof by the key ``public`` (``signer`` signs bytes;
    ``created`` is an XML date-time, UTC)."""
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    config: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": method_of(public),
        "proofPurpose": purpose,
    }
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    signature = signer(_hash_data(unsecured, config))
    proof = {**config, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}
    return {**unsecured, "proof": [proof]}  # a list: the OB 3.0 schema wants an array


def verify(doc: dict[str, Any], purpose: str = "assertionMethod") -> bytes:
    """Check the proof of ``doc``; return the signer's raw public key. ProofError says why not."""
    proof = doc.get("proof")
    if isinstance(proof, list):  # a proof set: any eddsa-jcs-2022 proof in it is the one checked
        ours = [p for p in proof if isinstance(p, dict) and p.get("cryptosuite") == CRYPTOSUITE]
        if not ours:
            found = sorted({str(p.get("cryptosuite")) for p in proof if isinstance(p, dict)})
            raise ProofError(f"no {CRYPTOSUITE} proof among {len(proof)} ({', '.join(found)})")
        if len(ours) > 1:
            raise ProofError(f"{len(ours)} {CRYPTOSUITE} proofs: expected one")
        proof = ours[0]
    if not isinstance(proof, dict):
        raise ProofError("no proof: the document is not signed")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(
            f"proof type {proof.get('type')!r}/{proof.get('cryptosuite')!r} is not "
            f"DataIntegrityProof/{CRYPTOSUITE}"
        )
    if proof.get("proofPurpose") != purpose:
        raise ProofError(f"proof purpose {proof.get('proofPurpose')!r}, expected {purpose!r}")
    value = proof.get("proofValue")
    method = proof.get("verificationMethod")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("proofValue is not base58btc multibase")
    if not isinstance(method, str):
        raise ProofError("proof has no verificationMethod")
    try:
        public = public_of_did(method)
        signature = base58.b58decode(value[1:])
    except (KeyFormatError, ValueError) as exc:
        raise ProofError(f"verificationMethod/proofValue: {exc}") from None
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in config:
        ctx, want = unsecured.get("@context"), config["@context"]
        if not (isinstance(ctx, list) and isinstance(want, list) and ctx[: len(want)] == want):
            raise ProofError("the document's @context does not start with the proof's @context")
    hashed = _hash_data(unsecured, config)
    if len(signature) != 64 or not PublicKey(public).verify(hashed, signature):
        raise ProofError(
            "signature does not match the content (changed after signing, or signed by another key)"
        )
    return public
