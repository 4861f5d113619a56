"""Province files for administrators: download an export; upload a file to check it (dry run)
or import it, all or nothing (``server/province``, ``docs/province-files.md``)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_babel import gettext, ngettext
from flask_smorest import abort
from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy.exc import IntegrityError

from server import province
from server.api.access import At, Who
from server.api.blueprint import Blueprint
from server.api.context import reading, session
from server.api.errors import error_response
from server.engine.errors import N_

blp = Blueprint(
    "province",
    __name__,
    url_prefix="/api/v1/province",
    description="Province files: offices, services, counters and users (administrators)",
)

#: An upload may be this large: a 200-office province is about 0.5 MB of YAML.
MAX_UPLOAD = 16 * 1024 * 1024
_TYPES = {"yaml": "application/yaml", "zip": "application/zip"}


#: Who may read or change a province, and what others are told.
ADMINISTRATORS = (
    {Who.ADMIN},
    At.OWN_SCOPE,
    N_("only administrators import and export province files"),
)


@blp.before_request
def _larger_uploads() -> None:
    """A province file may be larger than an API body."""
    request.max_content_length = MAX_UPLOAD


class Upload(Schema):
    file = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "a province file: YAML, or a zip of offices.csv, services.csv, "
            "counters.csv and users.csv",
        },
    )


class ImportQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "check the file and say what would change; change nothing"},
    )


class ChangeOut(Schema):
    kind = fields.String(metadata={"description": "office, service, counter or user"})
    key = fields.String(metadata={"description": "`amol`, `amol/tax`, `amol/3` or a user name"})
    action = fields.String(metadata={"description": "create or change"})
    fields_ = fields.List(
        fields.String(), data_key="fields", metadata={"description": "the fields that change"}
    )


class PasswordOut(Schema):
    username = fields.String()
    password = fields.String(metadata={"description": "shown only now; only its hash is kept"})


class ImportReport(Schema):
    dry_run = fields.Boolean()
    applied = fields.Boolean(metadata={"description": "true when the changes were committed"})
    read = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "offices, services, counters and users in the file"},
    )
    summary = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "per kind: create, change, unchanged, left_alone"},
    )
    changes = fields.List(fields.Nested(ChangeOut))
    passwords = fields.List(
        fields.Nested(PasswordOut), metadata={"description": "the new users' passwords"}
    )


@blp.route("/import")
class Import(MethodView):
    @blp.allow(*ADMINISTRATORS)
    @blp.refusal(413, "the file is larger than 16 MB")
    @blp.arguments(ImportQuery(), location="query")
    @blp.arguments(Upload(), location="files")
    @blp.response(200, ImportReport)
    @blp.alt_response(422, description="the file's problems, each with its file and line")
    def post(self, query: dict[str, Any], upload: dict[str, Any]) -> Any:
        """Import a province file: create what is missing, change what differs, delete nothing;
        with ``dry_run`` only say what would change. 422 lists every problem."""
        sent = upload["file"]
        parsed = province.read_upload(sent.filename, sent.read())
        try:
            outcome = province.run(
                session(), parsed, dry_run=query["dry_run"], hasher=hash_off_the_loop
            )
        except province.ProvinceInvalid as error:
            return _problems(error.problems)
        except IntegrityError:
            abort(
                409,
                code="changed_meanwhile",
                message=gettext("the database changed during the import; nothing was imported"),
            )
        return _report(outcome)


@blp.route("/export.<any(yaml, zip):format>")
class Export(MethodView):
    @blp.allow(*ADMINISTRATORS)
    @blp.refusal(404, "no such format: `yaml` or `zip`")
    @blp.response(200, description="the province file")
    def get(self, format: str) -> Response:
        """Every office with its services and counters, and every user (never a password), as
        YAML or a zip of CSV files."""
        with reading() as reader:
            found = province.load(reader).province()
        return Response(
            province.export(found, format),
            mimetype=_TYPES[format],
            headers={"Content-Disposition": f'attachment; filename="province.{format}"'},
        )


def _problems(problems: list[province.Problem]) -> tuple[Response, int]:
    count = len(problems)
    message = ngettext(
        "the file has %(num)s problem; nothing was imported",
        "the file has %(num)s problems; nothing was imported",
        count,
    )
    details = {
        "problems": [
            {"file": p.where.file, "line": p.where.line, "message": p.message(gettext)}
            for p in problems
        ]
    }
    return error_response(422, message, "invalid_province", details)


def _report(outcome: province.Outcome) -> dict[str, Any]:
    found = outcome.plan.province
    return {
        "dry_run": not outcome.applied,
        "applied": outcome.applied,
        "read": {
            "offices": len(found.offices),
            "services": len(found.services),
            "counters": len(found.counters),
            "users": len(found.users),
        },
        "summary": outcome.plan.summary(),
        "changes": [
            {
                "kind": c.kind,
                "key": c.key,
                "action": "create" if c.creates else "change",
                "fields_": list(c.fields),
            }
            for c in outcome.plan.changes
        ],
        "passwords": [{"username": n, "password": p} for n, p in outcome.passwords.items()],
    }


def hash_off_the_loop(passwords: list[str]) -> list[str]:
    """scrypt lets go of the GIL: under gevent a real thread hashes (50 ms a password) while
    the worker's greenlets go on serving, instead of the whole worker stopping for it."""
    from gevent import get_hub, monkey

    if monkey.is_module_patched("threading"):
        return get_hub().threadpool.apply(province.hash_each, (passwords,))
    return province.hash_each(passwords)
