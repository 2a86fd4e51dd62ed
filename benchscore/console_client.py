"""A small client of the judges' console over HTTP, as a browser uses it: log in (with the login
page's CSRF token), then call the JSON API with the session's token. The demo adopts its
stations through it, exactly as a technician does on the fleet page."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.request
from typing import Any

_CSRF_RE = re.compile(r'data-csrf="([^"]*)"')


class ConsoleError(RuntimeError):
    """The console refused a request; the message is its own words."""


class ConsoleClient:
    """Logged-in access to ``base`` (e.g. ``http://127.0.0.1:8080``)."""

    def __init__(self, base: str, timeout_s: float = 10.0) -> None:
        self.base = base.rstrip("/")
        self.timeout_s = timeout_s
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def _page_token(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=self.timeout_s) as resp:
            html = resp.read().decode()
        found = _CSRF_RE.search(html)
        if found is None:
            raise ConsoleError(f"{path}: no CSRF token on the page")
        return found.group(1)

    def login(self, username: str, password: str) -> None:
        token = self._page_token("/login")
        self._post("/console/api/login", {"username": username, "password": password}, token)
        self.csrf = self._page_token("/console/fleet")

    def get(self, path: str) -> Any:
        try:
            with self.opener.open(self.base + path, timeout=self.timeout_s) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as exc:
            raise ConsoleError(f"GET {path}: {exc.code} {_error(exc)}") from None

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._post(path, body, self.csrf)

    def _post(self, path: str, body: dict[str, Any], token: str) -> Any:
        req = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "X-CSRF-Token": token},
        )
        try:
            with self.opener.open(req, timeout=self.timeout_s) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as exc:
            raise ConsoleError(f"POST {path}: {exc.code} {_error(exc)}") from None


def _error(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.load(exc).get("error", ""))
    except (ValueError, AttributeError):
        return exc.reason if isinstance(exc.reason, str) else ""
