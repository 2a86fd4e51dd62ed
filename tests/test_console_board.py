"""The public board shows only the marks that count: a judgement the judges are discussing
never moves a public total, unscored aspects are not zeros, totals are out of the maximum, and
locking a module makes its marks final there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import Hall, client, feed, login, make_hall


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = make_hall(tmp_path)
    feed(h.ingest)
    yield h
    h.close()


def public(h: Hall, competitor: str) -> dict[str, Any]:
    rows = client(h.app).get("/console/api/board").json()["rows"]
    return next(r for r in rows if r["competitor"] == competitor)


def score(h: Hall, judge: str, aspect: str, value: int, reason: str = "") -> None:
    c = client(h.app)
    token = login(c, judge)
    body = {"competitor": "C01", "aspect": aspect, "score": value, "reason": reason}
    resp = c.post("/console/api/judgements", json=body, headers={"X-CSRF-Token": token})
    assert resp.status_code == 200, resp.text


def test_a_judgement_under_discussion_does_not_move_the_public_total(hall: Hall) -> None:
    start = public(hall, "C01")
    assert start["max"] == 30 and start["discussing"] == 0
    assert start["provisional"] and start["final"] == 0  # nothing locked yet
    assert start["scored"] < start["count"]  # unscored aspects: not counted as zeros
    score(hall, "judge1", "A3.1", 3)
    score(hall, "judge2", "A3.1", 0)
    assert public(hall, "C01")["total"] == start["total"]  # two of three judges: pending
    score(hall, "judge3", "A3.1", 3)  # 3, 0, 3: the judges are told to discuss
    sheet = client(hall.app)
    login(sheet, "judge1")
    row = next(
        r for r in sheet.get("/console/api/marks/C01").json()["rows"] if r["aspect"] == "A3.1"
    )
    assert row["status"] == "spread" and row["mark"] > 0  # the engine has a mark ...
    during = public(hall, "C01")
    assert during["total"] == start["total"]  # ... the public total does not move
    assert during["discussing"] == 1 and during["scored"] == start["scored"]
    # after the discussion judge2 scores again: agreed, the mark counts (provisionally)
    score(hall, "judge2", "A3.1", 3, reason="discussed: joints are fine")
    agreed = public(hall, "C01")
    assert agreed["discussing"] == 0 and agreed["total"] == pytest.approx(start["total"] + 2.0)
    assert agreed["provisional"] and agreed["final"] == 0


def test_locking_makes_the_marks_final_on_the_board(hall: Hall) -> None:
    before = public(hall, "C01")
    chief = client(hall.app)
    token = login(chief, "admin1")
    resp = chief.post("/console/api/competition/led/lock", json={}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 200, resp.text
    after = public(hall, "C01")
    led = [
        r
        for r in client(hall.app).get("/console/api/board").json()["modules"]
        if r["name"] == "LED module"
    ]
    assert led and led[0]["locked"]
    assert after["final"] > 0 and after["final"] == pytest.approx(after["total"])
    assert after["total"] >= before["total"]  # locked aspects now count, scored or not
    assert not after["provisional"]  # the other modules have nothing settled yet


def test_the_board_ranks_by_the_counted_total(hall: Hall) -> None:
    rows = client(hall.app).get("/console/api/board").json()["rows"]
    assert [r["rank"] for r in rows][0] == 1
    assert rows[-1]["competitor"] == "C02"  # the failed current costs marks
    assert all(r["total"] <= r["max"] for r in rows)
    assert "judges" not in str(rows) and "scores" not in str(rows)  # no judges' scores public
