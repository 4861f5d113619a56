"""Rendering in a child process: the same image and bytes as in-process, clear errors, a dead
child replaced."""

from __future__ import annotations

import dataclasses
import os
import signal
from collections.abc import Iterator

import pytest

from printer_drivers import (
    Paper,
    TicketRenderError,
    encode_png,
    encode_ticket,
    open_printer,
    render_ticket,
)
from printer_drivers.render_process import RenderProcess
from tests.printer_drivers.conftest import PERSIAN_TICKET, ticket_data


@pytest.fixture
def renderer() -> Iterator[RenderProcess]:
    result = RenderProcess()
    yield result
    result.close()


@pytest.mark.parametrize("paper", [Paper.MM80, Paper.MM58])
def test_the_child_renders_and_encodes_the_very_ticket_made_in_process(renderer, paper):
    rendered = renderer.render(ticket_data(), paper)
    expected = render_ticket(PERSIAN_TICKET, paper)
    assert (rendered.image.mode, rendered.image.size) == (expected.mode, expected.size)
    assert rendered.image.tobytes() == expected.tobytes()
    assert rendered.__dict__.keys() >= {"escpos", "png"}  # made in the child, not here
    assert rendered.escpos == encode_ticket(expected)
    assert rendered.png == encode_png(expected)


def test_drivers_send_the_forms_the_child_made(renderer, tmp_path):
    rendered = renderer.render(ticket_data())
    dummy = open_printer("dummy://")
    dummy.print_ticket(rendered)
    assert dummy.jobs == [rendered.escpos]
    preview = open_printer("preview://", preview_dir=tmp_path)
    preview.print_ticket(rendered, job_name="B-007")
    assert preview.last_png.read_bytes() == rendered.png
    assert preview.last_bin.read_bytes() == rendered.escpos


def test_a_ticket_that_cannot_be_rendered_is_a_render_error_and_the_child_goes_on(renderer):
    with pytest.raises(TicketRenderError, match="people_ahead cannot be negative"):
        renderer.render(ticket_data(people_ahead=-1))
    with pytest.raises(TicketRenderError, match="KeyError"):
        renderer.render({"number": "A-001"})
    child = renderer._child
    assert renderer.render(ticket_data()).image.size == render_ticket(PERSIAN_TICKET).size
    assert renderer._child is child


def test_a_killed_child_is_replaced_by_the_next_render(renderer):
    renderer.render(ticket_data())
    killed = renderer._child
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=5)
    image = renderer.render(ticket_data(number="B-008")).image
    expected = render_ticket(dataclasses.replace(PERSIAN_TICKET, number="B-008"))
    assert image.tobytes() == expected.tobytes()
    assert renderer._child is not killed and renderer._child.poll() is None


def test_closing_stops_the_child_and_a_later_render_starts_another(renderer):
    renderer.render(ticket_data())
    child = renderer._child
    renderer.close()
    assert child.poll() is not None
    assert renderer.render(ticket_data()).image.mode == "1"


def test_a_broken_pipe_mid_render_is_retried_once_with_a_new_child(renderer):
    renderer.render(ticket_data())
    broken = renderer._child
    broken.stdin.close()  # the next request cannot be written: as if the child had just died
    assert renderer.render(ticket_data()).image.mode == "1"
    assert renderer._child is not broken and broken.poll() is not None
