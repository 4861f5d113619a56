"""The production server for ``nobat serve``: gunicorn as ``gunicorn.conf.py`` sets it up.

gunicorn sets TCP_NODELAY on its listening socket, which accepted connections
inherit, so keep-alive requests do not stall on Nagle's algorithm.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from gunicorn.app.base import Application

from server.config import REPO_ROOT


class _Gunicorn(Application):
    def __init__(self, create: Callable[[], Flask], bind: str) -> None:
        self.create = create
        self.bind = bind
        super().__init__()

    def init(self, *_args: object) -> None:
        return None

    def load_config(self) -> None:
        self.load_config_from_file(str(REPO_ROOT / "gunicorn.conf.py"))
        self.cfg.set("bind", [self.bind])

    def load(self) -> Flask:
        # In the worker, after gevent (if used) has patched the standard library: locks
        # and pools made before the patch would block every greenlet at once.
        return self.create()


def serve(create: Callable[[], Flask], host: str, port: int) -> None:
    """Serve the app that ``create`` builds on ``host:port`` until interrupted."""
    _Gunicorn(create, f"{host}:{port}").run()
