"""``nobat-counter-bridge``: a counter's serial keypad and LED displays, run beside its PC.

    nobat-counter-bridge --config /etc/nobat/bridge.toml
    nobat-counter-bridge --config bridge.toml --check     # read the file, open nothing

The file's format is ``counter/bridge/example.toml``; NOBAT_BRIDGE_TOKEN may hold the
token instead of the file. Runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from counter.bridge.bridge import Bridge
from counter.bridge.config import Config, ConfigError, load

CONFIG_VARIABLE = "NOBAT_BRIDGE_CONFIG"
log = logging.getLogger("nobat.bridge")


def parser() -> argparse.ArgumentParser:
    """The command line."""
    args = argparse.ArgumentParser(
        prog="nobat-counter-bridge",
        description="Connect a serial caller keypad and LED counter displays to a Nobat counter.",
        epilog="The token is a clerk's (nobat token create --user NAME) or the counter's "
        "device token; NOBAT_BRIDGE_TOKEN overrides the file's.",
    )
    args.add_argument(
        "--config", default=os.environ.get(CONFIG_VARIABLE),
        help=f"the bridge's TOML file [{CONFIG_VARIABLE}]",
    )  # fmt: skip
    args.add_argument("--check", action="store_true", help="check the file and exit")
    args.add_argument("--debug", action="store_true", help="log every detail, libraries too")
    return args


def describe(config: Config) -> list[str]:
    """What the file sets up, a line each (``--check`` and the first log lines)."""
    server = config.server
    lines = [f"counter {server.counter} of office {server.office} at {server.url}"]
    for device in config.devices:
        where = device.serial.describe()
        lines.append(f"{device.name}: {device.role} ({device.protocol}) on {where}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Check the file (exit 2 with its mistake), then run until stopped."""
    args_parser = parser()
    args = args_parser.parse_args(argv)
    if not args.config:
        args_parser.error(f"--config is required (or {CONFIG_VARIABLE} in the environment)")
    try:
        config = load(args.config)
    except ConfigError as error:
        args_parser.exit(2, f"nobat-counter-bridge: {args.config}: {error}\n")
    if args.check:
        print(f"{args.config} is valid:", *describe(config), sep="\n  ")
        return 0
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(message)s",
        level=logging.DEBUG if args.debug else logging.INFO,
        force=True,
    )
    if not args.debug:  # the bridge says what happened; pymodbus would say it again, louder
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    bridge = Bridge(config)
    signal.signal(signal.SIGTERM, bridge.stop)
    signal.signal(signal.SIGINT, bridge.stop)
    first, *devices = describe(config)
    log.info("counter bridge for %s", first)
    for line in devices:
        log.info("device %s", line)
    bridge.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
