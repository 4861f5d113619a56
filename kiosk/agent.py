"""The print agent: prints a kiosk's tickets on a printer attached to the kiosk's PC.

    nobat-print-agent --server http://10.0.0.2:5000 --token nbt_... \\
        --printer 'serial:///dev/ttyUSB0?baudrate=115200'

The kiosk's token needs ``--printer agent``. The agent holds a Socket.IO connection to the
server (protocol: ``server/live/``) and reconnects with backoff for as long as it runs. On
every connection it asks for the jobs still worth printing, then prints each ``print``
event, one job at a time and each job id at most once, and reports every outcome. A job
past its ``expires_at`` is reported stale, never printed: no pile of old tickets after an
outage. A printer fault fails only the job at hand.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import random
import signal
import sys
import threading
import time
from typing import Any

import socketio

from kiosk.agent_jobs import Job, expired, result
from printer_drivers import (
    Driver,
    Paper,
    PrinterError,
    TicketPrint,
    TicketRenderError,
    open_printer,
    render_ticket,
)

log = logging.getLogger("nobat.agent")

HEARTBEAT = 10.0  # seconds between agent_alive; the server forgets a silent agent after 30 s
BACKOFF = (1.0, 30.0)  # first and longest wait between connection attempts
ACK_TIMEOUT = 10.0
OPTIONS = {  # option: (environment variable, help)
    "server": ("NOBAT_SERVER", "the Nobat server, e.g. http://10.0.0.2:5000"),
    "token": ("NOBAT_AGENT_TOKEN", "the kiosk's device token (the environment is safer)"),
    "printer": ("NOBAT_PRINTER", "serial:///dev/ttyUSB0?baudrate=115200, usb://04b8:0e15, "
                "tcp://192.168.1.50:9100, file:///dev/usb/lp0..."),
}  # fmt: skip


class Agent:
    """One connection, one queue and one worker thread: jobs print in order, each at most once."""

    def __init__(self, server: str, token: str, printer: Driver, paper: Paper = Paper.MM80) -> None:
        self.server, self.token, self.printer, self.paper = server, token, printer, paper
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.seen: set[int] = set()  # job ids taken in this run: never printed twice
        self.unreported: dict[int, Job] = {}  # results sent again after a reconnect
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.dropped = threading.Event()
        # Reconnecting is run()'s job (with backoff, forever), also when the first try fails.
        self.sio = socketio.Client(reconnection=False, handle_sigint=False)
        self.sio.on("print", self.accept)
        self.sio.on("disconnect", self._on_disconnect)

    def run(self) -> None:
        """Stay connected until stop(): connect, sync, send heartbeats; on a drop, start over."""
        worker = threading.Thread(target=self._work, name="nobat-print-worker", daemon=True)
        worker.start()
        delay = BACKOFF[0]
        try:
            while not self.stopping.is_set():
                if not self._connect():
                    self.stopping.wait(delay * random.uniform(0.8, 1.2))
                    delay = min(delay * 2, BACKOFF[1])
                    continue
                delay = BACKOFF[0]
                while not self.dropped.wait(HEARTBEAT):
                    self._emit("agent_alive")
                if not self.stopping.is_set():
                    log.warning("lost the server; reconnecting")
        finally:
            worker.join(timeout=2 * ACK_TIMEOUT)  # the job at hand is printed and reported
            self.sio.disconnect()
            log.info("stopped")

    def stop(self, *_signal: Any) -> None:
        """Finish the job at hand and leave (SIGTERM, SIGINT)."""
        self.stopping.set()
        self.dropped.set()

    def accept(self, job: Any) -> None:
        """Queue a job unless this run has already taken it."""
        job_id = job.get("job") if isinstance(job, dict) else None
        if not isinstance(job_id, int):
            log.warning("ignoring a malformed print job: %.200r", job)
            return
        with self.lock:
            if job_id in self.seen:
                return
            self.seen.add(job_id)
        self.jobs.put(job)

    def process(self, job: Job) -> Job:
        """Print one job, or say why not; printer faults are results, not crashes."""
        job_id = job["job"]
        try:
            if expired(job):
                log.info("job %s: expired before it could print; not printed", job_id)
                return result(job_id, "stale", "stale", "expired before the agent could print it")
            ticket = TicketPrint.from_data(job["ticket"])
            image = render_ticket(ticket, self.paper)
            with self.printer:
                self.printer.print_ticket(image, job_name=ticket.number)
        except PrinterError as error:
            log.warning("job %s: printer fault %s: %s", job_id, error.code, error)
            return result(job_id, "failed", error.code, str(error))
        except (TicketRenderError, KeyError, TypeError, ValueError) as error:
            log.error("job %s: cannot render the ticket: %r", job_id, error)
            return result(job_id, "failed", "render_error", repr(error))
        log.info("job %s: printed %s", job_id, ticket.number)
        return result(job_id, "printed")

    def _connect(self) -> bool:
        """One attempt; the server counts the agent alive from here (and refuses a bad token)."""
        self.dropped.clear()
        try:
            self.sio.connect(
                self.server,
                auth={"token": self.token, "agent": True},
                transports=["websocket"],
                wait_timeout=5,
            )
        except (socketio.exceptions.ConnectionError, ValueError) as error:
            log.warning("cannot connect to %s: %s", self.server, error)
            return False
        log.info("connected to %s", self.server)
        self._sync()
        return True

    def _sync(self) -> None:
        """After (re)connecting: results lost with the last connection, then missed jobs."""
        for done in list(self.unreported.values()):
            self._report(done)
        answer = self._call("print_pending") or {}
        jobs = answer.get("jobs")
        if not isinstance(jobs, list):
            log.error("print_pending failed: %s", answer.get("error", "no answer"))
            return
        log.info("%d job(s) waiting on the server", len(jobs))
        for job in jobs:
            self.accept(job)

    def _on_disconnect(self, *_reason: Any) -> None:
        """Wake run() at once, so that reconnecting does not wait for the next heartbeat."""
        self.dropped.set()

    def _work(self) -> None:
        """The only thread that prints: one job at a time, in the order they came."""
        while not self.stopping.is_set():
            try:
                job = self.jobs.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                outcome = self.process(job)
            except Exception as error:  # a bug must cost one ticket, not the agent
                log.exception("job %s: unexpected error", job["job"])
                outcome = result(job["job"], "failed", "agent_error", repr(error))
            self._report(outcome)

    def _report(self, outcome: Job) -> None:
        """Send a result and wait for its ack; kept for the next connection if that fails."""
        self.unreported[outcome["job"]] = outcome
        answer = self._call("print_result", outcome)
        if answer is None:
            return
        self.unreported.pop(outcome["job"], None)
        if "error" in answer:
            log.error("the server refused job %s's result: %s", outcome["job"], answer["error"])

    def _call(self, event: str, data: Any = None) -> dict[str, Any] | None:
        """Emit and wait for the ack; None at once when the connection drops (not after 10 s)."""
        acked, answer = threading.Event(), []
        try:
            self.sio.emit(event, data, callback=lambda *args: (answer.extend(args), acked.set()))
        except socketio.exceptions.SocketIOError as error:
            log.warning("%s not sent: %s", event, error)
            return None
        deadline = time.monotonic() + ACK_TIMEOUT
        while not acked.wait(0.1):
            if not self.sio.connected or time.monotonic() > deadline:
                log.warning("%s got no answer", event)
                return None
        return answer[0] if answer and isinstance(answer[0], dict) else {}

    def _emit(self, event: str) -> None:
        """Fire and forget (heartbeats): a lost one is replaced by the next."""
        try:
            self.sio.emit(event)
        except socketio.exceptions.SocketIOError as error:
            log.warning("%s not sent: %s", event, error)


def parser() -> argparse.ArgumentParser:
    """The command line; the connection options may come from the environment instead."""
    args = argparse.ArgumentParser(
        prog="nobat-print-agent",
        description="Print a Nobat kiosk's tickets on a printer attached to this computer.",
        epilog="The kiosk's token must be created with --printer agent, e.g. "
        "nobat token create --device kiosk --office amol --printer agent",
    )
    for name, (variable, text) in OPTIONS.items():
        args.add_argument(
            f"--{name}", default=os.environ.get(variable), help=f"{text} [{variable}]"
        )
    args.add_argument("--paper", type=int, choices=(80, 58), default=80, help="roll width in mm")
    return args


def main(argv: list[str] | None = None) -> int:
    """Check the arguments (exit 2 with a message when wrong), then run until stopped."""
    args_parser = parser()
    args = args_parser.parse_args(argv)
    for name, (variable, _help) in OPTIONS.items():
        if not getattr(args, name):
            args_parser.error(f"--{name} is required (or {variable} in the environment)")
    if not args.server.startswith(("http://", "https://")):
        args_parser.error(f"--server must be an http:// or https:// URL, not {args.server!r}")
    try:
        printer = open_printer(args.printer)
    except PrinterError as error:
        args_parser.error(f"--printer: {error}")
    # force: python-escpos already called basicConfig() when it was imported
    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", level="INFO", force=True)
    agent = Agent(args.server, args.token, printer, Paper.MM80 if args.paper == 80 else Paper.MM58)
    signal.signal(signal.SIGTERM, agent.stop)
    signal.signal(signal.SIGINT, agent.stop)
    log.info("print agent for %s, printing on %s", args.server, printer.target)
    agent.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
