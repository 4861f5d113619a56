"""The scaled deployment run by hand, as docker-compose.yml describes it: nginx (the rendered
deploy/nginx.conf) in front of two gunicorn processes, PostgreSQL, Redis between the apps.

app1 starts through deploy/entrypoint.sh, as in its container; app2 with the bare
``gunicorn -c gunicorn.conf.py server.wsgi:app``, as on a host without Docker.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from harness import services
from harness.processes import free_port, wait_until
from tests.deploy import helpers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

START_SECONDS = 45
EVENT_SECONDS = 10
REDIS_DB = 11  # any: Redis pub/sub ignores the database number


@dataclass
class Topology:
    url: str
    env: dict[str, str]
    folder: Path
    apps: dict[str, helpers.Process]
    ports: dict[str, int]
    nginx: helpers.Process
    nginx_port: int
    tokens: dict[str, str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def direct(self, app: str) -> str:
        return f"http://127.0.0.1:{self.ports[app]}"

    def auth(self, kind: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[kind]}"}

    def upstreams(self) -> list[str]:
        """The app address of every request nginx has logged, in order."""
        return re.findall(r"upstream=(\S+)", self.nginx.output())

    def start_app(self, name: str, *, migrate: bool = True) -> None:
        port = self.ports[name]
        env = {**self.env, "NOBAT_BIND": f"127.0.0.1:{port}", "NOBAT_MIGRATE": str(int(migrate))}
        if name == "app1":
            args = [str(helpers.ENTRYPOINT), "serve"]
        else:
            args = [str(helpers.VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "server.wsgi:app"]
        log = self.folder / f"{name}-{time.monotonic_ns()}.log"
        self.apps[name] = helpers.Process(name, args, env, log).start()

    def wait_healthy(self, name: str) -> None:
        process = self.apps[name]

        def healthy() -> bool:
            assert process.running, f"{name} exited:\n{process.output()}"
            return _ok(f"{self.direct(name)}/api/v1/health")

        wait_until(healthy, f"{name} to answer", START_SECONDS, interval=0.2)


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:  # not listening yet, or still loading the app
        return False


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    helpers.require_services(postgres=True, redis=True)
    nginx = helpers.nginx_binary()
    folder = tmp_path_factory.mktemp("topology")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(contextlib.contextmanager(services.fresh_postgres_database)())
        env = helpers.process_env(
            NOBAT_ENV="production",
            NOBAT_SECRET_KEY=secrets.token_urlsafe(32),
            NOBAT_DATABASE_URL=url,
            NOBAT_REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
            NOBAT_INSTANCE=str(folder / "instance"),
            NOBAT_ASYNC_MODE="gevent",
            NOBAT_LOG_LEVEL="warning",
            NOBAT_PUBLIC_URL="https://nobat.example.ir",
        )
        nobat = str(helpers.VENV_BIN / "nobat")
        helpers.run([nobat, "db", "upgrade"], env)

        ports = {"app1": free_port(), "app2": free_port()}
        nginx_port = free_port()
        conf = helpers.render_nginx_conf(folder / "nginx", nginx_port, list(ports.values()))
        proxy = helpers.Process("nginx", helpers.nginx_args(nginx, conf), env, folder / "nginx.log")
        result = Topology(url, env, folder, {}, ports, proxy, nginx_port, {})
        stack.callback(lambda: [p.stop() for p in result.apps.values()])
        for name in ports:  # they load while the demo office and the tokens are made
            result.start_app(name)
        helpers.run([nobat, "seed-demo"], env)
        commands = {
            "kiosk": ["token", "create", "--device", "kiosk", "--office", "amol"],
            "display": ["token", "create", "--device", "display", "--office", "amol"],
            "clerk": ["token", "create", "--user", "clerk1"],
        }
        with ThreadPoolExecutor(len(commands)) as pool:
            printed = pool.map(lambda args: helpers.run([nobat, *args], env), commands.values())
            result.tokens = {
                kind: out.split()[-1] for kind, out in zip(commands, printed, strict=True)
            }

        for name in ports:
            result.wait_healthy(name)
        proxy.start()
        stack.callback(proxy.stop)
        wait_until(
            lambda: _ok(f"{result.base}/healthz") or not proxy.running,
            "nginx to answer",
            START_SECONDS,
        )
        assert proxy.running, (folder / "nginx" / "error.log").read_text()
        yield result
        # The ExitStack stops nginx, then the apps, then drops the database.


# --- Socket.IO clients ------------------------------------------------------------------------


class Listener:
    """A Socket.IO client that keeps every event it receives."""

    def __init__(self) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.seen: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.client.on("*", self._any)

    def _any(self, event: str, data: Any = None) -> None:
        self.events.put((event, data))

    def connect(
        self, base: str, token: str, transports: list[str], origin: str | None, wait: float
    ) -> Listener:
        # The WebSocket client sends the Origin of the URL it connects to by itself, as a
        # browser would; the polling one sends the one given here, if any.
        assert origin is None or "websocket" not in transports, "two Origin headers"
        headers = {"Origin": origin} if origin else {}
        self.client.connect(
            base,
            auth={"token": token},
            transports=transports,
            headers=headers,
            wait_timeout=wait,
        )
        return self

    def wait_for(self, name: str, predicate=lambda data: True) -> Any:
        """The first event ``name`` (already seen or still to come) that matches."""
        with self._lock:
            for event, data in self.seen:
                if event == name and predicate(data):
                    return data
        deadline = time.monotonic() + EVENT_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                event, data = self.events.get(timeout=left)
            except queue.Empty:
                break
            with self._lock:
                self.seen.append((event, data))
            if event == name and predicate(data):
                return data
        raise AssertionError(f"no {name!r} event within {EVENT_SECONDS} s; saw {self.seen}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.shutdown()


@pytest.fixture
def listeners() -> Iterator[list[Listener]]:
    opened: list[Listener] = []
    yield opened
    for listener in opened:
        listener.close()


def listen(
    listeners: list[Listener],
    base: str,
    token: str,
    transports: list[str],
    origin: str | None = None,
    wait: float = EVENT_SECONDS,
) -> Listener:
    listener = Listener()
    listeners.append(listener)
    return listener.connect(base, token, transports, origin, wait)


# --- through nginx ----------------------------------------------------------------------------


def test_nginx_and_the_apps_answer_their_health_checks(topology):
    answer = requests.get(f"{topology.base}/healthz", timeout=5)
    assert (answer.status_code, answer.text) == (200, "ok\n")
    answer = requests.get(f"{topology.base}/api/v1/health", timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_a_kiosk_issues_a_ticket_through_nginx(topology):
    answer = requests.post(
        f"{topology.base}/api/v1/offices/amol/tickets",
        json={"service": "national-id"},
        headers=topology.auth("kiosk"),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    ticket = answer.json()
    assert ticket["service"] == "national-id" and ticket["status"] == "waiting"


def test_a_display_gets_its_snapshot_and_every_call_over_a_websocket_through_nginx(
    topology, listeners
):
    display = topology.tokens["display"]
    # The WebSocket client sends Origin: http://127.0.0.1:<nginx port>, as a browser on a
    # page served through nginx would: accepted only if nginx passes the Host with its port.
    through_nginx = listen(listeners, topology.base, display, ["websocket"])
    snapshot = through_nginx.wait_for("snapshot")
    assert {"seq", "counters"} <= snapshot.keys()
    # Sockets held by each app process directly: whichever process nginx sends the clerk
    # to, the event must reach the other one's sockets through Redis.
    direct = [
        listen(listeners, topology.direct(app), display, ["websocket"]) for app in topology.ports
    ]
    for listener in direct:
        listener.wait_for("snapshot")

    issued = requests.post(
        f"{topology.base}/api/v1/offices/amol/tickets",
        json={"service": "national-id"},
        headers=topology.auth("kiosk"),
        timeout=10,
    )
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    for listener in [through_nginx, *direct]:
        listener.wait_for("issued", lambda data: data["ticket"]["number"] == number)

    # Call until our ticket comes (an earlier test may have left one waiting before it).
    deadline = time.monotonic() + EVENT_SECONDS
    called: dict[str, Any] = {}
    while called.get("number") != number:
        assert time.monotonic() < deadline, "the ticket was never called"
        answer = requests.post(
            f"{topology.base}/api/v1/counters/1/next", headers=topology.auth("clerk"), timeout=10
        )
        assert answer.status_code == 200, answer.text
        called = answer.json()
    for listener in [through_nginx, *direct]:
        event = listener.wait_for("called", lambda data: data["ticket"]["number"] == number)
        assert event["ticket"]["counter"] == called["counter"]["id"]
        assert event["ticket"]["status"] == "called"


def test_long_polling_works_because_sessions_are_sticky(topology, listeners):
    logged = len(topology.upstreams())
    polling = listen(
        listeners, topology.base, topology.tokens["display"], ["polling"], origin=topology.base
    )
    polling.wait_for("snapshot")
    for _ in range(5):  # every request of this session must reach the same process
        board = polling.client.call("snapshot", timeout=EVENT_SECONDS)
        assert "seq" in board
    upgraded = listen(
        listeners, topology.base, topology.tokens["display"], ["polling", "websocket"]
    )
    upgraded.wait_for("snapshot")
    wait_until(lambda: upgraded.client.transport() == "websocket", "upgrade", EVENT_SECONDS)
    used = topology.upstreams()[logged:]
    assert len(used) > 5 and len(set(used)) == 1, "one client address, one app process"


def test_a_browser_page_from_another_site_is_refused(topology, listeners):
    with pytest.raises(socketio.exceptions.ConnectionError):
        listen(
            listeners,
            topology.base,
            topology.tokens["display"],
            ["polling"],
            origin="http://evil.example",
        )


def test_bodies_over_the_apps_limit_are_refused_by_nginx_as_json(topology):
    answer = requests.post(
        f"{topology.base}/api/v1/offices/amol/tickets",
        data=b"x" * (65 * 1024),
        headers={**topology.auth("kiosk"), "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"


def test_assets_are_served_compressed(topology):
    url = f"{topology.base}/assets/socket.io-client/socket.io.min.js"
    plain = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    with requests.get(url, headers={"Accept-Encoding": "gzip"}, timeout=10, stream=True) as answer:
        assert answer.status_code == 200
        assert answer.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in answer.headers["Vary"]
        sent = answer.raw.read(decode_content=False)
    assert len(sent) < len(plain.content) / 2


def test_when_the_app_in_use_dies_nginx_sends_its_clients_to_the_other(topology):
    requests.get(f"{topology.base}/api/v1/health", timeout=5)
    in_use = topology.upstreams()[-1]
    (name,) = [n for n, port in topology.ports.items() if in_use == f"127.0.0.1:{port}"]
    topology.apps[name].stop(crash=True)
    try:
        for _ in range(3):
            answer = requests.get(f"{topology.base}/api/v1/health", timeout=10)
            assert answer.status_code == 200
        assert topology.upstreams()[-1] != in_use
    finally:
        topology.start_app(name, migrate=False)
        topology.wait_healthy(name)


# --- the same, without ip_hash ----------------------------------------------------------------


@pytest.fixture
def round_robin(topology: Topology, tmp_path: Path) -> Iterator[str]:
    """A second nginx on the same apps, as deploy/nginx.conf would be without ip_hash."""
    port = free_port()
    conf = helpers.render_nginx_conf(
        tmp_path / "nginx", port, list(topology.ports.values()), sticky=False, workers=1
    )
    proxy = helpers.Process(
        "nginx", helpers.nginx_args(helpers.nginx_binary(), conf), topology.env, tmp_path / "log"
    ).start()
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _ok(f"{base}/healthz"), "nginx to answer", START_SECONDS)
        yield base
    finally:
        proxy.stop()


def polling_round_trip(base: str, token: str) -> int:
    """Open an Engine.IO long-polling session, then send it the Socket.IO connect packet:
    the status of that second request (400 when it reaches a process without the session)."""
    with requests.Session() as http:
        query = {"EIO": "4", "transport": "polling"}
        opened = http.get(f"{base}/socket.io/", params=query, timeout=10)
        assert opened.status_code == 200 and opened.text.startswith("0"), opened.text
        sid = json.loads(opened.text[1:])["sid"]
        sent = http.post(
            f"{base}/socket.io/",
            params={**query, "sid": sid},
            data="40" + json.dumps({"token": token}),
            timeout=10,
        )
        return sent.status_code


def test_each_polling_session_stays_with_its_process(topology):
    for _ in range(4):
        assert polling_round_trip(topology.base, topology.tokens["display"]) == 200


def test_without_sticky_sessions_long_polling_breaks(round_robin, topology):
    assert polling_round_trip(round_robin, topology.tokens["display"]) == 400
