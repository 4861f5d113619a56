"""Security headers on every response the app makes: pages, API answers, static files, errors.

One ``after_request`` hook adds them, so a new page or endpoint cannot forget them; it
runs for error handlers' answers too. Engine.IO answers its own HTTP requests under
``/socket.io/`` before Flask sees them (long-polling payloads, never rendered as a
page), so those carry none.

The Content-Security-Policy, directive by directive:

- ``default-src 'none'``: whatever is not named below is refused (plugins, frames,
  workers, manifests), so a new kind of resource is a decision, not an accident.
- ``script-src 'self'``: our own files only. No inline ``<script>``, ``on*=`` handler or
  ``javascript:`` URL, no ``eval``, no CDN: text injected into a page stays text.
- ``style-src 'self'``: stylesheets from files. No ``style=`` attribute or ``<style>``
  block; scripts size things by setting CSS properties through the CSSOM
  (``el.style.setProperty``), which the policy does not govern.
- ``img-src 'self'``: the favicon, the kiosk's QR code (``/kiosk/qr.svg``) and its
  printed-ticket preview. The QR code is an SVG of ours, not a ``data:`` URL.
- ``font-src 'self'``: Vazirmatn, installed from npm and served under ``/assets``.
- ``media-src 'self'``: the wall display's announcement clips under ``/voice``.
- ``connect-src 'self'`` and the page's own ``ws:``/``wss:`` origin: the API and
  Socket.IO. CSP 3 lets ``'self'`` match the WebSocket of the same host, but browsers
  before it (Safari before 15.4) do not, so the origin is also named explicitly.
- ``form-action 'self'``: sign-in and sign-out post to this server only.
- ``base-uri 'none'``: an injected ``<base>`` cannot move the pages' relative URLs.
- ``frame-ancestors 'none'``: no other page may frame ours (a counter's buttons or the
  sign-in form under someone else's clicks); ``X-Frame-Options: DENY`` says the same to
  browsers without CSP 2.

The other headers:

- ``X-Content-Type-Options: nosniff``: a file is only ever what its type says (an
  uploaded-looking text never runs as a script).
- ``Referrer-Policy: same-origin``: ticket links (``/t/<link>``) and device addresses
  (``?token=``) carry secrets, and no other site may learn them from a Referer. Not
  ``no-referrer``: under it Chromium sends ``Origin: null`` with the pages' own POSTs
  (the Fetch standard's rule), which the CSRF check rightly refuses as another origin.
  Our own server already knows its secrets; every other origin gets no Referer at all.
- ``Strict-Transport-Security`` only when the request came over TLS, as the app sees it:
  gunicorn's own certificate, or nginx's ``X-Forwarded-Proto`` believed through
  ProxyFix (``NOBAT_PROXIES``), the same test that marks the session cookie ``Secure``.
  Sent over plain HTTP it would be ignored anyway. No ``includeSubDomains``: the office's
  host name is not ours to speak for beyond itself. Browsers ignore it over a connection
  with certificate errors, so a self-signed test certificate does not lock anyone in.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask import Flask, Response, request

#: Every directive but ``connect-src``, whose WebSocket origin depends on the request.
POLICY = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "media-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)

#: The same on every response.
FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: A year: a browser that once reached the server over TLS keeps to it.
HSTS = "max-age=31536000"

#: A host name or address with an optional port; anything else is left out of the policy.
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


@lru_cache(maxsize=64)
def content_security_policy(secure: bool, host: str) -> str:
    """The policy for a page served to ``host`` over TLS (``secure``) or plain HTTP."""
    connect = "connect-src 'self'"
    if _HOST.match(host):
        connect += f" {'wss' if secure else 'ws'}://{host}"
    return "; ".join((*POLICY, connect))


def add_headers(response: Response) -> Response:
    """Put the security headers on ``response`` (a view that set its own keeps them)."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy", content_security_policy(request.is_secure, request.host)
    )
    for name, value in FIXED.items():
        headers.setdefault(name, value)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response ``app`` makes."""
    app.after_request(add_headers)
