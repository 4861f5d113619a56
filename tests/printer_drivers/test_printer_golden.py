"""Golden images, kept per shaping path, compared with a tolerance that still rejects
reversed or unjoined Persian. Regenerate with NOBAT_UPDATE_GOLDEN=1 (writes the
goldens of every path this Pillow supports)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import arabic_reshaper
import pytest
from bidi import get_display
from PIL import Image, ImageChops, features

from printer_drivers import Layout, Paper, TicketPrint, TicketRenderer
from printer_drivers.text import Run, TextLayout

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("NOBAT_UPDATE_GOLDEN") == "1"
CELL = 4  # compare 4x4 averages: a stroke shifted by a dot barely moves them
CELL_THRESHOLD = 96  # a cell "differs" when its average moved by more than ~6 of 16 dots
TOLERANCE = 0.003  # share of differing cells still accepted as anti-aliasing noise

CASES = {
    "fa-80mm": ("persian_ticket", Paper.MM80),
    "fa-58mm": ("persian_ticket", Paper.MM58),
    "fa-long-service-58mm": ("long_service_ticket", Paper.MM58),
    "en-80mm": ("english_ticket", Paper.MM80),
}
RAQM = pytest.mark.skipif(not features.check("raqm"), reason="Pillow without libraqm")
LAYOUTS = [Layout.BASIC, pytest.param(Layout.RAQM, marks=RAQM)]


def differing_cells(image: Image.Image, reference: Image.Image) -> int:
    """How many CELL x CELL blocks differ markedly (sizes are padded with white)."""
    width, height = max(image.width, reference.width), max(image.height, reference.height)

    def blocks(picture: Image.Image) -> Image.Image:
        canvas = Image.new("L", (width, height), 255)
        canvas.paste(picture.convert("L"), (0, 0))
        return canvas.reduce(CELL)

    difference = ImageChops.difference(blocks(image), blocks(reference))
    return sum(difference.histogram()[CELL_THRESHOLD + 1 :])


def looks_the_same(image: Image.Image, reference: Image.Image) -> bool:
    """The comparison every golden test uses."""
    cells = (reference.width // CELL) * (reference.height // CELL)
    return differing_cells(image, reference) <= TOLERANCE * cells


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", CASES)
def test_ticket_matches_the_golden_image_of_its_layout_path(request, case, layout):
    fixture, paper = CASES[case]
    image = TicketRenderer(paper, layout=layout).render(request.getfixturevalue(fixture))
    path = GOLDEN / layout.value / f"{case}.png"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, optimize=True)
    assert path.exists(), f"missing {path}; run NOBAT_UPDATE_GOLDEN=1 pytest {__file__}"
    with Image.open(path) as golden:
        assert looks_the_same(image, golden), f"{case} ({layout}) differs from {path}"


@dataclasses.dataclass(frozen=True, slots=True)
class BrokenLayout(TextLayout):
    """Shaping mistakes seen in the field, to prove the comparison catches them."""

    mistake: str = ""

    def run(self, text: str, *, rtl: bool) -> Run:
        correct = TextLayout.run(self, text, rtl=rtl)
        if self.mistake == "reshape+bidi fed to raqm":  # reordered twice: reversed
            return Run(get_display(arabic_reshaper.reshape(text)), correct.options)
        if self.mistake == "reshaped, no bidi":  # joined letters in reversed order
            return Run(arabic_reshaper.reshape(text))
        if self.mistake == "bidi, not reshaped":  # right order, isolated letters
            return Run(get_display(text, base_dir="R"))
        return correct


def render_broken(layout: Layout, mistake: str, ticket: TicketPrint) -> Image.Image:
    """The ticket as a renderer making this mistake would print it."""
    renderer = TicketRenderer(Paper.MM80, layout=layout)
    renderer.text = BrokenLayout(layout, mistake)
    return renderer.render(ticket)


@pytest.fixture(params=LAYOUTS)
def reference(request, persian_ticket) -> tuple[Layout, Image.Image]:
    """A correct 80 mm rendering through one layout path."""
    return request.param, TicketRenderer(Paper.MM80, layout=request.param).render(persian_ticket)


def test_reversed_persian_text_is_rejected(reference, persian_ticket):
    layout, correct = reference
    reversed_name = dataclasses.replace(
        persian_ticket, service_name=persian_ticket.service_name[::-1]
    )
    assert not looks_the_same(
        TicketRenderer(Paper.MM80, layout=layout).render(reversed_name), correct
    )


def test_unjoined_persian_letters_are_rejected(reference, persian_ticket):
    layout, correct = reference
    isolated = "\u200c".join(persian_ticket.service_name)  # ZWNJ between letters: no joining
    unjoined = dataclasses.replace(persian_ticket, service_name=isolated)
    assert not looks_the_same(TicketRenderer(Paper.MM80, layout=layout).render(unjoined), correct)


@RAQM
def test_reshaped_and_bidi_text_fed_to_raqm_is_rejected(persian_ticket):
    correct = TicketRenderer(Paper.MM80, layout=Layout.RAQM).render(persian_ticket)
    broken = render_broken(Layout.RAQM, "reshape+bidi fed to raqm", persian_ticket)
    assert not looks_the_same(broken, correct)


@pytest.mark.parametrize("mistake", ["reshaped, no bidi", "bidi, not reshaped"])
def test_half_done_basic_shaping_is_rejected(persian_ticket, mistake):
    correct = TicketRenderer(Paper.MM80, layout=Layout.BASIC).render(persian_ticket)
    assert not looks_the_same(render_broken(Layout.BASIC, mistake, persian_ticket), correct)


def test_a_one_dot_shift_is_within_tolerance(reference):
    _, correct = reference
    shifted = Image.new("1", correct.size, 1)
    shifted.paste(correct, (1, 1))
    assert looks_the_same(shifted, correct)
