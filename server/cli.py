"""The ``nobat`` command: database, demo data, users, tokens, device links, serving.

Province files (``nobat province``), voice and simulation commands have modules of their own."""

from __future__ import annotations

import os
import sys
from datetime import timedelta

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from printer_drivers import PrinterError, open_printer
from server import (
    auth,
    cli_province,
    cli_simulate,
    cli_voice,
    demo,
    device_links,
    staff_sessions,
)
from server.app import create_app
from server.engine import close_day
from server.engine.clock import utcnow
from server.extensions import db
from server.models import ApiToken, Counter, ManagerOffice, Office, Role, TokenKind, User
from server.models.auth import USERNAME
from server.passwords import hash_password
from server.seed import seed_demo

DEMO_HOST, DEMO_PORT = "127.0.0.1", 5000


def _app(*_args: object) -> object:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """Nobat: queue and counter management for government service offices."""


main.add_command(cli_voice.voice_group)
main.add_command(cli_voice.office_group)
main.add_command(cli_simulate.simulate_command)
main.add_command(cli_province.province_group)


@main.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo office 'amol' with its services, counters and users (idempotent)."""
    _seed_and_report()


def _seed_and_report() -> tuple[Office, str | None]:
    """Seed the demo office; the office and the demo users' password, if it is known."""
    instance = current_app.config["INSTANCE"]
    chosen = os.environ.get("NOBAT_DEMO_PASSWORD")
    result = seed_demo(db.session, chosen or demo.kept_password(instance))
    db.session.commit()
    click.echo(f"demo office: {result.office.code} ({result.office.name_en})")
    if result.created_users:
        click.echo(f"created users: {', '.join(result.created_users)}")
        if not chosen:
            demo.keep_password(instance, result.password)
            where = instance / demo.PASSWORD_FILE
            click.echo(f"their password: {result.password} (kept in {where})")
    else:
        click.echo("users already exist; nothing changed")
    return result.office, chosen or demo.kept_password(instance)


@main.group("user")
def user_group() -> None:
    """Staff users."""


MIN_PASSWORD = 8


def _username(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not USERNAME.fullmatch(value):
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
@click.option(
    "--office",
    "office_code",
    help="office code (required unless admin); a regional manager's offices as a,b,c",
)
@click.option("--name", "full_name", default="", help="full name shown to colleagues")
@click.password_option(envvar="NOBAT_USER_PASSWORD", callback=_password)
@with_appcontext
def user_add(
    username: str, role: str, office_code: str | None, full_name: str, password: str
) -> None:
    """Add a staff user (clerk, manager or admin); a manager of several offices is regional."""
    session = db.session
    if session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user {username} already exists")
    offices = []
    if Role(role) is not Role.ADMIN:
        if not office_code:
            raise click.ClickException("--office is required for clerks and managers")
        codes = dict.fromkeys(code.strip() for code in office_code.split(",") if code.strip())
        offices = [_office(code) for code in codes]
        if not offices:
            raise click.ClickException("--office is required for clerks and managers")
        if len(offices) > 1 and Role(role) is not Role.MANAGER:
            raise click.ClickException("only a manager may have several offices")
    user = User(
        username=username,
        full_name=full_name or username,
        password_hash=hash_password(password),
        role=Role(role),
        office_id=offices[0].id if offices else None,
    )
    session.add(user)
    session.flush()
    # The first office is the manager's own; the others make up their region.
    session.add_all(ManagerOffice(user_id=user.id, office_id=o.id) for o in offices[1:])
    session.commit()
    click.echo(f"added {role} {username}")


@user_group.command("disable")
@click.argument("username")
@with_appcontext
def user_disable(username: str) -> None:
    """Disable a staff user: signed out at once; tokens refused (servers: within seconds)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    user.active = False
    ended = staff_sessions.end_all(db.session, user.id)
    db.session.commit()
    click.echo(f"disabled {username}" + (f"; ended {ended} sign-ins" if ended else ""))


@main.group("token")
def token_group() -> None:
    """API tokens for staff and devices."""


DEVICES = [kind.value for kind in TokenKind if kind is not TokenKind.USER]


@token_group.command("create")
@click.option("--user", "username", help="a staff user's name")
@click.option("--device", type=click.Choice(DEVICES))
@click.option("--office", "office_code", help="the office a device token is bound to")
@click.option("--counter", "counter_number", type=int, help="counter devices: the counter's number")
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
    counter_number: int | None,
    name: str,
    printer: str | None,
) -> None:
    """Create a token and print it once (only its hash is kept)."""
    session = db.session
    if bool(username) == bool(device):
        raise click.UsageError(
            "give either --user NAME or --device kiosk|display|counter --office CODE"
        )
    if counter_number is not None and device != TokenKind.COUNTER.value:
        raise click.UsageError("--counter is for counter devices")
    if username:
        user = session.scalar(select(User).where(User.username == username, User.active))
        if user is None:
            raise click.ClickException(f"no active user {username}")
        secret = auth.create_token(session, user=user, name=name)
    else:
        if not office_code:
            raise click.UsageError("--device needs --office CODE")
        office = _office(office_code)
        counter = None
        if device == TokenKind.COUNTER.value:
            if counter_number is None:
                raise click.UsageError("--device counter needs --counter NUMBER")
            counter = _counter(office, counter_number)
        if printer and device != TokenKind.KIOSK.value:
            raise click.UsageError("--printer is for kiosks")
        if printer not in (None, "agent", "none"):
            try:
                open_printer(printer, preview_dir=current_app.config["INSTANCE"])
            except PrinterError as error:
                raise click.BadParameter(str(error), param_hint="--printer") from None
        secret = auth.create_token(
            session,
            device=TokenKind(device),
            office_id=office.id,
            counter=counter,
            name=name,
            printer=printer,
        )
    session.commit()
    click.echo(secret)


@token_group.command("list")
@click.option("--office", "office_code", help="only the tokens of this office's devices and staff")
@with_appcontext
def token_list(office_code: str | None) -> None:
    """The tokens still valid: id, kind, whose, label, when made (secrets are never kept)."""
    query = (
        select(ApiToken, User.username, Office.code, Counter.number)
        .outerjoin(User, User.id == ApiToken.user_id)
        .outerjoin(Office, Office.id == func.coalesce(ApiToken.office_id, User.office_id))
        .outerjoin(Counter, Counter.id == ApiToken.counter_id)
        .where(ApiToken.revoked.is_(False))
        .order_by(ApiToken.id)
    )
    if office_code:
        query = query.where(Office.id == _office(office_code).id)
    for token, username, office, counter in db.session.execute(query):
        whose = username if token.kind is TokenKind.USER else office
        if counter is not None:
            whose = f"{office} counter {counter}"
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


@main.group("device")
def device_group() -> None:
    """Kiosks and displays."""


@device_group.command("link")
@click.option("--device", required=True, type=click.Choice([k.value for k in device_links.PAGES]))
@click.option("--office", "office_code", required=True, help="the office the device serves")
@click.option(
    "--url",
    "base",
    default=f"http://{DEMO_HOST}:{DEMO_PORT}",
    show_default=True,
    help="the server's address as the device reaches it",
)
@with_appcontext
def device_link(device: str, office_code: str, base: str) -> None:
    """Print a one-time link that pairs a kiosk or display when opened on it (once, for hours)."""
    office = _office(office_code)
    click.echo(_new_link(TokenKind(device), office, base))
    db.session.commit()
    hours = current_app.config["DEVICE_LINK_HOURS"]
    click.echo(f"open it once on the {device} within {hours:g} hours", err=True)


def _new_link(kind: TokenKind, office: Office, base: str) -> str:
    lifetime = timedelta(hours=current_app.config["DEVICE_LINK_HOURS"])
    code = device_links.create_link(db.session, kind, office.id, lifetime=lifetime, now=utcnow())
    return device_links.link_url(base, kind, office.code, code)


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
@click.option(
    "--history-days",
    default=14,
    show_default=True,
    help="simulated working days of history for the dashboard, the first time (0: none)",
)
@with_appcontext
def demo_command(host: str, port: int, history_days: int) -> None:
    """Migrate, seed the demo office and serve it; say where each page is and how to sign in."""
    from server.serving import serve

    upgrade(directory=str(current_app.config["MIGRATIONS"]))
    office, password = _seed_and_report()
    if history_days:
        cli_simulate.demo_history(office.code, history_days)
    base = demo.base_url(host, port)
    links = {kind.value: _new_link(kind, office, base) for kind in device_links.PAGES}
    db.session.commit()
    click.echo(demo.welcome(base, office.code, links, password))
    click.echo(f"serving the demo office on {base}/ (Ctrl+C stops)")
    db.engine.dispose()  # the server is a process of its own
    serve(host, port)


def _office(code: str) -> Office:
    office = db.session.scalar(select(Office).where(Office.code == code))
    if office is None:
        raise click.ClickException(f"no office {code}")
    return office


def _counter(office: Office, number: int) -> Counter:
    counter = db.session.scalar(
        select(Counter).where(Counter.office_id == office.id, Counter.number == number)
    )
    if counter is None:
        raise click.ClickException(f"no counter {number} in office {office.code}")
    return counter


if __name__ == "__main__":
    sys.exit(main())
