"""deploy/nginx.conf: what Socket.IO behind a proxy needs, and nginx itself accepts it."""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

import pytest

from harness.processes import free_port
from server.config import Config
from tests.deploy import helpers

CONFIG = helpers.parse_nginx(helpers.NGINX_CONF.read_text())
HTTP = CONFIG.child("http")
SERVER = HTTP.child("server")


def location(path: str) -> helpers.Directive:
    (found,) = [d for d in SERVER.children("location") if d.args[-1] == path]
    return found


def headers(block: helpers.Directive) -> dict[str, str]:
    return {d.args[0].lower(): d.args[1] for d in block.children("proxy_set_header")}


def test_the_apps_are_balanced_with_sticky_sessions():
    upstream = HTTP.child("upstream")
    assert upstream.args == ["nobat"]
    names = [d.name for d in upstream.block or []]
    assert names.count("server") >= 2
    # The balancing method must come before keepalive, or nginx ignores it.
    assert names.index("ip_hash") < names.index("keepalive")
    proxied = [d.args[0] for d in SERVER.walk() if d.name == "proxy_pass"]
    assert proxied and set(proxied) == {"http://nobat"}


def test_socketio_gets_websocket_upgrades_unbuffered_with_long_timeouts():
    socket = location("/socket.io/")
    assert headers(socket)["upgrade"] == "$http_upgrade"
    assert headers(socket)["connection"] == "$connection_upgrade"
    (upgrade_map,) = HTTP.children("map")
    assert upgrade_map.args == ["$http_upgrade", "$connection_upgrade"]
    values = {d.name: d.args for d in upgrade_map.block or []}
    assert values["default"] == ["upgrade"] and values[""] == [""]
    assert SERVER.child("proxy_http_version").args == ["1.1"]
    assert socket.child("proxy_buffering").args == ["off"]
    for timeout in ("proxy_read_timeout", "proxy_send_timeout"):
        assert helpers.nginx_seconds(socket.child(timeout).args[0]) >= 300, timeout


def test_the_socketio_location_repeats_every_forwarded_header():
    # A proxy_set_header in a location drops all the server's: none may be lost there.
    server_headers = headers(SERVER)
    socket_headers = headers(location("/socket.io/"))
    for name, value in server_headers.items():
        if name != "connection":
            assert socket_headers.get(name) == value, name


def test_the_host_keeps_its_port_for_socketio_origin_checks():
    # Socket.IO accepts a browser whose Origin is the Host it called; $host drops the port.
    assert headers(SERVER)["host"] == "$http_host"
    assert headers(SERVER)["x-forwarded-proto"] == "$scheme"


def test_assets_are_compressed():
    assert SERVER.child("gzip").args == ["on"]
    assert SERVER.child("gzip_proxied").args == ["any"]
    types = set(SERVER.child("gzip_types").args)
    assert {"application/javascript", "text/javascript", "text/css", "application/json"} <= types


def test_the_body_limit_is_the_apps():
    (limit,) = {d.args[0] for d in CONFIG.walk() if d.name == "client_max_body_size"}
    assert limit == f"{Config.MAX_CONTENT_LENGTH // 1024}k"


def test_nginx_has_its_own_health_check():
    healthz = location("/healthz")
    assert healthz.args == ["=", "/healthz"]
    assert healthz.child("return").args[0] == "200"


def test_the_loopback_copy_changes_only_addresses_and_paths(tmp_path):
    rendered = helpers.render_nginx_conf(tmp_path, 8081, [5001, 5002]).read_text()
    diff = list(difflib.ndiff(helpers.NGINX_CONF.read_text().splitlines(), rendered.splitlines()))
    removed = [line[2:].strip() for line in diff if line.startswith("- ")]
    added = [line[2:].strip() for line in diff if line.startswith("+ ")]
    assert removed == [
        "server app1:5000 max_fails=3 fail_timeout=10s;",
        "server app2:5000 max_fails=3 fail_timeout=10s;",
        "listen 80;",
    ]
    assert "server 127.0.0.1:5001 max_fails=3 fail_timeout=10s;" in added
    assert "server 127.0.0.1:5002 max_fails=3 fail_timeout=10s;" in added
    assert "listen 127.0.0.1:8081;" in added
    assert all(
        line.startswith(("server 127.0.0.1:", "listen 127.0.0.1:", "daemon ", "pid ", "user "))
        or "_temp_path " in line
        for line in added
    ), added


@pytest.mark.parametrize("sticky", [True, False], ids=["as deployed", "without ip_hash"])
def test_nginx_accepts_the_config(tmp_path, sticky):
    binary = helpers.nginx_binary()
    conf = helpers.render_nginx_conf(tmp_path, free_port(), [5001, 5002], sticky=sticky)
    done = subprocess.run(
        [*helpers.nginx_args(binary, conf), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    assert "[warn]" not in done.stderr and "[emerg]" not in done.stderr, done.stderr


def test_the_access_log_keeps_no_query_string():
    """A query string may carry a secret (an old ``?token=`` bookmark): the log has paths only."""
    conf = (Path(__file__).parents[2] / "deploy" / "nginx.conf").read_text()
    formats = [
        line for line in conf.splitlines() if "log_format" in line or line.strip().startswith("'")
    ]
    logged = " ".join(formats)
    assert "$uri" in logged
    for variable in ("$request ", '$request"', "$request_uri", "$args", "$query_string"):
        assert variable not in logged
