"""The ``nobat`` command: database, demo data, users, tokens, serving."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from printer_drivers import PrinterError, open_printer
from server import auth
from server.app import create_app
from server.engine import close_day
from server.engine.clock import utcnow
from server.extensions import db
from server.models import Office, Role, TokenKind, User
from server.passwords import hash_password
from server.seed import seed_demo

DEMO_HOST, DEMO_PORT = "127.0.0.1", 5000


def _app(*_args: object) -> object:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """Nobat: queue and counter management for government service offices."""


@main.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo office 'amol' with its services, counters and users (idempotent)."""
    _seed_and_report()


def _seed_and_report() -> None:
    result = seed_demo(db.session, os.environ.get("NOBAT_DEMO_PASSWORD"))
    db.session.commit()
    click.echo(f"demo office: {result.office.code} ({result.office.name_en})")
    if result.created_users:
        click.echo(f"created users: {', '.join(result.created_users)}")
        if not os.environ.get("NOBAT_DEMO_PASSWORD"):
            click.echo(f"their password (shown once): {result.password}")
    else:
        click.echo("users already exist; nothing changed")


@main.group("user")
def user_group() -> None:
    """Staff users."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CLERK.value)
@click.option("--office", "office_code", help="office code (required unless admin)")
@click.option("--name", "full_name", default="", help="full name shown to colleagues")
@click.password_option(envvar="NOBAT_USER_PASSWORD")
@with_appcontext
def user_add(
    username: str, role: str, office_code: str | None, full_name: str, password: str
) -> None:
    """Add a staff user (clerk, manager or admin)."""
    session = db.session
    if session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user {username} already exists")
    office = None
    if Role(role) is not Role.ADMIN:
        if not office_code:
            raise click.ClickException("--office is required for clerks and managers")
        office = _office(office_code)
    session.add(
        User(
            username=username,
            full_name=full_name or username,
            password_hash=hash_password(password),
            role=Role(role),
            office_id=office.id if office else None,
        )
    )
    session.commit()
    click.echo(f"added {role} {username}")


@main.group("token")
def token_group() -> None:
    """API tokens for staff and devices."""


@token_group.command("create")
@click.option("--user", "username", help="a staff user's name")
@click.option("--device", type=click.Choice([TokenKind.KIOSK.value, TokenKind.DISPLAY.value]))
@click.option("--office", "office_code", help="the office a device token is bound to")
@click.option("--name", default="", help="a label, e.g. 'kiosk by the door'")
@click.option(
    "--printer",
    help="kiosks: where tickets print: a printer URL (tcp://host:9100, preview://), "
    "'agent' for a print agent beside the kiosk, or 'none'",
)
@with_appcontext
def token_create(
    username: str | None,
    device: str | None,
    office_code: str | None,
    name: str,
    printer: str | None,
) -> None:
    """Create a token and print it once (only its hash is kept)."""
    session = db.session
    if bool(username) == bool(device):
        raise click.UsageError("give either --user NAME or --device kiosk|display --office CODE")
    if username:
        user = session.scalar(select(User).where(User.username == username, User.active))
        if user is None:
            raise click.ClickException(f"no active user {username}")
        secret = auth.create_token(session, user=user, name=name)
    else:
        if not office_code:
            raise click.UsageError("--device needs --office CODE")
        office = _office(office_code)
        if printer and device != TokenKind.KIOSK.value:
            raise click.UsageError("--printer is for kiosks")
        if printer not in (None, "agent", "none"):
            try:
                open_printer(printer, preview_dir=current_app.config["INSTANCE"])
            except PrinterError as error:
                raise click.BadParameter(str(error), param_hint="--printer") from None
        secret = auth.create_token(
            session, device=TokenKind(device), office_id=office.id, name=name, printer=printer
        )
    session.commit()
    click.echo(secret)


@main.command("close-day")
@with_appcontext
def close_day_command() -> None:
    """Expire tickets still open from previous business days, in every office."""
    session = db.session
    total = sum(close_day(session, office, utcnow()) for office in session.scalars(select(Office)))
    session.commit()
    click.echo(f"expired {total} tickets")


@main.command("serve")
@click.option("--host", default=DEMO_HOST, show_default=True)
@click.option("--port", default=DEMO_PORT, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the app with the production server."""
    from server.serving import serve

    serve(host, port)


@main.command("demo")
@click.option("--host", default=DEMO_HOST, show_default=True)
@click.option("--port", default=DEMO_PORT, show_default=True, type=int)
@with_appcontext
def demo_command(host: str, port: int) -> None:
    """Migrate, seed the demo office and serve it."""
    from server.serving import serve

    upgrade(directory=str(current_app.config["MIGRATIONS"]))
    _seed_and_report()
    click.echo(f"serving the demo office on http://{host}:{port}/ (Ctrl+C stops)")
    db.engine.dispose()  # the server is a process of its own
    serve(host, port)


def _office(code: str) -> Office:
    office = db.session.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise click.ClickException(f"no office {code}")
    return office


if __name__ == "__main__":
    sys.exit(main())
