"""The production server for ``nobat serve``: gunicorn as ``gunicorn.conf.py`` sets it up.

gunicorn sets TCP_NODELAY on its listening socket, which accepted connections
inherit, so keep-alive requests do not stall on Nagle's algorithm.
"""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import Application

from server.config import REPO_ROOT


class _Gunicorn(Application):
    def __init__(self, app: Flask, bind: str) -> None:
        self.application = app
        self.bind = bind
        super().__init__()

    def init(self, *_args: object) -> None:
        return None

    def load_config(self) -> None:
        self.load_config_from_file(str(REPO_ROOT / "gunicorn.conf.py"))
        self.cfg.set("bind", [self.bind])

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, host: str, port: int) -> None:
    """Serve ``app`` on ``host:port`` until interrupted."""
    _Gunicorn(app, f"{host}:{port}").run()
