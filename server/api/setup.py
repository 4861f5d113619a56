"""Setting an office up: the office itself (administrators), its services, counters and
staff (its managers). Each save is one record of a province file (``server/province/form``):
checked field by field, written whole or not at all, and recorded in the audit log."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext, ngettext
from flask_smorest import abort
from sqlalchemy import select

from server import audit, province, staff_sessions
from server.api.access import MANAGERS, At, Who, caller
from server.api.blueprint import Blueprint
from server.api.context import acting, office_or_404, session
from server.api.errors import error_response
from server.api.province import PasswordOut, hash_off_the_loop
from server.api.setup_schemas import (
    NEW_PASSWORD,
    CounterForm,
    CounterSetupOut,
    OfficeForm,
    OfficeOut,
    ServiceForm,
    ServiceSetupOut,
    SetupOut,
    UserForm,
    UserOut,
    saved,
)
from server.auth import Principal
from server.engine import cache
from server.engine.clock import utcnow
from server.engine.errors import N_
from server.models import Office, Role, User
from server.passwords import generate_password
from server.province.form import LABELS, save, shown
from server.province.records import differing
from server.province.stored import Scope, load

blp = Blueprint("setup", __name__, url_prefix="/api/v1/offices", description="Setting offices up")

OFFICE = "<string(maxlength=32):office>"
REFUSAL = N_("only the office's managers set it up")
INVALID = "the record's problems: `details` gives each field's messages"


@blp.route("")
class Offices(MethodView):
    @blp.allow(MANAGERS, At.OWN_SCOPE, REFUSAL)
    @blp.response(200, OfficeOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The offices the caller looks after: every office for an administrator."""
        principal = caller()
        query = select(Office.code)
        if principal.role is not Role.ADMIN:
            query = query.where(Office.id.in_({principal.office_id, *principal.offices}))
        codes = frozenset(session().scalars(query))
        stored = load(session(), Scope(offices=codes))
        return [shown(stored.offices[code]) for code in sorted(codes)]


@blp.route(f"/{OFFICE}")
class OfficeRecord(MethodView):
    @blp.allow({Who.ADMIN}, At.OWN_SCOPE, N_("only administrators create and rename offices"))
    @blp.refusal(404, "an office code is at most 32 characters")
    @blp.arguments(OfficeForm())
    @blp.response(200, saved(OfficeOut))
    @blp.alt_response(422, description=INVALID)
    def put(self, body: dict[str, Any], office: str) -> Any:
        """Create the office with this code, or change its names, time zone or routing."""
        return _save("offices", {**body, "code": office}, None)


@blp.route(f"/{OFFICE}/setup")
class Setup(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, REFUSAL)
    @blp.response(200, SetupOut)
    def get(self, office: str) -> dict[str, Any]:
        """The office, its services (in the kiosk's order), counters and staff, as set up."""
        found = office_or_404(office)
        staff = frozenset(
            session().scalars(select(User.username).where(User.office_id == found.id))
        )
        stored = load(session(), Scope(offices=frozenset({office}), users=staff))
        whole = stored.province()
        return {
            "office": shown(stored.offices[office]),
            "services": [shown(s) for s in whole.services if s.office == office],
            "counters": [shown(c) for c in whole.counters if c.office == office],
            "users": [shown(u) for u in whole.users],
        }


@blp.route(f"/{OFFICE}/services/<string(maxlength=32):service>")
class ServiceRecord(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, REFUSAL)
    @blp.arguments(ServiceForm())
    @blp.response(200, saved(ServiceSetupOut))
    @blp.alt_response(422, description=INVALID)
    def put(self, body: dict[str, Any], office: str, service: str) -> Any:
        """Create the service with this code, or change it (to stop issuing, make it inactive:
        its tickets and statistics stay)."""
        found = office_or_404(office)
        return _save("services", {**body, "office": office, "code": service}, found.id)


@blp.route(f"/{OFFICE}/counters/<int(min=1, max=999):number>")
class CounterRecord(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, REFUSAL)
    @blp.arguments(CounterForm())
    @blp.response(200, saved(CounterSetupOut))
    @blp.alt_response(422, description=INVALID)
    def put(self, body: dict[str, Any], office: str, number: int) -> Any:
        """Create the counter with this number, or change its names and the services it serves
        at which tier (1 primary)."""
        found = office_or_404(office)
        return _save("counters", {**body, "office": office, "number": number}, found.id)


USER = "<string(maxlength=64):username>"


@blp.route(f"/{OFFICE}/users/{USER}")
class UserRecord(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, REFUSAL)
    @blp.refusal(403, "a manager makes no administrators, nor staff of offices not theirs")
    @blp.arguments(UserForm())
    @blp.response(200, saved(UserOut, password=NEW_PASSWORD))
    @blp.alt_response(422, description=INVALID)
    def put(self, body: dict[str, Any], office: str, username: str) -> Any:
        """Create a member of the office's staff, with a password shown once in the answer, or
        change their name, role, region or whether they may sign in (a disabled user is signed
        out at once)."""
        found, principal = office_or_404(office), caller()
        region = body.pop("region")
        _may_manage(principal, username, found.id, body.get("role"), region)
        return _save(
            "users", {**body, "username": username, "offices": [office, *region]}, found.id
        )


@blp.route(f"/{OFFICE}/users/{USER}/password")
class NewPassword(MethodView):
    @blp.allow(MANAGERS, At.OFFICE, REFUSAL)
    @blp.refusal(404, "no such user in this office")
    @blp.response(200, PasswordOut)
    def post(self, office: str, username: str) -> dict[str, Any]:
        """Give the user a new password, shown only in this answer; they are signed out
        everywhere and sign in with it."""
        found, principal = office_or_404(office), caller()
        user = session().scalar(
            select(User).where(User.username == username, User.office_id == found.id)
        )
        if user is None:
            abort(404, message=gettext("no such user in this office"))
        _may_manage(principal, username, found.id, user.role.value, [])
        password = generate_password()
        user.password_hash = hash_off_the_loop([password])[0]
        staff_sessions.end_all(session(), user.id)
        audit.record(
            session(), acting(), "user.password", at=utcnow(), office_id=found.id, target=username
        )
        session().commit()
        return {"username": username, "password": password}


def _may_manage(
    principal: Principal, username: str, office_id: int, role: str | None, region: list[str]
) -> None:
    """A manager looks after the clerks and managers of the offices they oversee, and
    makes no administrators: what ``@blp.allow`` cannot say, as it depends on the user."""
    if principal.role is Role.ADMIN:
        return
    if role == Role.ADMIN.value:
        abort(403, message=gettext("only an administrator makes administrators"))
    mine = {principal.office_id, *principal.offices}
    existing = (
        session()
        .execute(select(User.role, User.office_id).where(User.username == username))
        .one_or_none()
    )
    if existing is not None and (existing.role is Role.ADMIN or existing.office_id not in mine):
        abort(403, message=gettext("this user name belongs to someone you do not manage"))
    if region:
        ids = set(session().scalars(select(Office.id).where(Office.code.in_(region))))
        if not ids <= mine:
            abort(403, message=gettext("a region may hold only offices you oversee"))


def _save(kind: str, values: dict[str, Any], office_id: int | None) -> Any:
    try:
        result = save(session(), kind, values, hasher=hash_off_the_loop)
    except province.ProvinceInvalid as error:
        session().rollback()
        return _invalid(error.problems)
    after = shown(result.after)
    changed = [] if result.created else list(differing(result.before, result.after))
    if result.created or changed:
        record = result.after
        audit.record(
            session(),
            acting(),
            f"{kind.removesuffix('s')}.{'create' if result.created else 'change'}",
            at=utcnow(),
            office_id=office_id if office_id is not None else _office_id(values["code"]),
            target=_target(record),
            before=shown(result.before),
            after=after,
        )
    session().commit()
    cache.forget()  # this process sees the change at once; others within seconds
    answer: dict[str, Any] = {"record": after, "created": result.created, "changed": changed}
    if kind == "users":
        answer["password"] = result.password
    return answer


def _target(record: Any) -> str:
    key = getattr(record, "key", None)
    if isinstance(key, tuple):
        return "/".join(str(part) for part in key)
    return getattr(record, "code", None) or record.username


def _office_id(code: str) -> int:
    return session().scalar(select(Office.id).where(Office.code == code))


def _invalid(problems: list[province.Problem]) -> Any:
    fields: dict[str, list[str]] = {}
    for problem in problems:
        name = problem.params.get("field", "")
        params = {**problem.params}
        if name in LABELS:
            params["field"] = gettext(LABELS[name])
        fields.setdefault(name, []).append(gettext(problem.template) % params)
    message = ngettext(
        "%(num)s field needs correcting; nothing was saved",
        "%(num)s fields need correcting; nothing was saved",
        len(fields),
    )
    return error_response(422, message, "invalid", fields)
