"""Which procedures are installed: the entry points of group ``benchscore.procedures``.

:func:`installed` loads every entry point once (cached; :func:`refresh` forgets), keeping the
ones that name a valid :class:`ProcedurePlugin` and a one-line reason for each that does not
(:func:`broken`). :func:`get` answers an unknown name with one line naming what is installed.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points

from benchscore.configfile import did_you_mean
from benchscore.errors import UserError
from benchscore.plugins.contract import ProcedurePlugin

log = logging.getLogger(__name__)

GROUP = "benchscore.procedures"
BUILTIN = ("led_assembly", "lighting_environment", "power_bank", "led_screen")
"""Registered in benchscore's pyproject.toml; found without it only when the installed
metadata is older than the entry points (then with a warning)."""


class UnknownProcedure(UserError, LookupError):
    """A task names a procedure no installed plugin provides."""


_ORIGINS: dict[str, str] = {}


@cache
def _load() -> tuple[dict[str, ProcedurePlugin], dict[str, str]]:
    found: dict[str, ProcedurePlugin] = {}
    broken: dict[str, str] = {}
    _ORIGINS.clear()
    for ep in entry_points(group=GROUP):
        if ep.name in found:
            continue  # the first distribution on the path wins, as for any import
        dist = ep.dist
        _ORIGINS[ep.name] = f"{dist.name} {dist.version}" if dist is not None else "?"
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
    missing = [n for n in BUILTIN if n not in found and n not in broken]
    if missing:  # benchscore's own metadata predates its entry points (a stale editable install)
        log.warning("built-in procedures %s not registered: reinstall benchscore", missing)
        for name in missing:
            found[name] = import_module(f"benchscore.plugins.builtin.{name}").PLUGIN
            _ORIGINS[name] = "benchscore (built-in, not registered: reinstall)"
    for name, why in broken.items():
        log.warning("procedure plugin %s not loaded: %s", name, why)
    return found, broken


def installed() -> dict[str, ProcedurePlugin]:
    """Every installed procedure by name."""
    return dict(_load()[0])


def broken() -> dict[str, str]:
    """Entry points of the group that could not be used, with why."""
    return dict(_load()[1])


def origin(name: str) -> str:
    """The distribution (name and version) that provides procedure ``name``."""
    _load()
    return _ORIGINS.get(name, "?")


def describe() -> list[str]:
    """One line per installed (or broken) procedure: name, distribution, title, roles."""
    lines = []
    for name, plugin in sorted(installed().items()):
        roles = ", ".join(r.name + ("?" if r.optional else "") for r in plugin.roles)
        lines.append(f"{name}  [{origin(name)}]  {plugin.title or plugin.procedure}")
        lines.append(f"    roles: {roles or '-'}; measures {len(plugin.measurements)} quantities")
    for name, why in sorted(broken().items()):
        lines.append(f"{name}  [{origin(name)}]  BROKEN: {why}")
    return lines


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
