"""Lay a ticket out as a 1-bit image: thermal printers have no Persian code page."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from PIL import Image, ImageFont

from .fonts import FontFiles, find_fonts, load_font
from .layout import Page
from .text import Layout, TextLayout, choose_layout, format_date, format_time, localize_digits
from .text import ticket_number as localized_number
from .ticket import Paper, TicketPrint

LABELS = {
    "fa": {
        "your_number": "شمارهٔ نوبت شما",
        "people_ahead": "افراد پیش از شما",
        "wait": "زمان انتظار تقریبی",
        "date": "تاریخ",
        "time": "ساعت",
        "scan": "برای پیگیری نوبت، این کد را اسکن کنید",
    },
    "en": {
        "your_number": "Your number",
        "people_ahead": "People ahead",
        "wait": "Estimated wait",
        "date": "Date",
        "time": "Time",
        "scan": "Scan to follow your turn",
    },
}


@dataclass(frozen=True, slots=True)
class Style:
    """Sizes in dots for one paper width; 58 mm is not simply 80 mm scaled (legibility)."""

    margin: int
    office: int
    service: int
    label: int
    number: int
    row: int
    small: int
    qr_box: int
    gap: int


STYLES = {
    Paper.MM58: Style(margin=6, office=26, service=32, label=22, number=120, row=22, small=19,
                      qr_box=4, gap=10),
    Paper.MM80: Style(margin=12, office=32, service=40, label=26, number=170, row=28, small=22,
                      qr_box=6, gap=14),
}  # fmt: skip


def qr_image(url: str, box: int, max_size: int) -> Image.Image:
    """The URL's QR code as an 'L' image, built from the module matrix (no per-box drawing)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    side = len(matrix)
    box = max(1, min(box, max_size // side))
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    return Image.frombytes("L", (side, side), pixels).resize((side * box,) * 2, Image.NEAREST)


class TicketRenderer:
    """Renders tickets for one paper width, font set and shaping path; reuse it."""

    def __init__(
        self,
        paper: Paper | int = Paper.MM80,
        *,
        font_dir: str | os.PathLike[str] | None = None,
        layout: Layout | str | None = None,
        fonts: FontFiles | None = None,
    ) -> None:
        """Resolve fonts and the layout path once; both are fixed for this renderer's life."""
        self.width = int(paper)
        self.fonts = fonts or find_fonts(font_dir)
        self.text = TextLayout(choose_layout(layout))
        nearest = min(STYLES, key=lambda p: abs(int(p) - self.width))
        self.style = STYLES[nearest]
        self._number_sizes: dict[str, int] = {}

    @property
    def layout(self) -> Layout:
        """The shaping path every line of this renderer goes through."""
        return self.text.layout

    def font(self, weight: str, size: int) -> ImageFont.FreeTypeFont:
        """A cached font of the given weight ('regular', 'bold', 'black') and size."""
        return load_font(getattr(self.fonts, weight), size, self.text.engine)

    def render(self, ticket: TicketPrint) -> Image.Image:
        """The ticket as a mode '1' image exactly ``width`` dots wide."""
        lang, style = ticket.language, self.style
        labels = {**LABELS[lang], **(ticket.labels or {})}
        page = Page(self.width, style.margin, self.text, rtl=lang == "fa")
        regular, bold = self.font("regular", style.row), self.font("bold", style.row)

        page.space(style.gap // 2)
        page.paragraph(ticket.office_name, self.font("bold", style.office))
        page.space(style.gap // 2)
        page.paragraph(ticket.service_name, self.font("black", style.service))
        page.space(style.gap)
        page.rule()
        page.space(style.gap)
        page.paragraph(labels["your_number"], self.font("regular", style.label))
        page.space(style.gap // 2)
        number = localized_number(ticket.number, lang)
        page.line(number, self.font("black", self._number_size(number)), rtl=False, tight=True)
        page.space(style.gap)
        page.rule()
        page.space(style.gap)
        page.row(labels["people_ahead"], localize_digits(ticket.people, lang), regular, bold)
        page.row(labels["wait"], localize_digits(ticket.wait, lang), regular, bold)
        page.row(labels["date"], format_date(ticket.issued_at, lang), regular, bold)
        page.row(labels["time"], format_time(ticket.issued_at, lang), regular, bold)
        if ticket.status_url:
            page.space(style.gap)
            page.rule()
            page.space(style.gap * 2)
            page.image(qr_image(ticket.status_url, style.qr_box, self.width - 8 * style.margin))
            page.space(style.gap // 2)
            page.paragraph(labels["scan"], self.font("regular", style.small))
        if ticket.footer:
            page.space(style.gap)
            page.rule()
            page.space(style.gap // 2)
            page.paragraph(ticket.footer, self.font("regular", style.small))
        page.space(style.gap)
        return page.draw().convert("1", dither=Image.Dither.NONE)

    def _number_size(self, number: str) -> int:
        """The largest Black size (from the style's maximum) at which the number fits."""
        if number not in self._number_sizes:
            size, room = self.style.number, self.width - 2 * self.style.margin
            while size > 24 and self.font("black", size).getlength(number) > room:
                size -= 4
            self._number_sizes[number] = size
        return self._number_sizes[number]


@lru_cache(maxsize=16)
def _renderer(width: int, fonts: FontFiles, layout: Layout) -> TicketRenderer:
    return TicketRenderer(width, fonts=fonts, layout=layout)


def render_ticket(
    ticket: TicketPrint,
    paper: Paper | int = Paper.MM80,
    *,
    font_dir: str | os.PathLike[str] | None = None,
    layout: Layout | str | None = None,
) -> Image.Image:
    """Render with a cached renderer for these settings (fonts loaded once per process)."""
    return _renderer(int(paper), find_fonts(font_dir), choose_layout(layout)).render(ticket)
