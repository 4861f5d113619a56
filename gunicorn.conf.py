"""gunicorn settings for Nobat: one worker process, with greenlets (default) or threads.

Socket.IO keeps one long-lived connection per screen and needs every request of
a client to reach the same process, so gunicorn's ``-w N`` is not used: run
several of these processes behind a proxy with sticky sessions (see
``deploy/nginx.conf``) and let Redis carry events between them.
"""

import gc
import os

bind = os.environ.get("NOBAT_BIND", "127.0.0.1:5000")
# TLS served by gunicorn itself, for an office without a reverse proxy (README). Behind
# nginx, nginx holds the certificate instead.
certfile = os.environ.get("NOBAT_TLS_CERT") or None
keyfile = os.environ.get("NOBAT_TLS_KEY") or None
if bool(certfile) != bool(keyfile):
    raise SystemExit("NOBAT_TLS_CERT and NOBAT_TLS_KEY go together")
workers = 1
# NOBAT_ASYNC_MODE (server/config.py), docs/decisions.md: greenlets on gevent's pywsgi with
# gevent-websocket (the websocket server Engine.IO uses under gevent), or a thread each.
GEVENT = os.environ.get("NOBAT_ASYNC_MODE", "gevent") == "gevent"
if GEVENT:
    import gevent

    # Every greenlet would otherwise keep the stack that spawned it: tens of objects per
    # socket, which the garbage collector then walks (measured by bench/bench_sockets.py).
    gevent.config.track_greenlet_tree = False
    worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
else:
    worker_class = "gthread"
    threads = int(os.environ.get("NOBAT_THREADS", "256"))  # each open socket holds some
# gunicorn's default of 1,000 connections would stop a worker that holds 1,000 screens
# from accepting even a health check (measured by bench/bench_sockets.py).
worker_connections = int(os.environ.get("NOBAT_CONNECTIONS", "4000"))
keepalive = 75
timeout = 60
graceful_timeout = 10
# A line per request costs the worker time at the rates an office server sees under
# load; operators who want one set NOBAT_ACCESS_LOG to a file, or to "-" for stdout.
accesslog = os.environ.get("NOBAT_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("NOBAT_LOG_LEVEL", "info")
# Several processes share a host; gunicorn's control socket would collide.
control_socket_disable = True


def post_worker_init(_worker: object) -> None:
    """Leave the loaded app out of the garbage collector's passes, and pass less often.

    The app, its libraries and their caches are some 150,000 objects that live as
    long as the process; each full collection walked them all, pausing every
    request and socket of the worker for 60–80 ms. A young generation of 10,000
    allocations instead of 700 cut the collector's time in a worker holding 1,000
    screens by two thirds (bench/results/MEASUREMENTS.md).
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
