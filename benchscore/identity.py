"""Ed25519 identities: a station's or the scorer's key pair, its key id and pairing code.

A key file holds the 32-byte Ed25519 seed as 64 hex characters, readable only by its owner
(0600); the private key never leaves the machine that made it. A public key travels as 64 hex
characters. The cryptography is PyNaCl's (libsodium): signing with :mod:`nacl.signing`, and
:class:`nacl.public.SealedBox` to send a secret (a station's broker password) to one key.

- ``kid``: the first 16 hex characters of SHA-256 over the raw public key; every signed
  payload names the key that signed it.
- pairing code: the first 8 base32 characters of the same hash, shown as ``ABCD-EFGH`` on
  an unadopted station (display, log, ``benchscore station status``); a technician types it to
  adopt the station, which proves the key is the one on that station's screen.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import SealedBox
from nacl.signing import SigningKey, VerifyKey

SEED_BYTES = 32
PUBLIC_BYTES = 32
SIG_BYTES = 64


class KeyFileError(ValueError):
    """A key file that cannot be used (missing, malformed, readable by others)."""


def kid_of(public: bytes) -> str:
    """Key id: the first 16 hex characters of SHA-256 over the raw 32-byte public key."""
    return hashlib.sha256(public).hexdigest()[:16]


def pairing_code(public: bytes) -> str:
    """The 8-character code a technician types to adopt a station, as ``ABCD-EFGH``."""
    text = base64.b32encode(hashlib.sha256(public).digest()).decode()[:8]
    return f"{text[:4]}-{text[4:]}"


def normalise_code(code: str) -> str:
    """A pairing code as typed (any case, with or without the dash) in ``ABCD-EFGH`` form."""
    text = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(text) != 8:
        raise ValueError(f"pairing code {code!r} must have 8 letters or digits (ABCD-EFGH)")
    return f"{text[:4]}-{text[4:]}"


def parse_public_key(text: str, where: str = "public key") -> bytes:
    """A public key from 64 hex characters; ValueError naming ``where`` otherwise."""
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raise ValueError(f"{where}: expected 64 hex characters") from None
    if len(raw) != PUBLIC_BYTES:
        raise ValueError(f"{where}: {len(raw)} bytes, expected {PUBLIC_BYTES}")
    return raw


@dataclass(frozen=True)
class PublicKey:
    """A peer's public key: verifies its signatures, seals secrets to it."""

    raw: bytes

    @classmethod
    def from_hex(cls, text: str, where: str = "public key") -> PublicKey:
        return cls(parse_public_key(text, where))

    @property
    def hex(self) -> str:
        return self.raw.hex()

    @property
    def kid(self) -> str:
        return kid_of(self.raw)

    @property
    def code(self) -> str:
        return pairing_code(self.raw)

    def verify(self, data: bytes, signature: bytes) -> bool:
        """True if ``signature`` is this key's Ed25519 signature over ``data``."""
        try:
            VerifyKey(self.raw).verify(data, signature)
        except (BadSignatureError, ValueError, TypeError):
            return False
        return True

    def seal(self, secret: bytes) -> bytes:
        """Encrypt ``secret`` so that only the holder of the private key can read it."""
        return SealedBox(VerifyKey(self.raw).to_curve25519_public_key()).encrypt(secret)


class Identity:
    """This machine's key pair."""

    def __init__(self, seed: bytes, path: Path | None = None) -> None:
        if len(seed) != SEED_BYTES:
            raise KeyFileError(f"an Ed25519 seed has {SEED_BYTES} bytes, not {len(seed)}")
        self._key = SigningKey(seed)
        self.path = path
        self.public = PublicKey(bytes(self._key.verify_key))

    @classmethod
    def generate(cls) -> Identity:
        return cls(os.urandom(SEED_BYTES))

    @property
    def kid(self) -> str:
        return self.public.kid

    @property
    def code(self) -> str:
        return self.public.code

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature over ``data``."""
        return self._key.sign(data).signature

    def unseal(self, sealed: bytes) -> bytes:
        """Decrypt a secret sealed to this identity's public key; ValueError if it is not."""
        try:
            return SealedBox(self._key.to_curve25519_private_key()).decrypt(sealed)
        except CryptoError:
            raise ValueError("sealed secret does not open with this station's key") from None

    # -- files -------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the seed to a new file, mode 0600; never overwrite an existing one."""
        p = Path(path)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(bytes(self._key).hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.path = p

    @classmethod
    def load(cls, path: str | Path, *, require_private: bool = True) -> Identity:
        """Read a key file; with ``require_private`` refuse one that group or others can read."""
        p = Path(path)
        try:
            st = p.stat()
            text = p.read_text().strip()
        except OSError as exc:
            raise KeyFileError(f"{p}: cannot read key file: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise KeyFileError(f"{p}: key file must hold {SEED_BYTES * 2} hex characters") from None
        if require_private and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"{p}: key file is readable by group or others (chmod 600 it)")
        try:
            seed = bytes.fromhex(text)
        except ValueError:
            raise KeyFileError(f"{p}: key file must hold {SEED_BYTES * 2} hex characters") from None
        if len(seed) != SEED_BYTES:
            raise KeyFileError(f"{p}: key is {len(seed)} bytes, expected {SEED_BYTES}")
        return cls(seed, p)

    @classmethod
    def load_or_create(cls, path: str | Path) -> Identity:
        """The key at ``path``, made on first use (the private key never leaves this machine)."""
        p = Path(path)
        if p.exists():
            return cls.load(p)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise KeyFileError(
                f"{p.parent}: cannot create the key's directory: {exc.strerror or exc}"
            ) from None
        identity = cls.generate()
        try:
            identity.save(p)
        except FileExistsError:  # made by another process a moment ago
            return cls.load(p)
        except OSError as exc:
            raise KeyFileError(f"{p}: cannot write key file: {exc.strerror or exc}") from None
        return identity


def load_public_key_file(path: str | Path) -> PublicKey:
    """A ``.pub`` file: 64 hex characters of a raw Ed25519 public key."""
    p = Path(path)
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{p}: cannot read public key: {exc}") from None
    try:
        return PublicKey.from_hex(text, str(p))
    except ValueError as exc:
        raise KeyFileError(str(exc)) from None
