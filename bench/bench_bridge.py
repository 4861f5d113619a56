"""The counter bridge: from a key press on the caller keypad to the LED displays' new number.

The parts of ``tests/counter``: ``nobat serve`` on a fresh SQLite demo office, the bridge
as its own process (``python -m counter.bridge.cli``), a keypad and a line LED display on
pseudo-terminals, and pymodbus's serial server (RTU) as the Modbus LED display. The clerk
presses *next* BENCH_BRIDGE_PRESSES times (200), one press at a time, each after the last
one has shown everywhere. For every press, from the moment its line (``N\\r``) is written on
the keypad's pty:

1. the Modbus display's datastore is written with the called ticket's sequence (the
   simulator's own write hook, in this process: one clock);
2. the line display receives the called ticket's line;
3. the keypad receives its ``OK`` feedback.

The displays are written from whichever comes first: the answer to *call next*, or the
ticket's ``called`` event over Socket.IO (the other then changes nothing).
Ptys have no baud rate: on a real 9600-baud line add 30–40 ms for the Modbus frame of six
registers, its answer and the silences between them, and about 10 ms for the text line.

Target: key → both displays p50 < 100 ms and p99 < 250 ms (a clerk feels 100 ms as at
once). Writes ``bench/results/bridge.json``. Knobs (environment): BENCH_BRIDGE_PRESSES
(200), BENCH_QUIET_WAIT (5 s of waiting for a quiet machine, at most).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path

from harness.counter import Keypad, LineDisplay, ModbusDisplay, counter_pc
from harness.demo import Server, seeded_demo
from harness.processes import call, wait_until

PRESSES = int(os.environ.get("BENCH_BRIDGE_PRESSES", "200"))
WARMUP = 5
COUNTER = 1  # the demo office's counter 1 serves national-id (B-…)
BLANK = 65535
TARGET_P50_MS, TARGET_P99_MS = 100.0, 250.0
TIMEOUT = 10.0  # seconds one press may take before the bench gives up


def press(keypad: Keypad, modbus: ModbusDisplay, line: LineDisplay, number: str) -> list[float]:
    """One *next*: seconds until the Modbus write, the display line and the feedback."""
    sequence = int(number.split("-")[1])
    writes, arrivals, feedback = len(modbus.writes), len(line.arrivals), len(keypad.arrivals)
    keypad.press("N")
    pressed = time.monotonic()

    def modbus_seen() -> float | None:
        return next(
            (
                t
                for t, first, values in modbus.writes[writes:]
                if first == 0 and values[0] == sequence
            ),
            None,
        )

    def line_seen() -> float | None:
        return next((t for t, data in line.arrivals[arrivals:] if number.encode() in data), None)

    def ok_seen() -> float | None:
        return next((t for t, data in keypad.arrivals[feedback:] if b"OK" in data), None)

    seen = [
        wait_until(check, f"{check.__name__} for {number}", TIMEOUT)
        for check in (modbus_seen, line_seen, ok_seen)
    ]
    return [t - pressed for t in seen]


def measure(folder: Path) -> dict[str, Any]:
    """Serve the office, wire the devices, run the bridge, press; the latencies per target."""
    demo = seeded_demo(folder)
    # One kiosk issues far past a kiosk's pace here: the rate limits are off.
    env = {**demo.env, "NOBAT_LOG_LEVEL": "warning", "NOBAT_RATE_LIMITS": "off"}
    server = Server(demo.url, env, log=folder / "server.log")
    clerk = demo.token("--user", "clerk1")
    kiosk = demo.token("--device", "kiosk", "--office", "amol", "--printer", "none")
    with counter_pc(folder, registers=6) as pc:
        server.start()
        try:
            keypad, modbus, line, bridge = pc.keypad, pc.modbus, pc.line, pc.bridge
            numbers = [server.issue(kiosk)["number"] for _ in range(WARMUP + PRESSES)]
            bridge.configure(server.url, clerk, COUNTER, BLANK)
            bridge.start()
            modbus.showing(0, [BLANK, BLANK, COUNTER])
            cpu_before = benchlib.process_cpu_seconds(bridge.process.pid)
            samples = [press(keypad, modbus, line, number) for number in numbers]
            cpu = benchlib.process_cpu_seconds(bridge.process.pid)
            status, board = call("GET", f"{server.url}/api/v1/offices/amol/queue", clerk)
            (mine,) = [c for c in board["counters"] if c["id"] == COUNTER]
            assert status == 200 and mine["ticket"]["number"] == numbers[-1], mine
            errors = bridge.count(" WARNING ") + bridge.count(" ERROR ")
        finally:
            pc.bridge.stop()
            server.stop()
    measured = samples[WARMUP:]
    return {
        "modbus": benchlib.latency_summary([s[0] for s in measured]),
        "line": benchlib.latency_summary([s[1] for s in measured]),
        "feedback": benchlib.latency_summary([s[2] for s in measured]),
        "bridge_cpu_ms_per_press": None
        if cpu is None or cpu_before is None
        else round(1000 * (cpu - cpu_before) / len(samples), 2),
        "bridge_warnings": errors,
    }


def report(data: dict[str, Any]) -> dict[str, Any]:
    """The results file: one table, the targets, the raw figures."""
    rows = [
        [
            what,
            data[key]["n"],
            data[key]["p50_ms"],
            data[key]["p90_ms"],
            data[key]["p99_ms"],
            data[key]["max_ms"],
        ]
        for key, what in (
            ("modbus", "key → Modbus display written (FC16 seen by pymodbus)"),
            ("line", "key → line display's line received"),
            ("feedback", "key → keypad's OK feedback received"),
        )
    ]
    targets = [
        {
            "name": f"key → {key} display, {label}",
            "target": f"< {limit:g} ms",
            "value": f"{data[key][field]} ms",
            "pass": data[key][field] is not None and data[key][field] < limit,
        }
        for key in ("modbus", "line")
        for label, field, limit in (
            ("p50", "p50_ms", TARGET_P50_MS),
            ("p99", "p99_ms", TARGET_P99_MS),
        )
    ]
    return {
        "title": "Counter bridge: key press → LED displays",
        "date": benchlib.now_iso(),
        "machine": benchlib.machine(),
        "tables": [
            {
                "title": f"{PRESSES} presses of next, one at a time (after {WARMUP} unmeasured)",
                "columns": [
                    "from the keypad's line written on its pty",
                    "n",
                    "p50 ms",
                    "p90 ms",
                    "p99 ms",
                    "max ms",
                ],
                "rows": rows,
                "notes": [
                    "SQLite demo office served by `nobat serve`; the bridge as its own process; "
                    "devices on pseudo-terminals (no baud-rate delay: a real 9600-baud line adds "
                    "30–40 ms for the Modbus frame and its answer).",
                    f"Bridge CPU per press: {data['bridge_cpu_ms_per_press']} ms; warnings or "
                    f"errors in its log: {data['bridge_warnings']}.",
                    f"Machine busy before the run: {data['busy_before']['busy_cores']} cores "
                    f"(after waiting {data['busy_before']['waited_seconds']} s for it to quiet).",
                ],
            }
        ],
        "targets": targets,
        "data": data,
    }


def main() -> int:
    benchlib.terminate_on_sigterm()
    quiet = benchlib.wait_for_quiet(float(os.environ.get("BENCH_QUIET_WAIT", "5")))
    with tempfile.TemporaryDirectory(prefix="nobat-bench-bridge-") as folder:
        payload = report({**measure(Path(folder)), "busy_before": quiet})
    path = benchlib.write_result("bridge", payload)
    benchlib.print_report(payload)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
