"""The Data Integrity proof ``eddsa-rdfc-2022`` (W3C vc-di-eddsa), the suite 1EdTech's Open
Badges 3.0 validator and issuer certification accept: the document and the proof
configuration are canonicalised as RDF (RDFC-1.0, named URDNA2015 in ``pyld``), hashed with
SHA-256, and the two hashes signed with Ed25519.

benchscore puts this proof next to its ``eddsa-jcs-2022`` one (a proof set; any one proof
suffices): ``benchscore verify`` checks the JCS proof, which needs no JSON-LD. The contexts are
the pinned copies in ``contexts/`` (README there), served by a loader that never touches the
network, and a property the contexts do not define is refused (RDF would otherwise drop it
silently, leaving it unsigned).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any, Final

import base58

from benchscore.identity import PublicKey

from .multikey import KeyFormatError, method_of, public_of_did
from .proof import ProofError, canonical

CRYPTOSUITE: Final = "eddsa-rdfc-2022"
CONTEXTS: Final = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
}
"""Context URL -> the pinned file in ``benchscore/vc/contexts``."""


@cache
def _context(url: str) -> Any:
    name = CONTEXTS.get(url)
    if name is None:
        raise ProofError(f"context {url} is not pinned (no network access): cannot canonicalise")
    return json.loads((files("benchscore.vc") / "contexts" / name).read_text(encoding="utf-8"))


def _loader(url: str, options: Any = None) -> dict[str, Any]:
    return {"contextUrl": None, "documentUrl": url, "document": _context(url)}


def canonical_nquads(doc: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of ``doc`` (pinned contexts only; a property no context
    defines is refused, where RDF would silently drop it and leave it unsigned)."""
    from pyld import jsonld

    ctx = doc.get("@context")
    for url in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(url, str):
            _context(url)  # ProofError for a context that is not pinned
    dropped: list[str] = []
    options = {"documentLoader": _loader}
    try:
        jsonld.expand(doc, options, on_property_dropped=lambda p: dropped.append(str(p)))
        out = jsonld.normalize(
            doc, {**options, "algorithm": "URDNA2015", "format": "application/n-quads"}
        )
    except jsonld.JsonLdError as exc:
        raise ProofError(f"cannot canonicalise as RDF: {str(exc).splitlines()[0]}") from None
    if dropped:
        raise ProofError(f"cannot canonicalise as RDF: undefined terms {', '.join(dropped)}")
    return str(out)


@lru_cache(maxsize=64)
def _doc_hash(jcs: bytes) -> bytes:
    """SHA-256 of the RDF canonical form of the document whose JCS bytes are ``jcs`` (cached:
    the same credential is often checked again with another proof or status list)."""
    return hashlib.sha256(canonical_nquads(json.loads(jcs)).encode()).digest()


def _hash_data(doc: dict[str, Any], options: dict[str, Any]) -> bytes:
    config = {**options, "@context": doc["@context"]}
    return hashlib.sha256(canonical_nquads(config).encode()).digest() + _doc_hash(canonical(doc))


def proof_for(
    doc: dict[str, Any],
    public: bytes,
    signer: Callable[[bytes], bytes],
    created: str,
    purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """An ``eddsa-rdfc-2022`` proof over ``doc`` (its proofs left out) by the key ``public``."""
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": method_of(public),
        "proofPurpose": purpose,
    }
    signature = signer(_hash_data(unsecured, options))
    return {**options, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}


def verify(doc: dict[str, Any]) -> bytes:
    """Check the document's ``eddsa-rdfc-2022`` proof; the signer's raw key, or ProofError."""
    proofs = doc.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    found = [p for p in proofs if isinstance(p, dict) and p.get("cryptosuite") == CRYPTOSUITE]
    if len(found) != 1:
        raise ProofError(f"expected one {CRYPTOSUITE} proof, found {len(found)}")
    proof = found[0]
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("proofValue is not base58btc multibase")
    try:
        public = public_of_did(str(proof.get("verificationMethod")))
        signature = base58.b58decode(value[1:])
    except (KeyFormatError, ValueError) as exc:
        raise ProofError(f"verificationMethod/proofValue: {exc}") from None
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if len(signature) != 64 or not PublicKey(public).verify(
        _hash_data(unsecured, options), signature
    ):
        raise ProofError("signature does not match the content (RDF canonical form)")
    return public
