"""A ticket is printed again only while the citizen still needs the paper, and a few times
at most; every reprint is in the audit trail."""

from __future__ import annotations

from dataclasses import replace

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import EventType, TicketEvent, User
from tests.api.helpers import act, assert_error, call_next, counter_ids, send
from tests.conftest import Tokens
from tests.printing.test_server_printing import issue


def reprint(client: FlaskClient, token: str, ticket: int, lang: str = "en"):
    return send(
        client, "POST", f"/tickets/{ticket}/reprint", token, headers={"Accept-Language": lang}
    )


def trail(app: Flask, ticket: int) -> list[tuple[int | None, str | None]]:
    with app.app_context():
        return db.session.execute(
            select(TicketEvent.actor_id, TicketEvent.detail)
            .where(TicketEvent.ticket_id == ticket, TicketEvent.type == EventType.REPRINTED)
            .order_by(TicketEvent.seq)
        ).all()


def test_a_waiting_ticket_is_printed_again_at_most_three_times(
    app: Flask, client: FlaskClient, tokens: Tokens
):
    ticket = issue(client, tokens.kiosk)
    for _ in range(3):
        assert reprint(client, tokens.clerk, ticket["id"]).status_code == 201

    refused = reprint(client, tokens.manager, ticket["id"])
    error = assert_error(refused, 409, "reprint_refused")
    assert error["message"] == "ticket B-001 has already been printed again as often as allowed (3)"
    persian = assert_error(
        reprint(client, tokens.clerk, ticket["id"], "fa"), 409, "reprint_refused"
    )
    assert persian["message"] == "نوبت B-001 به اندازهٔ مجاز (3 بار) دوباره چاپ شده است"
    with app.app_context():
        clerk = db.session.scalar(select(User.id).where(User.username == "clerk1"))
    assert trail(app, ticket["id"]) == [(clerk, f"reprint {n} of 3") for n in (1, 2, 3)]


def test_a_called_ticket_may_be_printed_again_a_served_one_not(
    app: Flask, client: FlaskClient, tokens: Tokens
):
    ticket = issue(client, tokens.kiosk, "insurance")
    counter = counter_ids(client, tokens.clerk)[1]
    assert call_next(client, tokens.clerk, counter)["id"] == ticket["id"]
    assert reprint(client, tokens.clerk, ticket["id"]).status_code == 201
    act(client, tokens.clerk, ticket["id"], "complete")

    error = assert_error(reprint(client, tokens.clerk, ticket["id"]), 409, "reprint_refused")
    assert error["message"] == (
        "ticket A-001 is done; only a waiting or called ticket is printed again"
    )
    assert error["details"] == {"number": "A-001", "status": "done"}
    assert len(trail(app, ticket["id"])) == 1


def test_the_number_of_reprints_is_configurable(
    app: Flask, client: FlaskClient, tokens: Tokens, monkeypatch
):
    settings = app.extensions["nobat.engine_settings"]
    monkeypatch.setitem(app.extensions, "nobat.engine_settings", replace(settings, reprint_limit=0))
    ticket = issue(client, tokens.kiosk)
    assert_error(reprint(client, tokens.clerk, ticket["id"]), 409, "reprint_refused")
    assert trail(app, ticket["id"]) == []
