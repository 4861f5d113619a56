"""The ticket image: paper widths, wrapping, RTL alignment, fonts and speed."""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

import pytest
import qrcode
from PIL import Image

from printer_drivers import FontNotFoundError, Paper, TicketRenderer, render_ticket
from printer_drivers.fonts import FONT_DIR_ENV, find_fonts
from printer_drivers.layout import Page
from printer_drivers.render import qr_image


@pytest.mark.parametrize(("paper", "width"), [(Paper.MM58, 384), (Paper.MM80, 576)])
def test_ticket_is_a_one_bit_image_exactly_as_wide_as_the_paper(persian_ticket, paper, width):
    image = render_ticket(persian_ticket, paper)
    assert image.mode == "1"
    assert image.width == width
    assert 300 < image.height < 2 * width


def test_english_ticket_renders_at_the_same_width(english_ticket):
    assert render_ticket(english_ticket, Paper.MM80).width == 576


def ink_columns(image: Image.Image) -> tuple[int, int]:
    """Leftmost and rightmost columns holding any black dot."""
    box = Image.eval(image.convert("L"), lambda v: 255 - v).getbbox()
    assert box is not None
    return box[0], box[2]


@pytest.mark.parametrize("paper", [Paper.MM58, Paper.MM80])
def test_long_service_name_wraps_inside_the_margins(long_service_ticket, persian_ticket, paper):
    renderer = TicketRenderer(paper)
    long_image, short_image = renderer.render(long_service_ticket), renderer.render(persian_ticket)
    assert long_image.height > short_image.height + 60  # extra lines, not a squeezed one
    left, right = ink_columns(long_image)
    assert left >= renderer.style.margin
    assert right <= renderer.width - renderer.style.margin


def test_wrapping_keeps_every_word_and_every_line_fits():
    renderer = TicketRenderer(Paper.MM58)
    font = renderer.font("black", renderer.style.service)
    page = Page(renderer.width, renderer.style.margin, renderer.text, rtl=True)
    text = "بیمه سلامت همگانی — تمدید دفترچه، صدور کارت المثنی و تغییر مشخصات بیمه‌شدگان"
    lines = page.wrap(text, font)
    assert len(lines) >= 3
    assert " ".join(lines) == text
    assert all(renderer.text.width(font, line, rtl=True) <= page.inner for line in lines)


def test_a_single_word_wider_than_the_paper_is_split_not_cut():
    renderer = TicketRenderer(Paper.MM58)
    font = renderer.font("black", renderer.style.service)
    page = Page(renderer.width, renderer.style.margin, renderer.text, rtl=True)
    word = "مستندسازی" * 6
    lines = page.wrap(word, font)
    assert len(lines) > 1
    assert "".join(lines) == word
    assert all(renderer.text.width(font, line, rtl=True) <= page.inner for line in lines)


def test_persian_rows_put_the_label_on_the_right_and_the_value_on_the_left():
    renderer = TicketRenderer(Paper.MM80)
    font = renderer.font("regular", 28)

    def row_ink(rtl: bool) -> tuple[int, int]:
        page = Page(576, 12, renderer.text, rtl=rtl)
        page.row("ساعت", "", font, font)
        return ink_columns(page.draw().convert("1"))

    left, right = row_ink(rtl=True)
    assert right >= 576 - 12 - 2 and left > 576 // 2  # start side is the right side
    left, right = row_ink(rtl=False)
    assert left <= 12 + 2 and right < 576 // 2


def test_the_number_is_the_largest_text_on_the_ticket(persian_ticket):
    renderer = TicketRenderer(Paper.MM80)
    renderer.render(persian_ticket)
    assert renderer._number_size("B-۰۰۷") >= 3 * renderer.style.row


def test_fonts_come_from_the_argument_then_the_environment(tmp_path, monkeypatch):
    real = find_fonts()
    for path in (real.regular, real.bold, real.black):
        (tmp_path / path.name).symlink_to(path)
    assert find_fonts(tmp_path).regular == tmp_path / "Vazirmatn-Regular.ttf"
    monkeypatch.setenv(FONT_DIR_ENV, str(tmp_path))
    assert find_fonts().bold == tmp_path / "Vazirmatn-Bold.ttf"


def test_missing_fonts_raise_an_error_naming_every_path_tried(tmp_path, monkeypatch):
    monkeypatch.setenv(FONT_DIR_ENV, str(tmp_path / "from-env"))
    with pytest.raises(FontNotFoundError) as caught:
        find_fonts(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(caught.value)
    with pytest.raises(FontNotFoundError) as caught:
        TicketRenderer(font_dir=tmp_path / "nowhere")
    assert "Vazirmatn" in str(caught.value)


def test_a_git_lfs_pointer_is_not_taken_for_a_font(tmp_path):
    for weight in ("Regular", "Bold", "Black"):
        Path(tmp_path, f"Vazirmatn-{weight}.ttf").write_text("version https://git-lfs...\n")
    with pytest.raises(FontNotFoundError, match=str(tmp_path)):
        find_fonts(tmp_path)


def test_rendering_an_80mm_ticket_is_fast(persian_ticket):
    """The benchmark holds the real figure; this only catches a gross regression."""
    renderer = TicketRenderer(Paper.MM80)
    renderer.render(persian_ticket)
    timings = []
    for people in range(9):
        ticket = dataclasses.replace(persian_ticket, people_ahead=people)
        start = time.perf_counter()
        renderer.render(ticket)
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.25


def test_qr_code_is_drawn_module_for_module_from_the_status_url():
    url = "https://nobat.example.ir/t/Xk3fP9qLm2Zt"
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    matrix = code.get_matrix()
    side = len(matrix)
    image = qr_image(url, box=6, max_size=576)
    assert image.size == (side * 6, side * 6)
    dots = [[image.getpixel((x * 6 + 3, y * 6 + 3)) == 0 for x in range(side)] for y in range(side)]
    assert dots == matrix


def test_qr_modules_shrink_to_fit_a_narrow_paper():
    image = qr_image("https://nobat.example.ir/t/" + "x" * 120, box=6, max_size=200)
    assert image.width <= 200
