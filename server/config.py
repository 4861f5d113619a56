"""Configuration read from environment variables, with safe development defaults."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def instance_dir() -> Path:
    """Where the embedded deployment keeps its database, previews and secrets."""
    return Path(os.environ.get("NOBAT_INSTANCE", REPO_ROOT / "instance")).resolve()


class Config:
    """Default (development and embedded) configuration."""

    TESTING = False
    PRODUCTION = os.environ.get("NOBAT_ENV", "development") == "production"
    SECRET_KEY = os.environ.get("NOBAT_SECRET_KEY")
    INSTANCE = instance_dir()
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "NOBAT_DATABASE_URL", f"sqlite:///{instance_dir() / 'nobat.sqlite3'}"
    )
    REDIS_URL = os.environ.get("NOBAT_REDIS_URL")
    # The address citizens' phones open, for the links and QR codes on tickets (e.g.
    # https://nobat.example.ir). Required in production: a request's Host header is the
    # client's to choose, and a kiosk must not print a link to wherever it names.
    PUBLIC_URL = os.environ.get("NOBAT_PUBLIC_URL")
    # How a served process holds its requests and sockets: "gevent" (greenlets, the
    # default) or "threading" (a thread each). See docs/decisions.md.
    ASYNC_MODE = os.environ.get("NOBAT_ASYNC_MODE", "gevent")
    # Redis pub/sub channels ignore the database number: deployments sharing a Redis differ here.
    SOCKETIO_CHANNEL = os.environ.get("NOBAT_SOCKETIO_CHANNEL", "nobat")
    MIGRATIONS = Path(__file__).resolve().parent / "migrations"
    ASSETS_DIR = Path(os.environ.get("NOBAT_ASSETS", REPO_ROOT / "node_modules"))
    MAX_CONTENT_LENGTH = 64 * 1024

    # Seconds a valid token is trusted without looking it up again (see server/auth.py).
    TOKEN_CACHE_SECONDS = float(os.environ.get("NOBAT_TOKEN_CACHE_SECONDS", "5"))
    # Hours a staff sign-in lasts: a working day (server/staff_sessions.py).
    SESSION_HOURS = float(os.environ.get("NOBAT_SESSION_HOURS", "10"))
    # Hours a one-time device link stays valid (server/device_links.py).
    DEVICE_LINK_HOURS = 12
    # Reverse proxies in front of the app whose X-Forwarded-For, -Proto and -Host are
    # believed (docker-compose.yml: nginx, so 1). With 0 they are ignored: any client
    # could send them, e.g. to spread its failed sign-ins over invented addresses.
    PROXIES = int(os.environ.get("NOBAT_PROXIES", "0"))

    # Seconds a wall display's wait estimates may lag behind a moving queue (display/board.js).
    DISPLAY_WAITS_SECONDS = float(os.environ.get("NOBAT_DISPLAY_WAITS_SECONDS", "60"))

    # Where kiosk tickets print unless a kiosk says otherwise (see server/printing.py).
    DEFAULT_PRINTER = os.environ.get("NOBAT_DEFAULT_PRINTER", "preview://")
    # Seconds after which an unprinted ticket is no longer printed (no pile after a paper change).
    PRINT_MAX_AGE = int(os.environ.get("NOBAT_PRINT_MAX_AGE", "120"))

    # Queue engine settings (see server.engine.settings.EngineSettings).
    NOBAT_PRIORITY_BOUND = int(os.environ.get("NOBAT_PRIORITY_BOUND", "3"))
    NOBAT_DEFAULT_SERVICE_SECONDS = int(os.environ.get("NOBAT_DEFAULT_SERVICE_SECONDS", "300"))
    # Tickets a service issues a day when it sets no cap of its own (0: no cap). See
    # docs/decisions.md, "A daily cap on by default".
    NOBAT_DEFAULT_DAILY_CAP = int(os.environ.get("NOBAT_DEFAULT_DAILY_CAP", "500"))
    # Times staff may print a ticket again, while it waits or is called (server/engine/reprints.py).
    NOBAT_REPRINT_LIMIT = int(os.environ.get("NOBAT_REPRINT_LIMIT", "3"))

    # Rate limits (server/limits.py), in Flask-Limiter's notation; several limits are
    # separated by ";". Shared by every process through Redis when NOBAT_REDIS_URL is set.
    # The arithmetic behind each number is in docs/decisions.md, "Rate limits".
    RATE_LIMITS = os.environ.get("NOBAT_RATE_LIMITS", "on") != "off"
    # Ticket issue, per kiosk (its device token; a staff user's tokens and sessions count
    # together) and per client address (an office's kiosks and clerks behind one router).
    LIMIT_ISSUE_PER_DEVICE = os.environ.get("NOBAT_LIMIT_ISSUE_PER_DEVICE", "60/minute;600/hour")
    LIMIT_ISSUE_PER_ADDRESS = os.environ.get("NOBAT_LIMIT_ISSUE_PER_ADDRESS", "240/minute")
    # Sign-in attempts per address; failures are also throttled per name (server/throttle.py).
    LIMIT_SIGN_IN_PER_ADDRESS = os.environ.get("NOBAT_LIMIT_SIGN_IN_PER_ADDRESS", "30/minute")
    # A citizen's ticket page and its printed image: per address and per link.
    LIMIT_TICKET_PAGE_PER_ADDRESS = os.environ.get(
        "NOBAT_LIMIT_TICKET_PAGE_PER_ADDRESS", "300/minute"
    )
    LIMIT_TICKET_PAGE_PER_LINK = os.environ.get("NOBAT_LIMIT_TICKET_PAGE_PER_LINK", "60/minute")

    # flask-smorest / OpenAPI
    API_TITLE = "Nobat"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    BABEL_DEFAULT_LOCALE = "fa"


class TestingConfig(Config):
    """Configuration for the test suite: a throwaway database, no secrets needed."""

    TESTING = True
    PRODUCTION = False
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # The test process is not patched by gevent; served processes are tested in both modes.
    ASYNC_MODE = "threading"
    # In-process tests issue hundreds of tickets a second from one address; the tests of
    # the limits turn them on (tests/api/test_rate_limits.py). Served processes keep them.
    RATE_LIMITS = False
