"""A province of 200 offices imports in one transaction, once per database, and is timed."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harness import builders
from server import province
from server.models import Counter, CounterService, ManagerOffice, Office, Service, User
from tests.province.helpers import import_file

OFFICES = 200


def test_a_province_of_200_offices_imports_and_exports_the_same_file(
    session: Session, tmp_path: Path
):
    path = str(tmp_path / "province.yaml")
    province.write_path(path, builders.province(OFFICES))
    dialect = session.get_bind().dialect.name

    started = time.perf_counter()
    outcome = import_file(session, path)
    seconds = time.perf_counter() - started

    print(f"\n{OFFICES}-office province imported on {dialect} in {seconds:.2f} s")
    counts = {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (Office, Service, Counter, CounterService, User, ManagerOffice)
    }
    assert counts == {
        "Office": OFFICES,
        "Service": 9 * OFFICES,
        "Counter": 4 * OFFICES,
        "CounterService": 14 * OFFICES,
        "User": 5 * OFFICES + 2,  # a manager and four clerks each, the admin, a regional one
        "ManagerOffice": OFFICES - 1,  # the regional manager's offices besides their own
    }
    assert len(outcome.passwords) == counts["User"]
    again = province.export(province.load(session).province(), "yaml")
    assert again == Path(path).read_bytes()
    assert seconds < 60
