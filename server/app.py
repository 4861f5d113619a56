"""The application factory."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, request
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

import display
from admin import web as admin_web
from counter import web as counter_web
from kiosk import web as kiosk_web
from manager import web as manager_web
from server import api as api_package
from server import engine_settings, limits, live, printing, security_headers, signin, web
from server.config import Config
from server.engine.events import Publisher
from server.extensions import api, babel, db, migrate


def create_app(
    config_class: type[Config] = Config,
    overrides: dict[str, Any] | None = None,
    publisher: Publisher | None = None,
) -> Flask:
    """Build the app: configuration, extensions, blueprints. It never migrates or seeds.

    Live events go to ``publisher``; by default to Socket.IO rooms.
    """
    app = Flask(__name__, instance_path=str(config_class.INSTANCE), instance_relative_config=True)
    app.config.from_object(config_class)
    app.config.update(overrides or {})
    app.config["SECRET_KEY"] = _secret_key(app)
    _refuse_unsafe_production(app)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.session_interface = _NoCookieSession()

    db.init_app(app, publisher if publisher is not None else live.rooms.SocketIOPublisher())
    migrate.init_app(app, db, directory=str(config_class.MIGRATIONS))
    babel.init_app(app, locale_selector=_locale)
    api.init_app(app, spec_kwargs=_openapi_security())
    api_package.register(app, api)
    engine_settings.install(app)
    security_headers.init_app(app)
    limits.init_app(app)
    web.init_app(app)
    signin.init_app(app)
    display.init_app(app)
    kiosk_web.init_app(app)
    counter_web.init_app(app)
    manager_web.init_app(app)
    admin_web.init_app(app)
    live.sockets.init_app(app)
    printing.init_app(app, notify=live.agent.notify_kiosk)
    if app.config["PROXIES"]:
        # Outermost, so that Socket.IO's middleware too sees the client's own scheme and host.
        hops = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


class _NoCookieSession(SessionInterface):
    """Nobat keeps no Flask cookie session, so no request pays for opening and signing one.

    Devices and scripts present a token; a signed-in browser presents its own session
    cookie, which the server looks up (``server/staff_sessions.py``)."""

    def open_session(self, app: Flask, request: Any) -> None:
        return None  # Flask then uses its null session, which refuses writes

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


def _refuse_unsafe_production(app: Flask) -> None:
    """Production starts only with what makes it safe; development needs none of it."""
    if not app.config["PRODUCTION"]:
        return
    if os.environ.get("NOBAT_DEMO_PASSWORD"):
        raise RuntimeError(
            "NOBAT_DEMO_PASSWORD is for trying Nobat out: unset it in production"
            " (demo users then get a generated password, printed once)"
        )
    if not app.config.get("PUBLIC_URL"):
        raise RuntimeError(
            "NOBAT_PUBLIC_URL must be set in production: the address on tickets' links"
            " and QR codes (e.g. https://nobat.example.ir)"
        )


#: Keys that appear in examples and tests: never a production key, whatever their length.
_KNOWN_KEYS = frozenset({"testing", "secret", "change-me", "changeme", "dev", "development"})


def _secret_key(app: Flask) -> str:
    """The configured key; in development one generated once and kept in the instance folder."""
    key = app.config.get("SECRET_KEY")
    if key and app.config["PRODUCTION"] and (len(key) < 32 or key.lower() in _KNOWN_KEYS):
        raise RuntimeError(
            "NOBAT_SECRET_KEY is too weak for production: use at least 32 random characters"
            " (e.g. openssl rand -base64 32)"
        )
    if key:
        return key
    if app.config["PRODUCTION"]:
        raise RuntimeError("NOBAT_SECRET_KEY must be set in production")
    path = app.config["INSTANCE"] / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _locale() -> str:
    """Persian unless asked for English: ``?lang=en`` on pages, also Accept-Language on the API.

    Pages ignore the browser's language: many phones and kiosk PCs here are set to
    English, yet the citizen reads Persian first (the page offers the toggle).
    """
    supported = ("fa", "en")
    asked = request.args.get("lang")
    if asked in supported:
        return asked
    if not request.path.startswith("/api/"):
        return "fa"
    return request.accept_languages.best_match(supported, default="fa") or "fa"


def _openapi_security() -> dict[str, Any]:
    return {
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a staff or device token from `nobat token create`",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "nobat_session",
                    "description": "a signed-in browser (`/login`); requests that change "
                    "something also send the page's CSRF token as `X-CSRF-Token`",
                },
            }
        },
        "security": [{"bearer": []}, {"session": []}],
    }
