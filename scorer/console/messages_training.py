"""The training pages' texts in English (merged into :data:`.messages.MESSAGES`; same keys,
same ``N_`` marking for extraction)."""

from __future__ import annotations

from typing import Final


def N_(key: str, text: str) -> tuple[str, str]:
    """Mark ``text`` for translation under ``key``."""
    return key, text


TRAINING_MESSAGES: Final[dict[str, str]] = dict(
    [
        N_("role.trainee", "Trainee"),
        N_("role.trainer", "Trainer"),
        N_("nav.training", "Training"),
        N_("title.training_me", "My practice"),
        N_("title.training_group", "Training group"),
        N_("tr.attempt", "Attempt"),
        N_("tr.time", "Time taken"),
        N_("tr.fault", "Fault set"),
        N_("tr.failing", "Failing measurements"),
        N_("tr.chart_time", "Time to complete"),
        N_("tr.chart_rate", "First-pass rate"),
        N_("tr.chart_fail", "Most failed measurements"),
        N_("tr.seconds", "seconds"),
        N_("tr.percent", "per cent"),
        N_("tr.target", "Target"),
        N_("tr.limit", "Time limit"),
        N_("tr.best", "Best passing time"),
        N_("tr.beaten", "Target beaten"),
        N_("tr.not_beaten", "Target not beaten yet"),
        N_("tr.over_limit", "over the time limit"),
        N_("tr.trainee", "Trainee"),
        N_("tr.attempts", "Attempts"),
        N_("tr.no_attempts", "No attempts yet."),
        N_("tr.task", "Task"),
        N_("title.verify", "Verify a certificate"),
        N_(
            "ver.intro",
            "Choose a certificate file (JSON) issued by this centre. It is checked against the "
            "centre's key and its current list of revoked certificates; nothing is stored.",
        ),
        N_("ver.file", "Certificate file"),
        N_("ver.valid", "Valid"),
        N_("ver.invalid", "Not valid"),
        N_("ver.issuer", "Issuer"),
        N_("ver.holder", "Holder"),
        N_("ver.standard", "Standard"),
        N_("ver.issued", "Issued"),
        N_("ver.status", "Revocation"),
        N_("cert.certifies", "certifies that"),
        N_("cert.passed", "has passed {achievement} (standard {code}, version {version})."),
        N_(
            "cert.not_passed",
            "was assessed in {achievement} (standard {code}, version {version}) and has not "
            "passed.",
        ),
        N_("cert.marks", "Marks"),
        N_("cert.evidence", "Evidence"),
        N_("cert.verification", "Verification"),
        N_("cert.scan", "Scan for the credential file"),
        N_("cert.issued", "Credential {id}, issued {when} by {issuer}."),
        N_("cert.digest", "SHA-256 of the file: {digest}."),
        N_("cert.check", "Check the file offline with {command}, or upload it at {url}."),
        N_("cert.result.Completed", "passed"),
        N_("cert.result.Failed", "not passed"),
        N_("ver.state.not_revoked", "Not revoked (the centre's list of {date})"),
        N_("ver.state.not_checked", "Not checked (no revocation list)"),
        N_("ver.state.no_entry", "Cannot be revoked (no revocation entry)"),
        N_("ver.results", "Result"),
        N_("ver.why.tampered", "Changed after signing, or signed by another key."),
        N_("ver.why.revoked", "Revoked by the centre that issued it."),
        N_("ver.why.wrong_issuer", "Not issued by this centre."),
        N_("ver.why.expired", "Expired."),
        N_("ver.why.not_yet_valid", "Not valid yet."),
        N_("ver.why.malformed", "Not a certificate this page can read."),
        N_("ver.why.no_centre", "This scorer issues no certificates."),
    ]
)
