"""The clerk's counter page in Chromium, against a served demo office.

One server for the module; each test starts from a quiet office (every ticket of the
day finished, every counter closed) and signs its clerks in through the form. Demo
counters: 1 serves national-id (B) and birth-certificate (C) first, health-insurance
(A) second; 4 serves health-insurance first and national-id second.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from harness.demo import open_device
from tests.browser.conftest import screenshot, serious_accessibility_problems
from tests.browser.office import LIVE_MS, Office, at_counter, clerk_page, current, fa

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Iterator[Office]:
    served = Office.serve(tmp_path_factory.mktemp("counter"))
    yield served
    served.server.stop()


@pytest.fixture(autouse=True)
def _quiet_office(office: Office) -> None:
    office.quiet()


@pytest.fixture
def clerk1(chromium, office) -> Iterator[Page]:
    page = clerk_page(chromium, office, "clerk1")
    yield page
    page.context.close()


def press(page: Page, key: str) -> None:
    page.keyboard.press(key)


def count(page: Page, selector: str) -> int:
    """The number a part of the page shows (in Persian digits)."""
    text = page.locator(selector).text_content()
    return int(re.sub(r"\D", "", text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))))


# --- the day at a counter ---------------------------------------------------------------


def test_a_clerk_opens_a_counter_sees_tickets_arrive_and_calls_them_to_the_wall(
    office, clerk1, chromium
):
    wall = chromium.new_page(viewport={"width": 1280, "height": 720})
    open_device(wall, f"{office.url}/display/amol", office.display)
    at_counter(clerk1, 1)
    clerk1.get_by_role("button", name=re.compile("باز کردن باجه|Open counter")).click()
    expect(clerk1.locator("#counter-state")).to_have_class(re.compile("state-open"))

    ticket = office.issue("national-id")
    national_id = clerk1.locator("#queues .queue").first
    expect(national_id).to_contain_text(fa("1"), timeout=LIVE_MS)
    expect(clerk1.locator("#next-up")).to_contain_text(fa(ticket["number"]))
    expect(clerk1.locator("#waiting-alert")).to_be_visible()

    clerk1.locator("[data-action=next]").click()
    expect(current(clerk1)).to_have_text(fa(ticket["number"]))
    expect(wall.locator('[data-counter="1"] .ticket-number')).to_have_text(
        fa(ticket["number"]), timeout=LIVE_MS
    )
    expect(clerk1.locator("#timer-called")).to_contain_text(re.compile("[۰-۹]:[۰-۹]{2}"))
    screenshot(clerk1, "counter-fa")
    wall.close()


def test_start_complete_no_show_and_the_clerks_day(office, clerk1):
    at_counter(clerk1, 1)
    first, second = office.issue(), office.issue()
    clerk1.locator("[data-action=next]").click()
    expect(current(clerk1)).to_have_text(fa(first["number"]))
    served, absent = count(clerk1, "#served-today"), count(clerk1, "#no-show-today")
    clerk1.locator("[data-action=start]").click()
    expect(clerk1.locator("#ticket-status")).to_have_text("در حال خدمت")
    expect(clerk1.locator("#timer-serving")).not_to_be_empty()
    clerk1.locator("[data-action=complete]").click()
    expect(current(clerk1)).to_be_hidden()
    expect(clerk1.locator("#served-today")).to_contain_text(fa(str(served + 1)))

    clerk1.locator("[data-action=next]").click()
    expect(current(clerk1)).to_have_text(fa(second["number"]))
    clerk1.locator("[data-action=no_show]").click()
    expect(clerk1.locator("#no-show-today")).to_contain_text(fa(str(absent + 1)))
    expect(clerk1.locator("#toast")).to_contain_text(fa(second["number"]))


def test_a_transferred_citizen_goes_ahead_of_later_tickets_of_the_other_service(office, clerk1):
    at_counter(clerk1, 1)
    moved = office.issue("national-id")
    later = office.issue("health-insurance")  # issued after: queued after the citizen moved
    clerk1.locator("[data-action=next]").click()
    expect(current(clerk1)).to_have_text(fa(moved["number"]))
    clerk1.locator("[data-action=transfer]").click()
    clerk1.locator("#transfer-dialog button", has_text="بیمه سلامت").click()
    expect(clerk1.locator("#toast")).to_contain_text("بیمه سلامت")

    counter4 = clerk_page(clerk1.context.browser, office, "clerk4")
    at_counter(counter4, 4)
    next_up = counter4.locator("#next-up")
    expect(next_up).to_contain_text("A-")
    assert fa(later["number"]) not in next_up.text_content()  # the moved citizen goes first
    counter4.locator("[data-action=next]").click()
    expect(counter4.locator("#ticket-from")).to_contain_text(fa(moved["number"]))
    counter4.context.close()


def test_a_citizen_who_left_is_cancelled_by_number(office, clerk1):
    at_counter(clerk1, 1)
    gone = office.issue("birth-certificate")
    stays = office.issue("birth-certificate")
    press(clerk1, "x")
    dialog = clerk1.locator("#number-dialog")
    dialog.locator("input").fill(gone["number"].lower())
    dialog.locator("input").press("Enter")
    expect(dialog.locator("#number-found")).to_contain_text(fa(gone["number"]))
    dialog.locator("input").press("Enter")  # confirms the cancellation
    expect(dialog).to_be_hidden()
    expect(clerk1.locator("#toast")).to_contain_text(fa(gone["number"]))
    expect(clerk1.locator("#next-up")).to_contain_text(fa(stays["number"]))


def test_a_ticket_is_called_out_of_turn_by_its_number_and_a_returning_no_show_reinstated(
    office, clerk1
):
    at_counter(clerk1, 1)
    first, second = office.issue(), office.issue()
    press(clerk1, "g")
    clerk1.locator("#number-input").fill(second["number"])
    clerk1.locator("#number-input").press("Enter")
    expect(current(clerk1)).to_have_text(fa(second["number"]))
    expect(clerk1.locator("#number-dialog")).to_be_hidden()  # keys go to the page again
    press(clerk1, "a")  # did not come
    expect(current(clerk1)).to_be_hidden()
    press(clerk1, "g")
    clerk1.locator("#number-input").fill(second["number"])
    clerk1.locator("#number-input").press("Enter")
    expect(current(clerk1)).to_have_text(fa(second["number"]))  # back after all
    expect(clerk1.locator("#next-up")).to_contain_text(fa(first["number"]))


def test_a_clerk_is_told_in_a_sentence_why_a_number_cannot_be_called(office, clerk1):
    at_counter(clerk1, 1)
    press(clerk1, "g")
    clerk1.locator("#number-input").fill("B-999")
    clerk1.locator("#number-input").press("Enter")
    expect(clerk1.locator("#number-found")).to_contain_text("امروز")  # no such ticket today
    assert "not_found" not in clerk1.locator("#number-found").text_content()


def test_a_parked_citizen_is_resumed_from_the_list(office, clerk1):
    at_counter(clerk1, 1)
    parked, other = office.issue(), office.issue()
    press(clerk1, "n")
    expect(current(clerk1)).to_have_text(fa(parked["number"]))
    press(clerk1, "p")
    expect(clerk1.locator("#parked-list")).to_contain_text(fa(parked["number"]))
    press(clerk1, "n")
    expect(current(clerk1)).to_have_text(fa(other["number"]))
    press(clerk1, "c")
    expect(current(clerk1)).to_be_hidden()
    clerk1.locator("#parked-list [data-action=resume]").click()
    expect(current(clerk1)).to_have_text(fa(parked["number"]))
    expect(clerk1.locator("#parked-list")).not_to_contain_text(fa(parked["number"]))


def test_a_pause_has_a_reason_and_the_counter_resumes(office, clerk1):
    at_counter(clerk1, 1)
    press(clerk1, "o")
    expect(clerk1.locator("#counter-state")).to_have_class(re.compile("state-open"))
    press(clerk1, "b")
    press(clerk1, "Digit2")  # prayer
    expect(clerk1.locator("#counter-state")).to_contain_text("نماز")
    press(clerk1, "o")
    expect(clerk1.locator("#counter-state")).to_have_class(re.compile("state-open"))


# --- keyboard only ---------------------------------------------------------------------


def test_the_whole_day_works_from_the_keyboard_alone(office, chromium):
    page = clerk_page(chromium, office, "clerk1")
    page.keyboard.press("Tab")
    for _ in range(12):  # to the first counter's card, by Tab alone
        if page.evaluate("document.activeElement.classList.contains('pick')"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#work")).to_be_visible()
    first, second, third = office.issue(), office.issue(), office.issue()
    expect(page.locator("#next-up")).to_contain_text(fa(first["number"]))
    page.keyboard.press("n")
    expect(current(page)).to_have_text(fa(first["number"]))
    page.keyboard.press("r")
    expect(page.locator("#ticket-recalls")).to_contain_text(fa("1"))
    served = count(page, "#served-today")  # the clerk's earlier tests count too
    page.keyboard.press("s")
    expect(page.locator("#ticket-status")).to_have_text("در حال خدمت")
    page.keyboard.press("c")
    expect(page.locator("#served-today")).to_contain_text(fa(str(served + 1)))
    page.keyboard.press("n")
    expect(current(page)).to_have_text(fa(second["number"]))
    page.keyboard.press("t")
    expect(page.locator("#transfer-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#transfer-dialog")).to_be_hidden()
    # The transfer ends a moment after its window closes; a key before that is ignored.
    expect(page.locator("#main")).to_have_attribute("aria-busy", "false")
    page.keyboard.press("a")
    expect(current(page)).to_be_hidden()  # a key pressed while a command is in flight is ignored
    page.keyboard.press("h")
    expect(page.locator("#help-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(current(page)).to_have_text(fa(third["number"]))
    page.context.close()


# --- never two tickets for one press ---------------------------------------------------


def test_a_double_click_calls_one_ticket(office, clerk1):
    at_counter(clerk1, 1)
    first, second = office.issue(), office.issue()
    clerk1.locator("[data-action=next]").dblclick()
    expect(current(clerk1)).to_have_text(fa(first["number"]))
    clerk1.wait_for_timeout(500)
    expect(current(clerk1)).to_have_text(fa(first["number"]))
    expect(clerk1.locator("#next-up")).to_contain_text(fa(second["number"]))


def test_a_held_key_calls_one_ticket(office, clerk1):
    at_counter(clerk1, 1)
    first, second = office.issue(), office.issue()
    clerk1.keyboard.down("n")
    for _ in range(5):
        clerk1.keyboard.down("n")  # auto-repeat: KeyboardEvent.repeat is true
    clerk1.keyboard.up("n")
    expect(current(clerk1)).to_have_text(fa(first["number"]))
    clerk1.wait_for_timeout(500)
    expect(clerk1.locator("#next-up")).to_contain_text(fa(second["number"]))


def test_two_counters_pressing_next_at_the_same_moment_get_different_tickets(office, chromium):
    one = at_counter(clerk_page(chromium, office, "clerk1"), 1)
    four = at_counter(clerk_page(chromium, office, "clerk4"), 4)
    tickets = [office.issue("health-insurance") for _ in range(2)]
    for page in (one, four):
        expect(page.locator("#next-up")).to_contain_text("A-")
    moment = int(time.time() * 1000) + 400
    for page in (one, four):
        page.evaluate(
            "at => setTimeout(() => document.querySelector('[data-action=next]').click(),"
            " at - Date.now())",
            moment,
        )
    expect(current(one)).to_be_visible()
    expect(current(four)).to_be_visible()
    called = {current(one).text_content(), current(four).text_content()}
    assert called == {fa(t["number"]) for t in tickets}
    one.context.close()
    four.context.close()


# --- live, and a lost connection -------------------------------------------------------


def test_another_clerks_call_leaves_the_waiting_list_at_once(office, clerk1, chromium):
    at_counter(clerk1, 1)
    ticket = office.issue()
    expect(clerk1.locator("#next-up")).to_contain_text(fa(ticket["number"]))
    four = at_counter(clerk_page(chromium, office, "clerk4"), 4)
    four.locator("[data-action=next]").click()  # national-id is its second tier
    expect(clerk1.locator("#next-up")).not_to_contain_text(fa(ticket["number"]), timeout=LIVE_MS)
    four.context.close()


def test_a_page_that_loses_its_socket_shows_it_and_catches_up_when_it_is_back(office, clerk1):
    at_counter(clerk1, 1)
    expect(clerk1.locator("#live-state")).to_have_attribute("data-state", "live")
    office.server.stop()
    expect(clerk1.locator("#live-state")).to_have_attribute("data-state", "lost", timeout=15000)
    expect(clerk1.locator("#live-state")).to_contain_text("قطع")
    office.server.start()
    ticket = office.issue()  # what happened while the page was away
    expect(clerk1.locator("#live-state")).to_have_attribute("data-state", "live", timeout=20000)
    expect(clerk1.locator("#next-up")).to_contain_text(fa(ticket["number"]), timeout=20000)


def test_a_counter_taken_over_by_a_colleague_tells_its_clerk(office, clerk1, chromium):
    at_counter(clerk1, 1)
    press(clerk1, "o")
    expect(clerk1.locator("#counter-state")).to_have_class(re.compile("state-open"))
    colleague = at_counter(clerk_page(chromium, office, "clerk2"), 1)
    expect(colleague.locator("#holder-note")).to_contain_text("clerk1")
    expect(colleague.locator("[data-action=next]")).to_be_disabled()
    colleague.locator("#takeover").click()
    colleague.locator("#confirm-dialog button[value=yes]").click()
    expect(colleague.locator("#holder-note")).to_be_hidden()
    expect(clerk1.locator("#holder-note")).to_contain_text("clerk2", timeout=LIVE_MS)
    expect(clerk1.locator("[data-action=next]")).to_be_disabled()
    colleague.context.close()


# --- English --------------------------------------------------------------------------


def test_the_page_speaks_english_when_asked(office, chromium):
    page = at_counter(clerk_page(chromium, office, "clerk3", lang="en"), 3)
    ticket = office.issue("landline")
    page.locator("[data-action=next]").click()
    expect(current(page)).to_have_text(ticket["number"])
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("[data-action=next]")).to_contain_text("Call next")
    screenshot(page, "counter-en")
    page.context.close()


# --- accessibility ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_counter_page_has_no_serious_accessibility_problem(office, chromium, lang):
    page = at_counter(clerk_page(chromium, office, "clerk2", lang=lang), 2)
    office.issue("post-bank")
    page.locator("[data-action=next]").click()
    expect(current(page)).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.locator("[data-action=help]").click()
    assert serious_accessibility_problems(page) == []
    page.context.close()


def test_the_counter_picker_has_no_serious_accessibility_problem(office, clerk1):
    expect(clerk1.locator("#picker")).to_be_visible()
    assert serious_accessibility_problems(clerk1) == []


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_sign_in_page_has_no_serious_accessibility_problem(office, page, lang):
    page.goto(f"{office.url}/login?lang={lang}")
    assert serious_accessibility_problems(page) == []
    page.locator("input[name=username]").fill("clerk1")
    page.locator("input[name=password]").fill("wrong")
    page.locator("input[name=password]").press("Enter")
    expect(page.locator("[role=alert]")).to_be_visible()  # the refusal, said in a sentence
    assert serious_accessibility_problems(page) == []
