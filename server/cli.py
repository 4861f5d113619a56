"""The ``nobat`` command: database, demo data, users, tokens, serving."""

from __future__ import annotations

import os
import re
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from printer_drivers import PrinterError, open_printer
from server import auth
from server.app import create_app
from server.engine import close_day
from server.engine.clock import utcnow
from server.extensions import db
from server.models import ApiToken, Office, Role, TokenKind, User
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


# A name to log in with: letters (Persian too) and digits, then also ".", "_" or "-".
_USERNAME = re.compile(r"[^\W_][\w.-]{0,63}")
MIN_PASSWORD = 8


def _username(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not _USERNAME.fullmatch(value):
        raise click.BadParameter(
            "1 to 64 letters or digits, then also '.', '_' or '-', without spaces"
        )
    return value


def _password(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if len(value.strip()) < MIN_PASSWORD:
        raise click.BadParameter(f"at least {MIN_PASSWORD} characters")
    return value


@user_group.command("add")
@click.argument("username", callback=_username)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CLERK.value)
@click.option("--office", "office_code", help="office code (required unless admin)")
@click.option("--name", "full_name", default="", help="full name shown to colleagues")
@click.password_option(envvar="NOBAT_USER_PASSWORD", callback=_password)
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


@user_group.command("disable")
@click.argument("username")
@with_appcontext
def user_disable(username: str) -> None:
    """Disable a staff user: their tokens stop working (running servers: within seconds)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    user.active = False
    db.session.commit()
    click.echo(f"disabled {username}")


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


@token_group.command("list")
@click.option("--office", "office_code", help="only the tokens of this office's devices and staff")
@with_appcontext
def token_list(office_code: str | None) -> None:
    """The tokens still valid: id, kind, whose, label, when made (secrets are never kept)."""
    query = (
        select(ApiToken, User.username, Office.code)
        .outerjoin(User, User.id == ApiToken.user_id)
        .outerjoin(Office, Office.id == func.coalesce(ApiToken.office_id, User.office_id))
        .where(ApiToken.revoked.is_(False))
        .order_by(ApiToken.id)
    )
    if office_code:
        query = query.where(Office.id == _office(office_code).id)
    for token, username, office in db.session.execute(query):
        whose = username if token.kind is TokenKind.USER else office
        made = token.created_at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(f"{token.id}\t{token.kind.value}\t{whose or '-'}\t{token.name or '-'}\t{made}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id: int) -> None:
    """Revoke a token (a lost kiosk's, a leaver's): running servers refuse it within seconds."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.revoked:
        raise click.ClickException(f"no valid token {token_id} (see: nobat token list)")
    token.revoked = True
    db.session.commit()
    seconds = current_app.config["TOKEN_CACHE_SECONDS"]
    click.echo(f"revoked token {token_id}; servers stop accepting it within {seconds:g} s")


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
