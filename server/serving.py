"""The production server for ``nobat serve``: gunicorn's threaded worker in one process.

One process with many threads, because Socket.IO keeps a long-lived connection
per screen and (without sticky sessions) cannot be spread over gunicorn's
``-w N`` workers; scale out with several such processes behind a proxy and
Redis. gunicorn sets TCP_NODELAY on its listening socket, which accepted
connections inherit, so keep-alive requests do not stall on Nagle's algorithm.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

DEFAULT_THREADS = int(os.environ.get("NOBAT_THREADS", "64"))


class _Gunicorn(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, host: str, port: int, threads: int = DEFAULT_THREADS) -> None:
    """Serve ``app`` until interrupted."""
    _Gunicorn(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "keepalive": 75,
            "timeout": 60,
            "graceful_timeout": 10,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
        },
    ).run()
