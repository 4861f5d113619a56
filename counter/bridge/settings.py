"""Reading the configuration's tables, with errors that say in a sentence what is wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
PARITIES = {"N": "none", "E": "even", "O": "odd", "M": "mark", "S": "space"}
_REQUIRED = object()


class ConfigError(ValueError):
    """The configuration file cannot be used; the message names the setting and the fix."""


class Section:
    """One table of the file; each setting is read once, and leftovers are typos."""

    def __init__(self, data: Any, where: str = "") -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{where} must be a table of settings, not {_kind(data)}.")
        self.data, self.read = data, set[str]()
        self.where = where or "the file"  # how messages name this table
        self.root = not where  # the root's tables are named alone: [server]

    def _get(self, name: str, default: Any) -> Any:
        self.read.add(name)
        if name in self.data:
            return self.data[name]
        if default is _REQUIRED:
            raise ConfigError(f"{self.where}: {name} is missing; it is required.")
        return default

    def text(self, name: str, default: Any = _REQUIRED) -> Any:
        """A string setting (a missing one gives ``default``, which may be None)."""
        value = self._get(name, default)
        if value is not default and (not isinstance(value, str) or not value):
            raise ConfigError(f"{self.where}: {name} must be a non-empty string, not {value!r}.")
        return value

    def integer(self, name: str, default: Any = _REQUIRED, *, low: int, high: int) -> Any:
        """A whole number from ``low`` to ``high``."""
        value = self._get(name, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(
                f"{self.where}: {name} must be a whole number from {low} to {high}, not {value!r}."
            )
        return value

    def number(self, name: str, default: float, *, low: float, high: float) -> float:
        """A number of seconds (or any quantity) from ``low`` to ``high``."""
        value = self._get(name, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise ConfigError(
                f"{self.where}: {name} must be a number from {low:g} to {high:g}, not {value!r}."
            )
        return float(value)

    def choice(self, name: str, options: tuple[Any, ...], default: Any = _REQUIRED) -> Any:
        """One of ``options``."""
        value = self._get(name, default)
        if value not in options or isinstance(value, bool):
            listed = ", ".join(repr(option) for option in options)
            raise ConfigError(f"{self.where}: {name} must be one of {listed}, not {value!r}.")
        return value

    def table(self, name: str, default: Any = _REQUIRED) -> Section | None:
        """A nested table, as a Section of its own."""
        if default is _REQUIRED and name not in self.data:
            raise ConfigError(f"{self.where} has no [{name}] table; it is required.")
        value = self._get(name, default)
        label = f"[{name}]" if self.root else f"{self.where} [{name}]"
        return None if value is None else Section(value, label)

    def raw(self, name: str, default: Any = _REQUIRED) -> Any:
        """A value the caller checks itself (a list of registers, say)."""
        return self._get(name, default)

    def done(self) -> None:
        """Refuse settings nobody read: a misspelt name must not be silently ignored."""
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            known = ", ".join(sorted(self.read))
            names = ", ".join(unknown)
            raise ConfigError(f"{self.where}: unknown setting(s) {names}; known: {known}.")


def as_bytes(value: str, where: str) -> bytes:
    """A string of bytes as TOML writes them: one character per byte, "\\u0007" for BEL."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigError(
            f"{where} must hold bytes: characters from \\u0000 to \\u00ff only, not {value!r}."
        ) from None


@dataclass(frozen=True)
class SerialSettings:
    """Where and how a device is wired: its port (a path, or COM3) and line settings."""

    port: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1

    @classmethod
    def read(cls, section: Section) -> SerialSettings:
        """The port and line settings every device has."""
        return cls(
            port=section.text("port"),
            baudrate=section.choice("baudrate", BAUDRATES, 9600),
            bytesize=section.choice("bytesize", (5, 6, 7, 8), 8),
            parity=section.choice("parity", tuple(PARITIES), "N"),
            stopbits=section.choice("stopbits", (1, 1.5, 2), 1),
        )

    def describe(self) -> str:
        """For logs: /dev/ttyUSB0 at 9600 8N1."""
        stop = f"{self.stopbits:g}"
        return f"{self.port} at {self.baudrate} {self.bytesize}{self.parity}{stop}"


def _kind(value: Any) -> str:
    return {str: "a string", int: "a number", float: "a number", list: "a list"}.get(
        type(value), type(value).__name__
    )
