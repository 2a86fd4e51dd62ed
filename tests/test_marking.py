"""The marking engine: schemes, bands, judgements, attempts, versions, module clocks, exports,
appeals; over stored runs on SQLite and PostgreSQL (no broker: commands go to a list)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchscore.configfile import ConfigError
from scorer.appeals import appeal, recompute, task_parameters
from scorer.competition import Competition, CompetitionError, load_event
from scorer.exports import (
    mark_sheet,
    marks_csv,
    marks_json,
    skill_record,
    standardise,
    standardised,
)
from scorer.marking import (
    Band,
    load_scheme,
    mark_judgement,
    mark_measurement,
)
from scorer.store import Store
from tests.test_storage import fresh_postgres_database

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "event" / "example.toml"
EVENT = "regional-2025"
GOOD_LED = {"voltage_v": 12.0, "current_a": 0.300, "power_w": 3.6, "illuminance_lx": 2850.0}


def result(
    station: str,
    seq: int,
    task: str,
    values: dict[str, float | None],
    *,
    marked: bool = True,
    started_at: float | None = None,
    event: str = EVENT,
    boot_id: str = "b1",
    curve: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    start = time.time() - 1000 + seq if started_at is None else started_at
    return {
        "schema": 2,
        "type": "record",
        "event": event,
        "station": station,
        "boot_id": boot_id,
        "seq": seq,
        "run_id": f"{boot_id}-{seq}",
        "kind": "result",
        "task": task,
        "procedure": "led_assembly" if task == "led-module-a" else "synthetic",
        "marked": marked,
        "started_at": start,
        "ended_at": start + 1.0,
        "outcome": "pass",
        "reason": "",
        "measurements": [
            {
                "name": name,
                "value": value,
                "unit": "",
                "limits": {},
                "outcome": "pass" if value is not None else "error",
                **({"curve": curve} if curve else {}),
            }
            for name, value in values.items()
        ],
        **extra,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def comp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Competition]:
    """The example event installed on a fresh store; commands sent go to ``comp.sent``."""

    def open_comp(target: str) -> Competition:
        store = Store(target)
        sent: list[tuple[str, str, str, str, dict[str, Any]]] = []
        c = Competition(store, send=lambda *a: sent.append(a))
        c.sent = sent  # type: ignore[attr-defined]
        c.install_file(EXAMPLE)
        return c

    if request.param == "sqlite":
        c = open_comp(str(tmp_path / "scorer.db"))
        yield c
        c.store.close()
    else:
        with fresh_postgres_database() as url:
            c = open_comp(url)
            yield c
            c.store.close()


def marks_of(comp: Competition, competitor: str, version: int | None = None) -> dict[str, float]:
    return {
        r["aspect"]: r["mark"] for r in comp.marks(EVENT, version) if r["competitor"] == competitor
    }


def judge_all(comp: Competition, competitor: str, aspect: str, scores: list[int]) -> None:
    for n, score in enumerate(scores, 1):
        comp.enter_score(EVENT, competitor, aspect, f"judge{n}", score)


# -- the scheme ----------------------------------------------------------------------------


def test_example_scheme_loads() -> None:
    event, scheme = load_event(EXAMPLE)
    assert event.id == EVENT and event.scheme_id == scheme.id == "electronics-2025"
    assert [m.id for m in event.modules] == ["led", "lighting", "powerbank"]
    assert event.module("led").time_limit_s == 210 * 60
    assert scheme.max_total == 30.0
    a11 = scheme.aspect("A1.1")
    assert (a11.type, a11.module, a11.day, a11.measurement) == ("M", "led", 1, "current_a")
    assert a11.full == Band(0.28, 0.32, 2.0) and a11.partial == (Band(0.27, 0.33, 1.0),)
    assert scheme.aspect("A4.1").entered and scheme.aspect("A3.1").type == "J"
    assert event.stations_of("led") == {f"led0{i}": f"C0{i}" for i in range(1, 5)}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("full = { low = 0.28, high = 0.32 }", "full = { low = 0.32, high = 0.28 }"),
            "above high",
        ),
        (("mark = 1.0 }]", "mark = 2.0 }]"), "less than max_mark"),
        (('id = "A1.2"', 'id = "A1.1"'), "appears twice"),
        (('type = "J"', 'type = "X"'), "not one of"),
        (("max_mark = 3.0\nmeasurement", "max_mark = 3.0\ncolour = 1\nmeasurement"), "colour"),
        (("full = { high = 0.5 }", "full = { }"), "low, high or both"),
    ],
)
def test_scheme_errors_name_file_and_key(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    text = (EXAMPLE.parent / "electronics-scheme.toml").read_text()
    assert edit[0] in text
    bad = tmp_path / "scheme.toml"
    bad.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ConfigError, match=re.escape("scheme.toml")) as info:
        load_scheme(bad)
    assert message in str(info.value)


def test_event_refers_to_known_things(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE.parent / "electronics-scheme.toml", tmp_path)
    text = EXAMPLE.read_text()
    (tmp_path / "e.toml").write_text(text.replace('led04 = "C04"', 'led04 = "C09"'))
    with pytest.raises(ConfigError, match="unknown competitor 'C09'"):
        load_event(tmp_path / "e.toml")
    (tmp_path / "e.toml").write_text(text.replace('led04 = "C04"', 'led04 = "C01"'))
    with pytest.raises(ConfigError, match="already at 'led01'"):
        load_event(tmp_path / "e.toml")
    renamed = text.replace("[modules.powerbank]", "[modules.pb]")
    (tmp_path / "e.toml").write_text(renamed.replace("[assignments.powerbank]", "[assignments.pb]"))
    with pytest.raises(ConfigError, match=r"module\(s\) \['powerbank'\]"):
        load_event(tmp_path / "e.toml")


def test_bands_and_judgements() -> None:
    _, scheme = load_event(EXAMPLE)
    a11, c11 = scheme.aspect("A1.1"), scheme.aspect("C1.1")
    assert mark_measurement(a11, 0.30).mark == 2.0
    assert mark_measurement(a11, 0.28).mark == 2.0  # bands are closed
    assert mark_measurement(a11, 0.275).mark == 1.0
    assert mark_measurement(a11, 0.335).mark == 0.0
    assert mark_measurement(a11, None).status == "no_value"
    assert mark_measurement(a11, None, has_run=False).status == "no_run"
    assert mark_measurement(c11, 1e9).mark == 3.0  # open-ended
    assert mark_measurement(c11, 2800).mark == 1.5
    a31 = scheme.aspect("A3.1")  # max 2, J
    assert mark_judgement(a31, [2, 3]).status == "pending"
    ok = mark_judgement(a31, [2, 3, 2])
    assert (ok.mark, ok.status) == (1.56, "ok")  # 2 * (7/3) / 3
    wide = mark_judgement(a31, [0, 2, 3])
    assert wide.status == "spread" and wide.mark == 1.11 and "judges to discuss" in wide.detail


# -- marking stored runs -------------------------------------------------------------------


def test_marks_from_runs_and_judgements(comp: Competition) -> None:
    s = comp.store
    s.add_run(result("led01", 1, "led-module-a", GOOD_LED))
    s.add_run(result("led02", 1, "led-module-a", {**GOOD_LED, "current_a": 0.275, "power_w": 3.1}))
    s.add_run(result("led03", 1, "led-module-a", {**GOOD_LED, "illuminance_lx": None}))
    s.add_run(result("nobody", 1, "led-module-a", GOOD_LED))  # not assigned: ignored
    comp.remark(EVENT)
    judge_all(comp, "C01", "A3.1", [3, 3, 2])
    comp.enter_score(EVENT, "C01", "A4.1", "judge1", 1)
    m1, m2, m3 = marks_of(comp, "C01"), marks_of(comp, "C02"), marks_of(comp, "C03")
    assert (m1["A1.1"], m1["A1.2"], m1["A1.3"], m1["A2.1"]) == (2.0, 1.0, 1.0, 3.0)
    assert (m1["A3.1"], m1["A3.2"], m1["A4.1"]) == (1.78, 0.0, 1.0)
    assert (m2["A1.1"], m2["A1.3"], m2["A2.1"]) == (1.0, 0.5, 3.0)
    assert m3["A2.1"] == 0.0 and m3["A1.1"] == 2.0
    rows = {(r["competitor"], r["aspect"]): r for r in comp.marks(EVENT)}
    assert rows[("C03", "A2.1")]["status"] == "no_value"
    assert rows[("C04", "A1.1")]["status"] == "no_run"
    assert rows[("C01", "A3.2")]["status"] == "pending"
    assert "in the full band 0.28..0.32" in rows[("C01", "A1.1")]["detail"]
    totals = comp.totals(EVENT)
    assert totals["C01"]["total"] == 9.78 and totals["C01"]["criteria"] == {
        "A": 9.78,
        "B": 0.0,
        "C": 0.0,
    }
    assert totals["C01"]["max"] == 30.0
    # judgement scores are checked
    with pytest.raises(CompetitionError, match="0, 1, 2 or 3"):
        comp.enter_score(EVENT, "C01", "A3.1", "judge1", 4)
    with pytest.raises(CompetitionError, match="measured by the stations"):
        comp.enter_score(EVENT, "C01", "A1.1", "judge1", 1)
    with pytest.raises(CompetitionError, match="no competitor"):
        comp.enter_score(EVENT, "C99", "A3.1", "judge1", 1)
    # a judge re-scoring replaces their own score, not another judge's
    comp.enter_score(EVENT, "C01", "A3.1", "judge3", 3)
    assert marks_of(comp, "C01")["A3.1"] == 2.0
    assert [j["score"] for j in comp.judgements(EVENT) if j["aspect"] == "A3.1"] == [3, 3, 2, 3]


def test_attempts_policy(comp: Competition) -> None:
    s = comp.store
    bad = {**GOOD_LED, "current_a": 0.2, "power_w": 2.4, "illuminance_lx": 1900.0}
    # C01: a self-check (good, not marked), then bad, good, good (third is over the limit)
    s.add_run(result("led01", 1, "led-module-a", GOOD_LED, marked=False))
    s.add_run(result("led01", 2, "led-module-a", bad))
    s.add_run(result("led01", 3, "led-module-a", GOOD_LED))
    s.add_run(result("led01", 4, "led-module-a", {**GOOD_LED, "power_w": 5.0}))
    # C02: a run a restart interrupted does not use an attempt
    s.add_run(result("led02", 1, "led-module-a", {}, interrupted=True))
    s.add_run(result("led02", 2, "led-module-a", bad))
    comp.remark(EVENT)
    done = {(c["module"], c["competitor"]): c for c in comp.completion(EVENT)}
    c01 = done[("led", "C01")]
    assert c01["self_checks"] == 1 and c01["marked_runs"] == 3 and c01["attempts_used"] == 2
    assert c01["counted_run"] == "b1-3" and c01["excess_runs"] == ["b1-4"]
    assert c01["attempts_left"] == 0 and not c01["complete"] and c01["judged"] == "0/3"
    c02 = done[("led", "C02")]
    assert c02["counted_run"] == "b1-2" and c02["attempts_used"] == 1 and c02["attempts_left"] == 1
    assert marks_of(comp, "C01")["A1.1"] == 2.0  # the best of the two attempts
    # with "last", the later attempt counts even when worse
    ev, scheme = load_event(EXAMPLE)
    led = ev.module("led")
    import dataclasses

    last = dataclasses.replace(
        ev, modules=(dataclasses.replace(led, counted="last"), *ev.modules[1:])
    )
    s.add_run(result("led03", 1, "led-module-a", GOOD_LED))
    s.add_run(result("led03", 2, "led-module-a", bad))
    comp.remark(EVENT)
    assert marks_of(comp, "C03")["A1.1"] == 2.0
    comp.install(last, scheme)  # same scheme: no new version, but the event changed: re-marked
    assert marks_of(comp, "C03")["A1.1"] == 0.0
    assert len(comp.versions(scheme.id)) == 1


def test_changing_a_band_remarks_and_keeps_the_earlier_marks(
    comp: Competition, tmp_path: Path
) -> None:
    s = comp.store
    s.add_run(result("led01", 1, "led-module-a", {**GOOD_LED, "current_a": 0.275}))
    s.add_run(result("led02", 1, "led-module-a", GOOD_LED))
    comp.remark(EVENT)
    v1 = {c: marks_of(comp, c) for c in ("C01", "C02")}
    assert v1["C01"]["A1.1"] == 1.0 and v1["C02"]["A1.1"] == 2.0
    # the experts widen A1.1's full band to 0.27..0.33
    shutil.copy(EXAMPLE, tmp_path / "example.toml")
    scheme_text = (EXAMPLE.parent / "electronics-scheme.toml").read_text()
    changed = scheme_text.replace(
        "full = { low = 0.28, high = 0.32 }", "full = { low = 0.27, high = 0.33 }"
    )
    changed = changed.replace("partial = [{ low = 0.27, high = 0.33, mark = 1.0 }]", "")
    (tmp_path / "electronics-scheme.toml").write_text(changed)
    _, v2 = comp.install_file(tmp_path / "example.toml", note="A1.1 widened")
    assert v2.version == 2 and v2.note == "A1.1 widened"
    assert [v["version"] for v in comp.versions("electronics-2025")] == [1, 2]
    assert marks_of(comp, "C01")["A1.1"] == 2.0  # re-marked from the stored measurement
    assert marks_of(comp, "C01", version=1) == v1["C01"]  # version 1 kept as it was
    assert marks_of(comp, "C02", version=1) == v1["C02"]
    changes = [
        (c["version"], c["old_mark"], c["new_mark"], c["reason"])
        for c in comp.mark_changes(EVENT)
        if c["competitor"] == "C01" and c["aspect"] == "A1.1"
    ]
    assert [c[:3] for c in changes] == [(1, None, 0.0), (1, 0.0, 1.0), (2, None, 2.0)]
    assert changes[-1][3] == "scheme electronics-2025 changed"
    # a comment-only edit is the same scheme: no new version
    (tmp_path / "electronics-scheme.toml").write_text("# reworded\n" + changed)
    _, again = comp.install_file(tmp_path / "example.toml")
    assert again.version == 2
    # new data after the change only touches the current version
    s.add_run(result("led03", 1, "led-module-a", GOOD_LED))
    comp.on_result(result("led03", 1, "led-module-a", GOOD_LED))
    assert marks_of(comp, "C03")["A1.1"] == 2.0 and marks_of(comp, "C03", 1)["A1.1"] == 0.0


# -- module clocks -------------------------------------------------------------------------


def test_module_clock_start_limit_freeze_resume_stop(comp: Competition) -> None:
    sent: list[tuple[str, str, str, str, dict[str, Any]]] = comp.sent  # type: ignore[attr-defined]
    with pytest.raises(CompetitionError, match="not running"):
        comp.freeze(EVENT, "led")
    before = time.time()
    clock = comp.start_module(EVENT, "led", actor="chief")
    assert clock.state == "running" and clock.started_at is not None
    assert clock.started_at >= before and clock.end_ts == clock.started_at + 210 * 60
    assert sorted(s for _, s, _, cmd, _ in sent if cmd == "set_time_limit") == [
        "led01",
        "led02",
        "led03",
        "led04",
    ]
    assert {a["end_ts"] for *_, a in sent} == {clock.end_ts}
    sent.clear()
    clock = comp.set_time_limit(EVENT, "led", 180)  # the 3.5 h module becomes 3 h
    assert clock.end_ts == pytest.approx(clock.started_at + 180 * 60)
    assert len(sent) == 4 and {a["end_ts"] for *_, a in sent} == {clock.end_ts}
    sent.clear()
    frozen = comp.freeze(EVENT, "led")
    assert frozen.state == "frozen" and frozen.end_ts == frozen.paused_at
    remaining = frozen.remaining_s(time.time() + 100)
    assert remaining is not None and remaining == pytest.approx(180 * 60, abs=5)
    assert {a["end_ts"] for *_, a in sent} == {frozen.end_ts}
    with pytest.raises(CompetitionError, match="not pending"):
        comp.start_module(EVENT, "led")
    resumed = comp.resume(EVENT, "led")
    assert resumed.state == "running" and resumed.paused_s >= 0
    assert resumed.end_ts == pytest.approx(
        resumed.started_at + 180 * 60 + resumed.paused_s  # type: ignore[operator]
    )
    stopped = comp.stop_module(EVENT, "led")
    assert stopped.state == "stopped" and stopped.end_ts is not None
    assert stopped.end_ts <= time.time()
    assert [e["action"] for e in comp.module_log(EVENT)] == [
        "start",
        "time_limit",
        "freeze",
        "resume",
        "stop",
    ]
    sent.clear()
    assert set(comp.measure(EVENT, "lighting")) == {"env01", "env02", "env03", "env04"}
    assert {cmd for *_, cmd, _ in sent} == {"start"}


def test_reconcile_resends_the_end_to_a_station_that_missed_it(comp: Competition) -> None:
    sent: list[tuple[str, str, str, str, dict[str, Any]]] = comp.sent  # type: ignore[attr-defined]
    status = {"event": EVENT, "station": "led02", "online": True, "task": "led-module-a"}
    assert comp.reconcile(status) is None  # the module has not started
    clock = comp.start_module(EVENT, "led")
    sent.clear()
    assert comp.reconcile(status, min_interval_s=0) is not None  # holds no end
    assert sent[-1][1:4:2] == ("led02", "set_time_limit") and sent[-1][4] == {
        "end_ts": clock.end_ts
    }
    assert comp.reconcile({**status, "time_limit_end": clock.end_ts}, min_interval_s=0) is None
    assert comp.reconcile({**status, "online": False}, min_interval_s=0) is None
    assert comp.reconcile({**status, "station": "elsewhere"}, min_interval_s=0) is None
    n = len(sent)
    assert comp.reconcile({**status, "time_limit_end": 1.0}, min_interval_s=60) is None  # too soon
    assert len(sent) == n
    comp.close()  # cancels the re-check it scheduled


def test_marked_runs_outside_the_module_clock_do_not_count(comp: Competition) -> None:
    clock = comp.start_module(EVENT, "led")
    assert clock.started_at is not None and clock.end_ts is not None
    s = comp.store
    s.add_run(result("led01", 1, "led-module-a", GOOD_LED, started_at=clock.started_at - 3600))
    s.add_run(result("led02", 1, "led-module-a", GOOD_LED, started_at=clock.end_ts + 3600))
    s.add_run(result("led03", 1, "led-module-a", GOOD_LED, started_at=clock.started_at + 5))
    comp.remark(EVENT)
    done = {c["competitor"]: c for c in comp.completion(EVENT) if c["module"] == "led"}
    assert done["C01"]["counted_run"] is None and done["C02"]["counted_run"] is None
    assert done["C03"]["counted_run"] == "b1-1"


# -- exports -------------------------------------------------------------------------------


def feed_all(comp: Competition) -> None:
    s = comp.store
    # totals: C01 13.56, C02 12.56, C03 11.56, C04 12.06
    currents = [0.30, 0.275, 0.25, 0.31]
    lux = [600.0, 600.0, 600.0, 460.0]
    u0 = [0.65, 0.6, 0.65, 0.7]
    for i in range(4):
        s.add_run(result(f"led0{i + 1}", 1, "led-module-a", {**GOOD_LED, "current_a": currents[i]}))
        s.add_run(
            result(
                f"env0{i + 1}",
                1,
                "office-booth",
                {"work_mean_lx": lux[i], "work_u0": u0[i]},
            )
        )
    comp.remark(EVENT)
    for c in ("C01", "C02", "C03", "C04"):
        judge_all(comp, c, "A3.1", [2, 2, 3])


def test_exports(comp: Competition) -> None:
    feed_all(comp)
    text = marks_csv(comp, EVENT)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 * 18
    first = rows[0]
    assert (first["competitor"], first["aspect"], first["type"], first["max_mark"]) == (
        "C01",
        "A1.1",
        "M",
        "2.0",
    )
    doc = marks_json(comp, EVENT)
    assert doc["scheme_version"] == 1 and doc["max_total"] == 30.0
    by_id = {c["id"]: c for c in doc["competitors"]}
    assert by_id["C01"]["total"] == sum(a["mark"] for a in by_id["C01"]["aspects"])
    assert len(by_id["C02"]["aspects"]) == 18

    sheet = list(csv.reader(io.StringIO(mark_sheet(comp, EVENT, "C02"))))
    assert sheet[1][:3] == ["Competitor", "C02", "Boris Petrov"]
    header = sheet[3]
    assert header[2] == "Aspect ID" and header[10] == "Awarded Mark"
    a11 = next(r for r in sheet if r[2:3] == ["A1.1"])
    assert a11[8] == "0.275" and a11[10] == "1"
    a31 = next(r for r in sheet if r[2:3] == ["A3.1"])
    assert a31[5:8] == ["2", "2", "3"] and a31[10] == "1.56"
    total = sheet[-1]
    assert total[1] == "Total" and total[9] == "30"
    assert float(total[10]) == comp.totals(EVENT)["C02"]["total"]

    ranking = standardised(comp, EVENT)
    assert [(r["competitor"], r["raw"], r["rank"]) for r in ranking] == [
        ("C01", 13.56, 1),
        ("C02", 12.56, 2),
        ("C04", 12.06, 3),
        ("C03", 11.56, 4),
    ]
    ws = [r["ws_score"] for r in ranking]
    assert ws[0] > ws[1] > 700 > ws[2] > ws[3] and (ws[1] + ws[2]) / 2 == pytest.approx(700, abs=1)
    record = skill_record(comp, EVENT, "C04")
    assert record["competitor"]["name"] == "Daria Smirnova" and record["of"] == 4
    assert {c["criterion"] for c in record["criteria"]} == {"A", "B", "C"}
    led = next(m for m in record["modules"] if m["module"] == "led")
    assert {m["name"] for m in led["measured"]} == {
        "voltage_v",
        "current_a",
        "power_w",
        "illuminance_lx",
    }
    text_record = repr(record)
    assert "0.28" not in text_record and "judge1" not in text_record  # no bands, no judges


def test_standardise() -> None:
    assert standardise({}) == {}
    assert standardise({"a": 5.0, "b": 5.0}) == {"a": 700.0, "b": 700.0}
    ws = standardise({"a": 10.0, "b": 20.0, "c": 30.0})
    assert ws["b"] == 700.0 and ws["a"] < 700 < ws["c"] and ws["c"] - 700 == 700 - ws["a"]


# -- overrides -----------------------------------------------------------------------------


def _sheet_row(comp: Competition, competitor: str, aspect: str) -> list[str]:
    sheet = list(csv.reader(io.StringIO(mark_sheet(comp, EVENT, competitor))))
    return next(r for r in sheet if r[2:3] == [aspect])


def _sheet_total(comp: Competition, competitor: str) -> float:
    sheet = list(csv.reader(io.StringIO(mark_sheet(comp, EVENT, competitor))))
    assert sheet[-1][1] == "Total"
    return float(sheet[-1][10])


def _csv_row(comp: Competition, competitor: str, aspect: str) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(marks_csv(comp, EVENT)))
    return next(r for r in rows if (r["competitor"], r["aspect"]) == (competitor, aspect))


def _json_of(comp: Competition, competitor: str) -> dict[str, Any]:
    return next(c for c in marks_json(comp, EVENT)["competitors"] if c["id"] == competitor)


def test_override_reaches_totals_and_every_export(comp: Competition) -> None:
    feed_all(comp)
    assert marks_of(comp, "C03")["A1.1"] == 0.0  # 0.25 A: outside every band
    before = comp.totals(EVENT)["C03"]["total"]
    assert before == 11.56
    computed_status = _csv_row(comp, "C03", "A1.1")["status"]

    old = comp.set_override(EVENT, "C03", "A1.1", 1.5, "clamp meter: 0.29 A", "chief")
    assert old is None and set(comp.overrides(EVENT)) == {("C03", "A1.1")}
    row = next(r for r in comp.marks(EVENT) if (r["competitor"], r["aspect"]) == ("C03", "A1.1"))
    assert (row["mark"], row["status"], row["computed"]) == (1.5, "override", 0.0)
    assert row["override"]["entered_by"] == "chief"
    assert "chief" in row["detail"] and "clamp meter" in row["detail"]
    assert comp.totals(EVENT)["C03"]["total"] == 13.06
    csv_row = _csv_row(comp, "C03", "A1.1")
    assert (csv_row["mark"], csv_row["status"]) == ("1.5", "override")
    doc = _json_of(comp, "C03")
    aspect = next(a for a in doc["aspects"] if a["aspect"] == "A1.1")
    assert (aspect["mark"], aspect["status"], doc["total"]) == (1.5, "override", 13.06)
    sheet_row = _sheet_row(comp, "C03", "A1.1")
    assert (sheet_row[10], sheet_row[11]) == ("1.5", "override")
    assert _sheet_total(comp, "C03") == 13.06
    ranked = {r["competitor"]: r for r in standardised(comp, EVENT)}
    assert ranked["C03"]["raw"] == 13.06 and ranked["C03"]["rank"] == 2
    assert skill_record(comp, EVENT, "C03")["total"] == 13.06
    change = comp.mark_changes(EVENT)[-1]
    assert (change["aspect"], change["old_mark"], change["new_mark"]) == ("A1.1", 0.0, 1.5)
    assert change["reason"] == "override by chief: clamp meter: 0.29 A"

    # a new result re-marks C03: the override still counts, the computed mark moves under it
    comp.store.add_run(result("led03", 2, "led-module-a", GOOD_LED))
    comp.remark(EVENT, ["C03"])
    row = next(r for r in comp.marks(EVENT) if (r["competitor"], r["aspect"]) == ("C03", "A1.1"))
    assert (row["mark"], row["status"], row["computed"]) == (1.5, "override", 2.0)

    # changing and removing: the old override is returned; without it the computed mark is back
    assert comp.set_override(EVENT, "C03", "A1.1", 1.0, "second look", "chief") == 1.5
    assert comp.remove_override(EVENT, "C03", "A1.1", "appeal upheld", "chief") == 1.0
    assert comp.remove_override(EVENT, "C03", "A1.1", "again", "chief") is None
    assert comp.overrides(EVENT) == {}
    assert marks_of(comp, "C03")["A1.1"] == 2.0
    csv_row = _csv_row(comp, "C03", "A1.1")
    assert (csv_row["mark"], csv_row["status"]) == ("2.0", "ok") and computed_status == "ok"
    assert _sheet_row(comp, "C03", "A1.1")[10] == "2"
    total = comp.totals(EVENT)["C03"]["total"]
    assert total == 13.56 and _sheet_total(comp, "C03") == total
    assert _json_of(comp, "C03")["total"] == total
    assert comp.mark_changes(EVENT)[-1]["new_mark"] == 2.0


def test_remove_override_restores_the_computed_mark(comp: Competition) -> None:
    feed_all(comp)
    before = {c: t["total"] for c, t in comp.totals(EVENT).items()}
    sheet_before = mark_sheet(comp, EVENT, "C02")
    csv_before = marks_csv(comp, EVENT)
    comp.set_override(EVENT, "C02", "A3.1", 2.0, "judges agreed: excellent", "chief")
    assert comp.totals(EVENT)["C02"]["total"] == round(before["C02"] - 1.56 + 2.0, 2)
    assert mark_sheet(comp, EVENT, "C02") != sheet_before
    comp.remove_override(EVENT, "C02", "A3.1", "withdrawn", "chief")
    assert {c: t["total"] for c, t in comp.totals(EVENT).items()} == before
    assert mark_sheet(comp, EVENT, "C02") == sheet_before
    assert marks_csv(comp, EVENT) == csv_before


def test_override_is_checked(comp: Competition) -> None:
    feed_all(comp)
    with pytest.raises(CompetitionError, match="reason"):
        comp.set_override(EVENT, "C01", "A1.1", 1.0, "  ", "chief")
    with pytest.raises(CompetitionError, match=r"0\.\.2"):
        comp.set_override(EVENT, "C01", "A1.1", 2.5, "why", "chief")
    with pytest.raises(CompetitionError, match="no aspect"):
        comp.set_override(EVENT, "C01", "Z9.9", 1.0, "why", "chief")
    with pytest.raises(CompetitionError, match="no competitor"):
        comp.set_override(EVENT, "C99", "A1.1", 1.0, "why", "chief")
    assert comp.overrides(EVENT) == {}


def test_console_overrides_move_to_the_engine(comp: Competition) -> None:
    """A database of console schema 1 (its own console_overrides) opened by this console."""
    from scorer.accounts.db import SCHEMA_VERSION, ConsoleDB

    feed_all(comp)
    db = comp.store.db
    ConsoleDB(db)
    comp.set_override(EVENT, "C02", "A1.1", 0.5, "engine's own", "chief")
    with db.transaction() as tx:
        tx.execute(
            db.expand(
                "CREATE TABLE console_overrides (event TEXT NOT NULL, competitor TEXT NOT NULL, "
                "aspect TEXT NOT NULL, mark {float} NOT NULL, reason TEXT NOT NULL, "
                "entered_by TEXT NOT NULL, entered_at {float} NOT NULL, "
                "PRIMARY KEY (event, competitor, aspect))"
            )
        )
        for competitor, mark in (("C01", 1.0), ("C02", 2.0)):
            tx.execute(
                "INSERT INTO console_overrides VALUES "
                "(?, ?, 'A1.1', ?, 'old console', 'admin1', 1)",
                (EVENT, competitor, mark),
            )
        tx.execute("UPDATE console_schema SET version = 1")
    ConsoleDB(db)
    got = {k: (v["mark"], v["entered_by"]) for k, v in comp.overrides(EVENT).items()}
    assert got == {("C01", "A1.1"): (1.0, "admin1"), ("C02", "A1.1"): (0.5, "chief")}
    assert marks_of(comp, "C01")["A1.1"] == 1.0
    with db.transaction() as tx:
        assert tx.scalar("SELECT max(version) FROM console_schema") == SCHEMA_VERSION
    with pytest.raises(Exception, match="console_overrides"), db.transaction() as tx:
        tx.execute("SELECT 1 FROM console_overrides")


# -- appeals -------------------------------------------------------------------------------


def test_appeal_recomputes_from_the_raw_curve(comp: Competition, tmp_path: Path) -> None:
    s = comp.store
    volts = [11.98, 12.0, 12.02, 12.0, 12.0]
    amps = [0.279, 0.280, 0.281, 0.280, 0.2805]
    samples = {
        "schema": 2,
        "type": "record",
        "event": EVENT,
        "station": "led01",
        "boot_id": "b1",
        "seq": 1,
        "run_id": "b1-2",
        "kind": "curve",
        "curve": "samples",
        "chunk": 0,
        "columns": ["t_s", "voltage_v", "current_a"],
        "data": [[0.0, 0.1, 0.2, 0.3, 0.4], volts, amps],
    }
    s.add_curve(samples)
    stored = result(
        "led01",
        2,
        "led-module-a",
        # current_a as a buggy analysis once computed it (the median of the first three)
        {"voltage_v": sum(volts) / 5, "current_a": 0.279, "illuminance_lx": 2850.0},
        curve="samples",
    )
    stored["measurements"][2].pop("curve")
    s.add_run(stored)
    comp.remark(EVENT)
    report = appeal(comp, EVENT, "led01", "b1-2")
    rows = {r["name"]: r for r in report["measurements"]}
    assert rows["voltage_v"]["status"] == "same" and rows["voltage_v"]["method"] == "led_assembly"
    assert rows["current_a"]["status"] == "differs"
    assert rows["current_a"]["recomputed"] == pytest.approx(0.2801)
    assert rows["current_a"]["delta"] == pytest.approx(0.0011)
    assert rows["illuminance_lx"]["status"] == "no_curve"
    assert report["differs"] and report["counted"] and report["competitor"] == "C01"
    a11 = next(m for m in report["marks"] if m["aspect"] == "A1.1")
    assert (a11["stored_mark"], a11["recomputed_mark"], a11["changes"]) == (1.0, 2.0, True)
    assert report["marks_change"]
    with pytest.raises(CompetitionError, match="no run"):
        recompute(s, "led01", "nope")


def test_task_parameters_come_from_the_tasks_dir(tmp_path: Path) -> None:
    (tmp_path / "pb.toml").write_text(
        '[task]\nid = "power-bank-a"\n[parameters]\ncutoff_v = 4.2\ncharge = true\n'
    )
    (tmp_path / "broken.toml").write_text("[task\n")
    assert task_parameters(tmp_path, "power-bank-a") == {"cutoff_v": 4.2}
    assert task_parameters(tmp_path, "other") == {} and task_parameters(None, "x") == {}
    assert task_parameters(REPO / "config" / "tasks", "led-module-a")["samples"] == 5
