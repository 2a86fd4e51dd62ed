"""Certificates as W3C Verifiable Credentials in the Open Badges 3.0 shape, signed with the
centre's Ed25519 key (Data Integrity ``eddsa-jcs-2022``, :mod:`benchscore.vc`), a signed
Bitstring Status List for revocation, the printable PDF with a QR code, and the skill record
(a signed presentation of a person's credentials) for recruiters."""
