"""A ticket's own page, the link of its QR code: its address written and read in one place.

The API's ``status_url``, the printed QR code, the phone's link to a transferred
ticket and the kiosk's QR drawing all go through here, so they never disagree.
"""

from __future__ import annotations

import re

from flask import current_app, request

#: The path of a ticket's page: ``/t/<public token>``.
_STATUS_PATH = re.compile(r"^/t/([A-Za-z0-9_-]{16,64})$")


def status_path(public_token: str, language: str) -> str:
    """The ticket's page on this server, in the language it was issued in."""
    return f"/t/{public_token}" + ("?lang=en" if language == "en" else "")


def status_url(public_token: str, language: str) -> str:
    """The ticket's page as a whole address, for its QR code and the API.

    At the configured public address; without one (development, one office's own
    machine) at the address the server was reached at.
    """
    root = current_app.config.get("PUBLIC_URL") or request.url_root
    return root.rstrip("/") + status_path(public_token, language)


def linked_token(path: str) -> str | None:
    """The public token a ticket page's path names, or None for any other path."""
    match = _STATUS_PATH.match(path)
    return match.group(1) if match else None
