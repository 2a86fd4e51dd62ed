"""A judge answers a station's operator prompt from the console: the station page shows the
open prompt, the answer goes out as a signed ``answer`` command naming the judge, and only
roles that may answer can."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchscore.protocol import Topics
from tests.browser.support import (
    EVENT,
    Hall,
    client,
    enc,
    feed,
    login,
    make_hall,
    result,
    status,
)

PROMPT = {
    "id": "diffuser_fitted-1", "kind": "yes_no", "text": "Is the diffuser fitted?",
    "code": "diffuser_fitted", "params": {}, "asked_at": 1795312578.4, "timeout_s": 8,
    "default": True,
}  # fmt: skip


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = make_hall(tmp_path)
    feed(h.ingest)
    h.ingest.handle(Topics(EVENT, "led01").status, enc(status("led01", "running", prompt=PROMPT)))
    yield h
    h.close()


def logged(h: Hall, user: str) -> tuple[Any, dict[str, str]]:
    c = client(h.app)
    return c, {"X-CSRF-Token": login(c, user)}


def test_a_judge_sees_the_prompt_and_answers_it(hall: Hall) -> None:
    judge, h = logged(hall, "judge1")
    page = judge.get("/console/api/station/led01").json()
    assert page["prompt"]["id"] == "diffuser_fitted-1" and page["can"]["answer"]
    assert judge.get("/console/api/station/led02").json()["prompt"] is None
    body = {"command": "answer", "prompt": "diffuser_fitted-1", "value": False}
    r = judge.post("/console/api/station/led01/command", json=body, headers=h)
    assert r.status_code == 200, r.text
    _, station, _, command, args = hall.sent[-1]
    assert (station, command) == ("led01", "answer")
    assert args == {"prompt": "diffuser_fitted-1", "value": False, "judge": "judge1"}
    bad = {**body, "value": "no"}
    r = judge.post("/console/api/station/led01/command", json=bad, headers=h)
    assert r.status_code == 400 and len(hall.sent) == 1


def test_a_viewer_or_a_technician_cannot_answer(hall: Hall) -> None:
    for user in ("viewer1", "technician1"):
        c, h = logged(hall, user)
        assert not c.get("/console/api/station/led01").json()["can"]["answer"]
        body = {"command": "answer", "prompt": "diffuser_fitted-1", "value": True}
        r = c.post("/console/api/station/led01/command", json=body, headers=h)
        assert r.status_code == 403
    assert hall.sent == []


def test_the_newest_run_shows_its_prompts_and_who_answered(hall: Hall) -> None:
    answered = {**PROMPT, "value": False, "by": "judge", "judge": "judge1", "answered_at": 1.0}
    run = {**result("led01", 900, run=9), "prompts": [answered]}
    hall.ingest.handle(Topics(EVENT, "led01").record, enc(run))
    viewer, _ = logged(hall, "viewer1")
    runs = viewer.get("/console/api/station/led01").json()["runs"]
    assert runs[0]["run_id"] == "b1-9"
    (shown,) = runs[0]["prompts"]
    assert shown["by"] == "judge" and shown["judge"] == "judge1" and shown["value"] is False
    assert "prompts" not in runs[1]  # only the newest run's payload is read
