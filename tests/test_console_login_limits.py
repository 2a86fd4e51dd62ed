"""Failed logins slow down, they never lock an account for anyone; ``X-Forwarded-For`` counts
only from a proxy listed in ``[http] trusted_proxies``.

The HTTP tests run the real scorer (uvicorn on a loopback port), so the proxy handling is the
one the hall runs, not a test client's idea of it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchscore.mqtt import BrokerConfig
from scorer.accounts.auth import LoginLimiter, add_user
from scorer.accounts.db import ConsoleDB
from scorer.config import ConfigError, HttpConfig, ScorerConfig, parse_config
from scorer.service import ScorerService
from tests.support.brokers import Mosquitto

PASSWORD = "correct horse battery"


# -- the schedule ---------------------------------------------------------------------------
def waits_after_each_failure(lim: LoginLimiter, address: str, user: str) -> list[float]:
    t, out = 0.0, []
    for _ in range(9):
        t += lim.check(address, user, now=t)  # wait exactly as long as told, then fail again
        lim.failed(address, user, now=t)
        out.append(lim.check(address, user, now=t))
    return out


def test_an_accounts_delay_grows_0_0_1_2_4_and_is_capped() -> None:
    lim = LoginLimiter(free_per_address=100, cap_s=30.0)
    assert waits_after_each_failure(lim, "10.0.0.1", "Anna") == [0, 0, 1, 2, 4, 8, 16, 30, 30]


def test_an_addresss_delay_starts_after_its_free_failures() -> None:
    lim = LoginLimiter(free_per_account=100)
    waits = [0.0] * 5 + [1.0, 2.0, 4.0, 8.0]
    assert waits_after_each_failure(lim, "10.0.0.1", "anna") == waits
    # every failure used another name: still the address's delay
    lim = LoginLimiter()
    for i in range(6):
        lim.failed("10.0.0.2", f"user{i}", now=0.0)
    assert lim.check("10.0.0.2", "someone-else", now=0.0) == 1.0
    assert lim.check("10.0.0.3", "someone-else", now=0.0) == 0.0


def test_failures_are_forgotten_after_the_window_and_on_success() -> None:
    lim = LoginLimiter(window_s=600.0)
    for _ in range(4):
        lim.failed("10.0.0.1", "anna", now=0.0)
    assert lim.check("10.0.0.1", "ANNA", now=0.0) == 2.0  # names are case-insensitive
    assert lim.check("10.0.0.1", "anna", now=599.0) == 0.0  # the delay passed long ago ...
    lim.failed("10.0.0.1", "anna", now=599.0)
    assert lim.check("10.0.0.1", "anna", now=599.0) == 4.0  # ... but the count was kept
    lim.failed("10.0.0.1", "anna", now=599.0 + 600.0)  # a window without a failure: anew
    assert lim.check("10.0.0.1", "anna", now=1199.0) == 0.0
    for _ in range(3):
        lim.failed("10.0.0.1", "bob", now=2000.0)
    lim.succeeded("BOB")
    assert lim.check("10.0.0.9", "bob", now=2000.0) == 0.0


def test_an_attacker_elsewhere_slows_the_owner_down_but_never_locks_them_out() -> None:
    lim = LoginLimiter()
    t = 0.0
    for _ in range(40):  # as fast as the delays allow, for a long time
        t += max(lim.check("192.0.2.66", "anna", now=t), 0.0)
        lim.failed("192.0.2.66", "anna", now=t)
    wait = lim.check("10.0.0.7", "anna", now=t)
    assert 0 < wait <= lim.cap_s
    assert lim.check("10.0.0.7", "anna", now=t + wait) == 0.0  # the owner's turn
    assert lim.check("10.0.0.7", "bob", now=t) == 0.0  # the owner's address is not slowed


def test_the_table_of_names_is_bounded() -> None:
    lim = LoginLimiter(max_entries=100)
    for i in range(1000):
        lim.failed(f"10.0.{i // 250}.{i % 250}", f"name{i}", now=float(i))
    assert len(lim._by_account) == 100 and len(lim._by_address) == 100
    assert lim.check("10.0.3.249", "name999", now=999.0) == 0.0  # the newest still counted
    lim.failed("10.0.3.249", "name999", now=999.0)
    lim.failed("10.0.3.249", "name999", now=999.0)
    assert lim.check("10.0.3.249", "name999", now=999.0) == 1.0


# -- the config key -------------------------------------------------------------------------
def test_trusted_proxies_is_checked() -> None:
    assert parse_config({}).http.trusted_proxies == ()
    cfg = parse_config({"http": {"trusted_proxies": ["127.0.0.1", "10.0.0.0/8", "::1"]}})
    assert cfg.http.trusted_proxies == ("127.0.0.1", "10.0.0.0/8", "::1")
    with pytest.raises(ConfigError, match=r"http\.trusted_proxies: 'localhost' is not an IP"):
        parse_config({"http": {"trusted_proxies": ["localhost"]}}, name="scorer.toml")
    with pytest.raises(ConfigError, match=r"http\.trusted_proxies: expected a list"):
        parse_config({"http": {"trusted_proxies": "127.0.0.1"}}, name="scorer.toml")


# -- over HTTP, through the real server -----------------------------------------------------
def start_scorer(tmp_path: Path, mosquitto: Mosquitto, *proxies: str) -> ScorerService:
    scorer = ScorerService(
        ScorerConfig(
            event="test",
            broker=BrokerConfig(port=mosquitto.port),
            storage_path=tmp_path / "scorer.db",
            http=HttpConfig(port=0, trusted_proxies=proxies),
        )
    ).start()
    assert scorer.store is not None
    add_user(ConsoleDB(scorer.store.db), "judge1", "judge", PASSWORD, scrypt_n=2**6)
    return scorer


@pytest.fixture
def plain(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[ScorerService]:
    scorer = start_scorer(tmp_path, mosquitto)
    yield scorer
    scorer.stop()


@pytest.fixture
def proxied(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[ScorerService]:
    scorer = start_scorer(tmp_path, mosquitto, "127.0.0.1")
    yield scorer
    scorer.stop()


def attempt(base: str, username: str, password: str, forwarded_for: str) -> httpx.Response:
    """One login attempt by a fresh browser (its own cookies and CSRF token)."""
    with httpx.Client(base_url=base) as c:
        page = c.get("/login")
        token = re.search(r'data-csrf="([^"]+)"', page.text)
        assert token, page.text
        return c.post(
            "/console/api/login",
            json={"username": username, "password": password},
            headers={"X-CSRF-Token": token.group(1), "X-Forwarded-For": forwarded_for},
        )


def test_a_loopback_client_spoofing_xff_does_not_dodge_the_address_limit(
    plain: ScorerService,
) -> None:
    codes = [
        attempt(plain.url, f"guess{i}", "wrong password", f"203.0.113.{i}").status_code
        for i in range(8)
    ]
    assert codes == [401] * 6 + [429, 429]  # one address (the peer), whatever the header says
    r = attempt(plain.url, "judge1", PASSWORD, "198.51.100.1")
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1 and r.json()["retry_after_s"] >= 1


def test_xff_from_a_trusted_proxy_names_the_client(proxied: ScorerService) -> None:
    codes = [
        attempt(proxied.url, f"guess{i}", "wrong password", f"203.0.113.{i}").status_code
        for i in range(8)
    ]
    assert codes == [401] * 8  # eight clients behind the proxy, one failure each


def test_failing_a_known_account_elsewhere_only_delays_its_owner(proxied: ScorerService) -> None:
    attacker, owner = "192.0.2.66", "198.51.100.7"
    codes = [attempt(proxied.url, "judge1", "guess", attacker).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]  # 0, 0, then 1 s before the next try
    r = attempt(proxied.url, "judge1", PASSWORD, owner)
    assert r.status_code == 429  # the account's delay holds for everyone ...
    assert r.headers["retry-after"] == "1"
    time.sleep(1)
    r = attempt(proxied.url, "judge1", PASSWORD, owner)
    assert r.status_code == 200, r.text  # ... and only for that long: no lock-out
    assert r.json()["user"]["username"] == "judge1"
    assert attempt(proxied.url, "judge1", "guess", attacker).status_code == 401  # counts anew
