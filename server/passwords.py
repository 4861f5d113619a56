"""Password hashing in one place (scrypt via Werkzeug would pull Flask into the engine's reach)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1

#: A hash no password matches that costs as much to check as a real one: signing in
#: with an unknown user name then takes as long to refuse as a wrong password.
DUMMY_HASH = f"scrypt${_N}${_R}${_P}${'00' * 16}${'00' * 32}"


def hash_password(password: str) -> str:
    """A salted scrypt hash in a self-describing string."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than today's (rehash at sign-in)."""
    return not stored.startswith(f"scrypt${_N}${_R}${_P}$")


def check_password(stored: str, password: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


# No 0/O, 1/l/i: a password handed over on paper or read aloud is typed right the first time.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generate_password(length: int = 12) -> str:
    """A random password for a new user, to hand over once (12 of 31 characters: 59 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
