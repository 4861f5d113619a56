"""``nobat province export FILE`` and ``nobat province import FILE [--dry-run]``: a province's
offices, services, counters and users as YAML or CSV (docs/province-files.md)."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from server import province
from server.extensions import db

_KINDS = {"office": "offices", "service": "services", "counter": "counters", "user": "users"}
_WHERE = "FILE ends in .yaml or .zip (CSV files), or is a folder of CSV files (ending in /)"


@click.group("province")
def province_group() -> None:
    """Offices, services, counters and users to and from a file: YAML, or CSV (zip or folder)."""


@province_group.command("export")
@click.argument("target", metavar="FILE")
@with_appcontext
def province_export(target: str) -> None:
    """Write every office with its services and counters, and every user (no passwords)."""
    if province.format_of(target, writing=True) is None:
        raise click.UsageError(_WHERE)
    found = province.load(db.session).province()
    db.session.rollback()
    written = province.write_path(target, found)
    click.echo(f"wrote {', '.join(str(p) for p in written)}: {_counts(found)}")
    click.echo("passwords are never exported")


@province_group.command("import")
@click.argument("source", metavar="FILE")
@click.option("--dry-run", is_flag=True, help="check and show what would change; change nothing")
@with_appcontext
def province_import(source: str, dry_run: bool) -> None:
    """Create what the database lacks and change what differs, all or nothing; delete nothing.

    Offices are matched by code, services by office and code, counters by office and
    number, users by name. New users get a password, shown once here.
    """
    if province.format_of(source) is None:
        raise click.UsageError(_WHERE)
    started = time.perf_counter()
    try:
        parsed = province.read_path(source)
        outcome = province.run(
            db.session, parsed, dry_run=dry_run, hasher=province.hash_on_every_core
        )
    except province.ProvinceInvalid as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{_many(len(error.problems), 'problem')}; nothing was imported"
        ) from None
    except OSError as error:
        raise click.ClickException(f"cannot read {source}: {error.strerror or error}") from None
    seconds = time.perf_counter() - started
    plan = outcome.plan
    click.echo(f"read {source}: {_counts(plan.province)}")
    click.echo(_table(plan))
    for line in _changes(plan):
        click.echo(line)
    if not outcome.applied:
        click.echo("dry run: nothing was changed")
        return
    click.echo(f"imported in one transaction ({seconds:.1f} s)")
    if outcome.passwords:
        click.echo("new users' passwords, shown only now (only their hashes are kept):")
        for name, password in outcome.passwords.items():
            click.echo(f"{name}\t{password}")


def _counts(found: province.Province) -> str:
    held = {
        "office": found.offices,
        "service": found.services,
        "counter": found.counters,
        "user": found.users,
    }
    return ", ".join(_many(len(records), kind) for kind, records in held.items())


def _many(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _table(plan: province.Plan) -> str:
    """Per kind: created, changed, unchanged, and left alone (in the database, not the file)."""
    lines = [f"{'':10}{'create':>8}{'change':>8}{'unchanged':>11}{'left alone':>12}"]
    for kind, numbers in plan.summary().items():
        lines.append(
            f"{_KINDS[kind]:10}{numbers['create']:>8}{numbers['change']:>8}"
            f"{numbers['unchanged']:>11}{numbers['left_alone']:>12}"
        )
    return "\n".join(lines)


def _changes(plan: province.Plan) -> list[str]:
    """A line per change: ``+`` created, ``~`` changed (with the fields); a new office's
    services and counters are counted on its own line."""
    new_offices = {c.key for c in plan.changes if c.kind == "office" and c.creates}
    inside: dict[str, dict[str, int]] = {code: {"service": 0, "counter": 0} for code in new_offices}
    lines = []
    for change in plan.changes:
        office = change.key.split("/")[0]
        if change.kind in ("service", "counter") and office in new_offices:
            inside[office][change.kind] += 1
    for change in plan.changes:
        office = change.key.split("/")[0]
        if change.kind in ("service", "counter") and office in new_offices:
            continue
        if not change.creates:
            lines.append(f"~ {change.kind} {change.key}: {', '.join(change.fields)}")
        elif change.kind == "office":
            held = inside[change.key]
            services, counters = (
                _many(held["service"], "service"),
                _many(held["counter"], "counter"),
            )
            lines.append(f"+ office {change.key} ({services}, {counters})")
        else:
            lines.append(f"+ {change.kind} {change.key}")
    return lines
