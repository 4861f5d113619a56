"""What a newcomer meets after ``make demo``: where each page is, and how to sign in.

The demo users' password is printed on every run, not only the first: a generated
one is kept in the instance folder (readable by its owner only), unless
``NOBAT_DEMO_PASSWORD`` chooses it.
"""

from __future__ import annotations

import socket
from pathlib import Path

from server.seed import USERS

PASSWORD_FILE = "demo_password"
_WILDCARDS = ("", "0.0.0.0", "::")


def kept_password(instance: Path) -> str | None:
    """The generated demo password kept in ``instance``, if any."""
    path = instance / PASSWORD_FILE
    if not path.exists():
        return None
    return path.read_text().strip() or None


def keep_password(instance: Path, password: str) -> None:
    """Keep a generated demo password where only this user can read it."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / PASSWORD_FILE
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(password + "\n")


def base_url(host: str, port: int) -> str:
    """The server's address as another machine of the office opens it.

    Listening on every interface (``0.0.0.0``), that is this machine's address on the
    local network, found by asking the routing table (no packet is sent).
    """
    if host in _WILDCARDS:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("192.0.2.1", 9))
                host = probe.getsockname()[0]
            except OSError:
                host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def welcome(base: str, office: str, links: dict[str, str], password: str | None) -> str:
    """The lines ``nobat demo`` ends with: each page, and who signs in with what."""
    staff = [name for name, _role in USERS]
    clerks = [name for name in staff if name.startswith("clerk")]
    secret = password or "the one printed when the demo office was first seeded"
    rows = [
        ("start page", f"{base}/"),
        ("kiosk", f"{links['kiosk']}   (one-time link: open it once on the kiosk)"),
        ("wall display", f"{links['display']}   (one-time link, likewise)"),
        ("staff sign-in", f"{base}/login   as {', '.join(staff)}; password: {secret}"),
        ("counter page", f"{base}/counter/{office}   (sign in as {clerks[0]} … {clerks[-1]})"),
        ("dashboard", f"{base}/manager/{office}   (sign in as manager; admin: {base}/manager)"),
        ("set-up", f"{base}/admin   (offices, services, counters, staff, devices: admin, manager)"),
        ("API", f"{base}/api/v1/openapi.json"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(["", *(f"  {label:<{width}}  {value}" for label, value in rows), ""])
