"""What ``benchscore verify`` checks, in the order of the Open Badges 3.0 verification steps:
shape, proof (``eddsa-jcs-2022``, the key is the issuer's did:key, optionally the pinned issuer
key), status (a signed Bitstring Status List of the same issuer), validity dates.

Every failure is a :class:`VerificationFailed` whose message is one line naming the reason;
a credential that passes gives a :class:`Verified` summary. A presentation (the skill record
a recruiter gets) is checked as a whole and credential by credential.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from . import proof, statuslist
from .multikey import KeyFormatError, did_of, public_of_did

VC_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


class VerificationFailed(ValueError):
    """The credential does not verify; the message is the one-line reason (English) and
    :attr:`code` its kind, which a page names in its reader's language: ``tampered`` (the
    signature does not match the content), ``revoked``, ``wrong_issuer`` (signed by another
    key than the issuer's or the pinned one), ``expired``, ``not_yet_valid``, ``malformed``."""

    def __init__(self, message: str, code: str = "malformed") -> None:
        super().__init__(message)
        self.code = code


class Revocation(NamedTuple):
    """A credential's revocation status: the English line, its code, the list's date."""

    text: str
    code: str
    """``not_revoked``, ``not_checked`` or ``no_entry`` (for a translated page)."""
    date: str = ""
    """With ``not_revoked``: the status list's ``validFrom`` (ISO 8601)."""


@dataclass
class Verified:
    """What a verified credential says (for the one-line report and the web page)."""

    id: str
    issuer: str
    issuer_name: str
    subject: str
    achievement: str
    valid_from: str
    revocation: Revocation
    results: list[tuple[str, str]] = field(default_factory=list)
    """(result name, ``value / max`` and status) as the credential states them."""

    @property
    def status(self) -> str:
        """``not revoked (status list of <date>)``, ``not checked (no status list given)`` or
        ``no status entry``."""
        return self.revocation.text


def _parse_time(value: Any, what: str) -> dt.datetime:
    if not isinstance(value, str):
        raise VerificationFailed(f"{what} is missing or not a date-time")
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise VerificationFailed(f"{what} {value!r} is not a date-time") from None
    if when.tzinfo is None:
        raise VerificationFailed(f"{what} {value!r} has no time zone")
    return when


def _types(doc: dict[str, Any]) -> list[str]:
    t = doc.get("type")
    if isinstance(t, str):
        return [t]
    return [x for x in t if isinstance(x, str)] if isinstance(t, list) else []


def _issuer_id(doc: dict[str, Any]) -> tuple[str, str]:
    issuer = doc.get("issuer")
    if isinstance(issuer, str):
        return issuer, ""
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        name = issuer.get("name")
        return issuer["id"], name if isinstance(name, str) else ""
    raise VerificationFailed("issuer is missing")


def _other_proofs(doc: dict[str, Any], signer: bytes) -> None:
    """Every other proof of a proof set must verify too, by the same key (an
    ``eddsa-rdfc-2022`` proof through :mod:`.rdfc`); a suite benchscore cannot check fails."""
    proofs = doc.get("proof")
    if not isinstance(proofs, list):
        return
    suites = [p.get("cryptosuite") for p in proofs if isinstance(p, dict)]
    unknown = sorted({str(s) for s in suites} - {proof.CRYPTOSUITE, "eddsa-rdfc-2022"})
    if unknown or len(suites) != len(proofs):
        raise proof.ProofError(f"a proof this verifier cannot check: {', '.join(unknown) or '?'}")
    if "eddsa-rdfc-2022" in suites:
        from . import rdfc

        if rdfc.verify(doc) != signer:
            raise proof.ProofError("the eddsa-rdfc-2022 proof is by another key")


def check_signed_by_issuer(doc: dict[str, Any], pinned: bytes | None, what: str) -> str:
    """Check the proof of ``doc`` and that its key is the issuer's (and ``pinned``, if given);
    return the issuer id."""
    issuer, _ = _issuer_id(doc)
    try:
        signer = proof.verify(doc)
        _other_proofs(doc, signer)
    except proof.ProofError as exc:
        raise VerificationFailed(f"{what}: {exc}", "tampered") from None
    try:
        issuer_key = public_of_did(issuer)
    except KeyFormatError:
        raise VerificationFailed(
            f"{what}: issuer {issuer[:60]!r} is not a did:key (no offline key)"
        ) from None
    if signer != issuer_key:
        raise VerificationFailed(
            f"{what}: signed by a key that is not the issuer's", "wrong_issuer"
        )
    if pinned is not None and signer != pinned:
        pinned_id = did_of(pinned)[:40]
        raise VerificationFailed(
            f"{what}: issuer {issuer[:40]}... is not the pinned issuer key {pinned_id}...",
            "wrong_issuer",
        )
    return issuer


def check_status(
    doc: dict[str, Any], status_list: dict[str, Any] | None, issuer: str, pinned: bytes | None
) -> Revocation:
    """The credential's revocation status against ``status_list`` (None: not checked)."""
    entry = doc.get("credentialStatus")
    if entry is None:
        return Revocation("no status entry", "no_entry")
    if isinstance(entry, list):
        entry = next((e for e in entry if isinstance(e, dict)), None)
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        raise VerificationFailed("credentialStatus is not a BitstringStatusListEntry")
    if status_list is None:
        return Revocation("not checked (no status list given)", "not_checked")
    if "BitstringStatusListCredential" not in _types(status_list):
        raise VerificationFailed("the status list file is not a BitstringStatusListCredential")
    list_issuer = check_signed_by_issuer(status_list, pinned, "status list")
    if list_issuer != issuer:
        raise VerificationFailed("the status list is not the credential issuer's")
    if status_list.get("id") != entry.get("statusListCredential"):
        raise VerificationFailed(
            f"the status list is {status_list.get('id')!r}, the credential names "
            f"{entry.get('statusListCredential')!r}"
        )
    subject = status_list.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("encodedList"), str):
        raise VerificationFailed("the status list has no encodedList")
    purpose = entry.get("statusPurpose")
    if subject.get("statusPurpose") != purpose:
        raise VerificationFailed(f"status list purpose is not {purpose!r}")
    try:
        index = int(str(entry.get("statusListIndex")))
        bits = statuslist.decode(subject["encodedList"])
        revoked = statuslist.is_set(bits, index)
    except (ValueError, statuslist.StatusListError) as exc:
        raise VerificationFailed(f"status: {exc}") from None
    stamp = str(status_list.get("validFrom", "?"))
    if revoked:
        raise VerificationFailed(
            f"revoked: the issuer's status list of {stamp} marks entry {index} ({purpose})",
            "revoked",
        )
    return Revocation(f"not revoked (status list of {stamp})", "not_revoked", stamp)


def verify_credential(
    doc: Any,
    *,
    pinned: bytes | None = None,
    status_list: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Verified:
    """Verify one Open Badges 3.0 credential; VerificationFailed says why not."""
    if not isinstance(doc, dict):
        raise VerificationFailed("not a JSON object")
    ctx = doc.get("@context")
    if not isinstance(ctx, list) or not ctx or ctx[0] != VC_CONTEXT:
        raise VerificationFailed(f"@context does not start with {VC_CONTEXT}")
    types = _types(doc)
    if "VerifiableCredential" not in types:
        raise VerificationFailed("type does not include VerifiableCredential")
    if "OpenBadgeCredential" not in types and "AchievementCredential" not in types:
        raise VerificationFailed("type has neither OpenBadgeCredential nor AchievementCredential")
    issuer = check_signed_by_issuer(doc, pinned, "credential")
    revocation = check_status(doc, status_list, issuer, pinned)
    now = now or dt.datetime.now(dt.UTC)
    start = _parse_time(doc.get("validFrom"), "validFrom")
    if now < start:
        raise VerificationFailed(f"not yet valid: validFrom {doc['validFrom']}", "not_yet_valid")
    if doc.get("validUntil") is not None:
        end = _parse_time(doc.get("validUntil"), "validUntil")
        if now > end:
            raise VerificationFailed(f"expired: validUntil {doc['validUntil']}", "expired")
    subject = doc.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    _, issuer_name = _issuer_id(doc)
    named = [
        str(i.get("identityHash"))
        for i in subject.get("identifier", [])
        if isinstance(i, dict) and i.get("identityType") == "name" and i.get("hashed") is False
    ]
    described = {
        d.get("id"): d for d in achievement.get("resultDescription", []) if isinstance(d, dict)
    }
    results = []
    for r in subject.get("result", []):
        if not isinstance(r, dict):
            continue
        d = described.get(r.get("resultDescription"), {})
        shown = f"{r.get('value', '')} / {d.get('valueMax', '')}".strip(" /")
        if r.get("status"):
            shown += f" ({r['status']})"
        results.append((str(d.get("name", "")), shown))
    return Verified(
        id=str(doc.get("id", "")),
        issuer=issuer,
        issuer_name=issuer_name,
        subject=named[0] if named else str(subject.get("id") or ""),
        achievement=str(achievement.get("name", "")),
        valid_from=str(doc["validFrom"]),
        revocation=revocation,
        results=results,
    )


def verify_document(
    doc: Any,
    *,
    pinned: bytes | None = None,
    status_list: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> list[Verified]:
    """A credential, or a presentation of credentials (each checked): their summaries."""
    if isinstance(doc, dict) and "VerifiablePresentation" in _types(doc):
        try:
            holder = proof.verify(doc, purpose="authentication")
        except proof.ProofError as exc:
            raise VerificationFailed(f"presentation: {exc}", "tampered") from None
        if pinned is not None and holder != pinned:
            raise VerificationFailed(
                "presentation: not signed by the pinned issuer key", "wrong_issuer"
            )
        creds = doc.get("verifiableCredential")
        if not isinstance(creds, list) or not creds:
            raise VerificationFailed("presentation holds no credential")
        out = []
        for i, cred in enumerate(creds):
            try:
                out.append(verify_credential(cred, pinned=pinned, status_list=status_list, now=now))
            except VerificationFailed as exc:
                raise VerificationFailed(
                    f"credential {i + 1} of {len(creds)}: {exc}", exc.code
                ) from None
        return out
    return [verify_credential(doc, pinned=pinned, status_list=status_list, now=now)]
