"""Marking schemes: criteria, sub-criteria and aspects (after WorldSkills CIS), and how one
aspect is marked. Pure: no database, no I/O besides reading the TOML file.

A scheme file (``config/event/*.toml``)::

    [scheme]
    id = "electronics-2025"
    name = "Electronics: LED, lighting, power bank"

    [criteria.A]
    name = "LED module"

    [criteria.A.sub.A1]
    name = "Electrical performance"
    module = "led"            # the competition module whose runs are marked
    day = 1                   # day of marking

    [[criteria.A.sub.A1.aspects]]
    id = "A1.1"               # optional; "<sub>.<n>" by position
    type = "M"                # measurement
    description = "Module current 0.28-0.32 A"
    max_mark = 2.0
    measurement = "current_a" # a measurement of the module's task
    full = { low = 0.28, high = 0.32 }
    partial = [{ low = 0.27, high = 0.33, mark = 1.0 }]   # else zero

    [[criteria.A.sub.A1.aspects]]
    type = "J"                # judgement: three judges score 0-3
    description = "Workmanship"
    max_mark = 1.5
    max_spread = 1            # judges' scores further apart are flagged

Measurement aspects take the value of one bound measurement of the counted run: the ``full``
band earns ``max_mark``, the first ``partial`` band holding the value earns its ``mark``,
anything else (no run, no value, outside every band) earns zero. A measurement aspect with no
``measurement`` is entered by a judge (a yes/no or a count a person checks). Judgement aspects
earn ``max_mark * mean(scores) / 3`` once three judges scored; a spread above ``max_spread``
keeps the mark but flags it for the judges to discuss.

Bands are closed intervals; ``low`` or ``high`` may be left out (open-ended). The scheme's
``digest`` is a SHA-256 of its parsed content, so a changed band makes a new version while a
reworded comment does not.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from benchscore.configfile import ConfigError, Table
from benchscore.measurement import inside_uncertainty
from benchscore.protocol import ID_RE

JUDGE_SCORES: Final = (0, 1, 2, 3)
JUDGES_NEEDED: Final = 3
MARK_DECIMALS: Final = 2

AspectType = Literal["M", "J"]


@dataclass(frozen=True)
class Band:
    """A closed interval of values and the marks it earns."""

    low: float | None
    high: float | None
    mark: float

    def holds(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def text(self) -> str:
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "+inf" if self.high is None else f"{self.high:g}"
        return f"{lo}..{hi}"


@dataclass(frozen=True)
class Aspect:
    id: str
    criterion: str
    sub_criterion: str
    type: AspectType
    description: str
    max_mark: float
    module: str
    day: int
    standard: str = ""
    """The standards-specification section the aspect assesses (WSSS reference)."""
    measurement: str | None = None
    unit: str = ""
    full: Band | None = None
    partial: tuple[Band, ...] = ()
    max_spread: int = 1

    @property
    def entered(self) -> bool:
        """A measurement aspect a judge enters (no station measurement bound)."""
        return self.type == "M" and self.measurement is None


@dataclass(frozen=True)
class SubCriterion:
    id: str
    criterion: str
    name: str
    module: str
    day: int


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str


@dataclass(frozen=True)
class Scheme:
    id: str
    name: str
    criteria: tuple[Criterion, ...]
    sub_criteria: tuple[SubCriterion, ...]
    aspects: tuple[Aspect, ...]
    _by_id: dict[str, Aspect] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({a.id: a for a in self.aspects})

    def aspect(self, aspect_id: str) -> Aspect:
        try:
            return self._by_id[aspect_id]
        except KeyError:
            raise KeyError(f"scheme {self.id}: no aspect {aspect_id!r}") from None

    def has_aspect(self, aspect_id: str) -> bool:
        return aspect_id in self._by_id

    def aspects_of(self, module: str) -> list[Aspect]:
        return [a for a in self.aspects if a.module == module]

    @property
    def modules(self) -> list[str]:
        return sorted({a.module for a in self.aspects})

    @property
    def max_total(self) -> float:
        return round(sum(a.max_mark for a in self.aspects), MARK_DECIMALS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "criteria": [asdict(c) for c in self.criteria],
            "sub_criteria": [asdict(s) for s in self.sub_criteria],
            "aspects": [_aspect_dict(a) for a in self.aspects],
        }

    @property
    def digest(self) -> str:
        return json_digest(self.to_dict())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scheme:
        return cls(
            id=d["id"],
            name=d["name"],
            criteria=tuple(Criterion(**c) for c in d["criteria"]),
            sub_criteria=tuple(SubCriterion(**s) for s in d["sub_criteria"]),
            aspects=tuple(_aspect_from_dict(a) for a in d["aspects"]),
        )


def _aspect_dict(a: Aspect) -> dict[str, Any]:
    d = asdict(a)
    d["partial"] = [asdict(b) for b in a.partial]
    return d


def _aspect_from_dict(d: Mapping[str, Any]) -> Aspect:
    args = dict(d)
    args["full"] = Band(**args["full"]) if args.get("full") else None
    args["partial"] = tuple(Band(**b) for b in args.get("partial", ()))
    return Aspect(**args)


# -- loading -------------------------------------------------------------------------------


def _check_id(t: Table, key: str, value: str) -> str:
    if not ID_RE.match(value):
        raise t.error(key, f"{value!r}: 1-64 letters, digits, '_', '.', '-'")
    return value


def _band(t: Table, mark: float | None, max_mark: float) -> Band:
    low = t.get_float("low", None)
    high = t.get_float("high", None)
    if mark is None:
        mark = t.get_float("mark")
        if not 0 < mark <= max_mark:
            raise t.error("mark", f"{mark} must be above 0 and at most max_mark {max_mark}")
    t.check_unknown()
    if low is None and high is None:
        raise t.error(None, "a band needs low, high or both")
    if low is not None and high is not None and low > high:
        raise t.error(None, f"low {low} is above high {high}")
    return Band(low, high, mark)


def _aspect(t: Table, index: int, crit: str, sub: SubCriterion, seen: set[str]) -> Aspect:
    aspect_id = _check_id(t, "id", t.get_str("id", f"{sub.id}.{index + 1}"))
    if aspect_id in seen:
        raise t.error("id", f"aspect {aspect_id!r} appears twice")
    seen.add(aspect_id)
    kind = t.get_choice("type", ["M", "J"])
    description = t.get_str("description")
    max_mark = t.get_float("max_mark")
    if not 0 < max_mark <= 100:
        raise t.error("max_mark", f"{max_mark} must be above 0 and at most 100")
    standard = t.get_str("standard", "")
    module = t.get_str("module", sub.module)
    day = t.get_int("day", sub.day, min=1)
    if kind == "J":
        spread = t.get_int("max_spread", 1, min=0)
        if spread > 3:
            raise t.error("max_spread", "judges score 0-3: a spread is at most 3")
        t.check_unknown()
        return Aspect(
            aspect_id,
            crit,
            sub.id,
            "J",
            description,
            max_mark,
            module,
            day,
            standard,
            max_spread=spread,
        )
    measurement = t.get_str("measurement", None)
    unit = t.get_str("unit", "")
    full = partial = None
    if measurement is not None:
        if not 0 < len(measurement) <= 64:
            raise t.error("measurement", "a measurement name of 1-64 characters")
        full = _band(t.table("full"), max_mark, max_mark)
        raw_partial = t.data.get("partial", [])
        t._used.add("partial")
        if isinstance(raw_partial, dict):
            raw_partial = [raw_partial]
        if not isinstance(raw_partial, list) or not all(isinstance(b, dict) for b in raw_partial):
            raise t.error("partial", "expected a band table or a list of band tables")
        partial = tuple(
            _band(Table(b, t.file, f"{t.path}.partial[{i}]"), None, max_mark)
            for i, b in enumerate(raw_partial)
        )
        if any(b.mark >= max_mark for b in partial):
            raise t.error("partial", "a partial band must earn less than max_mark")
    t.check_unknown()
    return Aspect(
        aspect_id,
        crit,
        sub.id,
        "M",
        description,
        max_mark,
        module,
        day,
        standard,
        measurement=measurement,
        unit=unit,
        full=full,
        partial=partial or (),
    )


def parse_scheme(raw: dict[str, Any], file: Path) -> Scheme:
    """Build a :class:`Scheme` from a parsed TOML document; errors name file and key."""
    root = Table(raw, file)
    s = root.table("scheme")
    scheme_id = _check_id(s, "id", s.get_str("id"))
    name = s.get_str("name", scheme_id)
    s.check_unknown()
    criteria: list[Criterion] = []
    subs: list[SubCriterion] = []
    aspects: list[Aspect] = []
    seen: set[str] = set()
    sub_ids: set[str] = set()
    ct = root.table("criteria")
    for crit_id in list(ct.data):
        c = ct.table(crit_id)
        _check_id(ct, crit_id, crit_id)
        criteria.append(Criterion(crit_id, c.get_str("name")))
        st = c.table("sub")
        for sub_id in list(st.data):
            sub_t = st.table(sub_id)
            _check_id(st, sub_id, sub_id)
            if sub_id in sub_ids:
                raise st.error(sub_id, "sub-criterion appears twice")
            sub_ids.add(sub_id)
            sub = SubCriterion(
                sub_id,
                crit_id,
                sub_t.get_str("name"),
                _check_id(sub_t, "module", sub_t.get_str("module")),
                sub_t.get_int("day", 1, min=1),
            )
            subs.append(sub)
            raw_aspects = sub_t.data.get("aspects")
            sub_t._used.add("aspects")
            if not isinstance(raw_aspects, list) or not raw_aspects:
                raise sub_t.error("aspects", "expected at least one [[...aspects]] table")
            for i, a in enumerate(raw_aspects):
                if not isinstance(a, dict):
                    raise sub_t.error("aspects", f"entry {i} is not a table")
                at = Table(a, file, f"{sub_t.path}.aspects[{i}]")
                aspects.append(_aspect(at, i, crit_id, sub, seen))
            sub_t.check_unknown()
        c.check_unknown()
    if not aspects:
        raise root.error("criteria", "the scheme has no aspects")
    root.check_unknown()
    return Scheme(scheme_id, name, tuple(criteria), tuple(subs), tuple(aspects))


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML file ``path``; one that cannot be read or parsed raises ConfigError."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None


def load_scheme(file: str | Path) -> Scheme:
    """Load a scheme TOML file; raise :class:`ConfigError` naming the file and the key."""
    path = Path(file)
    raw = read_toml(path)
    return parse_scheme(raw, path)


# -- marking one aspect --------------------------------------------------------------------


@dataclass(frozen=True)
class AspectMark:
    """The mark an aspect earns, why, and whether it is final."""

    aspect: str
    mark: float
    max_mark: float
    status: str
    """``ok``; ``pending`` (judges or a run missing); ``spread`` (judges disagree);
    ``no_run`` / ``no_value`` (zero: nothing to mark)."""
    detail: str
    value: float | None = None
    scores: tuple[float, ...] = ()
    inside_u: bool = False
    """The value's uncertainty interval holds a band edge: the mark was decided inside the
    uncertainty (ISO 14253-1); the mark itself follows the value (simple acceptance)."""


def json_digest(data: Any) -> str:
    """SHA-256 of ``data`` as canonical JSON (sorted keys, no spaces): a content digest."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def round_mark(x: float) -> float:
    """``x`` to the marks' decimals (and -0.0 as 0.0)."""
    return round(x + 0.0, MARK_DECIMALS)


def mark_measurement(
    aspect: Aspect, value: float | None, *, has_run: bool = True, u: float | None = None
) -> AspectMark:
    """Mark a measurement aspect from the measured ``value`` (None: no valid reading); with
    its expanded uncertainty ``u`` the mark says whether a band edge lies within ``u``."""
    assert aspect.type == "M" and aspect.full is not None
    if not has_run:
        return AspectMark(aspect.id, 0.0, aspect.max_mark, "no_run", "no counted marked run")
    if value is None:
        return AspectMark(
            aspect.id, 0.0, aspect.max_mark, "no_value", f"{aspect.measurement}: no valid value"
        )
    unit = f" {aspect.unit}" if aspect.unit else ""
    bands = [("full", aspect.full), *(("partial", b) for b in aspect.partial)]
    edges = [e for _, b in bands for e in (b.low, b.high) if e is not None]
    inside = inside_uncertainty(value, u, edges)
    note = f" (±{u:.2g}{unit}: decided inside the uncertainty)" if inside and u else ""
    for name, band in bands:
        if band.holds(value):
            return AspectMark(
                aspect.id,
                round_mark(band.mark),
                aspect.max_mark,
                "ok",
                f"{aspect.measurement} {value:g}{unit} in the {name} band {band.text()}{note}",
                value,
                inside_u=inside,
            )
    return AspectMark(
        aspect.id,
        0.0,
        aspect.max_mark,
        "ok",
        f"{aspect.measurement} {value:g}{unit} outside every band "
        f"(full {aspect.full.text()}){note}",
        value,
        inside_u=inside,
    )


def mark_judgement(aspect: Aspect, scores: Sequence[float]) -> AspectMark:
    """Mark a judgement aspect from the judges' latest scores (0-3 each)."""
    assert aspect.type == "J"
    got = tuple(scores)
    if len(got) < JUDGES_NEEDED:
        return AspectMark(
            aspect.id,
            0.0,
            aspect.max_mark,
            "pending",
            f"{len(got)} of {JUDGES_NEEDED} judges scored",
            scores=got,
        )
    mean = statistics.fmean(got)
    mark = round_mark(aspect.max_mark * mean / 3.0)
    spread = max(got) - min(got)
    if spread > aspect.max_spread:
        return AspectMark(
            aspect.id,
            mark,
            aspect.max_mark,
            "spread",
            f"scores {list(got)} differ by {spread:g} > {aspect.max_spread}: judges to discuss",
            scores=got,
        )
    return AspectMark(
        aspect.id, mark, aspect.max_mark, "ok", f"scores {list(got)}, mean {mean:.2f}", scores=got
    )


def mark_entered(aspect: Aspect, entered: float | None) -> AspectMark:
    """Mark a measurement aspect entered by a judge (the latest entry counts)."""
    assert aspect.entered
    if entered is None:
        return AspectMark(aspect.id, 0.0, aspect.max_mark, "pending", "not entered yet")
    return AspectMark(
        aspect.id, round_mark(entered), aspect.max_mark, "ok", f"entered {entered:g}", entered
    )
