"""Signing in as staff do in a browser, through the Flask test client.

The form first (it sets the sign-in cookie its hidden token is bound to), then the
post; the signed-in session's CSRF token is read where pages read it, the
``<meta name="csrf-token">`` of the start page. Test users' password is ``secret``.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
PROBLEM = re.compile(r'role="alert">([^<]+)<')


def sign_in(
    client: FlaskClient,
    username: str,
    password: str = "secret",
    *,
    next: str | None = None,
    address: str = "127.0.0.1",
    lang: str | None = None,
) -> TestResponse:
    """Open the form and send it, from ``address``; the answer to the post."""
    query = f"?lang={lang}" if lang else ""
    environ = {"REMOTE_ADDR": address}
    form = client.get(f"/login{query}", environ_base=environ)
    data = {"username": username, "password": password, "csrf_token": form_token(form)}
    if next is not None:
        data["next"] = next
    return client.post(f"/login{query}", data=data, environ_base=environ)


def form_token(page: TestResponse) -> str:
    return FORM_TOKEN.search(page.get_data(as_text=True)).group(1)


def problem(page: TestResponse) -> str:
    """What the sign-in page tells the user went wrong."""
    return PROBLEM.search(page.get_data(as_text=True)).group(1)


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, as a page gets it."""
    return META_TOKEN.search(client.get("/").get_data(as_text=True)).group(1)


def session_secret(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("nobat_session")
    return cookie.value if cookie is not None else None


def cookie_attributes(response: TestResponse, name: str) -> dict[str, str]:
    """The attributes a Set-Cookie of ``name`` gives, by lower-case name ("" for flags)."""
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        if first.startswith(f"{name}="):
            pairs = (a.partition("=") for a in attributes)
            return {"value": first.partition("=")[2], **{k.lower(): v for k, _, v in pairs}}
    raise AssertionError(f"no Set-Cookie for {name}")
