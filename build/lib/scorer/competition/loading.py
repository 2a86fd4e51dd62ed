"""Loading an event file (``config/event/example.toml``) and the marking scheme it names."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from benchscore.configfile import ConfigError, Table
from benchscore.protocol import ID_RE

from ..marking import Scheme, load_scheme, read_toml
from .model import Competitor, EventDef, Module


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
    raw = read_toml(path)
    ev, scheme_path = parse_event(raw, path)
    scheme = load_scheme(scheme_path)
    unknown = sorted(set(scheme.modules) - {m.id for m in ev.modules})
    if unknown:
        raise ConfigError(
            f"{scheme_path.name}: aspects of module(s) {unknown} that {path.name} does not define"
        )
    return dataclasses.replace(ev, scheme_id=scheme.id), scheme
