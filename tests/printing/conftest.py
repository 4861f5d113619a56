"""Fixtures of the printing tests: an in-process app that prints for real (on fake
printers), and for the print agent a served demo office, a pty printer and the agent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from harness.demo import Server
from harness.processes import free_port
from server import auth
from server.app import create_app
from server.config import TestingConfig
from server.database import Base, make_engine
from server.engine.sessions import make_sessionmaker
from server.extensions import db
from server.models import Office, TokenKind
from server.seed import seed_demo
from tests.conftest import close
from tests.printer_drivers import conftest as drivers
from tests.printing.rig import AgentProcess, KioskSocket, PtyPrinter

# The fake printers of the printer_drivers tests.
tcp_printer = drivers.tcp_printer
closed_port = drivers.closed_port

MAX_AGE = 2  # NOBAT_PRINT_MAX_AGE of the served office: jobs older than this never print


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on SQLite publishing to Socket.IO, its preview printer writing under tmp_path."""
    result = create_app(
        TestingConfig, {"SQLALCHEMY_DATABASE_URI": sqlite_url, "INSTANCE": tmp_path}
    )
    with result.app_context():
        Base.metadata.create_all(db.engine)
    yield result
    close(result)


def kiosk_token(app: Flask, printer: str | None, office: str = "amol") -> str:
    """A further kiosk of ``office`` printing on ``printer`` (None: the server's default)."""
    with app.app_context():
        found = db.session.scalar(select(Office).where(Office.code == office))
        secret = auth.create_token(
            db.session, device=TokenKind.KIOSK, office_id=found.id, printer=printer
        )
        db.session.commit()
    return secret


@dataclass
class Rig:
    """The demo office served for real, a kiosk with ``--printer agent`` and its agent."""

    server: Server
    printer: PtyPrinter
    agent: AgentProcess
    kiosk: str

    def restart(self, max_age: int) -> None:
        """Serve again with another NOBAT_PRINT_MAX_AGE; a running agent reconnects."""
        connections = self.agent.connections()
        self.server.stop()
        self.server.env = {**self.server.env, "NOBAT_PRINT_MAX_AGE": str(max_age)}
        self.server.start()
        if self.agent.alive():
            self.agent.wait_connected(connections + 1)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """One served office per module; the database is prepared here, not by subprocesses."""
    folder = tmp_path_factory.mktemp("agent")
    database = f"sqlite:///{folder / 'nobat.sqlite3'}"
    engine = make_engine(database)
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        seed_demo(session, "demo")
        office = session.scalar(select(Office).where(Office.code == "amol"))
        kiosk = auth.create_token(
            session, device=TokenKind.KIOSK, office_id=office.id, printer="agent"
        )
        session.commit()
    engine.dispose()
    env = {
        **os.environ,
        "NOBAT_INSTANCE": str(folder),
        "NOBAT_DATABASE_URL": database,
        "NOBAT_SECRET_KEY": "printing-tests",
        "NOBAT_PRINT_MAX_AGE": str(MAX_AGE),
        "NOBAT_LOG_LEVEL": "warning",
    }
    env.pop("NOBAT_REDIS_URL", None)
    server = Server(f"http://127.0.0.1:{free_port()}", env, log=folder / "server.log")
    printer = PtyPrinter()
    agent = AgentProcess(server.url, kiosk, printer.url, folder / "agent.log")
    try:
        server.start()
        yield Rig(server, printer, agent, kiosk)
    finally:
        agent.stop()
        server.stop()
        printer.close()


@pytest.fixture
def served(rig: Rig) -> Rig:
    """The rig as each agent test starts: server up, agent connected, a printer with paper."""
    if rig.server.process is None or rig.server.env["NOBAT_PRINT_MAX_AGE"] != str(MAX_AGE):
        rig.restart(MAX_AGE)
    if not rig.agent.alive():
        rig.agent.start()
    rig.printer.reset()
    return rig


@pytest.fixture
def kiosk_socket(served: Rig) -> Iterator[KioskSocket]:
    """The kiosk screen's socket, which hears ``print_status``."""
    client = KioskSocket(served.server.url, served.kiosk)
    yield client
    client.close()
