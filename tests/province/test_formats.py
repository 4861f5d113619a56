"""Reading province files as people write them: YAML by hand, CSV from a spreadsheet, a zip."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import zipfile
from datetime import time
from pathlib import Path

import pytest
import yaml

from harness import builders
from server import province
from server.province import csv_files, yaml_file

PACKAGE = Path(province.__file__).parent


def problems(parsed: province.Parsed) -> list[str]:
    return [str(p) for p in parsed.problems.found]


def zipped(files: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode() if isinstance(text, str) else text)
    return out.getvalue()


def test_the_province_package_imports_nothing_from_flask():
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0].startswith("flask")], module.name
    code = "import sys, server.province; print([m for m in sys.modules if m.startswith('flask')])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_yaml_values_are_read_as_written_not_as_yaml_1_1_guesses():
    parsed = province.read_upload(
        "province.yaml",
        """\
# times, digits and words as an administrator types them
offices:
- code: amol
  name_fa: آمل
  name_en: Amol
  services:
  - code: tax
    letter: h
    group: tax
    name_fa: مالیات
    name_en: "no"
    target_wait_seconds: ۹۰۰
    opens_at: 8:00
    closes_at: 13:30:00
    active: no
  counters:
  - {number: ۲, name: باجه ۲, services: {tax: }}
users:
- {username: ali, role: clerk, offices: amol}
""".encode(),
    )

    assert problems(parsed) == []
    (service,) = parsed.province.services
    assert (service.letter, service.name_en, service.target_wait_seconds) == ("H", "no", 900)
    assert (service.opens_at, service.closes_at, service.active) == (time(8), time(13, 30), False)
    (counter,) = parsed.province.counters
    assert (counter.number, counter.name_en, counter.services) == (2, "Counter 2", (("tax", 1),))
    assert parsed.province.users[0].offices == ("amol",)


def test_broken_yaml_is_reported_where_the_parser_stopped():
    parsed = province.read_upload("p.yaml", b"offices:\n- code: amol\n  name_fa: [unclosed\n")

    (problem,) = problems(parsed)
    assert problem.startswith("p.yaml:4: not valid YAML: ")  # then PyYAML's words


TWICE = "users:\n- username: a\n  role: admin\n  role: clerk\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "p.yaml:1: a province file is a mapping with offices and users"),
        ("- a\n- b\n", "p.yaml:1: a province file is a mapping with offices and users"),
        ("offices: x\n", "p.yaml:1: offices must be a list"),
        ("ofices: []\n", 'p.yaml:1: unknown field "ofices"'),
        (TWICE, 'p.yaml:4: field "role" is given twice'),
        ("users:\n- [a, b]\n", "p.yaml:2: each of users must be a mapping"),
    ],
)  # fmt: skip
def test_yaml_that_is_no_province_says_so(text: str, expected: str):
    assert problems(province.read_upload("p.yaml", text.encode())) == [expected]


def test_csv_from_a_spreadsheet_is_read_with_its_habits():
    files = {
        # A byte-order mark, CRLF, a trailing empty column and empty rows, as Excel saves.
        "offices.csv": "\ufeffcode,name_fa,name_en,\r\namol,آمل,Amol,\r\n,,,\r\n",
        "services.csv": "office,code,letter,group,name_fa,name_en\r\n"
        'amol,tax,T,tax,"مالیات, عوارض",Tax\r\namol,id,I,civil,کارت ملی,ID\r\n',
        "counters.csv": 'office,number,name,services\r\namol,1,باجه ۱,"tax : 1 ,id:2"\r\n',
        "users.csv": "username,role,offices\r\nsara,manager,amol babol\r\n",
    }

    parsed = province.read_upload("upload.zip", zipped({f"تهران/{k}": v for k, v in files.items()}))

    assert problems(parsed) == []  # references (office babol) are checked with the database
    assert parsed.province.services[0].name_fa == "مالیات, عوارض"
    assert parsed.province.counters[0].services == (("tax", 1), ("id", 2))
    assert parsed.province.users[0].offices == ("amol", "babol")


def test_csv_problems_of_the_files_themselves():
    files = {
        "offices.csv": "code;name_fa;name_en\namol;آمل;Amol\n",
        "services.csv": "office,code,colour\n",
        "counters.csv": "office,number,name,number\n",
        "users.csv": b"username,role\nali,clerk\n" + "رضا,clerk\n".encode("cp1256"),
        "notes.csv": "a,b\n",
        "README.txt": "ignored",
    }

    parsed = province.read_upload("upload.zip", zipped(files))

    assert problems(parsed) == [
        'upload.zip:1: unexpected file "notes.csv" (the files are offices.csv, services.csv,'
        " counters.csv, users.csv)",
        "offices.csv:1: columns must be separated by commas",
        'services.csv:1: unknown column "colour"',
        'services.csv:1: missing column "letter"',
        'services.csv:1: missing column "group"',
        'services.csv:1: missing column "name_fa"',
        'services.csv:1: missing column "name_en"',
        'counters.csv:1: column "number" appears twice',
        "users.csv:3: not UTF-8 text; save the file as UTF-8",
    ]


def test_a_zip_that_cannot_be_a_province_is_refused_before_it_is_unpacked(monkeypatch):
    assert problems(province.read_upload("a.zip", b"PK\x03\x04broken")) == [
        "a.zip:1: the zip file cannot be read: File is not a zip file"
    ]
    assert problems(province.read_upload("a.zip", zipped({"other.txt": "x"}))) == [
        "a.zip:1: none of offices.csv, services.csv, counters.csv, users.csv is in it"
    ]
    monkeypatch.setattr(csv_files, "MAX_UNPACKED", 2**20)
    big = zipped({"offices.csv": "code,name_fa,name_en\n" + "a,b,c\n" * 200_000})  # 1.2 MB
    assert len(big) < 10_000
    assert problems(province.read_upload("a.zip", big)) == [
        "a.zip:1: the files in the zip are larger than 1 MB"
    ]


def test_libyaml_and_pyyaml_write_the_same_bytes():
    found = builders.province(2)
    assert yaml_file.write(found, yaml_file.dumper(yaml.SafeDumper)) == yaml_file.write(found)
