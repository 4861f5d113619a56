"""Importing a province: every problem with its file and line, all or nothing, a dry run that
changes nothing, and existing offices updated by code without anything deleted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from harness import builders
from server import province
from server.engine.clock import utcnow
from server.models import Counter, Office, Role, Service, StaffSession, User
from server.province import apply
from server.province.records import OfficeRecord
from tests.province.helpers import contents, import_file, problems, write

CSV_WITH_PROBLEMS = {
    "offices.csv": (
        "code,name_fa,name_en,timezone\n"
        "amol,دفتر آمل,Amol,Asia/Tehran\n"
        "amol2,دفتر آمل ۲,Amol 2,Asia/Tehrn\n"
        "amol,تکراری,Again,\n"
    ),
    "services.csv": (
        "office,code,letter,group,name_fa,name_en,target_wait_seconds\n"
        "amol,tax,H,tax,مالیات,Tax,900\n"
        "amol,id,BB1,civil,کارت ملی,ID,1200\n"
        "amol,post,H,post,پست,Post,600\n"
        "amol,tax,T,tax,مالیات,Tax,900\n"
        "babol,tax,A,tax,مالیات,Tax,900\n"
        "amol,cap,C,tax,سقف,Cap,0\n"
    ),
    "counters.csv": (
        "office,number,name,services\n"
        "amol,1,باجه ۱,tax:1 passport:2\n"
        "amol,2,باجه ۲,tax:1 id:2\n"
        "amol,3,,tax\n"
    ),
    "users.csv": (
        "username,role,offices\nali,clerk,amol\nali,clerk,amol\nsara,boss,amol\nreza,clerk,sari\n"
    ),
}


def test_every_problem_of_csv_files_is_reported_with_its_file_and_line(session, tmp_path: Path):
    builders.office(session, "keep")
    session.commit()
    before = contents(session)
    for name, text in CSV_WITH_PROBLEMS.items():
        write(tmp_path, name, text)

    with pytest.raises(province.ProvinceInvalid) as raised:
        import_file(session, f"{tmp_path}/")

    assert problems(raised.value) == [
        'offices.csv:3: office "amol2": unknown time zone "Asia/Tehrn"',
        'offices.csv:4: office "amol": listed twice (first on line 2)',
        'services.csv:3: service "amol/id": letter "BB1" must be one or two letters A–Z',
        'services.csv:4: service "amol/post": letter "H" is already used by service "amol/tax"'
        " (line 2)",
        'services.csv:5: service "amol/tax": listed twice (first on line 2)',
        'services.csv:6: service "babol/tax": no office "babol" in the file or the database',
        'services.csv:7: service "amol/cap": target_wait_seconds "0" must be a whole number'
        " from 1 to 86400",
        'counters.csv:2: counter "amol/1": no service "passport" in office "amol"',
        'counters.csv:4: counter "amol/3": name is required',
        'users.csv:3: user "ali": listed twice (first on line 2)',
        'users.csv:4: user "sara": unknown role "boss" (admin, manager or clerk)',
        'users.csv:5: user "reza": no office "sari" in the file or the database',
    ]
    assert contents(session) == before


def test_every_problem_of_a_yaml_file_is_reported_on_its_own_line(session, tmp_path: Path):
    text = province.export(builders.province(3, clerks=1), "yaml").decode()
    lines = text.splitlines()
    zone = lines.index("  timezone: Asia/Tehran", lines.index("- code: office-002"))
    lines[zone] = "  timezone: Asia/Tehrn"
    letter = lines.index("    letter: B", zone)
    lines[letter] = "    letter: A"  # office-002's national-id takes health insurance's letter
    opens = lines.index("    opens_at: 08:00", letter)
    lines[opens] = "    opens_at: 8 o'clock"
    third = lines.index("- code: office-003")
    lines[third] = "- code: office-001"
    path = write(tmp_path, "province.yaml", "\n".join(lines) + "\n")

    with pytest.raises(province.ProvinceInvalid) as raised:
        import_file(session, path)

    first_letter = lines.index("    letter: A", lines.index("- code: office-002"))
    assert problems(raised.value) == [
        f'province.yaml:{zone + 1}: office "office-002": unknown time zone "Asia/Tehrn"',
        f'province.yaml:{letter}: service "office-002/national-id": letter "A" is already'
        f' used by service "office-002/health-insurance" (line {first_letter})',
        f'province.yaml:{opens + 1}: service "office-002/post-bank": opens_at "8 o\'clock"'
        " must be a time of day as HH:MM",
        f'province.yaml:{third + 1}: office "office-001": listed twice (first on line 4)',
        *(
            f'province.yaml:{lines.index(f"- username: {name}") + 1}: user "{name}": no office'
            ' "office-003" in the file or the database'
            for name in ("clerk-003-1", "manager-003", "regional")  # office-003 is gone
        ),
    ]
    assert contents(session)["Office"] == 0


def test_a_yaml_file_that_is_not_a_province_says_where(session, tmp_path: Path):
    path = write(
        tmp_path,
        "province.yaml",
        "offices:\n- &a\n  code: amol\n  name_fa: آمل\n  name_en: Amol\n- *a\nusers: {}\n",
    )

    with pytest.raises(province.ProvinceInvalid) as raised:
        import_file(session, path)

    assert problems(raised.value) == [
        "province.yaml:2: what starts here is repeated by an alias (*): aliases are not allowed",
        "province.yaml:7: users must be a list",
    ]


def test_a_dry_run_reports_what_would_change_and_changes_nothing(session, tmp_path: Path):
    province.run(session, _parsed(builders.province(2, clerks=1)), dry_run=False,
                 hasher=builders.fixed_hashes)  # fmt: skip
    before = contents(session)
    bigger = builders.province(3, clerks=1)
    bigger.offices[0] = OfficeRecord("office-001", "دفتر نو", "New name")
    path = str(tmp_path / "province.zip")
    province.write_path(path, bigger)

    outcome = import_file(session, path, dry_run=True)

    assert not outcome.applied and outcome.passwords == {}
    assert outcome.plan.summary()["office"] == {
        "create": 1, "change": 1, "unchanged": 1, "left_alone": 0
    }  # fmt: skip
    assert province.Change("office", "office-001", ("name_fa", "name_en")) in outcome.plan.changes
    assert outcome.plan.new_users == ["clerk-003-1", "manager-003"]
    assert province.Change("user", "regional", ("offices",)) in outcome.plan.changes
    assert contents(session) == before


def test_an_import_updates_offices_by_code_and_deletes_nothing(session: Session, tmp_path):
    amol = builders.office(session, "amol")  # insurance A, civil B, post C
    builders.counter(session, amol, 1, {"insurance": 1, "civil": 2})
    builders.counter(session, amol, 2, {"civil": 1})
    builders.office(session, "babol")
    session.commit()
    path = write(
        tmp_path,
        "amol.yaml",
        """\
offices:
- code: amol
  name_fa: دفتر پیشخوان آمل
  name_en: Amol office
  services:
  - {code: insurance, letter: B, group: insurance, name_fa: بیمه, name_en: Insurance}
  - {code: civil, letter: A, group: civil, name_fa: ثبت احوال, name_en: Civil}
  - {code: tax, letter: D, group: tax, name_fa: مالیات, name_en: Tax, daily_cap: ۵۰}
  counters:
  - number: 1
    name: باجه یک
    services: {insurance: 1, tax: 2}
""",
    )

    outcome = import_file(session, path)

    changes = {(c.kind, c.key): c.fields for c in outcome.plan.changes}
    assert changes == {
        ("office", "amol"): ("name_fa", "name_en"),
        ("service", "amol/insurance"): ("letter", "name_fa", "target_wait_seconds"),
        ("service", "amol/civil"): ("letter", "name_fa", "target_wait_seconds"),
        ("service", "amol/tax"): (),
        ("counter", "amol/1"): ("name", "services"),
    }
    assert outcome.plan.left_alone == {"office": 1, "service": 4, "counter": 1, "user": 0}
    letters = dict(session.execute(select(Service.code, Service.letter).join(Office)
                                   .where(Office.code == "amol")).all())  # fmt: skip
    assert letters == {"insurance": "B", "civil": "A", "post": "C", "tax": "D"}
    counter = session.scalar(
        select(Counter).where(Counter.office_id == amol.id, Counter.number == 1)
    )
    assert {link.service.code: link.tier for link in counter.links} == {"insurance": 1, "tax": 2}
    assert session.scalar(select(Service.daily_cap).where(Service.code == "tax")) == 50
    assert {o.code for o in session.scalars(select(Office))} == {"amol", "babol"}


def test_a_letter_kept_by_a_service_the_file_leaves_out_is_taken(session, tmp_path: Path):
    builders.office(session, "amol")  # post is C
    session.commit()
    write(
        tmp_path,
        "services.csv",
        "office,code,letter,group,name_fa,name_en\namol,parcel,C,post,مرسوله,Parcels\n",
    )

    with pytest.raises(province.ProvinceInvalid) as raised:
        import_file(session, f"{tmp_path}/")

    assert problems(raised.value) == [
        'services.csv:2: service "amol/parcel": letter "C" is already used by service'
        ' "amol/post", which is in the database but not in the file'
    ]


def test_a_failure_while_writing_leaves_nothing_behind(session, tmp_path, monkeypatch):
    path = str(tmp_path / "province.yaml")
    province.write_path(path, builders.province(2, clerks=1))

    def failing(self, hashes):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(apply._Writes, "users", failing)
    with pytest.raises(RuntimeError):
        import_file(session, path)

    assert contents(session)["Office"] == contents(session)["Service"] == 0


def test_disabling_a_user_signs_them_out(session: Session, tmp_path: Path):
    amol = builders.office(session, "amol")
    clerk = builders.user(session, "clerk1", Role.CLERK, amol)
    now = utcnow()
    session.add(
        StaffSession(secret_hash="0" * 64, user_id=clerk.id, created_at=now,
                     expires_at=now + timedelta(hours=8))
    )  # fmt: skip
    session.commit()
    write(tmp_path, "users.csv", "username,role,offices,active\nclerk1,clerk,amol,false\n")

    outcome = import_file(session, f"{tmp_path}/")

    assert outcome.plan.changes == [province.Change("user", "clerk1", ("full_name", "active"))]
    assert session.scalar(select(User.active).where(User.id == clerk.id)) is False
    assert session.scalar(select(StaffSession.ended_at)) is not None


def _parsed(found: province.Province) -> province.Parsed:
    return province.read_upload("province.yaml", province.export(found, "yaml"))
