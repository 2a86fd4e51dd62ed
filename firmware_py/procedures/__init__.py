"""Bench procedures by name: the task config's ``procedure`` key picks one.

Every procedure, built-in or third-party, is a plugin registered under the entry-point group
``benchscore.procedures`` (:mod:`benchscore.plugins`); :data:`PROCEDURES` maps the installed
ones' names to their station classes, imported when first asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from benchscore.plugins import registry
from firmware_py.procedures.base import Procedure


class _Installed(Mapping[str, type[Procedure]]):
    """Installed procedures by name -> station class (KeyError naming what is installed)."""

    def __getitem__(self, name: str) -> type[Procedure]:
        try:
            plugin = registry.get(name)
        except registry.UnknownProcedure as exc:
            raise KeyError(str(exc)) from None
        cls = plugin.load_procedure()
        if not (isinstance(cls, type) and issubclass(cls, Procedure)):
            raise KeyError(f"procedure {name!r}: {plugin.procedure} is not a Procedure class")
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(registry.installed()))

    def __len__(self) -> int:
        return len(registry.installed())


PROCEDURES: Mapping[str, type[Procedure]] = _Installed()
