"""Province files over the API, for a future admin page: administrators only, a dry run
first, every problem with its file and line in the caller's language, and never a 500."""

from __future__ import annotations

import ast
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from server import province
from server.api import province as api_province
from server.api.province import MAX_UPLOAD
from tests.api.helpers import assert_4xx_shape, assert_error, send
from tests.conftest import Tokens

PROVINCE = Path(province.__file__).parent
PERSIAN = PROVINCE.parent / "translations" / "fa" / "LC_MESSAGES" / "messages.po"
MARKERS = {"N_", "gettext", "ngettext"}
FIELD = re.compile(r"%\((\w+)\)s")


def upload(
    client: FlaskClient, token: str | None, data: bytes, name: str = "province.yaml", query=""
) -> TestResponse:
    return send(
        client,
        "POST",
        f"/province/import{query}",
        token,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def export(client: FlaskClient, tokens: Tokens, format: str = "yaml") -> bytes:
    response = send(client, "GET", f"/province/export.{format}", tokens.admin)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.data


@pytest.mark.parametrize("caller", ["clerk", "manager", "kiosk", "display"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/province/export.yaml"),
        ("GET", "/province/export.zip"),
        ("POST", "/province/import"),
    ],
)
def test_only_administrators_import_and_export(client, tokens: Tokens, caller, method, path):
    body: dict[str, Any] = {}
    if method == "POST":  # a valid file: the refusal is for who asks, not for what is sent
        body = {"data": {"file": (io.BytesIO(export(client, tokens)), "p.yaml")}}

    response = send(client, method, path, getattr(tokens, caller), **body)

    error = assert_error(response, 403, "forbidden")
    assert error["message"] == "تنها مدیران سامانه پروندهٔ استان را درون‌ریزی و برون‌بری می‌کنند"


def test_nobody_without_a_token_learns_anything(client: FlaskClient, tokens: Tokens):
    assert_error(send(client, "GET", "/province/export.yaml"), 401, "unauthorized")
    assert_error(upload(client, None, b"offices: []"), 401, "unauthorized")


def test_an_administrator_downloads_the_province(client: FlaskClient, tokens: Tokens):
    response = send(client, "GET", "/province/export.zip", tokens.admin)

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="province.zip"'
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == ["offices.csv", "services.csv", "counters.csv", "users.csv"]
        offices = archive.read("offices.csv").decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in offices] == ["code", "amol", "babol"]
    yaml = send(client, "GET", "/province/export.yaml", tokens.admin)
    assert yaml.mimetype == "application/yaml"
    assert "- code: amol\n" in yaml.get_data(as_text=True)


def test_a_dry_run_then_the_import(client: FlaskClient, tokens: Tokens):
    before = export(client, tokens)
    changed = before.decode().replace("name_en: Office amol", "name_en: Amol office")
    changed = changed.replace(
        "users:\n", "users:\n- {username: sara, role: clerk, offices: [amol]}\n"
    )

    dry = upload(client, tokens.admin, changed.encode(), query="?dry_run=true")

    assert dry.status_code == 200, dry.get_data(as_text=True)
    report = dry.get_json()
    assert (report["dry_run"], report["applied"], report["passwords"]) == (True, False, [])
    assert report["changes"] == [
        {"kind": "office", "key": "amol", "action": "change", "fields": ["name_en"]},
        {"kind": "user", "key": "sara", "action": "create", "fields": []},
    ]
    assert report["summary"]["service"] == {
        "create": 0, "change": 0, "unchanged": 6, "left_alone": 0
    }  # fmt: skip
    assert export(client, tokens) == before

    done = upload(client, tokens.admin, changed.encode())

    assert done.status_code == 200, done.get_data(as_text=True)
    report = done.get_json()
    assert (report["dry_run"], report["applied"]) == (False, True)
    (given_password,) = report["passwords"]
    assert given_password["username"] == "sara" and len(given_password["password"]) == 12
    assert "name_en: Amol office" in export(client, tokens).decode()


def test_every_problem_is_listed_with_its_file_and_line_in_the_callers_language(
    client: FlaskClient, tokens: Tokens
):
    files = {
        "offices.csv": "code,name_fa,name_en,timezone\nsari,ساری,Sari,Asia/Tehrn\n",
        "services.csv": "office,code,letter,group,name_fa,name_en\namol,tax,A,tax,مالیات,Tax\n",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    before = export(client, tokens)

    persian = upload(client, tokens.admin, out.getvalue(), "province.zip")
    english = upload(client, tokens.admin, out.getvalue(), "province.zip", query="?lang=en")

    error = assert_error(persian, 422, "invalid_province")
    assert error["message"] == "پرونده 2 اشکال دارد؛ چیزی درون‌ریزی نشد"
    assert error["details"]["problems"] == [
        {
            "file": "offices.csv",
            "line": 2,
            "message": "دفتر «sari»: منطقهٔ زمانی «Asia/Tehrn» شناخته‌شده نیست",
        },
        {
            "file": "services.csv",
            "line": 2,
            "message": "خدمت «amol/tax»: حرف «A» از آنِ خدمت «amol/insurance» است که در پایگاه"
            " داده هست ولی در پرونده نیست",
        },
    ]
    error = assert_error(english, 422, "invalid_province")
    assert error["message"] == "the file has 2 problems; nothing was imported"
    assert error["details"]["problems"][0]["message"] == (
        'office "sari": unknown time zone "Asia/Tehrn"'
    )
    assert export(client, tokens) == before


def test_what_is_not_a_province_file_is_a_4xx(client: FlaskClient, tokens: Tokens):
    assert_error(
        send(client, "POST", "/province/import", tokens.admin, json={"file": "x"}), 422, "invalid"
    )
    assert_error(upload(client, tokens.admin, b"\xff\xfe\x00"), 422, "invalid_province")
    assert_error(upload(client, tokens.admin, b"PK\x03\x04..", "a.zip"), 422, "invalid_province")
    # Built by hand: the test client would spool a large file to a temporary file of its
    # own, which it leaves open when the answer comes before the body is read.
    body = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="p.yaml"\r\n\r\n'
        + b"#" * (MAX_UPLOAD + 1)
        + b"\r\n--x--\r\n"
    )
    too_large = send(
        client,
        "POST",
        "/province/import",
        tokens.admin,
        data=body,
        content_type="multipart/form-data; boundary=x",
    )
    assert_error(too_large, 413, "too_large")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.binary(max_size=300)
    | st.text(max_size=300).map(str.encode)
    | st.sampled_from(
        [b"offices:\n- code: [a]\n", b"users:\n- offices: {a: 1}\n", b"x: !!binary a"]
    )
)
def test_no_upload_gets_a_500(client: FlaskClient, tokens: Tokens, data: bytes):
    response = upload(client, tokens.admin, data, query="?dry_run=1")

    assert_4xx_shape(response)
    assert response.status_code in (200, 422), response.get_data(as_text=True)


def test_every_message_has_a_persian_translation_with_the_same_fields():
    with PERSIAN.open("rb") as po:
        catalog = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(po) if m.id}
    sources = [*PROVINCE.glob("*.py"), Path(api_province.__file__)]
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") in MARKERS):
                continue
            template = node.args[0].value
            assert template in catalog, (source.name, template)
            found = catalog[template].string
            translated = found if isinstance(found, str) else found[0]
            assert translated, template
            assert set(FIELD.findall(translated)) == set(FIELD.findall(template)), template
