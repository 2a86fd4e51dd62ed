"""Every endpoint, every role: allowed or denied, as scorer.accounts.auth.PERMISSIONS says;
every state-changing request without (or with a wrong) CSRF token is refused.

The clients are "remote" (not this machine), so the raw /api/* JSON is not open to them
without the raw_api permission.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scorer.accounts.auth import PERMISSIONS
from scorer.console import report
from tests.browser.support import EVENT, ROLES, Hall, client, feed, login, make_hall

ANON = "anonymous"
ALL = (ANON, *ROLES)
LOGGED_IN = frozenset(ROLES)
PUBLIC = frozenset(ALL)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    allowed: frozenset[str]
    body: dict[str, Any] | None = None
    page: bool = False

    @property
    def id(self) -> str:
        extra = f"[{self.body.get('command')}]" if self.body and "command" in self.body else ""
        return f"{self.method} {self.path}{extra}"


def perm(name: str) -> frozenset[str]:
    return PERMISSIONS[name]


_seq = itertools.count()


def endpoints() -> list[Endpoint]:
    ev = EVENT
    return [
        # public
        Endpoint("GET", "/board", PUBLIC, page=True),
        Endpoint("GET", "/login", PUBLIC, page=True),
        Endpoint("GET", "/console/api/board", PUBLIC),
        Endpoint("GET", "/api/health", PUBLIC),
        Endpoint("GET", "/static/console.js", PUBLIC),
        Endpoint("GET", "/verify", PUBLIC, page=True),
        Endpoint("POST", "/verify/check", PUBLIC, {}),  # changes nothing: no CSRF token
        Endpoint("GET", "/credentials/status/1", PUBLIC),
        # pages
        Endpoint("GET", "/console", perm("hall"), page=True),
        Endpoint("GET", "/console/hall", perm("hall"), page=True),
        Endpoint("GET", "/console/screen", perm("hall"), page=True),
        Endpoint("GET", "/console/station/led01", perm("hall"), page=True),
        Endpoint("GET", "/console/judge", perm("marks_view"), page=True),
        Endpoint("GET", "/console/control", perm("control"), page=True),
        Endpoint("GET", "/console/fleet", perm("fleet"), page=True),
        Endpoint("GET", "/console/audit", perm("audit"), page=True),
        Endpoint("GET", "/console/users", perm("users"), page=True),
        Endpoint("GET", "/console/me", perm("own_results"), page=True),
        Endpoint("GET", "/console/training/me", perm("training_own"), page=True),
        Endpoint("GET", "/console/training", perm("training_group"), page=True),
        Endpoint("GET", "/console/report/C01", perm("report"), page=True),
        Endpoint("GET", "/console/report/C01.pdf", perm("report"), page=True),
        # console API, reads
        Endpoint("GET", "/console/api/me", LOGGED_IN),
        Endpoint("GET", "/console/api/hall", perm("hall")),
        Endpoint("GET", "/console/api/station/led01", perm("hall")),
        Endpoint("GET", "/console/api/station/led01/curve?run_id=b1-1&name=samples", perm("hall")),
        Endpoint("GET", "/console/api/station/led01/image?run_id=b1-1&name=image_w", perm("hall")),
        Endpoint("GET", "/console/api/live?max_s=0.05", perm("hall")),
        Endpoint("GET", "/console/api/marks", perm("marks_view")),
        Endpoint("GET", "/console/api/marks/C01", perm("marks_view")),
        Endpoint("GET", "/console/api/competition", perm("control")),
        Endpoint("GET", "/console/api/fleet", perm("fleet")),
        Endpoint("GET", "/console/api/audit", perm("audit")),
        Endpoint("GET", "/console/api/audit/export", perm("audit")),
        Endpoint("GET", "/console/api/results/me", perm("own_results")),
        Endpoint("GET", "/console/api/users", perm("users")),
        # console API, writes
        Endpoint(
            "POST", "/console/api/station/led01/command", perm("control"), {"command": "start"}
        ),
        Endpoint(
            "POST", "/console/api/station/led01/command", perm("control"), {"command": "abort"}
        ),
        Endpoint(
            "POST",
            "/console/api/station/led01/command",
            perm("maintain"),
            {"command": "self_check"},
        ),
        Endpoint(
            "POST", "/console/api/station/led01/command", perm("maintain"), {"command": "rebirth"}
        ),
        Endpoint(
            "POST",
            "/console/api/judgements",
            perm("marks_enter"),
            {"competitor": "C02", "aspect": "A3.1", "score": 2},
        ),
        Endpoint(
            "POST",
            "/console/api/overrides",
            perm("marks_override"),
            {"competitor": "C03", "aspect": "A1.1", "mark": 1.0, "reason": "sensor re-checked"},
        ),
        Endpoint(
            "POST",
            "/console/api/competition/lighting/time_limit",
            perm("control"),
            {"minutes": 170, "reason": "power cut in hall B"},
        ),
        Endpoint("POST", "/console/api/competition/powerbank/start", perm("control"), {}),
        Endpoint("POST", "/console/api/fleet/adopt", perm("fleet"), {}),
        Endpoint("POST", "/console/api/fleet/revoke", perm("fleet"), {}),
        Endpoint("POST", "/console/api/fleet/replace", perm("fleet"), {}),
        Endpoint("POST", "/console/api/competition/powerbank/freeze", perm("control"), {}),
        Endpoint("POST", "/console/api/competition/lighting/lock", perm("control"), {}),
        Endpoint("POST", "/console/api/users", perm("users"), {"role": "viewer"}),
        Endpoint("POST", "/console/api/logout", LOGGED_IN, {}),
        # raw JSON API and the marking engine's routes
        Endpoint("GET", "/api/hall", perm("raw_api")),
        Endpoint("GET", "/api/stations", perm("raw_api")),
        Endpoint("GET", "/api/runs", perm("raw_api")),
        Endpoint("GET", "/api/rejections", perm("raw_api")),
        Endpoint("GET", f"/api/event/{ev}", perm("raw_api")),
        Endpoint("GET", f"/api/marks/{ev}", perm("raw_api")),
        Endpoint("GET", f"/api/marks/{ev}/totals", perm("raw_api")),
        Endpoint("GET", f"/api/marks/{ev}/changes", perm("raw_api")),
        Endpoint("GET", f"/api/marks/{ev}/standardised", perm("raw_api")),
        Endpoint("GET", f"/api/marks/{ev}/versions", perm("raw_api")),
        Endpoint("GET", f"/api/marks/{ev}/sheet/C01", perm("raw_api")),
        Endpoint("GET", f"/api/marks/{ev}/record/C01", perm("raw_api")),
        Endpoint("GET", f"/api/appeals/{ev}/led01/b1-1", perm("raw_api")),
        Endpoint(
            "POST",
            f"/api/judgements/{ev}",
            perm("marks_enter"),
            {"competitor": "C04", "aspect": "A3.1", "score": 1},
        ),
        Endpoint(
            "POST",
            f"/api/event/{ev}/modules/powerbank/time_limit",
            perm("control"),
            {"minutes": 200},
        ),
    ]


ENDPOINTS = endpoints()
WRITES = [e for e in ENDPOINTS if e.method == "POST" and e.path != "/verify/check"]


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    h = make_hall(tmp_path_factory.mktemp("access"))
    feed(h.ingest)
    yield h
    h.close()


@pytest.fixture(scope="module")
def sessions(hall: Hall) -> dict[str, tuple[Any, str]]:
    out: dict[str, tuple[Any, str]] = {ANON: (client(hall.app), "")}
    for role in ROLES:
        c = client(hall.app)
        out[role] = (c, login(c, hall.users[role]))
    return out


@pytest.fixture(autouse=True)
def no_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "to_pdf", lambda html, chromium=None: b"%PDF-1.4 stand-in")


def _body(e: Endpoint, role: str, hall: Hall) -> dict[str, Any] | None:
    if e.body is None:
        return None
    body = dict(e.body)
    if e.path == "/console/api/users":
        body["username"] = f"made{next(_seq)}"
    if e.path.startswith("/api/judgements/"):
        body["judge"] = hall.users.get(role, "nobody")
    return body


def _call(c: Any, e: Endpoint, token: str, body: dict[str, Any] | None) -> Any:
    if e.method == "GET":
        return c.get(e.path)
    return c.post(e.path, json=body, headers={"X-CSRF-Token": token} if token else {})


@pytest.mark.parametrize("role", ALL)
@pytest.mark.parametrize("e", ENDPOINTS, ids=[e.id for e in ENDPOINTS])
def test_role_access(e: Endpoint, role: str, hall: Hall, sessions: dict[str, Any]) -> None:
    c, token = sessions[role]
    if e.path == "/console/api/logout" and role != ANON:
        c = client(hall.app)  # a session of its own: logging out must not end the shared one
        token = login(c, hall.users[role])
    resp = _call(c, e, token, _body(e, role, hall))
    if role in e.allowed:
        assert resp.status_code not in (401, 403), (resp.status_code, resp.text[:300])
        assert resp.status_code < 500, resp.text[:300]
        if e.page:
            assert resp.status_code == 200, resp.text[:300]
    elif role == ANON:
        if e.page:
            assert resp.status_code == 302
            assert resp.headers["location"].startswith("/login?next=")
        else:
            assert resp.status_code == 401, resp.text[:300]
    else:
        assert resp.status_code == 403, (resp.status_code, resp.text[:300])


def test_every_route_is_in_the_matrix(hall: Hall) -> None:
    """A new endpoint without a line above fails here."""
    from starlette.routing import Route

    covered = {(e.method, e.path.split("?")[0]) for e in ENDPOINTS}
    samples = {
        "{station}": "led01",
        "{contestant}": "C01",
        "{competitor}": "C01",
        "{event}": EVENT,
        "{module}": "lighting",
        "{name}": "console.js",
    }
    missing = []
    for route in hall.app.routes:
        assert isinstance(route, Route)
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            path = route.path
            for k, v in samples.items():
                path = path.replace(k, v)
            if "{" in path:
                # parametrised paths the matrix samples with other values
                known = [p for m, p in covered if m == method and _shape(p) == _shape(route.path)]
                if not known:
                    missing.append(f"{method} {route.path}")
            elif (method, path) not in covered and route.path not in ("/", "/console/api/login"):
                missing.append(f"{method} {route.path}")
    assert not missing, missing


def _shape(path: str) -> int:
    return path.count("/")


@pytest.mark.parametrize("e", WRITES, ids=[e.id for e in WRITES])
@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_writes_need_the_csrf_token(
    e: Endpoint, token: str, hall: Hall, sessions: dict[str, Any]
) -> None:
    role = sorted(e.allowed)[0]
    c, _ = sessions[role]
    headers = {} if token == "missing" else {"X-CSRF-Token": "not-the-token"}
    resp = c.post(e.path, json=_body(e, role, hall), headers=headers)
    assert resp.status_code == 403
    assert "csrf" in resp.json()["error"]


def test_writes_from_another_origin_are_refused(hall: Hall, sessions: dict[str, Any]) -> None:
    c, token = sessions["admin"]
    resp = c.post(
        "/console/api/competition/lighting/time_limit",
        json={"minutes": 100, "reason": "x"},
        headers={"X-CSRF-Token": token, "Origin": "http://evil.example"},
    )
    assert resp.status_code == 403 and "cross-origin" in resp.json()["error"]


def test_login_needs_the_login_csrf_token(hall: Hall) -> None:
    c = client(hall.app)
    c.get("/login")
    resp = c.post("/console/api/login", json={"username": "admin1", "password": "x" * 12})
    assert resp.status_code == 403 and "csrf" in resp.json()["error"]


def test_raw_api_is_open_to_this_machine_only(hall: Hall) -> None:
    local = client(hall.app, remote=False)
    assert local.get("/api/runs").status_code == 200
    assert client(hall.app).get("/api/runs").status_code == 401


def test_the_landing_page_sends_each_role_home(hall: Hall, sessions: dict[str, Any]) -> None:
    assert sessions[ANON][0].get("/").status_code == 200  # a visitor gets the board at once
    homes = {
        "admin": "/console/hall",
        "judge": "/console/hall",
        "technician": "/console/fleet",
        "viewer": "/console/hall",
        "contestant": "/console/me",
    }
    for role, home in homes.items():
        c, _ = sessions[role]
        assert c.get("/").headers["location"] == home, role


def test_viewer_sees_no_limits(hall: Hall, sessions: dict[str, Any]) -> None:
    judge, _ = sessions["judge"]
    viewer, _ = sessions["viewer"]
    st_j = judge.get("/console/api/station/led02").json()
    st_v = viewer.get("/console/api/station/led02").json()
    assert st_j["limits_visible"] and st_j["runs"][0]["measurements"][0]["limits"]["low"] == 0.27
    assert not st_v["limits_visible"]
    assert all(m["limits"] is None for r in st_v["runs"] for m in r["measurements"])
    assert st_v["runs"][0]["reason"] is None and st_v["station"]["reason"] is None
    hall_v = viewer.get("/console/api/hall").json()
    assert "0.27" not in str(hall_v)


def test_the_board_shows_no_limits_and_no_values(hall: Hall) -> None:
    board = client(hall.app).get("/console/api/board").json()
    text = str(board)
    assert board["rows"] and {"rank", "name", "total", "progress"} <= set(board["rows"][0])
    for leak in ("0.27", "0.33", "2850", "limits", "value", "measurement"):
        assert leak not in text, leak


def test_pages_are_self_contained(hall: Hall, sessions: dict[str, Any]) -> None:
    import re

    c, _ = sessions["admin"]
    for path in ("/console/hall", "/console/station/led01", "/console/judge", "/board"):
        page = c.get(path)
        assert "default-src 'none'" in page.headers["content-security-policy"]
        refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert refs and all(r.startswith("/") for r in refs), refs
        for ref in refs:
            if ref.startswith("/static/"):
                assert c.get(ref).status_code == 200, ref
    for name in ("console.js", "hall.js", "station.js"):
        js = c.get(f"/static/{name}").text
        assert ".innerHTML" not in js and "http://" not in js and "https://" not in js


def test_anonymous_login_page_then_home(tmp_path: Path) -> None:
    h = make_hall(tmp_path, event=False)
    try:
        c = client(h.app)
        login(c, "viewer1")
        assert c.get("/console/api/me").json()["user"]["role"] == "viewer"
        assert c.get("/console/api/marks").status_code == 403
        board = c.get("/console/api/board").json()
        assert board["event"] is None and board["rows"] == []
    finally:
        h.close()
