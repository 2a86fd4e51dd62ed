"""The competition: event, modules with time limits, competitors, station assignments, the
attempts policy, the module clocks sent to stations, judgements, and the marks.

An event file (``config/event/example.toml``)::

    [event]
    id = "regional-2025"          # the MQTT event id the stations publish under
    name = "Regional championship 2025: Electronics"
    scheme = "electronics-scheme.toml"

    [modules.led]
    name = "LED module"
    task = "led-module-a"         # the task id in the stations' result records
    day = 1
    time_limit_min = 210
    marked_attempts = 2           # marked runs that count; later ones are kept, not counted
    counted = "best"              # which attempt is marked: "best", "last" or "first"
    self_checks = 5               # self-check runs allowed (more are flagged, never marked)

    [competitors.C01]
    name = "Anna Ivanova"
    member = "Moscow"

    [assignments.led]             # station -> competitor, per module
    st01 = "C01"

Everything the workers share lives in the database: the event definition, each version of
the marking scheme, the module clocks, judgements (append-only, the latest score of each judge
counts) and the marks per scheme version with a log of every change (old, new, why). Loading a
changed scheme makes a new version and re-marks every competitor from the stored measurements;
the earlier version's marks stay as they were.

Attempts: self-check runs (``marked: false``) are never marked. Marked runs of a competitor's
station for the module's task are attempts in the order they started, except runs a restart
interrupted and runs started outside the module's clock (before its start, or after its end
plus ``late_grace_s``; the station refuses those itself, this is the central check). The first
``marked_attempts`` count; ``counted`` picks the one whose measurement aspects earn the most
(``best``, ties to the earlier), the last or the first.

Module clock: ``start`` sets the end (start + limit) and sends ``set_time_limit`` to every
station of the module; a new limit moves the end and is sent again; ``freeze`` closes marked
runs (the stations get the freeze time as their end) and keeps the remaining time, ``resume``
gives it back; ``stop`` ends the module now. A station that missed a command (offline, the
command expired) is sent it again when its status shows another end (:meth:`Competition.
reconcile`), so a change reaches every station.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from benchscore.configfile import ConfigError, Table
from benchscore.protocol import ID_RE

from .db import Database, Tx
from .marking import (
    JUDGE_SCORES,
    MARK_DECIMALS,
    Aspect,
    AspectMark,
    Scheme,
    load_scheme,
    mark_entered,
    mark_judgement,
    mark_measurement,
)
from .store import Store

log = logging.getLogger(__name__)

CommandSink = Callable[[str, str, str, str, dict[str, Any]], None]
"""Sends (event, station, cmd_id, command, args) to a station (MqttIngest.send_command)."""

Counted = Literal["best", "last", "first"]
CLOCK_STATES: Final = ("pending", "running", "frozen", "stopped")
LIMIT_TOLERANCE_S: Final = 1e-3


class CompetitionError(ValueError):
    """An operation the competition's state does not allow (the message says why)."""


@dataclass(frozen=True)
class Module:
    id: str
    name: str
    task: str
    day: int
    time_limit_s: float
    marked_attempts: int = 1
    counted: Counted = "best"
    self_checks: int | None = None
    late_grace_s: float = 60.0


@dataclass(frozen=True)
class Competitor:
    id: str
    name: str
    member: str = ""


@dataclass(frozen=True)
class EventDef:
    id: str
    name: str
    scheme_id: str
    modules: tuple[Module, ...]
    competitors: tuple[Competitor, ...]
    assignments: dict[str, dict[str, str]] = field(default_factory=dict)
    """module -> station -> competitor."""

    def module(self, module_id: str) -> Module:
        for m in self.modules:
            if m.id == module_id:
                return m
        raise CompetitionError(f"event {self.id}: no module {module_id!r}")

    def competitor(self, competitor_id: str) -> Competitor:
        for c in self.competitors:
            if c.id == competitor_id:
                return c
        raise CompetitionError(f"event {self.id}: no competitor {competitor_id!r}")

    def stations_of(self, module_id: str) -> dict[str, str]:
        return dict(self.assignments.get(module_id, {}))

    def station_of(self, module_id: str, competitor_id: str) -> str | None:
        for station, comp in self.assignments.get(module_id, {}).items():
            if comp == competitor_id:
                return station
        return None

    def modules_of_task(self, task: str) -> list[Module]:
        return [m for m in self.modules if m.task == task]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def digest(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EventDef:
        return cls(
            id=d["id"],
            name=d["name"],
            scheme_id=d["scheme_id"],
            modules=tuple(Module(**m) for m in d["modules"]),
            competitors=tuple(Competitor(**c) for c in d["competitors"]),
            assignments={k: dict(v) for k, v in d["assignments"].items()},
        )


# -- loading -------------------------------------------------------------------------------


def _ident(t: Table, key: str, value: Any) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise t.error(key, f"{value!r}: 1-64 letters, digits, '_', '.', '-'")
    return value


def parse_event(raw: dict[str, Any], file: Path) -> tuple[EventDef, Path]:
    """An :class:`EventDef` and the path of its scheme file from a parsed event TOML."""
    root = Table(raw, file)
    e = root.table("event")
    event_id = _ident(e, "id", e.get_str("id"))
    name = e.get_str("name", event_id)
    scheme_path = e.get_path("scheme")
    e.check_unknown()

    modules: list[Module] = []
    mt = root.table("modules")
    tasks: dict[str, str] = {}
    for module_id in list(mt.data):
        _ident(mt, module_id, module_id)
        t = mt.table(module_id)
        task = _ident(t, "task", t.get_str("task"))
        if task in tasks:
            raise t.error("task", f"task {task!r} is also module {tasks[task]!r}'s")
        tasks[task] = module_id
        self_checks = t.get_int("self_checks", None, min=0)
        modules.append(
            Module(
                id=module_id,
                name=t.get_str("name", module_id),
                task=task,
                day=t.get_int("day", 1, min=1),
                time_limit_s=60.0 * t.get_float("time_limit_min", min=0.0),
                marked_attempts=t.get_int("marked_attempts", 1, min=1),
                counted=t.get_choice("counted", ["best", "last", "first"], "best"),
                self_checks=self_checks,
                late_grace_s=t.get_float("late_grace_s", 60.0, min=0.0),
            )
        )
        t.check_unknown()
    if not modules:
        raise mt.error(None, "the event has no modules")

    competitors: list[Competitor] = []
    ct = root.table("competitors")
    for comp_id in list(ct.data):
        _ident(ct, comp_id, comp_id)
        t = ct.table(comp_id)
        competitors.append(Competitor(comp_id, t.get_str("name"), t.get_str("member", "")))
        t.check_unknown()
    known_comp = {c.id for c in competitors}
    known_mod = {m.id for m in modules}

    assignments: dict[str, dict[str, str]] = {}
    at = root.table("assignments", required=False)
    for module_id in list(at.data):
        t = at.table(module_id)
        if module_id not in known_mod:
            raise at.error(module_id, f"no module {module_id!r}")
        seen: dict[str, str] = {}
        for station in list(t.data):
            _ident(t, station, station)
            comp = t.get_str(station)
            if comp not in known_comp:
                raise t.error(station, f"no competitor {comp!r}")
            if comp in seen:
                raise t.error(station, f"competitor {comp!r} is already at {seen[comp]!r}")
            seen[comp] = station
        assignments[module_id] = {s: c for c, s in seen.items()}
        t.check_unknown()
    root.check_unknown()
    ev = EventDef(event_id, name, "", tuple(modules), tuple(competitors), assignments)
    return ev, scheme_path


def load_event(file: str | Path) -> tuple[EventDef, Scheme]:
    """Load an event file and the marking scheme it names; check they fit together."""
    path = Path(file)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    ev, scheme_path = parse_event(raw, path)
    scheme = load_scheme(scheme_path)
    unknown = sorted(set(scheme.modules) - {m.id for m in ev.modules})
    if unknown:
        raise ConfigError(
            f"{scheme_path.name}: aspects of module(s) {unknown} that {path.name} does not define"
        )
    return dataclasses.replace(ev, scheme_id=scheme.id), scheme


# -- state ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleClock:
    event: str
    module: str
    state: str
    time_limit_s: float
    started_at: float | None = None
    end_ts: float | None = None
    """The end the stations hold: start + limit + paused time; the freeze time while frozen."""
    paused_at: float | None = None
    paused_s: float = 0.0

    def remaining_s(self, now: float) -> float | None:
        if self.state == "pending":
            return self.time_limit_s
        if self.started_at is None:
            return None
        full_end = self.started_at + self.time_limit_s + self.paused_s
        if self.state == "frozen" and self.paused_at is not None:
            return max(0.0, full_end - self.paused_at)
        if self.state == "stopped":
            return 0.0
        return max(0.0, full_end - now)

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["remaining_s"] = self.remaining_s(time.time() if now is None else now)
        return d


@dataclass(frozen=True)
class SchemeVersion:
    pk: int
    scheme: Scheme
    version: int
    digest: str
    note: str
    created_at: float


@dataclass
class Attempts:
    """How a competitor's runs of one module were counted."""

    module: str
    competitor: str
    station: str | None
    self_checks: int = 0
    marked: int = 0
    attempts: list[str] = field(default_factory=list)
    excess: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)
    counted_run: str | None = None
    counted_pk: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Evaluation:
    """Marks of an event's competitors under one scheme version, and how runs counted."""

    marks: dict[tuple[str, str], tuple[AspectMark, int | None]]
    """(competitor, aspect) -> (mark, run pk or None)."""
    attempts: dict[tuple[str, str], Attempts]
    """(module, competitor) -> attempts."""


def _round(x: float) -> float:
    return round(x + 0.0, MARK_DECIMALS)


class Competition:
    """The competition tables of ``store``; ``send`` delivers commands to stations."""

    def __init__(
        self, store: Store, send: CommandSink | None = None, tasks_dir: Path | None = None
    ) -> None:
        self.store = store
        self.send = send
        self.tasks_dir = tasks_dir
        """Task files, for the parameters an appeal's re-analysis needs."""
        self._last_reconcile: dict[str, float] = {}
        self._recheck_lock = threading.Lock()
        self._rechecks: dict[str, threading.Timer] = {}
        self._closed = False

    @property
    def db(self) -> Database:
        return self.store.db

    # -- event and scheme ------------------------------------------------------------------
    def install(
        self, event: EventDef, scheme: Scheme, note: str = "", remark: bool = True
    ) -> SchemeVersion:
        """Store ``event`` and, if its content is new, ``scheme`` as its next version; a new
        version, or a changed event (assignments, attempts policy), re-marks every
        competitor. Returns the scheme's current version."""
        if event.scheme_id != scheme.id:
            event = dataclasses.replace(event, scheme_id=scheme.id)
        now = time.time()

        def work(tx: Tx) -> tuple[int, bool, bool]:
            tx.lock(f"scheme:{scheme.id}")
            event_cur = tx.execute(
                "INSERT INTO events AS e (id, definition, digest, loaded_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, "
                "digest = excluded.digest, loaded_at = excluded.loaded_at "
                "WHERE e.digest <> excluded.digest",
                (event.id, json.dumps(event.to_dict()), event.digest, now),
            )
            row = tx.one(
                "SELECT id FROM scheme_versions WHERE scheme = ? AND digest = ?",
                (scheme.id, scheme.digest),
            )
            event_changed = bool(event_cur.rowcount == 1)
            if row is not None:
                return int(row["id"]), False, event_changed
            latest = tx.scalar(
                "SELECT max(version) FROM scheme_versions WHERE scheme = ?", (scheme.id,)
            )
            version = int(latest or 0) + 1
            pk = tx.scalar(
                "INSERT INTO scheme_versions (scheme, version, digest, definition, note, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (scheme.id, version, scheme.digest, json.dumps(scheme.to_dict()), note, now),
            )
            return int(pk), True, event_changed

        pk, created, event_changed = self.db.run(work)
        if created:
            log.info("scheme %s: new version stored", scheme.id)
        if remark and (created or event_changed):
            what = f"scheme {scheme.id}" if created else f"event {event.id}"
            self.remark(event.id, reason=f"{what} changed")
        return self.version(scheme.id, pk=pk)

    def install_file(self, file: str | Path, note: str = "") -> tuple[EventDef, SchemeVersion]:
        event, scheme = load_event(file)
        return event, self.install(event, scheme, note or f"loaded from {Path(file).name}")

    def event(self, event_id: str) -> EventDef:
        with self.db.read() as tx:
            return self._event(tx, event_id)

    @staticmethod
    def _event(tx: Tx, event_id: str) -> EventDef:
        row = tx.one("SELECT definition FROM events WHERE id = ?", (event_id,))
        if row is None:
            raise CompetitionError(f"no event {event_id!r} is loaded")
        return EventDef.from_dict(json.loads(row["definition"]))

    def events(self) -> list[str]:
        with self.db.read() as tx:
            return [r["id"] for r in tx.all("SELECT id FROM events ORDER BY id")]

    def version(
        self, scheme_id: str, number: int | None = None, *, pk: int | None = None
    ) -> SchemeVersion:
        """A scheme version: by ``pk``, by ``number``, or the latest."""
        with self.db.read() as tx:
            return self._version(tx, scheme_id, number, pk)

    @staticmethod
    def _version(
        tx: Tx, scheme_id: str, number: int | None = None, pk: int | None = None
    ) -> SchemeVersion:
        cols = "id, version, digest, definition, note, created_at"
        if pk is not None:
            row = tx.one(f"SELECT {cols} FROM scheme_versions WHERE id = ?", (pk,))
        elif number is not None:
            row = tx.one(
                f"SELECT {cols} FROM scheme_versions WHERE scheme = ? AND version = ?",
                (scheme_id, number),
            )
        else:
            row = tx.one(
                f"SELECT {cols} FROM scheme_versions WHERE scheme = ? "
                "ORDER BY version DESC LIMIT 1",
                (scheme_id,),
            )
        if row is None:
            which = f"version {number}" if number is not None else "any version"
            raise CompetitionError(f"scheme {scheme_id!r} has no {which}")
        return SchemeVersion(
            int(row["id"]),
            Scheme.from_dict(json.loads(row["definition"])),
            int(row["version"]),
            row["digest"],
            row["note"],
            float(row["created_at"]),
        )

    def versions(self, scheme_id: str) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            return tx.all(
                "SELECT id, version, digest, note, created_at FROM scheme_versions "
                "WHERE scheme = ? ORDER BY version",
                (scheme_id,),
            )

    # -- judgements ------------------------------------------------------------------------
    def enter_score(
        self,
        event_id: str,
        competitor: str,
        aspect_id: str,
        judge: str,
        score: float,
        note: str = "",
    ) -> list[AspectMark]:
        """A judge's score (J: 0-3) or entered mark (M without a measurement: 0..max_mark);
        kept append-only. Re-marks the competitor's module; returns its marks."""
        ev = self.event(event_id)
        ev.competitor(competitor)
        aspect = self.version(ev.scheme_id).scheme.aspect(aspect_id)
        if not judge or len(judge) > 64:
            raise CompetitionError("judge: 1-64 characters")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise CompetitionError(f"score {score!r} is not a number")
        if aspect.type == "J":
            if score not in JUDGE_SCORES:
                raise CompetitionError(f"{aspect_id}: a judgement score is 0, 1, 2 or 3")
        elif aspect.entered:
            if not 0 <= score <= aspect.max_mark:
                raise CompetitionError(f"{aspect_id}: an entered mark is 0..{aspect.max_mark:g}")
        else:
            raise CompetitionError(f"{aspect_id} is measured by the stations, not entered")
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO judgements (event, competitor, aspect, judge, score, note, "
                "entered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (event_id, competitor, aspect_id, judge, float(score), note[:500], time.time()),
            )
        self.remark(event_id, [competitor], [aspect.module], reason=f"{judge} scored {aspect_id}")
        return [
            m
            for (c, _), (m, _) in self.evaluate(
                event_id, [competitor], [aspect.module]
            ).marks.items()
            if c == competitor
        ]

    def judgements(self, event_id: str) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            return tx.all(
                "SELECT competitor, aspect, judge, score, note, entered_at FROM judgements "
                "WHERE event = ? ORDER BY id",
                (event_id,),
            )

    # -- marking ---------------------------------------------------------------------------
    def evaluate(
        self,
        event_id: str,
        competitors: Iterable[str] | None = None,
        modules: Iterable[str] | None = None,
        version: SchemeVersion | None = None,
    ) -> Evaluation:
        """Marks from the stored runs and judgements under ``version`` (the latest by default),
        without storing them."""
        with self.db.read() as tx:
            ev = self._event(tx, event_id)
            sv = version or self._version(tx, ev.scheme_id)
            return self._evaluate(tx, ev, sv.scheme, competitors, modules)

    def _evaluate(
        self,
        tx: Tx,
        ev: EventDef,
        scheme: Scheme,
        competitors: Iterable[str] | None,
        modules: Iterable[str] | None,
        values: Mapping[tuple[str, str], dict[str, float | None]] | None = None,
    ) -> Evaluation:
        comps = [c.id for c in ev.competitors]
        if competitors is not None:
            wanted = set(competitors)
            comps = [c for c in comps if c in wanted]
        mods = [m for m in ev.modules if modules is None or m.id in set(modules)]
        clocks = {c.module: c for c in self._clocks(tx, ev.id)}
        scores = self._scores(tx, ev.id, comps)
        out = Evaluation({}, {})
        for module in mods:
            aspects = scheme.aspects_of(module.id)
            assign = ev.stations_of(module.id)
            by_comp: dict[str, list[dict[str, Any]]] = {c: [] for c in comps}
            stations = [s for s, c in assign.items() if c in by_comp]
            for run in Store.runs_of_task_in(tx, ev.id, module.task, stations):
                by_comp[assign[run["station"]]].append(run)
            for comp in comps:
                runs = sorted(by_comp[comp], key=lambda r: (r["started_at"], r["id"]))
                att = self._attempts(module, comp, ev.station_of(module.id, comp), runs, clocks)
                counted = self._choose(module, aspects, att, runs, values)
                att.counted_run = counted["run_id"] if counted else None
                att.counted_pk = counted["id"] if counted else None
                out.attempts[(module.id, comp)] = att
                measured = self._values(counted, values)
                for aspect in aspects:
                    mark = self._mark(aspect, att, counted, measured, scores.get((comp, aspect.id)))
                    out.marks[(comp, aspect.id)] = (mark, counted["id"] if counted else None)
        return out

    @staticmethod
    def _values(
        run: dict[str, Any] | None,
        override: Mapping[tuple[str, str], dict[str, float | None]] | None,
    ) -> dict[str, float | None]:
        if run is None:
            return {}
        got = {m["name"]: m["value"] for m in run["measurements"]}
        if override is not None:
            got.update(override.get((run["station"], run["run_id"]), {}))
        return got

    @staticmethod
    def _attempts(
        module: Module,
        comp: str,
        station: str | None,
        runs: list[dict[str, Any]],
        clocks: Mapping[str, ModuleClock],
    ) -> Attempts:
        att = Attempts(module.id, comp, station)
        clock = clocks.get(module.id)
        eligible: list[str] = []
        for run in runs:
            if not run["marked"]:
                att.self_checks += 1
                continue
            att.marked += 1
            if run["interrupted"]:
                att.interrupted.append(run["run_id"])
                continue
            if clock is not None and clock.state != "pending" and clock.started_at is not None:
                early = run["started_at"] < clock.started_at - module.late_grace_s
                late = clock.end_ts is not None and (
                    run["started_at"] > clock.end_ts + module.late_grace_s
                )
                if early or late:
                    att.outside.append(run["run_id"])
                    continue
            eligible.append(run["run_id"])
        att.attempts = eligible[: module.marked_attempts]
        att.excess = eligible[module.marked_attempts :]
        return att

    def _choose(
        self,
        module: Module,
        aspects: list[Aspect],
        att: Attempts,
        runs: list[dict[str, Any]],
        values: Mapping[tuple[str, str], dict[str, float | None]] | None,
    ) -> dict[str, Any] | None:
        candidates = [r for r in runs if r["run_id"] in set(att.attempts)]
        if not candidates:
            return None
        if module.counted == "first":
            return candidates[0]
        if module.counted == "last":
            return candidates[-1]
        measured = [a for a in aspects if a.type == "M" and not a.entered]

        def earned(run: dict[str, Any]) -> float:
            got = self._values(run, values)
            return sum(mark_measurement(a, _value(got, a.measurement)).mark for a in measured)

        best = candidates[0]
        best_marks = earned(best)
        for run in candidates[1:]:
            marks = earned(run)
            if marks > best_marks + 1e-9:
                best, best_marks = run, marks
        return best

    @staticmethod
    def _mark(
        aspect: Aspect,
        att: Attempts,
        counted: dict[str, Any] | None,
        measured: dict[str, float | None],
        scores: dict[str, float] | None,
    ) -> AspectMark:
        if aspect.type == "J":
            return mark_judgement(aspect, list((scores or {}).values()))
        if aspect.entered:
            latest = list((scores or {}).values())
            return mark_entered(aspect, latest[-1] if latest else None)
        if att.station is None:
            return AspectMark(aspect.id, 0.0, aspect.max_mark, "no_station", "no station assigned")
        if counted is None:
            return mark_measurement(aspect, None, has_run=False)
        mark = mark_measurement(aspect, _value(measured, aspect.measurement))
        n = att.attempts.index(counted["run_id"]) + 1
        return dataclasses.replace(
            mark,
            detail=f"{mark.detail}; run {counted['run_id']} (attempt {n} of {len(att.attempts)})",
        )

    @staticmethod
    def _scores(tx: Tx, event_id: str, comps: list[str]) -> dict[tuple[str, str], dict[str, float]]:
        """(competitor, aspect) -> judge -> latest score, in the order judges entered them."""
        out: dict[tuple[str, str], dict[str, float]] = {}
        if not comps:
            return out
        rows = tx.all(
            "SELECT competitor, aspect, judge, score FROM judgements WHERE event = ? "
            f"AND competitor IN {tx.in_list(len(comps))} ORDER BY id",
            [event_id, *comps],
        )
        for r in rows:
            judges = out.setdefault((r["competitor"], r["aspect"]), {})
            judges.pop(r["judge"], None)  # a re-score moves the judge to the end
            judges[r["judge"]] = float(r["score"])
        return out

    def remark(
        self,
        event_id: str,
        competitors: Iterable[str] | None = None,
        modules: Iterable[str] | None = None,
        reason: str = "remark",
    ) -> int:
        """Compute and store the marks of the current scheme version; log every change.
        Returns how many marks changed."""
        comps = None if competitors is None else list(competitors)
        mods = None if modules is None else list(modules)

        def work(tx: Tx) -> int:
            tx.lock(f"marks:{event_id}")
            ev = self._event(tx, event_id)
            sv = self._version(tx, ev.scheme_id)
            result = self._evaluate(tx, ev, sv.scheme, comps, mods)
            return self._store_marks(tx, ev.id, sv.pk, result, reason)

        changed: int = self.db.run(work)
        if changed:
            log.info("event %s: %d marks changed (%s)", event_id, changed, reason)
        return changed

    @staticmethod
    def _store_marks(
        tx: Tx, event_id: str, version_pk: int, result: Evaluation, reason: str
    ) -> int:
        if not result.marks:
            return 0
        comps = sorted({c for c, _ in result.marks})
        old = {
            (r["competitor"], r["aspect"]): r
            for r in tx.all(
                "SELECT competitor, aspect, mark, status, detail FROM marks "
                "WHERE scheme_version = ? AND event = ? "
                f"AND competitor IN {tx.in_list(len(comps))}",
                [version_pk, event_id, *comps],
            )
        }
        now = time.time()
        changed = 0
        for (comp, aspect_id), (mark, run_pk) in sorted(result.marks.items()):
            prev = old.get((comp, aspect_id))
            if (
                prev is not None
                and abs(prev["mark"] - mark.mark) < 1e-9
                and prev["status"] == mark.status
                and prev["detail"] == mark.detail
            ):
                continue
            tx.execute(
                "INSERT INTO marks AS m (scheme_version, event, competitor, aspect, mark, "
                "max_mark, status, detail, run, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (scheme_version, event, competitor, aspect) DO UPDATE SET "
                "mark = excluded.mark, max_mark = excluded.max_mark, status = excluded.status, "
                "detail = excluded.detail, run = excluded.run, computed_at = excluded.computed_at",
                (
                    version_pk,
                    event_id,
                    comp,
                    aspect_id,
                    mark.mark,
                    mark.max_mark,
                    mark.status,
                    mark.detail,
                    run_pk,
                    now,
                ),
            )
            if prev is None or abs(prev["mark"] - mark.mark) >= 1e-9:
                tx.execute(
                    "INSERT INTO mark_changes (scheme_version, event, competitor, aspect, "
                    "old_mark, new_mark, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        version_pk,
                        event_id,
                        comp,
                        aspect_id,
                        None if prev is None else prev["mark"],
                        mark.mark,
                        reason[:500],
                        now,
                    ),
                )
                changed += 1
        return changed

    def on_result(self, record: Mapping[str, Any]) -> None:
        """Ingest hook: a new result was stored; re-mark the competitor it belongs to."""
        event_id, station, task = record["event"], record["station"], record["task"]
        with self.db.read() as tx:
            row = tx.one("SELECT definition FROM events WHERE id = ?", (event_id,))
        if row is None:
            return
        ev = EventDef.from_dict(json.loads(row["definition"]))
        for module in ev.modules_of_task(task):
            comp = ev.stations_of(module.id).get(station)
            if comp is not None:
                self.remark(
                    event_id, [comp], [module.id], reason=f"run {record['run_id']} of {station}"
                )

    def marks(self, event_id: str, version: int | None = None) -> list[dict[str, Any]]:
        """Stored marks of a scheme version (the latest by default), one row per competitor
        and aspect, in scheme order, with the aspect's place in the scheme."""
        ev = self.event(event_id)
        sv = self.version(ev.scheme_id, version)
        with self.db.read() as tx:
            rows = tx.all(
                "SELECT competitor, aspect, mark, max_mark, status, detail, run, computed_at "
                "FROM marks WHERE scheme_version = ? AND event = ?",
                (sv.pk, event_id),
            )
        stored = {(r["competitor"], r["aspect"]): r for r in rows}
        out = []
        for comp in ev.competitors:
            for a in sv.scheme.aspects:
                r = stored.get((comp.id, a.id))
                out.append(
                    {
                        "event": event_id,
                        "scheme": sv.scheme.id,
                        "scheme_version": sv.version,
                        "competitor": comp.id,
                        "competitor_name": comp.name,
                        "member": comp.member,
                        "criterion": a.criterion,
                        "sub_criterion": a.sub_criterion,
                        "aspect": a.id,
                        "type": a.type,
                        "description": a.description,
                        "module": a.module,
                        "day": a.day,
                        "standard": a.standard,
                        "max_mark": a.max_mark,
                        "mark": r["mark"] if r else 0.0,
                        "status": r["status"] if r else "unmarked",
                        "detail": r["detail"] if r else "",
                    }
                )
        return out

    def totals(self, event_id: str, version: int | None = None) -> dict[str, dict[str, Any]]:
        """Per competitor: total, per criterion and per module marks (latest version)."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.marks(event_id, version):
            t = out.setdefault(
                row["competitor"],
                {"total": 0.0, "max": 0.0, "criteria": {}, "modules": {}, "open": 0},
            )
            t["total"] = _round(t["total"] + row["mark"])
            t["max"] = _round(t["max"] + row["max_mark"])
            c = t["criteria"].setdefault(row["criterion"], 0.0)
            t["criteria"][row["criterion"]] = _round(c + row["mark"])
            m = t["modules"].setdefault(row["module"], 0.0)
            t["modules"][row["module"]] = _round(m + row["mark"])
            if row["status"] in ("pending", "spread", "unmarked"):
                t["open"] += 1
        return out

    def mark_changes(self, event_id: str) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            return tx.all(
                "SELECT c.scheme_version, v.version, c.competitor, c.aspect, c.old_mark, "
                "c.new_mark, c.reason, c.at FROM mark_changes c "
                "JOIN scheme_versions v ON v.id = c.scheme_version WHERE c.event = ? "
                "ORDER BY c.id",
                (event_id,),
            )

    def completion(self, event_id: str) -> list[dict[str, Any]]:
        """Per module and competitor: runs used, the counted run, and what is still open."""
        ev = self.event(event_id)
        result = self.evaluate(event_id)
        scheme = self.version(ev.scheme_id).scheme
        out = []
        for module in ev.modules:
            aspects = scheme.aspects_of(module.id)
            for comp in ev.competitors:
                att = result.attempts[(module.id, comp.id)]
                marks = [result.marks[(comp.id, a.id)][0] for a in aspects]
                measured = [
                    m
                    for a, m in zip(aspects, marks, strict=True)
                    if a.type == "M" and not a.entered
                ]
                judged = [
                    m for a, m in zip(aspects, marks, strict=True) if a.type == "J" or a.entered
                ]
                done_judged = sum(m.status == "ok" for m in judged)
                out.append(
                    {
                        "module": module.id,
                        "competitor": comp.id,
                        "station": att.station,
                        "self_checks": att.self_checks,
                        "self_checks_over": (
                            module.self_checks is not None and att.self_checks > module.self_checks
                        ),
                        "marked_runs": att.marked,
                        "attempts_used": len(att.attempts),
                        "attempts_left": max(0, module.marked_attempts - len(att.attempts)),
                        "excess_runs": att.excess,
                        "counted_run": att.counted_run,
                        "measured": bool(measured) and att.counted_run is not None,
                        "judged": f"{done_judged}/{len(judged)}",
                        "complete": (not measured or att.counted_run is not None)
                        and done_judged == len(judged),
                    }
                )
        return out

    # -- module clocks ---------------------------------------------------------------------
    def clocks(self, event_id: str) -> list[ModuleClock]:
        with self.db.read() as tx:
            return self._clocks(tx, event_id)

    @staticmethod
    def _clocks(tx: Tx, event_id: str) -> list[ModuleClock]:
        rows = tx.all(
            "SELECT event, module, state, time_limit_s, started_at, end_ts, paused_at, paused_s "
            "FROM module_clocks WHERE event = ? ORDER BY module",
            (event_id,),
        )
        return [ModuleClock(**r) for r in rows]

    def clock(self, event_id: str, module_id: str) -> ModuleClock:
        module = self.event(event_id).module(module_id)
        for c in self.clocks(event_id):
            if c.module == module_id:
                return c
        return ModuleClock(event_id, module_id, "pending", module.time_limit_s)

    def _change_clock(
        self,
        event_id: str,
        module_id: str,
        action: str,
        actor: str,
        change: Callable[[ModuleClock, float], ModuleClock],
        detail: dict[str, Any] | None = None,
    ) -> ModuleClock:
        now = time.time()

        def work(tx: Tx) -> ModuleClock:
            tx.lock(f"clock:{event_id}")
            module = self._event(tx, event_id).module(module_id)
            current = next(
                (c for c in self._clocks(tx, event_id) if c.module == module_id),
                ModuleClock(event_id, module_id, "pending", module.time_limit_s),
            )
            new = change(current, now)
            tx.execute(
                "INSERT INTO module_clocks AS c (event, module, state, time_limit_s, started_at, "
                "end_ts, paused_at, paused_s, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (event, module) DO UPDATE SET state = excluded.state, "
                "time_limit_s = excluded.time_limit_s, started_at = excluded.started_at, "
                "end_ts = excluded.end_ts, paused_at = excluded.paused_at, "
                "paused_s = excluded.paused_s, updated_at = excluded.updated_at",
                (
                    event_id,
                    module_id,
                    new.state,
                    new.time_limit_s,
                    new.started_at,
                    new.end_ts,
                    new.paused_at,
                    new.paused_s,
                    now,
                ),
            )
            tx.execute(
                "INSERT INTO module_log (event, module, action, detail, actor, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    event_id,
                    module_id,
                    action,
                    json.dumps({**(detail or {}), "end_ts": new.end_ts, "state": new.state}),
                    actor[:64],
                    now,
                ),
            )
            return new

        clock: ModuleClock = self.db.run(work)
        log.info("event %s module %s: %s by %s -> %s", event_id, module_id, action, actor, clock)
        return clock

    def start_module(self, event_id: str, module_id: str, actor: str = "chief") -> ModuleClock:
        """Start the module's clock now and send its end to every station of the module."""

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state != "pending":
                raise CompetitionError(f"module {module_id} is {c.state}, not pending")
            return dataclasses.replace(
                c, state="running", started_at=now, end_ts=now + c.time_limit_s, paused_s=0.0
            )

        clock = self._change_clock(event_id, module_id, "start", actor, change)
        self.broadcast_limit(event_id, module_id)
        return clock

    def set_time_limit(
        self, event_id: str, module_id: str, minutes: float, actor: str = "chief"
    ) -> ModuleClock:
        """Change the module's time limit (live: the new end is sent to every station)."""
        if not 0 <= minutes <= 7 * 24 * 60:
            raise CompetitionError(f"time limit {minutes} min is outside 0..10080")
        limit = 60.0 * minutes

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state == "running" and c.started_at is not None:
                return dataclasses.replace(
                    c, time_limit_s=limit, end_ts=c.started_at + limit + c.paused_s
                )
            return dataclasses.replace(c, time_limit_s=limit)

        clock = self._change_clock(
            event_id, module_id, "time_limit", actor, change, {"minutes": minutes}
        )
        if clock.state == "running":
            self.broadcast_limit(event_id, module_id)
        return clock

    def freeze(self, event_id: str, module_id: str, actor: str = "chief") -> ModuleClock:
        """Freeze the module: marked runs close now; the remaining time is kept."""

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state != "running":
                raise CompetitionError(f"module {module_id} is {c.state}, not running")
            return dataclasses.replace(c, state="frozen", paused_at=now, end_ts=now)

        clock = self._change_clock(event_id, module_id, "freeze", actor, change)
        self.broadcast_limit(event_id, module_id)
        return clock

    def resume(self, event_id: str, module_id: str, actor: str = "chief") -> ModuleClock:
        """Resume a frozen module with the time it had left."""

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state != "frozen" or c.paused_at is None or c.started_at is None:
                raise CompetitionError(f"module {module_id} is {c.state}, not frozen")
            paused = c.paused_s + (now - c.paused_at)
            return dataclasses.replace(
                c,
                state="running",
                paused_at=None,
                paused_s=paused,
                end_ts=c.started_at + c.time_limit_s + paused,
            )

        clock = self._change_clock(event_id, module_id, "resume", actor, change)
        self.broadcast_limit(event_id, module_id)
        return clock

    def stop_module(self, event_id: str, module_id: str, actor: str = "chief") -> ModuleClock:
        """End the module now: no marked run starts after this."""

        def change(c: ModuleClock, now: float) -> ModuleClock:
            if c.state not in ("running", "frozen"):
                raise CompetitionError(f"module {module_id} is {c.state}, not running")
            end = c.paused_at if c.state == "frozen" and c.paused_at is not None else now
            return dataclasses.replace(c, state="stopped", paused_at=None, end_ts=end)

        clock = self._change_clock(event_id, module_id, "stop", actor, change)
        self.broadcast_limit(event_id, module_id)
        return clock

    def _send(self, event_id: str, station: str, command: str, args: dict[str, Any]) -> str:
        if self.send is None:
            raise CompetitionError("no MQTT link to send commands to the stations")
        cmd_id = f"{command}-{uuid.uuid4().hex[:12]}"
        self.send(event_id, station, cmd_id, command, args)
        return cmd_id

    def broadcast_limit(self, event_id: str, module_id: str) -> dict[str, str]:
        """Send the module's current end to each of its stations; station -> cmd_id."""
        clock = self.clock(event_id, module_id)
        sent = {}
        for station in sorted(self.event(event_id).stations_of(module_id)):
            sent[station] = self._send(
                event_id, station, "set_time_limit", {"end_ts": clock.end_ts}
            )
            self._last_reconcile[station] = time.monotonic()
        return sent

    def measure(self, event_id: str, module_id: str, marked: bool = True) -> dict[str, str]:
        """Synchronized start: ask every station of the module to start a run now."""
        stations = sorted(self.event(event_id).stations_of(module_id))
        command = "start" if marked else "self_check"
        args: dict[str, Any] = {"marked": True} if marked else {}
        return {s: self._send(event_id, s, command, args) for s in stations}

    def expected_end(
        self, event_id: str, station: str, task: str | None
    ) -> tuple[bool, float | None]:
        """(applies, end): the end ``station`` should hold, from the clock of the module it
        serves now (the module of its task, else the one started last); applies is False when
        no started module assigns the station."""
        try:
            ev = self.event(event_id)
        except CompetitionError:
            return False, None
        clocks = {c.module: c for c in self.clocks(event_id) if c.state != "pending"}
        mods = [m for m in ev.modules if station in ev.stations_of(m.id) and m.id in clocks]
        if not mods:
            return False, None
        by_task = [m for m in mods if m.task == task]
        pick = by_task[0] if by_task else max(mods, key=lambda m: clocks[m.id].started_at or 0.0)
        return True, clocks[pick.id].end_ts

    def reconcile(self, status: Mapping[str, Any], min_interval_s: float = 2.0) -> str | None:
        """Status hook: re-send the module's end to an online station that holds another one
        (it missed a command). Returns the cmd_id sent, if any.

        At most one resend per station every ``min_interval_s`` (a status that was on its way
        while a command went out must not cause a storm); a status that arrives sooner is
        checked again, from the stored status, once the interval has passed."""
        if status.get("online") is not True or self.send is None:
            return None
        station = status["station"]
        task = status.get("task") if isinstance(status.get("task"), str) else None
        applies, end = self.expected_end(status["event"], station, task)
        if not applies:
            return None
        held = status.get("time_limit_end")
        held = None if isinstance(held, bool) or not isinstance(held, int | float) else held
        if (held is None and end is None) or (
            held is not None and end is not None and abs(held - end) <= LIMIT_TOLERANCE_S
        ):
            return None
        last = self._last_reconcile.get(station)
        wait = 0.0 if last is None else last + min_interval_s - time.monotonic()
        if wait > 0:
            self._recheck_later(station, wait)
            return None
        self._last_reconcile[station] = time.monotonic()
        log.info("station %s holds end %s, module end is %s: sending it again", station, held, end)
        return self._send(status["event"], station, "set_time_limit", {"end_ts": end})

    def _recheck_later(self, station: str, delay_s: float) -> None:
        with self._recheck_lock:
            if station in self._rechecks or self._closed:
                return
            timer = threading.Timer(delay_s + 0.05, self._recheck, (station,))
            timer.daemon = True
            self._rechecks[station] = timer
        timer.start()

    def close(self) -> None:
        """Cancel pending re-checks (the scorer is stopping)."""
        with self._recheck_lock:
            self._closed = True
            timers = list(self._rechecks.values())
            self._rechecks.clear()
        for timer in timers:
            timer.cancel()

    def _recheck(self, station: str) -> None:
        with self._recheck_lock:
            self._rechecks.pop(station, None)
        try:
            row = self.store.station(station)
            if row is not None and row["online"]:
                self.reconcile(
                    {
                        "event": row["event"],
                        "station": station,
                        "online": True,
                        "task": row["task"],
                        "time_limit_end": row["time_limit_end"],
                    }
                )
        except Exception:  # the scorer may be stopping; the next status checks again
            log.debug("recheck of %s failed", station, exc_info=True)

    def module_log(self, event_id: str) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            rows = tx.all(
                "SELECT module, action, detail, actor, at FROM module_log WHERE event = ? "
                "ORDER BY id",
                (event_id,),
            )
        for r in rows:
            r["detail"] = json.loads(r["detail"])
        return rows


def _value(measured: Mapping[str, float | None], name: str | None) -> float | None:
    return None if name is None else measured.get(name)
