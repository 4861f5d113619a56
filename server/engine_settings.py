"""The queue engine's settings for an app: built once from its configuration, read here.

The engine takes its settings as a plain value (it knows nothing of Flask); every part
of the server that drives it (the API, the live sockets, printing, the ticket page)
asks this module for the app's, so none of them reads the configuration on its own.
"""

from __future__ import annotations

from flask import Flask, current_app

from server.engine import EngineSettings

_KEY = "nobat.engine_settings"


def install(app: Flask) -> None:
    """Build the app's engine settings from its ``NOBAT_*`` configuration."""
    config = app.config
    app.extensions[_KEY] = EngineSettings(
        priority_bound=config["NOBAT_PRIORITY_BOUND"],
        default_service_seconds=config["NOBAT_DEFAULT_SERVICE_SECONDS"],
        default_daily_cap=config["NOBAT_DEFAULT_DAILY_CAP"] or None,
        reprint_limit=config["NOBAT_REPRINT_LIMIT"],
    )


def engine_settings(app: Flask | None = None) -> EngineSettings:
    """The settings of ``app``, by default the current one."""
    return (app or current_app).extensions[_KEY]
