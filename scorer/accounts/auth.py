"""Accounts, roles, passwords (scrypt), sessions, CSRF tokens and the login rate limit.

Roles and what each may do are one table, :data:`PERMISSIONS`; every endpoint names the
permission it needs and nothing else decides access. Passwords are hashed with scrypt from the
standard library (``scrypt$n$r$p$salt$hash``; the cost travels with the hash, so it can be raised
later without breaking old accounts). Session tokens are random, sent in an HttpOnly cookie, and
only their SHA-256 is stored, so a copy of the database opens no session. Each session has its
own CSRF token, which every state-changing request must echo in ``X-CSRF-Token``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Final

from .db import ConsoleDB

ROLES: Final = ("admin", "judge", "technician", "viewer", "contestant", "trainee", "trainer")
"""``admin`` is the chief expert."""

PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    # the hall grid, station detail with live curves, run history
    "hall": frozenset({"admin", "judge", "technician", "viewer"}),
    # limits next to measurements in the staff views
    "limits": frozenset({"admin", "judge", "technician"}),
    # the raw JSON API (/api/runs, /api/hall, ...) from another machine
    "raw_api": frozenset({"admin", "judge", "technician"}),
    # the mark sheet: judgement scores, overrides, totals
    "marks_view": frozenset({"admin", "judge"}),
    "marks_enter": frozenset({"judge"}),
    "marks_override": frozenset({"admin"}),
    # start / freeze / time limit / lock marks; start and abort a station's run
    "control": frozenset({"admin"}),
    # answer a station's operator prompt ("Is the diffuser fitted?") for the contestant
    "prompt_answer": frozenset({"admin", "judge"}),
    # self-check and rebirth commands to a station
    "maintain": frozenset({"admin", "technician"}),
    "fleet": frozenset({"admin", "technician"}),
    "audit": frozenset({"admin"}),
    "report": frozenset({"admin", "judge"}),
    "users": frozenset({"admin"}),
    "own_results": frozenset({"contestant"}),
    # training: a trainee's own practice; a trainer's groups (time limit, target)
    "training_own": frozenset({"trainee"}),
    "training_group": frozenset({"trainer", "admin"}),
}

HOME: Final[dict[str, str]] = {
    "admin": "/console/hall",
    "judge": "/console/hall",
    "technician": "/console/fleet",
    "viewer": "/console/hall",
    "contestant": "/console/me",
    "trainee": "/console/training/me",
    "trainer": "/console/training",
}

USERNAME_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_PASSWORD_LEN: Final = 10
SESSION_TTL_S: Final = 12 * 3600.0
"""A session ends this long after login, whatever happens."""
SESSION_IDLE_S: Final = 4 * 3600.0
"""... or after this long without a request."""
SESSION_COOKIE: Final = "bs_session"
LOGIN_CSRF_COOKIE: Final = "bs_login"

SCRYPT_N: Final = 2**15
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1


def allowed(role: str | None, permission: str) -> bool:
    """Whether ``role`` (None: not logged in) has ``permission``."""
    return role is not None and role in PERMISSIONS[permission]


def permissions_of(role: str) -> list[str]:
    return sorted(p for p, roles in PERMISSIONS.items() if role in roles)


# -- passwords ------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """``scrypt$n$r$p$salt$hash`` for ``password`` (a fresh 16-byte salt each time)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=32
    )
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    try:
        scheme, n_s, r_s, p_s, salt_s, hash_s = stored.split("$")
        n, r, p = int(n_s), int(r_s), int(p_s)
        salt, expected = base64.b64decode(salt_s), base64.b64decode(hash_s)
    except ValueError:
        return False
    if scheme != "scrypt" or not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r + 2**20,
        dklen=len(expected),
    )
    return hmac.compare_digest(digest, expected)


_DUMMY_HASH: Final = hash_password("not a password", n=2**10)


def generate_password() -> str:
    """A random password a person can type: 4 groups of 4 letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


# -- accounts -------------------------------------------------------------------------------
class AccountError(ValueError):
    """A user that cannot be created or changed as asked (the message says why)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    display_name: str
    contestant: str | None

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)

    def public(self) -> dict[str, object]:
        return {
            "username": self.username,
            "role": self.role,
            "display_name": self.display_name,
            "contestant": self.contestant,
            "permissions": permissions_of(self.role),
        }


def add_user(
    db: ConsoleDB,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str | None = None,
    contestant: str | None = None,
    scrypt_n: int = SCRYPT_N,
) -> User:
    """Create an account; raise :class:`AccountError` for a bad name, role or password."""
    if not USERNAME_RE.match(username):
        raise AccountError(f"username {username!r}: 1-64 letters, digits, '_', '.', '-'")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LEN:
        raise AccountError(f"password: at least {MIN_PASSWORD_LEN} characters")
    if role == "contestant" and not contestant:
        raise AccountError("a contestant account needs the contestant id it belongs to")
    if role != "contestant" and contestant:
        raise AccountError("only a contestant account belongs to a contestant")
    hashed = hash_password(password, n=scrypt_n)
    with db.tx() as c:
        if c.one("SELECT 1 AS x FROM console_users WHERE username = ?", (username,)):
            raise AccountError(f"user {username!r} exists already")
        uid = int(
            c.scalar(
                "INSERT INTO console_users (username, role, display_name, contestant, "
                "password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (username, role, display_name or username, contestant, hashed, time.time()),
            )
        )
    return User(uid, username, role, display_name or username, contestant)


def set_password(db: ConsoleDB, username: str, password: str, *, scrypt_n: int = SCRYPT_N) -> None:
    if len(password) < MIN_PASSWORD_LEN:
        raise AccountError(f"password: at least {MIN_PASSWORD_LEN} characters")
    hashed = hash_password(password, n=scrypt_n)
    with db.tx() as c:
        cur = c.execute(
            "UPDATE console_users SET password_hash = ? WHERE username = ?", (hashed, username)
        )
        if cur.rowcount != 1:
            raise AccountError(f"no user {username!r}")
        c.execute(
            "DELETE FROM console_sessions WHERE user_id = "
            "(SELECT id FROM console_users WHERE username = ?)",
            (username,),
        )


def set_disabled(db: ConsoleDB, username: str, disabled: bool) -> None:
    with db.tx() as c:
        cur = c.execute(
            "UPDATE console_users SET disabled = ? WHERE username = ?",
            (1 if disabled else 0, username),
        )
        if cur.rowcount != 1:
            raise AccountError(f"no user {username!r}")
        if disabled:
            c.execute(
                "DELETE FROM console_sessions WHERE user_id = "
                "(SELECT id FROM console_users WHERE username = ?)",
                (username,),
            )


def list_users(db: ConsoleDB) -> list[dict[str, object]]:
    rows = db.all(
        "SELECT username, role, display_name, contestant, created_at, disabled "
        "FROM console_users ORDER BY role, username"
    )
    for r in rows:
        r["disabled"] = bool(r["disabled"])
    return rows


def authenticate(db: ConsoleDB, username: str, password: str) -> User | None:
    """The user if ``password`` is right and the account enabled, else None.

    An unknown name costs the same hashing as a known one, so timing does not tell them apart.
    """
    row = db.one(
        "SELECT id, username, role, display_name, contestant, password_hash, disabled "
        "FROM console_users WHERE username = ?",
        (username,),
    )
    if row is None:
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, row["password_hash"]) or row["disabled"]:
        return None
    return User(row["id"], row["username"], row["role"], row["display_name"], row["contestant"])


# -- sessions -------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    token_hash: str


def open_session(db: ConsoleDB, user: User, now: float | None = None) -> tuple[str, Session]:
    """A new session for ``user``: (the cookie token, the session)."""
    t = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with db.tx() as c:
        c.execute("DELETE FROM console_sessions WHERE expires_at < ?", (t,))
        c.execute(
            "INSERT INTO console_sessions (token_hash, user_id, csrf, created_at, last_seen, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (_token_hash(token), user.id, csrf, t, t, t + SESSION_TTL_S),
        )
    return token, Session(user, csrf, _token_hash(token))


def load_session(db: ConsoleDB, token: str | None, now: float | None = None) -> Session | None:
    """The live session behind a cookie token, or None (unknown, expired, idle, disabled)."""
    if not token or len(token) > 128:
        return None
    t = time.time() if now is None else now
    th = _token_hash(token)
    with db.tx() as c:
        row = c.one(
            "SELECT s.csrf, s.last_seen, s.expires_at, u.id, u.username, u.role, "
            "u.display_name, u.contestant, u.disabled FROM console_sessions s "
            "JOIN console_users u ON u.id = s.user_id WHERE s.token_hash = ?",
            (th,),
        )
        if row is None:
            return None
        if row["disabled"] or t > row["expires_at"] or t - row["last_seen"] > SESSION_IDLE_S:
            c.execute("DELETE FROM console_sessions WHERE token_hash = ?", (th,))
            return None
        if t - row["last_seen"] > 30:
            c.execute("UPDATE console_sessions SET last_seen = ? WHERE token_hash = ?", (t, th))
    user = User(row["id"], row["username"], row["role"], row["display_name"], row["contestant"])
    return Session(user, row["csrf"], th)


def close_session(db: ConsoleDB, session: Session) -> None:
    with db.tx() as c:
        c.execute("DELETE FROM console_sessions WHERE token_hash = ?", (session.token_hash,))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token (both present and equal)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


# -- login rate limit -----------------------------------------------------------------------
@dataclass
class _Failures:
    count: int
    last: float


class LoginLimiter:
    """A progressive delay after failed logins, per account name and per client address.

    After ``free`` failures the next attempt waits ``base_s``, then twice as long after each
    further failure, at most ``cap_s``: with the defaults an account's attempts wait 0, 0, 1,
    2, 4 ... 60 s, an address's after 5 free failures. Failures are forgotten ``window_s``
    after the last one, and an account's on a successful login. Nobody is locked out: once
    the delay has passed one attempt goes through, so someone failing a known name from
    elsewhere only slows its owner down. ``check`` says how long to wait (0: go ahead); the
    caller answers 429 with ``Retry-After`` rather than holding a worker thread.
    """

    def __init__(
        self,
        *,
        free_per_account: int = 2,
        free_per_address: int = 5,
        base_s: float = 1.0,
        cap_s: float = 60.0,
        window_s: float = 900.0,
        max_entries: int = 100_000,
    ) -> None:
        self.free_per_account = free_per_account
        self.free_per_address = free_per_address
        self.base_s = base_s
        self.cap_s = cap_s
        self.window_s = window_s
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._by_account: dict[str, _Failures] = {}
        self._by_address: dict[str, _Failures] = {}

    def delay_s(self, failures: int, free: int) -> float:
        """Seconds an attempt waits after ``failures`` failures of which ``free`` cost nothing."""
        beyond = failures - free
        if beyond <= 0:
            return 0.0
        return min(self.cap_s, self.base_s * 2.0 ** min(beyond - 1, 63))

    def _tables(self, address: str, username: str) -> list[tuple[dict[str, _Failures], str, int]]:
        return [
            (self._by_account, username.lower(), self.free_per_account),
            (self._by_address, address, self.free_per_address),
        ]

    def check(self, address: str, username: str, now: float | None = None) -> float:
        """Seconds until ``username`` may try again from ``address`` (0: now)."""
        t = time.monotonic() if now is None else now
        wait = 0.0
        with self._lock:
            for table, key, free in self._tables(address, username):
                f = table.get(key)
                if f is None:
                    continue
                if t - f.last >= self.window_s:
                    del table[key]
                    continue
                wait = max(wait, f.last + self.delay_s(f.count, free) - t)
        return wait

    def failed(self, address: str, username: str, now: float | None = None) -> float:
        """Count a failure; return the delay the next attempt of either key now faces."""
        t = time.monotonic() if now is None else now
        with self._lock:
            for table, key, _ in self._tables(address, username):
                f = table.pop(key, None)  # re-inserted last: the dict stays oldest-first
                if f is None or t - f.last >= self.window_s:
                    f = _Failures(0, t)
                f.count += 1
                f.last = t
                table[key] = f
                while len(table) > self.max_entries:  # a flood of names: drop the oldest
                    del table[next(iter(table))]
        return self.check(address, username, t)

    def succeeded(self, username: str) -> None:
        """Forget the account's failures (the address keeps its own)."""
        with self._lock:
            self._by_account.pop(username.lower(), None)
