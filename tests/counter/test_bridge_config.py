"""The bridge's configuration file and command line: a mistake is one clear sentence at start,
and the bridge runs without the server's code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from counter.bridge.cli import main
from counter.bridge.config import TOKEN_VARIABLE, ConfigError, load
from counter.bridge.display import LineDisplay
from counter.bridge.keypad import LineKeypad
from counter.bridge.modbus import ModbusDisplay

EXAMPLE = Path(__file__).resolve().parents[2] / "counter" / "bridge" / "example.toml"
SERVER = '[server]\nurl = "http://10.0.0.2:5000"\ntoken = "nbt_x"\noffice = "amol"\ncounter = 2\n'
KEYPAD = '[[devices]]\nrole = "keypad"\nprotocol = "line"\nport = "/dev/ttyUSB0"\n'
MODBUS = '[[devices]]\nrole = "led"\nprotocol = "modbus"\nport = "/dev/ttyUSB1"\n'


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bridge.toml"
    path.write_text(text)
    return path


def test_the_example_file_is_valid_and_sets_up_a_keypad_and_two_displays():
    config = load(EXAMPLE, environ={})
    assert (config.server.office, config.server.counter, config.server.timeout) == ("amol", 2, 3.0)
    keypad, modbus, line = config.devices
    assert isinstance(keypad, LineKeypad) and keypad.keys["N"] == "next"
    assert keypad.feedback["ok"] == b"OK\r\n"
    assert isinstance(modbus, ModbusDisplay)
    assert modbus.registers == {"sequence": 0, "letter": 1, "counter": 2}
    assert (modbus.serial.parity, modbus.unit) == ("E", 1)
    assert isinstance(line, LineDisplay) and line.template == "{number}\r\n"


def test_the_token_may_come_from_the_environment_instead(tmp_path):
    path = written(tmp_path, SERVER.replace('token = "nbt_x"\n', "") + KEYPAD)
    assert load(path, environ={TOKEN_VARIABLE: "nbt_env"}).server.token == "nbt_env"
    with pytest.raises(ConfigError, match=f"token is missing \\(or set {TOKEN_VARIABLE}\\)"):
        load(path, environ={})


def test_a_keypad_that_only_beeps(tmp_path):
    feedback = '[devices.feedback]\nok = "\\u0007"\nerror = "\\u0007\\u0007"\nbusy = ""\n'
    keypad = load(written(tmp_path, SERVER + KEYPAD + feedback), environ={}).devices[0]
    assert keypad.feedback == {"ok": b"\a", "empty": b"EMPTY\r\n", "busy": b"", "error": b"\a\a"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file has no [server] table; it is required."),
        (SERVER.replace("http://", "ftp://"),
         "[server]: url must be an http:// or https:// address, not 'ftp://10.0.0.2:5000'."),
        (SERVER.replace("counter = 2", 'counter = "2"'),
         "[server]: counter must be a whole number from 1 to 2147483647, not '2'."),
        (SERVER + "sever = 1\n" + KEYPAD,
         "[server]: unknown setting(s) sever; known: counter, office, timeout, token, url."),
        (SERVER, "the file lists no [[devices]]: a bridge needs a keypad, a display or both."),
        (SERVER + KEYPAD.replace('"keypad"', '"printer"'),
         "device 1: role must be one of 'keypad', 'led', not 'printer'."),
        (SERVER + KEYPAD.replace('"line"', '"modbus"'),
         "device 1 (keypad 1: keypad, modbus): a keypad speaks 'line', not protocol 'modbus'."),
        (SERVER + KEYPAD + "baudrate = 9601\n",
         "device 1 (keypad 1: keypad, line): baudrate must be one of 1200, 2400, 4800, 9600, "
         "19200, 38400, 57600, 115200, 230400, 460800, 921600, not 9601."),
        (SERVER + KEYPAD + '[devices.keys]\nN = "nxt"\n',
         "device 1 (keypad 1: keypad, line) [keys]: N must be one of 'next', 'recall', 'start', "
         "'complete', 'no_show', 'pause', not 'nxt'."),
        (SERVER + KEYPAD + '[devices.feedback]\nok = "خوب"\n',
         "device 1 (keypad 1: keypad, line) [feedback]: ok must hold bytes: characters from "
         "\\u0000 to \\u00ff only, not 'خوب'."),
        (SERVER + KEYPAD + KEYPAD,
         "keypad 1 and keypad 2 both use /dev/ttyUSB0: a port takes one device."),
        (SERVER + MODBUS,
         "device 1 (led 1: led, modbus) has no [registers] table; it is required."),
        (SERVER + MODBUS + "[devices.registers]\ncounter = 2\n",
         "device 1 (led 1: led, modbus) [registers]: the number needs a register: give "
         "sequence, digits or both."),
        (SERVER + MODBUS + "[devices.registers]\nsequence = 0\ndigits = [0, 1]\n",
         "device 1 (led 1: led, modbus) [registers]: a register is used twice: [0, 0, 1]."),
        (SERVER + MODBUS + "unit = 300\n[devices.registers]\nsequence = 0\n",
         "device 1 (led 1: led, modbus): unit must be a whole number from 1 to 247, not 300."),
        (SERVER + MODBUS.replace('"modbus"', '"line"') + 'template = "{nunber}"\n',
         "device 1 (led 1: led, line): template '{nunber}' cannot be filled in (KeyError: "
         "'nunber'); it may use {number}, {letter}, {digits}, {sequence}, {counter}."),
        (SERVER + MODBUS.replace('"modbus"', '"line"') + 'tempalte = "{number}"\n',
         "device 1 (led 1: led, line): unknown setting(s) tempalte; known: baudrate, blank, "
         "bytesize, encoding, name, parity, port, protocol, refresh, role, stopbits, template."),
    ],
)  # fmt: skip
def test_a_mistake_is_one_clear_sentence(tmp_path, text, message):
    with pytest.raises(ConfigError) as raised:
        load(written(tmp_path, text), environ={})
    assert str(raised.value) == message


def test_a_file_that_is_not_toml_says_where(tmp_path):
    with pytest.raises(ConfigError, match=r"is not valid TOML: .*line 1"):
        load(written(tmp_path, "[server\n"), environ={})
    with pytest.raises(ConfigError, match=r"missing.toml does not exist\.$"):
        load(tmp_path / "missing.toml", environ={})


def test_check_reads_the_file_and_opens_nothing(capsys):
    assert main(["--config", str(EXAMPLE), "--check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{EXAMPLE} is valid:"
    assert out[1] == "  counter 2 of office amol at http://10.0.0.2:5000"
    port = "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0"
    assert out[3] == f"  counter display: led (modbus) on {port} at 9600 8E1"


def test_a_bad_file_stops_the_bridge_with_exit_status_2(tmp_path, capsys):
    path = written(tmp_path, SERVER)
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(path)])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        f"nobat-counter-bridge: {path}: the file lists no [[devices]]: "
        "a bridge needs a keypad, a display or both.\n"
    )


def test_the_bridge_runs_without_the_server_or_flask():
    modules = [p.stem for p in EXAMPLE.parent.glob("*.py") if p.stem != "__init__"]
    code = (
        f"import sys; import {', '.join(f'counter.bridge.{m}' for m in modules)}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'server')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
    for path in EXAMPLE.parent.glob("*.py"):
        source = path.read_text()
        assert "from server" not in source and "import server" not in source, path.name
