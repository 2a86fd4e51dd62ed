"""The centre's signed Bitstring Status List: a snapshot of which credentials are revoked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from benchscore.vc import statuslist
from benchscore.vc.verify import VC_CONTEXT

from .centre import Centre, utc_stamp


def status_list_credential(centre: Centre, revoked: Iterable[int], at: float) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` with the bits of ``revoked`` set, signed at ``at``
    (its ``validFrom`` is the snapshot's date, which ``benchscore verify`` prints)."""
    doc: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": centre.status_list_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": centre.profile(),
        "validFrom": utc_stamp(at),
        "credentialSubject": {
            "id": f"{centre.status_list_id}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": statuslist.encode(revoked),
        },
    }
    signed: dict[str, Any] = centre.sign(doc, at)
    return signed
