"""gunicorn.conf.py: which worker each NOBAT_ASYNC_MODE gets, and a worker's frozen app."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.deploy import helpers

READ_CONF = """
import gc, json, runpy
conf = runpy.run_path("gunicorn.conf.py")
conf["post_worker_init"](None)
try:
    import gevent
    tree = gevent.config.track_greenlet_tree
except ImportError:
    tree = None
print(json.dumps({"worker_class": conf["worker_class"], "threads": conf.get("threads"),
                  "accesslog": conf["accesslog"],
                  "greenlet_tree": tree, "frozen": gc.get_freeze_count(),
                  "thresholds": gc.get_threshold()}))
"""


def read_conf(mode: str | None, **settings: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NOBAT_ASYNC_MODE", "NOBAT_ACCESS_LOG")}
    if mode is not None:
        env["NOBAT_ASYNC_MODE"] = mode
    env.update(settings)
    done = subprocess.run(
        [sys.executable, "-c", READ_CONF],
        cwd=helpers.REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("mode", [None, "gevent"])
def test_greenlets_by_default_on_gevent_websockets_worker(mode):
    conf = read_conf(mode)
    assert conf["worker_class"] == "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
    assert conf["threads"] is None
    assert conf["greenlet_tree"] is False


def test_threading_mode_gets_gthread_with_many_threads():
    conf = read_conf("threading")
    assert conf["worker_class"] == "gthread"
    assert conf["threads"] >= 256


def test_a_worker_freezes_what_it_loaded_and_collects_young_objects_less_often():
    conf = read_conf(None)
    assert conf["frozen"] > 1000
    assert conf["thresholds"] == [10_000, 10, 10]


def test_requests_are_logged_only_when_the_operator_asks():
    assert read_conf(None)["accesslog"] is None
    assert read_conf(None, NOBAT_ACCESS_LOG="-")["accesslog"] == "-"


def test_tls_is_served_only_with_both_a_certificate_and_its_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOBAT_TLS_")}
    check = (
        'import runpy; c = runpy.run_path("gunicorn.conf.py"); print(c["certfile"], c["keyfile"])'
    )

    def conf(**tls: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", check],
            cwd=helpers.REPO,
            env={**env, **tls},
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert conf().stdout.split() == ["None", "None"]
    both = conf(NOBAT_TLS_CERT="/etc/nobat/c.pem", NOBAT_TLS_KEY="/etc/nobat/k.pem")
    assert both.stdout.split() == ["/etc/nobat/c.pem", "/etc/nobat/k.pem"]
    alone = conf(NOBAT_TLS_CERT="/etc/nobat/c.pem")
    assert alone.returncode != 0
    assert "NOBAT_TLS_CERT and NOBAT_TLS_KEY go together" in alone.stderr
