"""The skill record for recruiters: a person's credentials in one signed
``VerifiablePresentation`` (each credential keeps its own proof; the centre's proof over the
whole says the set is complete as exported). ``benchscore verify`` checks it as a whole and
credential by credential."""

from __future__ import annotations

import uuid
from typing import Any

from benchscore.vc.verify import VC_CONTEXT

from .centre import Centre


def skill_record(centre: Centre, credentials: list[dict[str, Any]], at: float) -> dict[str, Any]:
    if not credentials:
        raise ValueError("skill record: this person holds no credential")
    doc: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiablePresentation"],
        "holder": centre.did,
        "verifiableCredential": credentials,
    }
    signed: dict[str, Any] = centre.sign(doc, at, purpose="authentication")
    return signed
