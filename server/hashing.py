"""How secrets handed out once are kept: tokens, session cookies and device link codes."""

from __future__ import annotations

import hashlib


def hash_token(secret: str) -> str:
    """The SHA-256 that is stored and looked up: a leaked database leaks no usable secret.

    The secrets are random and long, so a fast hash suffices (passwords are another
    matter: ``server.passwords``).
    """
    return hashlib.sha256(secret.encode()).hexdigest()
