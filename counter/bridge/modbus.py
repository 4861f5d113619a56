"""LED displays that speak Modbus RTU: the number goes into holding registers.

Which registers take what is configuration (``[devices.registers]``): the ticket's
sequence as one number (7 for B-007), its digits one per register, the service letter as
its character code (66 for B), and the counter's own number. With no ticket at the counter
the number's registers get ``blank``. Contiguous registers go out as one *write multiple
registers* (function 16), or one *write single register* (function 6) each for displays
that only know that one.
"""

from __future__ import annotations

from pymodbus import FramerType
from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from counter.bridge.display import Display, DisplayError, Shown
from counter.bridge.port import PortError, moved
from counter.bridge.settings import ConfigError, Section, SerialSettings

REGISTER = {"low": 0, "high": 65535}
WRITES = ("multiple", "single")


class ModbusDisplay(Display):
    """A Modbus RTU display at device address ``unit``, with a register map."""

    protocol = "modbus"

    def __init__(
        self, name: str, serial: SerialSettings, refresh: float, *, unit: int,
        registers: dict[str, int | list[int]], blank: int, write: str, timeout: float,
    ) -> None:  # fmt: skip
        super().__init__(name, serial, refresh)
        self.unit, self.registers, self.blank = unit, registers, blank
        self.single, self.timeout = write == "single", timeout
        self.client: ModbusSerialClient | None = None

    @classmethod
    def configure(cls, name: str, serial: SerialSettings, section: Section) -> ModbusDisplay:
        """Read the register map; every register is used once, and the number has a place."""
        table = section.table("registers")
        registers: dict[str, int | list[int]] = {}
        for field in ("sequence", "letter", "counter"):
            address = table.integer(field, None, **REGISTER)
            if address is not None:
                registers[field] = address
        digits = table.raw("digits", None)
        if digits is not None:
            if not (isinstance(digits, list) and digits and all(_is_register(d) for d in digits)):
                raise ConfigError(
                    f"{table.where}: digits must be a list of register addresses "
                    f"(0 to 65535), most significant digit first, not {digits!r}."
                )
            registers["digits"] = digits
        table.done()
        if "sequence" not in registers and "digits" not in registers:
            raise ConfigError(
                f"{table.where}: the number needs a register: give sequence, digits or both."
            )
        used = [a for v in registers.values() for a in (v if isinstance(v, list) else [v])]
        if len(used) != len(set(used)):
            raise ConfigError(f"{table.where}: a register is used twice: {sorted(used)}.")
        return cls(
            name, serial, cls.read_refresh(section),
            unit=section.integer("unit", 1, low=1, high=247), registers=registers,
            blank=section.integer("blank", 0, **REGISTER),
            write=section.choice("write", WRITES, "multiple"),
            timeout=section.number("timeout", 0.5, low=0.05, high=10),
        )  # fmt: skip

    def values(self, shown: Shown) -> dict[int, int]:
        """Register address → value for what the display should show."""
        digits, blank = shown.digits, self.blank
        out: dict[int, int] = {}
        for field, where in self.registers.items():
            if field == "sequence":
                out[where] = min(int(digits), 65535) if digits else blank
            elif field == "letter":
                out[where] = ord(shown.letter[0]) if shown.letter else blank
            elif field == "counter":
                out[where] = shown.counter
            else:
                padded = digits.rjust(len(where), "0")[-len(where) :] if digits else ""
                for i, address in enumerate(where):
                    out[address] = int(padded[i]) if padded else blank
        return out

    def open(self) -> None:
        s = self.serial
        client = ModbusSerialClient(
            s.port, framer=FramerType.RTU, baudrate=s.baudrate, bytesize=s.bytesize,
            parity=s.parity, stopbits=s.stopbits, timeout=self.timeout, retries=0,
            name=self.name,
        )  # fmt: skip
        if not client.connect():
            raise PortError("no such device, or it cannot be opened")
        self.client = client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def write(self, shown: Shown) -> None:
        client = self.client
        if client is None or client.socket is None:
            raise PortError("the port is closed")
        for start, values in _runs(self.values(shown), self.single):
            try:
                if self.single:
                    answer = client.write_register(start, values[0], device_id=self.unit)
                else:
                    answer = client.write_registers(start, values, device_id=self.unit)
            except ConnectionException:
                raise PortError("the port failed") from None
            except ModbusIOException:
                raise DisplayError(f"the display (unit {self.unit}) does not answer") from None
            except ModbusException as error:
                raise DisplayError(f"Modbus error: {error}") from None
            if answer.isError():
                raise DisplayError(
                    f"the display (unit {self.unit}) refused registers {start}–"
                    f"{start + len(values) - 1}: {answer}"
                )

    def moved(self) -> bool:
        device = self.client.socket if self.client is not None else None
        return device is not None and moved(self.serial.port, device.fileno())


def _runs(values: dict[int, int], single: bool) -> list[tuple[int, list[int]]]:
    """Contiguous registers as (first address, values); one register each when ``single``."""
    runs: list[tuple[int, list[int]]] = []
    for address in sorted(values):
        if runs and not single and runs[-1][0] + len(runs[-1][1]) == address:
            runs[-1][1].append(values[address])
        else:
            runs.append((address, [values[address]]))
    return runs


def _is_register(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535
