"""Short verbs for province tests: files written in a folder, imported, and what the
database then holds."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harness.builders import fixed_hashes
from server import province
from server.models import Counter, CounterService, ManagerOffice, Office, Service, User


def write(folder: Path, name: str, text: str) -> str:
    """A file of ``text`` in ``folder``; its path as an operator would type it."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def import_file(session: Session, path: str, *, dry_run: bool = False) -> province.Outcome:
    """Import the file at ``path`` as the CLI does (new users' passwords all ``secret``)."""
    return province.run(session, province.read_path(path), dry_run=dry_run, hasher=fixed_hashes)


def problems(error: province.ProvinceInvalid) -> list[str]:
    """Every problem as the CLI prints it, without the folder: ``services.csv:3: …``."""
    return [f"{Path(p.where.file).name}:{p.where.line}: {p.message()}" for p in error.problems]


def contents(session: Session) -> dict[str, object]:
    """Everything a province import may change, to compare before and after."""
    result: dict[str, object] = {
        "file": province.export(province.load(session).province(), "yaml"),
        "hashes": sorted(session.execute(select(User.username, User.password_hash)).all()),
    }
    for model in (Office, Service, Counter, CounterService, User, ManagerOffice):
        result[model.__name__] = session.scalar(select(func.count()).select_from(model))
    session.rollback()
    return result
