"""TOML config reading with errors that name the file and the key.

``Table`` wraps one TOML table and remembers its dotted path, so every error reads like
``station.toml: hardware.power_monitor.shunt_ohm: expected a number, got 'abc'``. Unknown keys
are errors too (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_MISSING: Any = object()


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


class Table:
    """One TOML table of a config file, with typed getters that record which keys were read."""

    def __init__(self, data: dict[str, Any], file: Path, path: str = "") -> None:
        self.data = data
        self.file = file
        self.path = path
        self._used: set[str] = set()

    @classmethod
    def load(cls, file: str | Path) -> Table:
        """Parse ``file``; a missing file or a TOML syntax error raises ConfigError."""
        path = Path(file)
        try:
            with path.open("rb") as fh:
                return cls(tomllib.load(fh), path)
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None

    def where(self, key: str | None = None) -> str:
        """``file: dotted.key`` for messages."""
        dotted = ".".join(p for p in (self.path, key) if p)
        return f"{self.file.name}: {dotted}" if dotted else str(self.file.name)

    def error(self, key: str | None, message: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str, default: Any) -> Any:
        self._used.add(key)
        if key not in self.data:
            if default is _MISSING:
                raise self.error(key, "missing (required)")
            return default
        return self.data[key]

    def get_str(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is not default and not isinstance(value, str):
            raise self.error(key, f"expected a string, got {value!r}")
        return value

    def get_int(self, key: str, default: Any = _MISSING, *, min: int | None = None) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected an integer, got {value!r}")
        if min is not None and value < min:
            raise self.error(key, f"must be >= {min}, got {value}")
        return value

    def get_float(self, key: str, default: Any = _MISSING, *, min: float | None = None) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"expected a number, got {value!r}")
        if min is not None and value < min:
            raise self.error(key, f"must be >= {min}, got {value}")
        return float(value)

    def get_bool(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is not default and not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value

    def get_choice(self, key: str, allowed: list[str], default: Any = _MISSING) -> Any:
        value = self.get_str(key, default)
        if value is not default and value not in allowed:
            raise self.error(key, f"{value!r} is not one of {allowed}")
        return value

    def get_list(self, key: str, allowed: list[str], default: Any = _MISSING) -> Any:
        """A list of strings, each one of ``allowed``."""
        value = self._get(key, default)
        if value is default:
            return value
        if not isinstance(value, list) or any(v not in allowed for v in value):
            raise self.error(key, f"expected a list drawn from {allowed}, got {value!r}")
        return value

    def table(self, key: str, *, required: bool = True) -> Table:
        value = self._get(key, _MISSING if required else {})
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table, got {value!r}")
        sub_path = f"{self.path}.{key}" if self.path else key
        return Table(value, self.file, sub_path)

    def get_path(self, key: str, default: Any = _MISSING) -> Any:
        """A file path, resolved relative to the config file's directory."""
        value = self.get_str(key, default)
        if value is default or value is None:
            return value
        p = Path(value)
        return p if p.is_absolute() else (self.file.parent / p).resolve()

    def check_unknown(self) -> None:
        """Raise ConfigError if the table has keys no getter asked for."""
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            raise self.error(None, f"unknown key(s) {unknown}")
