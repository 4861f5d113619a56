"""Who reaches an office's counter page, and what it is given (the browser tests drive it).

Office amol's staff (``tokens``): clerk1, clerk2, manager, admin; babol's babol-clerk.
"""

from __future__ import annotations

from tests.sign_in import sign_in


def test_an_anonymous_browser_is_sent_to_sign_in_and_back(client, tokens):
    response = client.get("/counter/amol")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/counter/amol"


def test_a_clerk_of_another_office_is_refused_in_a_sentence(client, tokens):
    sign_in(client, "babol-clerk")
    response = client.get("/counter/amol", headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert "این صفحهٔ باجه متعلق به دفتر دیگری است." in response.get_data(as_text=True)


def test_an_unknown_office_is_not_found(client, tokens):
    sign_in(client, "clerk1")
    assert client.get("/counter/nowhere", headers={"Accept": "text/html"}).status_code == 404


def test_a_clerk_gets_the_page_of_their_office_with_its_csrf_token_and_no_secret(client, tokens):
    sign_in(client, "clerk1")
    response = client.get("/counter/amol")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert '<meta name="csrf-token"' in page
    assert 'dir="rtl"' in page and 'data-username="clerk1"' in page
    secret = client.get_cookie("nobat_session").value
    assert secret not in page  # the session's secret is for the cookie alone


def test_an_administrator_may_open_any_offices_counter_page(client, tokens):
    sign_in(client, "admin")
    assert client.get("/counter/babol").status_code == 200


def test_the_page_speaks_english_when_asked(client, tokens):
    sign_in(client, "clerk1")
    page = client.get("/counter/amol?lang=en").get_data(as_text=True)
    assert 'dir="ltr"' in page and "Call next" in page
