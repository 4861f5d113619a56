"""Device protocols by role and name: one registry, one lookup function."""

from __future__ import annotations

from counter.bridge.display import LineDisplay
from counter.bridge.keypad import LineKeypad
from counter.bridge.modbus import ModbusDisplay
from counter.bridge.settings import ConfigError

Device = LineKeypad | LineDisplay | ModbusDisplay

PROTOCOLS: dict[tuple[str, str], type[Device]] = {
    (device.role, device.protocol): device for device in (LineKeypad, LineDisplay, ModbusDisplay)
}
ROLES = tuple(dict.fromkeys(role for role, _protocol in PROTOCOLS))


def protocol_for(role: str, protocol: str, where: str) -> type[Device]:
    """The class that reads a device's settings and drives it."""
    found = PROTOCOLS.get((role, protocol))
    if found is None:
        known = ", ".join(repr(name) for kind, name in PROTOCOLS if kind == role)
        raise ConfigError(f"{where}: a {role} speaks {known}, not protocol {protocol!r}.")
    return found
