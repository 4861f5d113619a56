"""The bridge's configuration: one TOML file per PC (documented in ``example.toml``).

Everything is checked when the file is read, before any port is opened: a mistake stops
the bridge at start with a sentence that names the setting, never at the first call.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from counter.bridge.display import Display
from counter.bridge.keypad import LineKeypad
from counter.bridge.protocols import ROLES, Device, protocol_for
from counter.bridge.settings import ConfigError, Section, SerialSettings

TOKEN_VARIABLE = "NOBAT_BRIDGE_TOKEN"  # stands in for server.token (safer than the file)


@dataclass(frozen=True)
class ServerSettings:
    """The server and the one counter this PC's devices belong to."""

    url: str
    token: str
    office: str
    counter: int
    timeout: float


@dataclass(frozen=True)
class Config:
    path: Path
    server: ServerSettings
    devices: tuple[Device, ...]

    @property
    def keypads(self) -> list[LineKeypad]:
        return [d for d in self.devices if isinstance(d, LineKeypad)]

    @property
    def displays(self) -> list[Display]:
        return [d for d in self.devices if isinstance(d, Display)]


def load(path: str | os.PathLike[str], environ: Mapping[str, str] = os.environ) -> Config:
    """Read and check the file; ConfigError says what is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist.") from None
    except OSError as error:
        raise ConfigError(f"{path} cannot be read: {error.strerror}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}.") from None
    root = Section(data)
    server = _server(root.table("server"), environ)
    listed = root.raw("devices", [])
    root.done()
    if not isinstance(listed, list) or not listed:
        raise ConfigError(
            "the file lists no [[devices]]: a bridge needs a keypad, a display or both."
        )
    devices = tuple(_device(entry, number) for number, entry in enumerate(listed, start=1))
    ports = [d.serial.port for d in devices]
    for port in sorted({p for p in ports if ports.count(p) > 1}):
        users = " and ".join(d.name for d in devices if d.serial.port == port)
        raise ConfigError(f"{users} both use {port}: a port takes one device.")
    names = [d.name for d in devices]
    if len(set(names)) != len(names):
        raise ConfigError(
            f"two devices have the same name ({', '.join(names)}): names are for logs."
        )
    return Config(path, server, devices)


def _server(section: Section | None, environ: Mapping[str, str]) -> ServerSettings:
    assert section is not None  # table() without a default raises instead
    url = section.text("url").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"[server]: url must be an http:// or https:// address, not {url!r}.")
    token = environ.get(TOKEN_VARIABLE) or section.text("token", None)
    if not token:
        raise ConfigError(f"[server]: token is missing (or set {TOKEN_VARIABLE}); it is required.")
    settings = ServerSettings(
        url=url,
        token=token,
        office=section.text("office"),
        counter=section.integer("counter", low=1, high=2**31 - 1),
        timeout=section.number("timeout", 3.0, low=0.5, high=30),
    )
    section.done()
    return settings


def _device(entry: object, number: int) -> Device:
    """One [[devices]] entry: the common settings, then its protocol's own."""
    section = Section(entry, f"device {number}")
    role = section.choice("role", ROLES)
    protocol = section.text("protocol")
    name = section.text("name", f"{role} {number}")
    section.where = f"device {number} ({name}: {role}, {protocol})"
    device_class = protocol_for(role, protocol, section.where)
    device = device_class.configure(name, SerialSettings.read(section), section)
    section.done()
    return device
