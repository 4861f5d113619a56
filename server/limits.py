"""Rate limits: a kiosk token must not become a ticket cannon, nor a link a page cannon.

Flask-Limiter counts requests per key in a moving window: in Redis when
``NOBAT_REDIS_URL`` is set, so that every server process counts together, else in the
memory of the one process. The limits and the arithmetic behind them are in
``server/config.py`` and docs/decisions.md ("Rate limits"):

- issuing a ticket, per kiosk (its device token; a staff user counts as one caller
  whichever token or session they use) and per client address;
- signing in, per address (the failures per name are ``server/throttle.py``'s);
- a citizen's ticket page and its image, per address and per link.

A refused request is a 429 with ``Retry-After`` (``server/api/errors.py``): JSON for the
API, a page for a browser. The client's address is the proxy's word only when
``NOBAT_PROXIES`` trusts it (Werkzeug's ProxyFix in ``create_app``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import ngettext
from flask_limiter import Limiter as FlaskLimiter
from flask_limiter import RateLimitExceeded
from limits.storage import Storage
from limits.strategies import RateLimiter

from printer_drivers.text import localize_digits
from server.wording import page_language

log = logging.getLogger(__name__)

_STATE = "nobat.rate_limits"


class Limiter(FlaskLimiter):
    """Flask-Limiter with each app's storage kept in that app.

    Flask-Limiter keeps its storage on the extension object, so the last app built in a
    process would count for every app of it (the tests build many). A served process
    has one app, which this changes nothing for.
    """

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.extensions[_STATE] = (self._storage, self._limiter)
        # Every limit here is a view's own, checked by its decorator once the caller is
        # authenticated. The app-wide hook would look for default, application and
        # blueprint limits (there are none) on every request: 40-130 µs each, measured,
        # on call next and the health check alike. Put it back before adding such limits.
        app.before_request_funcs[None].remove(self._check_request_limit)

    @property
    def storage(self) -> Storage:
        return current_app.extensions[_STATE][0]

    @property
    def limiter(self) -> RateLimiter:
        return current_app.extensions[_STATE][1]


def client_address() -> str:
    """The client's address, as ProxyFix left it (the proxy's word only when trusted)."""
    if not current_app.config["PROXIES"] and "X-Forwarded-For" in request.headers:
        _warn_untrusted_proxy()
    return "address:" + (request.remote_addr or "unknown")


def caller() -> str:
    """The authenticated caller: a device by its token, a staff user by their id.

    API blueprints authenticate before the view, where these limits are checked.
    """
    principal = g.get("principal")
    if principal is None:
        return client_address()
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    return f"device:{principal.token_id}"


def ticket_link() -> str:
    """The ticket link of a ``/t/<token>`` request."""
    return "link:" + str((request.view_args or {}).get("token", ""))


# Every process has one warning at most: a deployment behind a proxy that the app does not
# trust counts every client as the proxy, so one busy phone would hold up everybody.
_warned: list[bool] = []


def _warn_untrusted_proxy() -> None:
    if not _warned:
        _warned.append(True)
        log.warning(
            "requests carry X-Forwarded-For but NOBAT_PROXIES is 0: rate limits count every "
            "client as %s; set NOBAT_PROXIES to the number of proxies in front of the app",
            request.remote_addr,
        )


def _configured(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


# Moving windows: no window boundary lets twice the limit through in a few seconds, and
# the numbers read as they are meant ("at most 60 in any minute").
limiter = Limiter(
    client_address,
    strategy="moving-window",
    # A limit that cannot be counted (Redis down) is let through and logged: a kiosk must
    # go on issuing when Redis is away, as it does without the live events.
    swallow_errors=True,
)


def _limit(setting: str, key: Callable[[], str], scope: str) -> Any:
    """One configured limit, counted per ``key`` within ``scope``."""
    return limiter.shared_limit(_configured(setting), scope, key_func=key)


def _both(*decorators: Any) -> Callable[[Any], Any]:
    def decorate(view: Any) -> Any:
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return decorate


#: On ``POST …/tickets``, checked after authentication (the view's own decorator).
issue_limits = _both(
    _limit("LIMIT_ISSUE_PER_DEVICE", caller, "issue"),
    _limit("LIMIT_ISSUE_PER_ADDRESS", client_address, "issue"),
)
#: On ``POST /login``.
sign_in_limits = _limit("LIMIT_SIGN_IN_PER_ADDRESS", client_address, "sign-in")
#: On ``/t/<token>`` and ``/t/<token>/ticket.png``: one budget for both.
ticket_page_limits = _both(
    _limit("LIMIT_TICKET_PAGE_PER_LINK", ticket_link, "ticket-page"),
    _limit("LIMIT_TICKET_PAGE_PER_ADDRESS", client_address, "ticket-page"),
)


def init_app(app: Flask) -> None:
    """Count in Redis when the app has one (processes count together), else in memory."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    # Deployments sharing a Redis differ by their channel; so do their counts.
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"key_prefix": f"{app.config['SOCKETIO_CHANNEL']}:limits"}
    )
    limiter.init_app(app)


@limiter.request_filter
def _switched_off() -> bool:
    """Apps configured without limits (the in-process tests) count nothing."""
    return not current_app.config["RATE_LIMITS"]


def retry_after(error: RateLimitExceeded) -> int:
    """Whole seconds until the limit that refused this request lets one more through."""
    refused = limiter.current_limit
    if refused is None:
        return int(error.limit.limit.get_expiry())
    reset = refused.window[0]  # when the oldest request counted leaves the window
    return max(1, math.ceil(reset - time.time()))


def refusal(seconds: int) -> str:
    """What a refused caller is told: how long to wait, in the caller's language."""
    if seconds < 90:
        words = ngettext(
            "Too many requests. Please try again in %(num)d second.",
            "Too many requests. Please try again in %(num)d seconds.",
            seconds,
        )
    else:
        minutes = math.ceil(seconds / 60)
        words = ngettext(
            "Too many requests. Please try again in %(num)d minute.",
            "Too many requests. Please try again in %(num)d minutes.",
            minutes,
        )
    return localize_digits(words, page_language())
