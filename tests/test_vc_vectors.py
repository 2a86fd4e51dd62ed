"""benchscore's ``eddsa-jcs-2022`` against the W3C test vector (tests/vectors): the same key
signs the same credential into the published ``proofValue``; the published proof verifies;
did:key and the Bitstring Status List at their edges."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import base58
import pytest
from nacl.signing import SigningKey

from benchscore.vc import proof, statuslist
from benchscore.vc.multikey import (
    KeyFormatError,
    did_of,
    multibase_of,
    public_of_did,
    public_of_multibase,
)

VECTORS = Path(__file__).resolve().parent / "vectors"
SIGNED = json.loads((VECTORS / "eddsa-jcs-2022-signed.json").read_text())
KEYS = json.loads((VECTORS / "eddsa-keypair.json").read_text())


def _seed() -> bytes:
    raw = base58.b58decode(KEYS["privateKeyMultibase"][1:])
    assert raw[:2] == b"\x80\x26"  # multicodec ed25519-priv
    return raw[2:]


def test_signing_reproduces_the_published_proof() -> None:
    key = SigningKey(_seed())
    public = bytes(key.verify_key)
    assert multibase_of(public) == KEYS["publicKeyMultibase"]
    unsigned = {k: v for k, v in SIGNED.items() if k != "proof"}
    signed = proof.sign(
        unsigned, public, lambda data: key.sign(data).signature, SIGNED["proof"]["created"]
    )
    assert signed["proof"][0]["proofValue"] == SIGNED["proof"]["proofValue"]
    assert signed["proof"][0]["verificationMethod"] == SIGNED["proof"]["verificationMethod"]


def test_the_published_proof_verifies_and_a_change_does_not() -> None:
    assert proof.verify(SIGNED) == public_of_multibase(KEYS["publicKeyMultibase"])
    changed = copy.deepcopy(SIGNED)
    changed["credentialSubject"]["alumniOf"] = "The School of Counterfeits"
    with pytest.raises(proof.ProofError, match="signature does not match"):
        proof.verify(changed)
    # in a proof set, the eddsa-jcs-2022 proof is the one checked; another suite alone is named
    other = {**SIGNED["proof"], "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z1"}
    assert proof.verify({**SIGNED, "proof": [other, SIGNED["proof"]]})
    with pytest.raises(proof.ProofError, match=r"no eddsa-jcs-2022 proof among 1 \(eddsa-rdfc"):
        proof.verify({**SIGNED, "proof": [other]})
    wrong_ctx = copy.deepcopy(SIGNED)
    wrong_ctx["@context"] = wrong_ctx["@context"][:1]
    with pytest.raises(proof.ProofError, match="@context"):
        proof.verify(wrong_ctx)


def test_did_key_round_trip_and_refusals() -> None:
    public = public_of_multibase(KEYS["publicKeyMultibase"])
    assert public_of_did(did_of(public)) == public
    assert public_of_did(SIGNED["proof"]["verificationMethod"]) == public
    with pytest.raises(KeyFormatError, match="not a did:key"):
        public_of_did("did:web:example.org")
    with pytest.raises(KeyFormatError, match="multicodec"):
        public_of_multibase("z" + base58.b58encode(b"\xec\x01" + public).decode())
    with pytest.raises(KeyFormatError, match="fragment"):
        public_of_did(did_of(public) + "#z6MkOther")


def test_status_list_edges() -> None:
    last = statuslist.MIN_BITS - 1
    bits = statuslist.decode(statuslist.encode([0, 7, 8, last]))
    assert len(bits) * 8 == statuslist.MIN_BITS
    assert [statuslist.is_set(bits, i) for i in (0, 1, 7, 8, 9, last - 1, last)] == [
        True,
        False,
        True,
        True,
        False,
        False,
        True,
    ]
    assert bits[0] == 0b1000_0001  # index 0 is the left-most bit
    with pytest.raises(statuslist.StatusListError, match="outside"):
        statuslist.is_set(bits, last + 1)
    with pytest.raises(statuslist.StatusListError, match="outside"):
        statuslist.encode([last + 1])
    with pytest.raises(statuslist.StatusListError, match="base64url"):
        statuslist.decode("zabc")
    with pytest.raises(statuslist.StatusListError, match="does not decode"):
        statuslist.decode("uAAAA")


def test_rdfc_reproduces_the_published_vector() -> None:
    """The second suite: the document's canonical N-Quads, the signature and its check."""
    from benchscore.vc import rdfc

    published = json.loads((VECTORS / "eddsa-rdfc-2022-signed.json").read_text())
    unsigned = {k: v for k, v in published.items() if k != "proof"}
    canon = (VECTORS / "eddsa-rdfc-2022-canonical-document.nq").read_text()
    assert rdfc.canonical_nquads(unsigned) == canon
    key = SigningKey(_seed())
    made = rdfc.proof_for(
        unsigned,
        bytes(key.verify_key),
        lambda data: key.sign(data).signature,
        published["proof"]["created"],
    )
    assert made == published["proof"]
    assert rdfc.verify(published) == bytes(key.verify_key)
    changed = copy.deepcopy(published)
    changed["credentialSubject"]["alumniOf"] = "Elsewhere"
    with pytest.raises(proof.ProofError, match="RDF canonical form"):
        rdfc.verify(changed)
    # contexts come from the pinned copies only, never from the network
    with pytest.raises(proof.ProofError, match="is not pinned"):
        rdfc.canonical_nquads({**unsigned, "@context": ["https://example.org/ctx"]})
    # a term no context defines (the OB context has no @vocab) is refused, not left unsigned
    ob = {"@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]}
    with pytest.raises(proof.ProofError, match="cannot canonicalise as RDF"):
        rdfc.canonical_nquads({**ob, "id": "urn:x", "notATerm": "x"})
    bad = copy.deepcopy(published)
    bad["proof"]["proofValue"] = "{" + bad["proof"]["proofValue"][1:]
    with pytest.raises(proof.ProofError, match="multibase"):
        rdfc.verify(bad)
