"""Security headers on every kind of response, HSTS only over TLS, and templates the
Content-Security-Policy can hold: no inline script, style or handler anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from server.app import create_app
from server.config import REPO_ROOT, TestingConfig
from server.database import Base
from server.extensions import db
from tests.conftest import Tokens, close

FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def assert_secured(response) -> None:
    for name, value in FIXED.items():
        assert response.headers.get(name) == value, name
    policy = directives(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("path", "status", "mimetype", "auth", "accept"),
    [
        ("/", 200, "text/html", False, "text/html"),
        ("/login", 200, "text/html", False, "text/html"),
        ("/api/v1/offices/amol/services", 200, "application/json", True, "application/json"),
        ("/api/v1/offices/nowhere/services", 404, "application/json", True, "application/json"),
        ("/api/v1/no-such-call", 404, "application/json", False, "application/json"),
        ("/no-such-page", 404, "text/html", False, "text/html"),
        ("/t/not-a-ticket-link", 404, "text/html", False, "text/html"),
        ("/counter/amol", 302, "text/html", False, "text/html"),
        ("/static/nobat.css", 200, "text/css", False, "*/*"),
        ("/display/static/announcer.js", 200, "text/javascript", False, "*/*"),
        ("/assets/socket.io-client/socket.io.esm.min.js", 200, "text/javascript", False, "*/*"),
        ("/api/v1/openapi.json", 200, "application/json", False, "application/json"),
    ],
)
def test_every_kind_of_response_carries_the_headers(
    client, tokens: Tokens, path, status, mimetype, auth, accept
):
    headers = {"Accept": accept, **(tokens.header(tokens.display) if auth else {})}
    response = client.get(path, headers=headers)
    response.close()  # a file's answer holds the file open
    assert response.status_code == status
    assert response.mimetype == mimetype
    assert_secured(response)
    assert "Strict-Transport-Security" not in response.headers


def test_an_unexpected_error_carries_them_too(own_app: Flask):
    def broken() -> str:
        raise RuntimeError("a bug")

    own_app.add_url_rule("/broken", view_func=broken)
    response = own_app.test_client().get("/broken", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert_secured(response)


def test_the_page_may_reach_its_own_socket_and_load_its_own_files(client, tokens: Tokens):
    policy = directives(client.get("/"))
    assert policy["connect-src"] == "'self' ws://localhost"
    for kind in ("img-src", "font-src", "media-src", "form-action"):
        assert policy[kind] == "'self'", kind
    assert policy["base-uri"] == "'none'"


def test_an_odd_host_header_stays_out_of_the_policy(client, tokens: Tokens):
    response = client.get("/", headers={"Host": "example.org; script-src *"})
    assert directives(response)["connect-src"] == "'self'"
    assert directives(client.get("/", headers={"Host": "192.0.2.7:8080"}))["connect-src"] == (
        "'self' ws://192.0.2.7:8080"
    )


def test_over_tls_browsers_are_told_to_keep_to_it(client, tokens: Tokens):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert directives(response)["connect-src"] == "'self' wss://localhost"
    api = client.get("/api/v1/no-such-call", base_url="https://localhost")
    assert api.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.fixture
def proxied(db_url: str) -> Iterator[Flask]:
    """The app as docker-compose runs it behind nginx: one trusted proxy."""
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": db_url, "PROXIES": 1})
    with app.app_context():
        Base.metadata.create_all(db.engine)
    yield app
    close(app)


def test_behind_the_trusted_proxy_tls_is_the_proxys_word(proxied: Flask):
    client = proxied.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "nobat.example"}
    response = client.get("/login", headers=forwarded)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert directives(response)["connect-src"] == "'self' wss://nobat.example"
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_without_trusted_proxies_a_forwarded_scheme_earns_no_hsts(client, tokens: Tokens):
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
    assert directives(response)["connect-src"] == "'self' ws://localhost"


TEMPLATES = sorted(REPO_ROOT.glob("*/templates/**/*.html"))
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "style block": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_template_carries_inline_code_or_style(template):
    source = template.read_text()
    found = [kind for kind, pattern in INLINE.items() if pattern.search(source)]
    assert found == []


def test_every_page_template_is_checked():
    folders = {p.relative_to(REPO_ROOT).parts[0] for p in TEMPLATES}
    assert folders == {"admin", "counter", "display", "kiosk", "manager", "server"}
