"""Judgement entry, overrides, locks, the module clock and the contestant's view, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import EVENT, Hall, client, feed, login, make_hall


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = make_hall(tmp_path)
    feed(h.ingest)
    yield h
    h.close()


def logged(h: Hall, user: str) -> tuple[Any, dict[str, str]]:
    c = client(h.app)
    return c, {"X-CSRF-Token": login(c, user)}


def row(sheet: dict[str, Any], aspect: str) -> dict[str, Any]:
    return next(r for r in sheet["rows"] if r["aspect"] == aspect)


def test_three_judges_score_with_a_spread_warning(hall: Hall) -> None:
    for judge, score in (("judge1", 3), ("judge2", 1)):
        c, h = logged(hall, judge)
        r = c.post(
            "/console/api/judgements",
            json={"competitor": "C01", "aspect": "A3.1", "score": score},
            headers=h,
        )
        assert r.status_code == 200 and r.json()["status"] == "pending", r.text
    c, h = logged(hall, "judge3")
    r = c.post(
        "/console/api/judgements",
        json={"competitor": "C01", "aspect": "A3.1", "score": 2},
        headers=h,
    )
    assert r.json()["status"] == "spread" and r.json()["scores"] == [3.0, 1.0, 2.0]
    sheet = c.get("/console/api/marks/C01").json()
    a = row(sheet, "A3.1")
    assert a["status"] == "spread" and [j["judge"] for j in a["judges"]] == [
        "judge1",
        "judge2",
        "judge3",
    ]
    assert a["mark"] == pytest.approx(2.0 * 2 / 3, abs=0.01)
    # judge2 changes their score: a reason is required; then the spread is gone
    c2, h2 = logged(hall, "judge2")
    body = {"competitor": "C01", "aspect": "A3.1", "score": 2}
    assert c2.post("/console/api/judgements", json=body, headers=h2).status_code == 400
    body["reason"] = "agreed after discussion"
    assert c2.post("/console/api/judgements", json=body, headers=h2).json()["status"] == "ok"
    # a measured aspect takes no score, and scores are 0-3
    bad = {"competitor": "C01", "aspect": "A1.1", "score": 1}
    assert c2.post("/console/api/judgements", json=bad, headers=h2).status_code == 400
    bad = {"competitor": "C01", "aspect": "A3.1", "score": 5, "reason": "x"}
    assert c2.post("/console/api/judgements", json=bad, headers=h2).status_code == 400
    chief, _ = logged(hall, "admin1")
    entries = chief.get("/console/api/audit").json()["entries"]
    change = entries[0]
    assert (change["actor"], change["action"], change["old"], change["new"]) == (
        "judge2",
        "judgement.change",
        "1",
        "2",
    )
    assert change["reason"] == "agreed after discussion"


def test_override_needs_a_reason_and_shows_everywhere(hall: Hall) -> None:
    c, h = logged(hall, "admin1")
    sheet = c.get("/console/api/marks/C02").json()
    computed = row(sheet, "A1.1")["mark"]
    assert computed == 0.0  # led02 measured 0.25 A: outside every band
    body: dict[str, Any] = {"competitor": "C02", "aspect": "A1.1", "mark": 1.0}
    assert c.post("/console/api/overrides", json=body, headers=h).status_code == 400
    body["reason"] = "clamp meter shows 0.29 A: the station's shunt was loose"
    assert c.post("/console/api/overrides", json=body, headers=h).status_code == 200
    a = row(c.get("/console/api/marks/C02").json(), "A1.1")
    assert a["mark"] == 1.0 and a["status"] == "override" and a["computed"] == 0.0
    assert a["override"]["entered_by"] == "admin1"
    too_much = {**body, "mark": 99}
    assert c.post("/console/api/overrides", json=too_much, headers=h).status_code == 400
    entry = c.get("/console/api/audit").json()["entries"][0]
    assert entry["action"] == "mark.override" and entry["old"] is None and entry["new"] == "1"


def test_locked_marks_cannot_change(hall: Hall) -> None:
    chief, hc = logged(hall, "admin1")
    judge, hj = logged(hall, "judge1")
    assert chief.post("/console/api/competition/led/lock", json={}, headers=hc).status_code == 200
    r = judge.post(
        "/console/api/judgements",
        json={"competitor": "C01", "aspect": "A3.1", "score": 2},
        headers=hj,
    )
    assert r.status_code == 409 and "locked" in r.json()["error"]
    r = judge.post(
        f"/api/judgements/{EVENT}",
        headers=hj,
        json={"competitor": "C01", "aspect": "A3.1", "score": 2, "judge": "judge1"},
    )
    assert r.status_code == 409
    body = {"competitor": "C01", "aspect": "A1.1", "mark": 1, "reason": "x"}
    assert chief.post("/console/api/overrides", json=body, headers=hc).status_code == 409
    # unlocking needs a reason
    assert chief.post("/console/api/competition/led/unlock", json={}, headers=hc).status_code == 400
    r = chief.post(
        "/console/api/competition/led/unlock", json={"reason": "appeal by C01"}, headers=hc
    )
    assert r.status_code == 200


def test_engine_judgement_route_takes_only_the_logged_in_judge(hall: Hall) -> None:
    judge, hj = logged(hall, "judge1")
    body = {"competitor": "C03", "aspect": "A3.1", "score": 2, "judge": "judge2"}
    assert judge.post(f"/api/judgements/{EVENT}", json=body, headers=hj).status_code == 403
    body["judge"] = "judge1"
    assert judge.post(f"/api/judgements/{EVENT}", json=body, headers=hj).status_code == 200
    chief, _ = logged(hall, "admin1")
    entry = chief.get("/console/api/audit").json()["entries"][0]
    assert (entry["actor"], entry["action"], entry["subject"]) == (
        "judge1",
        "judgement.enter",
        f"{EVENT}/C03/A3.1",
    )


def test_time_limit_change_reaches_the_stations(hall: Hall) -> None:
    chief, h = logged(hall, "admin1")
    assert chief.post("/console/api/competition/led/start", json={}, headers=h).status_code == 200
    hall.sent.clear()
    r = chief.post("/console/api/competition/led/time_limit", json={"minutes": 180}, headers=h)
    assert r.status_code == 400  # a reason is required
    r = chief.post(
        "/console/api/competition/led/time_limit",
        json={"minutes": 180, "reason": "the 3.5 h module became 3 h"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    clock = r.json()["clock"]
    assert clock["time_limit_s"] == 180 * 60 and clock["state"] == "running"
    sent = {(st, cmd, args["end_ts"]) for _, st, _, cmd, args in hall.sent}
    assert sent == {
        (st, "set_time_limit", clock["end_ts"]) for st in ("led01", "led02", "led03", "led04")
    }
    # freeze: the stations get the freeze time as their end; resume gives the time back
    hall.sent.clear()
    frozen = chief.post("/console/api/competition/led/freeze", json={}, headers=h).json()["clock"]
    assert frozen["state"] == "frozen" and len(hall.sent) == 4
    resumed = chief.post("/console/api/competition/led/resume", json={}, headers=h).json()["clock"]
    assert resumed["state"] == "running" and resumed["remaining_s"] > 179 * 60
    hall_view = chief.get("/console/api/hall").json()
    ctx = next(s for s in hall_view["stations"] if s["id"] == "led01")["context"]
    assert ctx["competitor"] == "C01" and ctx["clock"]["state"] == "running"
    actions = [e["action"] for e in chief.get("/console/api/audit").json()["entries"]]
    assert actions[:4] == ["module.resume", "module.freeze", "module.time_limit", "module.start"]


def test_station_commands_are_sent_and_audited(hall: Hall) -> None:
    tech, h = logged(hall, "technician1")
    r = tech.post("/console/api/station/led03/command", json={"command": "self_check"}, headers=h)
    assert r.status_code == 200
    assert hall.sent[-1][1:2] == ("led03",) and hall.sent[-1][3] == "self_check"
    r = tech.post("/console/api/station/led03/command", json={"command": "start"}, headers=h)
    assert r.status_code == 403
    r = tech.post("/console/api/station/nope/command", json={"command": "rebirth"}, headers=h)
    assert r.status_code == 404


def test_contestant_sees_limits_and_marks_only_after_the_lock(hall: Hall) -> None:
    me, _ = logged(hall, "contestant1")
    before = me.get("/console/api/results/me").json()
    assert before["competitor"]["id"] == "C01" and before["marks"] == [] and before["total"] is None
    led_runs = [r for r in before["runs"] if r["station"] == "led01"]
    assert led_runs and all(m["limits"] is None for m in led_runs[0]["measurements"])
    assert led_runs[0]["measurements"][0]["value"] == 0.30
    assert "C02" not in str(before)  # only their own results
    chief, h = logged(hall, "admin1")
    chief.post("/console/api/competition/led/lock", json={}, headers=h)
    after = me.get("/console/api/results/me").json()
    led_runs = [r for r in after["runs"] if r["station"] == "led01"]
    assert led_runs[0]["measurements"][0]["limits"]["low"] == 0.27
    assert after["marks"] and all(m["module"] == "led" for m in after["marks"])
    assert after["total"] == pytest.approx(sum(m["mark"] for m in after["marks"]))


def test_board_ranks_by_total(hall: Hall) -> None:
    board = client(hall.app).get("/console/api/board").json()
    rows = board["rows"]
    assert [r["rank"] for r in rows][:1] == [1]
    assert rows[-1]["competitor"] == "C02"  # the failed current costs marks
    assert all(0 <= r["progress"] <= 1 for r in rows)


def test_console_override_reaches_the_engine_exports(hall: Hall) -> None:
    c, h = logged(hall, "admin1")
    totals = f"/api/marks/{EVENT}/totals"
    before = c.get(totals).json()["C02"]["total"]
    sheet_before = c.get(f"/api/marks/{EVENT}/sheet/C02").text
    body: dict[str, Any] = {"competitor": "C02", "aspect": "A1.1", "mark": 1, "reason": "shunt"}
    assert c.post("/console/api/overrides", json=body, headers=h).status_code == 200
    exported = c.get(f"/api/marks/{EVENT}").json()
    got = next(
        a
        for comp in exported["competitors"]
        if comp["id"] == "C02"
        for a in comp["aspects"]
        if a["aspect"] == "A1.1"
    )
    assert (got["mark"], got["status"]) == (1.0, "override") and "admin1" in got["detail"]
    assert "C02,Boris Petrov" in c.get(f"/api/marks/{EVENT}?format=csv").text
    assert c.get(totals).json()["C02"]["total"] == pytest.approx(before + 1.0)
    assert c.get(f"/api/marks/{EVENT}/sheet/C02").text != sheet_before
    # removing it restores the computed mark everywhere; the audit log records both
    body = {"competitor": "C02", "aspect": "A1.1", "mark": None, "reason": "appeal rejected"}
    assert c.post("/console/api/overrides", json=body, headers=h).status_code == 200
    assert c.get(totals).json()["C02"]["total"] == before
    sheet_after = c.get(f"/api/marks/{EVENT}/sheet/C02").text
    assert sheet_after.split("\n", 1)[1] == sheet_before.split("\n", 1)[1]  # the marks
    assert "audit chain: 2 rows" in sheet_after.split("\n", 1)[0]  # set and removed: audited
    assert row(c.get("/console/api/marks/C02").json(), "A1.1")["override"] is None
    entries = c.get("/console/api/audit").json()["entries"]
    assert [(e["action"], e["old"], e["new"], e["reason"]) for e in entries[:2]] == [
        ("mark.override_removed", "1", None, "appeal rejected"),
        ("mark.override", None, "1", "shunt"),
    ]


def test_a_score_is_never_stored_without_its_audit_entry(
    hall: Hall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The judgement and its audit row commit together: if the audit write fails, the score
    is rolled back, and the judge can enter it again."""
    from scorer.accounts import audit

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    c, h = logged(hall, "judge1")
    body = {"competitor": "C03", "aspect": "A3.1", "score": 2}
    with monkeypatch.context() as m:
        m.setattr(audit, "append", broken)
        with pytest.raises(RuntimeError, match="disk full"):
            c.post("/console/api/judgements", json=body, headers=h)
    judged = [j for j in hall.comp.judgements(EVENT) if j["competitor"] == "C03"]
    assert judged == []
    r = c.post("/console/api/judgements", json=body, headers=h)
    assert r.status_code == 200 and r.json()["changed"] is True
    chief, _ = logged(hall, "admin1")
    entry = chief.get("/console/api/audit").json()["entries"][0]
    assert (entry["actor"], entry["action"], entry["new"]) == ("judge1", "judgement.enter", "2")
