"""Parsing printer URLs and their options, with errors that say what is wrong."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from ..errors import PrinterConfigError, PrinterDependencyMissing

DEFAULT_TIMEOUT = 2.0
COMMON_OPTIONS = frozenset({"timeout", "check", "strict"})
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class PrinterUrl:
    """A split printer URL plus the defaults its caller supplied."""

    raw: str
    parts: SplitResult
    options: dict[str, str]
    default_timeout: float = DEFAULT_TIMEOUT
    preview_dir: Path | None = None

    @classmethod
    def parse(
        cls, url: str, *, default_timeout: float = DEFAULT_TIMEOUT, preview_dir: Path | None = None
    ) -> PrinterUrl:
        """Split the URL; the scheme is checked by the registry, the rest by each driver."""
        parts = urlsplit(url.strip())
        if not parts.scheme or "://" not in url:
            raise PrinterConfigError(f"printer URL {url!r} has no scheme (e.g. tcp://host:9100)")
        try:
            pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError as exc:
            raise PrinterConfigError(f"printer URL {url!r}: malformed query ({exc})") from None
        return cls(url, parts, dict(pairs), default_timeout, preview_dir)

    @property
    def scheme(self) -> str:
        """The lower-case scheme that picks the driver."""
        return self.parts.scheme.lower()

    @property
    def location(self) -> str:
        """Host part, unquoted ('04b8:0e15', a CUPS queue name, 'COM3')."""
        return unquote(self.parts.netloc)

    @property
    def path(self) -> str:
        """Path part, unquoted."""
        return unquote(self.parts.path)

    def check_options(self, allowed: frozenset[str]) -> None:
        """Reject options this driver does not know: a typo must not be silently ignored."""
        unknown = sorted(set(self.options) - allowed - COMMON_OPTIONS)
        if unknown:
            known = ", ".join(sorted(allowed | COMMON_OPTIONS))
            raise PrinterConfigError(f"{self.raw}: unknown option(s) {unknown}; known: {known}")

    def number(self, name: str, default: float, *, low: float, high: float) -> float:
        """A numeric option within [low, high]."""
        if name not in self.options:
            return default
        try:
            value = float(self.options[name])
        except ValueError:
            value = float("nan")
        if not low <= value <= high:
            raise PrinterConfigError(
                f"{self.raw}: {name} must be a number from {low:g} to {high:g}, "
                f"not {self.options[name]!r}"
            )
        return value

    def integer(self, name: str, default: int, *, base: int = 10) -> int:
        """An integer option ('0x82' is accepted when base is 16 or 0)."""
        if name not in self.options:
            return default
        try:
            return int(self.options[name], base)
        except ValueError:
            raise PrinterConfigError(
                f"{self.raw}: {name} must be an integer, not {self.options[name]!r}"
            ) from None

    def flag(self, name: str, default: bool) -> bool:
        """A boolean option (1/0, true/false, yes/no, on/off)."""
        if name not in self.options:
            return default
        value = self.options[name].lower()
        if value in _TRUE | _FALSE:
            return value in _TRUE
        raise PrinterConfigError(f"{self.raw}: {name} must be 1 or 0, not {value!r}")

    def common(self) -> dict[str, float | bool]:
        """Keyword arguments every driver accepts: timeout, check, strict."""
        return {
            "timeout": self.number("timeout", self.default_timeout, low=0.05, high=60),
            "check_status": self.flag("check", True),
            "strict": self.flag("strict", False),
        }


def require(module: str, hint: str) -> ModuleType:
    """Import an optional hardware library, or explain how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise PrinterDependencyMissing(hint) from None
