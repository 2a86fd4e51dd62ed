"""An Open Badges 3.0 ``OpenBadgeCredential`` for a candidate's locked assessment result.

Who (the candidate's name as an unhashed ``name`` identifier and the e-mail salted and hashed),
which standard and version (the achievement: marking scheme id, content version, an alignment
per criterion), which modules and marks (one ResultDescription per criterion, ``RawScore``
0..max, plus the overall ``Status``), where and when (``location`` of the session in the
achievement's criteria narrative, activity dates), which benches and calibrations (evidence),
and a ``BitstringStatusListEntry``. The file is written in its RFC 8785 canonical form, so any
changed byte either breaks the JSON or the signature.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any, Final

from benchscore.vc.proof import canonical
from benchscore.vc.verify import OB_CONTEXT, VC_CONTEXT

from .centre import Centre, utc_stamp

SCHEMA_URL: Final = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)


def identity_hash(email: str, salt: str) -> str:
    """OB 3.0 ``identityHash``: ``sha256$`` + hex SHA-256 of the e-mail and the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def build(
    centre: Centre,
    session: dict[str, Any],
    candidate: dict[str, Any],
    criteria: list[dict[str, Any]],
    evidence: list[dict[str, Any]],
    *,
    status_index: int,
    issued_at: float,
    passed: bool,
    total: float,
    max_total: float,
) -> dict[str, Any]:
    """The signed credential. ``criteria``: [{id, name, mark, max_mark}] in scheme order;
    ``evidence``: [{name, description}] (benches, calibrations, runs)."""
    ach_id = f"{centre.url}/standards/{session['scheme_id']}/{session['scheme_version']}"
    rd = [
        {
            "id": f"{ach_id}#criterion-{c['id']}",
            "type": ["ResultDescription"],
            "name": f"{c['id']} {c['name']}",
            "resultType": "RawScore",
            "valueMin": "0",
            "valueMax": f"{c['max_mark']:g}",
        }
        for c in criteria
    ]
    rd.append(
        {
            "id": f"{ach_id}#total",
            "type": ["ResultDescription"],
            "name": "Total",
            "resultType": "RawScore",
            "valueMin": "0",
            "valueMax": f"{max_total:g}",
            "requiredValue": f"{session['pass_mark']:g}",
        }
    )
    results = [
        {
            "type": ["Result"],
            "resultDescription": f"{ach_id}#criterion-{c['id']}",
            "value": f"{c['mark']:g}",
        }
        for c in criteria
    ]
    results.append(
        {
            "type": ["Result"],
            "resultDescription": f"{ach_id}#total",
            "value": f"{total:g}",
            "status": "Completed" if passed else "Failed",
        }
    )
    salt = secrets.token_hex(8)
    when = utc_stamp(session["assessed_at"])
    doc: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{session['scheme_name']} ({session['scheme_id']})",
        "issuer": centre.profile(),
        "validFrom": utc_stamp(issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": candidate["name"],
                },
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                    "identityHash": identity_hash(candidate["email"], salt),
                },
            ],
            "activityStartDate": when,
            "activityEndDate": utc_stamp(session["locked_at"]),
            "achievement": {
                "id": ach_id,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": session["scheme_name"],
                "description": (
                    f"Practical assessment against marking scheme {session['scheme_id']}, "
                    f"version {session['scheme_version']}, on benchscore measurement benches."
                ),
                "criteria": {
                    "narrative": (
                        f"Assessed at {session['place']} on {when[:10]} in session "
                        f"{session['id']} ({session['title']}); lead assessor "
                        f"{session['lead']}. Pass: a total of at least "
                        f"{session['pass_mark']:g} of {max_total:g}."
                    )
                },
                "humanCode": session["scheme_id"],
                "version": session["scheme_version"],
                "resultDescription": rd,
            },
            "result": results,
        },
        "evidence": [
            {"type": ["Evidence"], "name": e["name"], "description": e["description"]}
            for e in evidence
        ],
        "credentialSchema": [{"id": SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
        "credentialStatus": {
            "id": f"{centre.status_list_id}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": centre.status_list_id,
        },
    }
    signed: dict[str, Any] = centre.sign(doc, issued_at)
    # the second proof of the set: RDF-canonical, the suite 1EdTech's validator accepts
    signed["proof"].append(centre.rdfc_proof(doc, issued_at))
    return signed


def file_bytes(credential: dict[str, Any]) -> bytes:
    """The credential as written to a file: its canonical (JCS) bytes."""
    return canonical(credential)
