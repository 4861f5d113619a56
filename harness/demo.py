"""The demo office served by ``nobat serve`` as ``make demo`` runs it (on SQLite, seeded
once per run and copied), and the Chromium that page tests and page benches drive, with
how they open a paired device's page."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from harness.processes import REPO, STARTUP, call, free_port, wait_healthy, wait_until
from server import auth
from server.database import make_engine
from server.engine.sessions import make_sessionmaker
from server.models import Counter, Office, TokenKind, User

CHROMIUM = os.environ.get("NOBAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def open_device(page, url: str, token: str) -> None:
    """Open a kiosk's or display's page (``url``: ``…/kiosk/amol?lang=en``) as a paired device.

    The one place tests and benches install a device token: pages take none from their
    address (pairing delivers it), so it is put where the page keeps it before any script
    runs, once per tab, so that a page which forgets a refused token does not get it back
    on reload.
    """
    kind, office = urllib.parse.urlsplit(url).path.strip("/").split("/")[:2]
    key = f"nobat.{kind}.{office}"
    page.add_init_script(
        "if (!sessionStorage.getItem('nobat.test.installed')) {"
        f" localStorage.setItem({json.dumps(key)}, {json.dumps(token)});"
        " sessionStorage.setItem('nobat.test.installed', '1'); }"
    )
    page.goto(url)


TERMINAL = {"printed", "failed", "stale"}


@dataclass
class DemoServer:
    """``nobat serve`` on a fresh SQLite demo office, as ``make demo`` runs it."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen | None = None

    def nobat(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return result.stdout.strip()

    def token(self, *args: str) -> str:
        """A token as ``nobat token create ARGS`` makes it, made in this process: a CLI
        process of its own took seconds to start, several times per test module."""
        given = _TOKEN_ARGS.parse_args(args)
        engine = make_engine(self.env["NOBAT_DATABASE_URL"])
        try:
            with make_sessionmaker(engine)() as session:
                secret = _create_token(session, given)
                session.commit()
        finally:
            engine.dispose()
        return secret

    def post(self, path: str, token: str, body: dict | None = None) -> tuple[int, dict | None]:
        return self._call("POST", path, token, json.dumps(body or {}).encode())

    def patch(self, path: str, token: str, body: dict) -> tuple[int, dict | None]:
        return self._call("PATCH", path, token, json.dumps(body).encode())

    def get(self, path: str, token: str) -> tuple[int, dict | None]:
        return self._call("GET", path, token)

    def _call(
        self, method: str, path: str, token: str, data: bytes | None = None
    ) -> tuple[int, dict | None]:
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None

    def start(self) -> None:
        self.launch()
        try:
            wait_healthy(self.port, timeout=90)
        except TimeoutError:
            self.stop()
            raise

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def launch(self) -> None:
        """``nobat serve`` on this server's port, not waiting for it."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None


_TOKEN_ARGS = argparse.ArgumentParser(prog="nobat token create", exit_on_error=False)
for _flag in ("--user", "--device", "--office", "--counter", "--printer", "--name"):
    _TOKEN_ARGS.add_argument(_flag)


def _create_token(session, given: argparse.Namespace) -> str:
    if given.user:
        user = session.scalar(select(User).where(User.username == given.user))
        return auth.create_token(session, user=user, name=given.name or "")
    office = session.scalar(select(Office).where(Office.code == given.office))
    counter = None
    if given.counter:
        counter = session.scalar(
            select(Counter).where(
                Counter.office_id == office.id, Counter.number == int(given.counter)
            )
        )
    return auth.create_token(
        session,
        device=TokenKind(given.device),
        office_id=office.id,
        counter=counter,
        name=given.name or "",
        printer=given.printer,
    )


def _demo_env(instance: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "NOBAT_INSTANCE": str(instance),
        "NOBAT_DATABASE_URL": f"sqlite:///{instance / 'nobat.sqlite3'}",
        "NOBAT_DEMO_PASSWORD": "demo",
        "NOBAT_SECRET_KEY": "browser-tests",
        # Tests switch a kiosk's printer in the database behind the server's back.
        "NOBAT_TOKEN_CACHE_SECONDS": "0",
    }
    env.pop("NOBAT_REDIS_URL", None)
    return env


@cache
def _demo_template() -> Path:
    """The demo office migrated and seeded once per run, as ``make demo`` does it."""
    folder = Path(tempfile.mkdtemp(prefix="nobat-demo-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    template = DemoServer("", _demo_env(folder))
    template.nobat("db", "upgrade")
    template.nobat("seed-demo")
    return folder / "nobat.sqlite3"


def seeded_demo(instance: Path) -> DemoServer:
    """A migrated and seeded demo office on SQLite in ``instance``, not yet served.

    A copy of one template per run: migrating and seeding took two CLI processes and
    several seconds for every server.
    """
    instance.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(_demo_template())) as template,
        closing(sqlite3.connect(instance / "nobat.sqlite3")) as copy,
    ):
        template.backup(copy)
    return DemoServer(f"http://127.0.0.1:{free_port()}", _demo_env(instance))


@dataclass
class Server(DemoServer):
    """``nobat serve`` in its own process group, so that a kill takes its workers too."""

    log: Path | None = None

    def start(self) -> None:
        port = int(self.url.rsplit(":", 1)[1])
        with open(self.log or os.devnull, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
                cwd=REPO,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        wait_healthy(port, timeout=STARTUP)

    def kill(self) -> None:
        """SIGKILL, as a power cut or a crash would: no goodbye to the sockets."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """gunicorn's quick shutdown: SIGTERM would wait for open sockets to finish."""
        self._signal(signal.SIGINT)

    def _signal(self, signum: int) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signum)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            self.process.wait(timeout=15)
        self.process = None

    def job(self, token: str, job_id: int) -> dict[str, Any]:
        status, body = call("GET", f"{self.url}/api/v1/print-jobs/{job_id}", token)
        assert status == 200, body
        return body

    def wait_job(self, token: str, job_id: int, timeout: float = 15) -> dict[str, Any]:
        """The job once it has an outcome."""

        def done() -> dict[str, Any] | None:
            job = self.job(token, job_id)
            return job if job["state"] in TERMINAL else None

        return wait_until(done, f"print job {job_id} to finish", timeout)

    def issue(self, token: str, service: str = "national-id") -> dict[str, Any]:
        status, body = call(
            "POST", f"{self.url}/api/v1/offices/amol/tickets", token, {"service": service}
        )
        assert status == 201, body
        return body
