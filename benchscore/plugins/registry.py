"""Which procedures are installed: the entry points of group ``benchscore.procedures``.

:func:`installed` loads every entry point once (cached; :func:`refresh` forgets), keeping the
ones that name a valid :class:`ProcedurePlugin` and a one-line reason for each that does not
(:func:`broken`). :func:`get` answers an unknown name with one line naming what is installed.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import entry_points

from benchscore.configfile import did_you_mean
from benchscore.errors import UserError
from benchscore.plugins.contract import ProcedurePlugin

log = logging.getLogger(__name__)

GROUP = "benchscore.procedures"


class UnknownProcedure(UserError, LookupError):
    """A task names a procedure no installed plugin provides."""


@cache
def _load() -> tuple[dict[str, ProcedurePlugin], dict[str, str]]:
    found: dict[str, ProcedurePlugin] = {}
    broken: dict[str, str] = {}
    for ep in entry_points(group=GROUP):
        if ep.name in found:
            continue  # the first distribution on the path wins, as for any import
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
            broken[ep.name] = f"{ep.value}: {type(exc).__name__}: {exc}"
            continue
        if not isinstance(obj, ProcedurePlugin):
            broken[ep.name] = f"{ep.value}: is a {type(obj).__name__}, not a ProcedurePlugin"
        elif obj.name != ep.name:
            broken[ep.name] = f"{ep.value}: declares name {obj.name!r}"
        else:
            found[ep.name] = obj
    for name, why in broken.items():
        log.warning("procedure plugin %s not loaded: %s", name, why)
    return found, broken


def installed() -> dict[str, ProcedurePlugin]:
    """Every installed procedure by name."""
    return dict(_load()[0])


def broken() -> dict[str, str]:
    """Entry points of the group that could not be used, with why."""
    return dict(_load()[1])


def refresh() -> None:
    """Forget what was loaded (after installing or removing a plugin in this process)."""
    _load.cache_clear()


def get(name: str) -> ProcedurePlugin:
    """The plugin of procedure ``name``; UnknownProcedure (one line) if none is installed."""
    plugins, bad = _load()
    if name in plugins:
        return plugins[name]
    if name in bad:
        raise UnknownProcedure(f"procedure {name!r} is installed but broken: {bad[name]}")
    raise UnknownProcedure(
        f"procedure {name!r} is not installed{did_you_mean(name, plugins)}; installed: "
        f"{', '.join(sorted(plugins)) or 'none'}"
    )
