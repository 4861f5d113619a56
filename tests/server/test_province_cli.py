"""``nobat province export|import`` as an administrator types them."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from server.cli import main
from server.extensions import db
from server.models import Office, User
from server.passwords import check_password
from server.seed import seed_demo


def nobat(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(main, list(args))


def seeded(app: Flask) -> None:
    with app.app_context():
        seed_demo(db.session, "demo-pass")
        db.session.commit()


def test_export_then_dry_run_says_nothing_would_change(app: Flask, tmp_path: Path):
    seeded(app)
    path = str(tmp_path / "province.yaml")

    exported = nobat(app, "province", "export", path)
    checked = nobat(app, "province", "import", path, "--dry-run")

    assert exported.exit_code == 0, exported.output
    assert exported.output == (
        f"wrote {path}: 1 office, 9 services, 4 counters, 6 users\npasswords are never exported\n"
    )
    assert checked.exit_code == 0, checked.output
    assert checked.output.splitlines()[1:] == [
        "            create  change  unchanged  left alone",
        "offices          0       0          1           0",
        "services         0       0          9           0",
        "counters         0       0          4           0",
        "users            0       0          6           0",
        "dry run: nothing was changed",
    ]


def test_an_import_prints_each_new_users_password_once(app: Flask, tmp_path: Path):
    seeded(app)
    folder = f"{tmp_path}/csv/"
    assert nobat(app, "province", "export", folder).exit_code == 0
    users = Path(folder, "users.csv")
    users.write_bytes(users.read_bytes() + "نرگس,نرگس رضایی,clerk,amol,true\r\n".encode())
    offices = Path(folder, "offices.csv")
    offices.write_bytes(offices.read_bytes().replace(b"Amol Government", b"Amol City"))

    result = nobat(app, "province", "import", folder)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "~ office amol: name_en" in lines and "+ user نرگس" in lines
    assert lines[-2] == "new users' passwords, shown only now (only their hashes are kept):"
    name, password = lines[-1].split("\t")
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.username == name))
        assert name == "نرگس" and check_password(stored, password)
        assert db.session.scalar(select(Office.name_en)).startswith("Amol City")


def test_a_file_with_problems_changes_nothing_and_says_each(app: Flask, tmp_path: Path):
    path = tmp_path / "province.yaml"
    path.write_text(
        "offices:\n"
        "- code: amol2\n"
        "  name_fa: آمل ۲\n"
        "  name_en: Amol 2\n"
        "  timezone: Asia/Tehrn\n"
        "users:\n"
        "- {username: ali, role: clerk, offices: [amol]}\n",
        encoding="utf-8",
    )

    result = nobat(app, "province", "import", str(path))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f'{path}:5: office "amol2": unknown time zone "Asia/Tehrn"',
        f'{path}:7: user "ali": no office "amol" in the file or the database',
        "Error: 2 problems; nothing was imported",
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Office)) == 0


def test_a_file_name_that_says_no_format_is_a_usage_error(app: Flask, tmp_path: Path):
    result = nobat(app, "province", "export", str(tmp_path / "province.txt"))

    assert result.exit_code == 2
    assert "FILE ends in .yaml or .zip" in result.stderr
