"""W3C Verifiable Credentials as benchscore issues and checks them, offline.

``multikey``: did:key / Multikey for an Ed25519 key; ``proof``: the Data Integrity proof
``eddsa-jcs-2022`` (RFC 8785 JCS through the ``rfc8785`` library, Ed25519 through PyNaCl);
``statuslist``: the Bitstring Status List (revocation); ``verify``: what ``benchscore verify``
checks. Nothing here imports the scorer: a verifier needs only this package.
"""
