"""Print jobs on the server: where a kiosk's tickets print, faults staff can see, reprints,
who may read a job, and jobs that grew too old to print.
"""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from PIL import Image

from harness.demo import TERMINAL
from harness.processes import wait_until
from tests.conftest import Tokens
from tests.printing.conftest import kiosk_token

header = Tokens.header


def issue(client: FlaskClient, token: str, service: str = "civil") -> dict:
    response = client.post(
        "/api/v1/offices/amol/tickets", json={"service": service}, headers=header(token)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def job(client: FlaskClient, token: str, job_id: int) -> dict:
    response = client.get(f"/api/v1/print-jobs/{job_id}", headers=header(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def finished(client: FlaskClient, token: str, job_id: int) -> dict:
    """The job once the server's print threads are done with it."""
    return wait_until(
        lambda: (found := job(client, token, job_id))["state"] in TERMINAL and found,
        f"print job {job_id} to finish",
        timeout=10,
    )


def jobs(client: FlaskClient, token: str, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/offices/amol/print-jobs{query}", headers=header(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_default_preview_printer_prints_and_the_kiosk_shows_the_ticket_image(client, tokens):
    ticket = issue(client, tokens.kiosk)
    assert ticket["print"]["printer"] == "preview://"
    done = finished(client, tokens.kiosk, ticket["print"]["id"])
    assert (done["state"], done["reason"], done["attempts"]) == ("printed", None, 1)
    assert done["preview"].endswith(".png")

    public = ticket["status_url"].rsplit("/", 1)[1]
    response = client.get(f"/t/{public}/ticket.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.width == 576  # 80 mm at 203 dpi
    response.close()
    assert client.get("/t/no-such-ticket/ticket.png").status_code == 404


def test_a_kiosk_without_a_printer_gets_no_print_job(app, client, tokens):
    kiosk = kiosk_token(app, "none")
    ticket = issue(client, kiosk)
    assert "print" not in ticket
    assert jobs(client, tokens.manager) == []


def test_tickets_issued_by_staff_are_not_printed(client, tokens):
    assert "print" not in issue(client, tokens.clerk)
    assert jobs(client, tokens.manager) == []


def test_a_network_printer_receives_the_ticket_as_a_raster_and_a_cut(
    app, client, tokens, tcp_printer
):
    kiosk = kiosk_token(app, tcp_printer.url)
    ticket = issue(client, kiosk)
    done = finished(client, kiosk, ticket["print"]["id"])
    assert (done["state"], done["printer"], done["preview"]) == ("printed", tcp_printer.url, None)
    fake = tcp_printer.printer
    fake.wait_for(lambda p: p.cuts == 1)
    assert fake.queries == [1, 4]  # the printer was asked before it printed
    assert fake.inits == 1 and {r.width_bytes for r in fake.rasters} == {72}
    assert fake.stray == bytearray()  # no text bytes: Persian only travels as a raster


def test_an_unreachable_printer_fails_the_job_and_staff_see_it(app, client, tokens, closed_port):
    kiosk = kiosk_token(app, f"tcp://127.0.0.1:{closed_port}")
    ticket = issue(client, kiosk)
    done = finished(client, kiosk, ticket["print"]["id"])
    assert (done["state"], done["reason"]) == ("failed", "offline")
    assert str(closed_port) in done["message"]

    failed = jobs(client, tokens.manager, "?state=failed")
    assert [(j["id"], j["ticket"], j["reason"]) for j in failed] == [
        (done["id"], ticket["id"], "offline")
    ]
    assert jobs(client, tokens.clerk, "?state=printed") == []
    bad = client.get("/api/v1/offices/amol/print-jobs?state=lost", headers=header(tokens.clerk))
    assert bad.status_code == 422


def test_a_kiosk_reads_only_its_own_print_jobs(app, client, tokens):
    ticket = issue(client, tokens.kiosk)
    job_id = ticket["print"]["id"]
    url = f"/api/v1/print-jobs/{job_id}"
    assert client.get(url, headers=header(tokens.kiosk)).status_code == 200
    assert client.get(url, headers=header(tokens.clerk)).status_code == 200
    for stranger in (kiosk_token(app, None), tokens.other_kiosk, tokens.other_clerk):
        response = client.get(url, headers=header(stranger))
        assert response.status_code == 403, response.get_json()
    assert client.get("/api/v1/print-jobs/999999", headers=header(tokens.clerk)).status_code == 404
    finished(client, tokens.kiosk, job_id)


def test_the_office_list_of_print_jobs_is_for_staff_only(client, tokens):
    for device in (tokens.kiosk, tokens.display):
        response = client.get("/api/v1/offices/amol/print-jobs", headers=header(device))
        assert response.status_code == 403


def test_staff_reprint_a_kiosk_ticket_as_a_new_job(app, client, tokens, tcp_printer):
    kiosk = kiosk_token(app, tcp_printer.url)
    ticket = issue(client, kiosk)
    first = finished(client, kiosk, ticket["print"]["id"])

    response = client.post(f"/api/v1/tickets/{ticket['id']}/reprint", headers=header(tokens.clerk))
    assert response.status_code == 201, response.get_json()
    again = response.get_json()
    assert again["id"] != first["id"] and again["ticket"] == ticket["id"]
    assert again["printer"] == tcp_printer.url
    assert finished(client, kiosk, again["id"])["state"] == "printed"
    tcp_printer.printer.wait_for(lambda p: p.cuts == 2)
    assert {j["id"] for j in jobs(client, tokens.manager)} == {first["id"], again["id"]}


def test_a_reprint_is_refused_for_tickets_not_issued_at_a_kiosk_and_for_kiosks(client, tokens):
    by_staff = issue(client, tokens.clerk)
    response = client.post(
        f"/api/v1/tickets/{by_staff['id']}/reprint", headers=header(tokens.clerk)
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"]
    at_kiosk = issue(client, tokens.kiosk)
    response = client.post(
        f"/api/v1/tickets/{at_kiosk['id']}/reprint", headers=header(tokens.kiosk)
    )
    assert response.status_code == 403
    response = client.post(
        f"/api/v1/tickets/{at_kiosk['id']}/reprint", headers=header(tokens.other_clerk)
    )
    assert response.status_code == 403
    finished(client, tokens.kiosk, at_kiosk["print"]["id"])


def test_a_job_older_than_the_print_max_age_goes_stale_and_never_prints(
    app, client, tokens, tcp_printer
):
    app.config["PRINT_MAX_AGE"] = 0  # every job is too old by the time a print thread runs
    kiosk = kiosk_token(app, tcp_printer.url)
    done = finished(client, kiosk, issue(client, kiosk)["print"]["id"])
    assert (done["state"], done["reason"]) == ("stale", "stale")
    assert tcp_printer.printer.received == bytearray()
    assert [j["id"] for j in jobs(client, tokens.manager, "?state=stale")] == [done["id"]]
