"""gunicorn settings for Nobat: one worker process, with threads or greenlets.

Socket.IO keeps one long-lived connection per screen and needs every request of
a client to reach the same process, so gunicorn's ``-w N`` is not used: run
several of these processes behind a proxy with sticky sessions (see
``deploy/nginx.conf``) and let Redis carry events between them. With threads,
each open socket holds some, hence the large thread count.
"""

import os

bind = os.environ.get("NOBAT_BIND", "127.0.0.1:5000")
workers = 1
# NOBAT_ASYNC_MODE (server/config.py): threads for the embedded server, greenlets for the
# scaled deployment, where one process holds a thousand screens (docs/decisions.md).
worker_class = "gevent" if os.environ.get("NOBAT_ASYNC_MODE") == "gevent" else "gthread"
threads = int(os.environ.get("NOBAT_THREADS", "256"))  # gthread only
# gunicorn's default of 1,000 connections would stop a worker that holds 1,000 screens
# from accepting even a health check (measured by bench/bench_sockets.py).
worker_connections = int(os.environ.get("NOBAT_CONNECTIONS", "4000"))
keepalive = 75
timeout = 60
graceful_timeout = 10
accesslog = None
errorlog = "-"
loglevel = os.environ.get("NOBAT_LOG_LEVEL", "info")
# Several processes share a host; gunicorn's control socket would collide.
control_socket_disable = True
