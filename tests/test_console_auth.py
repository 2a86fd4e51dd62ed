"""Passwords (scrypt), sessions, the login rate limit and `benchscore users`."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest

from scorer.accounts.auth import (
    SESSION_IDLE_S,
    AccountError,
    add_user,
    authenticate,
    hash_password,
    load_session,
    open_session,
    set_disabled,
    verify_password,
)
from scorer.accounts.db import ConsoleDB
from scorer.console import cli as users_cli
from scorer.store import Store
from tests.browser.support import PASSWORD, client, login, make_hall


@pytest.fixture
def db(tmp_path: Path) -> ConsoleDB:
    store = Store(tmp_path / "scorer.db")
    return ConsoleDB(store.db)


def test_password_hashes_are_salted_scrypt() -> None:
    a, b = hash_password("hunter2 hunter2", n=2**8), hash_password("hunter2 hunter2", n=2**8)
    assert a.startswith("scrypt$256$8$1$") and a != b
    assert verify_password("hunter2 hunter2", a) and verify_password("hunter2 hunter2", b)
    assert not verify_password("hunter3 hunter3", a)
    assert not verify_password("x", "md5$abc") and not verify_password("x", "garbage")
    assert hash_password("x" * 10).startswith("scrypt$32768$8$1$")  # the default cost


def test_accounts_are_checked(db: ConsoleDB) -> None:
    add_user(db, "anna", "judge", PASSWORD, scrypt_n=2**6)
    with pytest.raises(AccountError, match="exists"):
        add_user(db, "anna", "judge", PASSWORD, scrypt_n=2**6)
    with pytest.raises(AccountError, match="role"):
        add_user(db, "bob", "superuser", PASSWORD)
    with pytest.raises(AccountError, match="at least"):
        add_user(db, "bob", "judge", "short")
    with pytest.raises(AccountError, match="contestant id"):
        add_user(db, "bob", "contestant", PASSWORD)
    with pytest.raises(AccountError, match="username"):
        add_user(db, "../bob", "judge", PASSWORD)
    assert authenticate(db, "anna", PASSWORD) is not None
    assert authenticate(db, "anna", "wrong password") is None
    assert authenticate(db, "nobody", PASSWORD) is None
    set_disabled(db, "anna", True)
    assert authenticate(db, "anna", PASSWORD) is None


def test_sessions_expire_and_store_only_a_hash(db: ConsoleDB) -> None:
    user = add_user(db, "anna", "judge", PASSWORD, scrypt_n=2**6)
    token, session = open_session(db, user, now=1000.0)
    assert load_session(db, token, now=1001.0) is not None
    stored = db.all("SELECT token_hash FROM console_sessions")
    assert stored and all(token not in r["token_hash"] for r in stored)
    assert load_session(db, token + "x", now=1001.0) is None
    assert load_session(db, token, now=1000.0 + SESSION_IDLE_S + 60) is None  # idle
    assert load_session(db, token, now=1002.0) is None  # and gone for good


def test_login_is_rate_limited_over_http(tmp_path: Path) -> None:
    h = make_hall(tmp_path, event=False)
    try:
        c = client(h.app)
        page = c.get("/login").text
        token = page.split('data-csrf="')[1].split('"')[0]
        codes = []
        for _ in range(7):
            r = c.post(
                "/console/api/login",
                json={"username": "judge1", "password": "not the password"},
                headers={"X-CSRF-Token": token},
            )
            codes.append(r.status_code)
        assert codes == [401] * 3 + [429] * 4  # 0, 0, then 1 s (tests/test_console_login_limits)
        assert int(r.headers["retry-after"]) > 0
        # the right password is refused too while the name is limited
        r = c.post(
            "/console/api/login",
            json={"username": "judge1", "password": PASSWORD},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 429
        login(client(h.app), "judge2")  # another account is not affected
    finally:
        h.close()


def test_logout_ends_the_session(tmp_path: Path) -> None:
    h = make_hall(tmp_path, event=False)
    try:
        c = client(h.app)
        token = login(c, "admin1")
        assert c.get("/console/api/me").status_code == 200
        assert c.post("/console/api/logout", headers={"X-CSRF-Token": token}).status_code == 200
        assert c.get("/console/api/me").status_code == 401
        cookie_jar = dict(c.cookies)
        assert "bs_session" not in cookie_jar
        assert time.time() > 0
    finally:
        h.close()


def test_users_cli_add_list_passwd(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "scorer.toml"
    conf.write_text('[storage]\npath = "scorer.db"\n')
    assert users_cli.main(["users", "add", "chief", "--role", "admin", "--config", str(conf)]) == 0
    out = capsys.readouterr().out
    password = out.split("password: ")[1].strip()
    assert len(password) == 19  # four groups of four
    monkeypatch.setattr(sys, "stdin", io.StringIO("a chosen password\n"))
    argv = ["users", "add", "c1", "--role", "contestant", "--contestant", "C01", "--config"]
    assert users_cli.main([*argv, str(conf), "--password-stdin"]) == 0
    assert "password:" not in capsys.readouterr().out
    assert users_cli.main(["users", "add", "chief", "--role", "judge", "--config", str(conf)]) == 1
    assert "exists" in capsys.readouterr().err
    assert users_cli.main(["users", "list", "--config", str(conf)]) == 0
    listing = capsys.readouterr().out
    assert "chief" in listing and "contestant C01" in listing
    store = Store(tmp_path / "scorer.db")
    try:
        db = ConsoleDB(store.db)
        assert authenticate(db, "chief", password) is not None
        assert authenticate(db, "c1", "a chosen password") is not None
        assert [r["action"] for r in db.all("SELECT action FROM console_audit ORDER BY id")] == [
            "user.add",
            "user.add",
        ]
    finally:
        store.close()
    assert users_cli.main(["users", "disable", "chief", "--config", str(conf)]) == 0
    assert users_cli.main(["users", "passwd", "nobody", "--config", str(conf)]) == 1


def test_demo_accounts_have_random_printed_passwords(tmp_path: Path) -> None:
    from scorer.console.demo import create_demo_accounts

    made = create_demo_accounts(tmp_path / "scorer.db", {"C01": "Anna"})
    roles = {role for _, role, _ in made}
    assert roles == {"admin", "judge", "technician", "viewer", "contestant"}
    assert len({pw for _, _, pw in made}) == len(made)
    assert create_demo_accounts(tmp_path / "scorer.db") == []  # kept from the first run
