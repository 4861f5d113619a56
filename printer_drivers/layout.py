"""A tiny top-to-bottom page: measure everything first, then draw once at the final height."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal
from unicodedata import combining

from PIL import Image, ImageDraw, ImageFont

from .text import TextLayout

Align = Literal["start", "center", "end"]
_Op = Callable[[ImageDraw.ImageDraw, Image.Image], None]
LEADING = 0.92  # Vazirmatn's line box leaves room for marks; a little tighter reads better


class Page:
    """Stacks lines, rows, rules and images; ``rtl`` sets the paragraph direction."""

    def __init__(self, width: int, margin: int, text: TextLayout, *, rtl: bool) -> None:
        """Start an empty page; ``margin`` is kept clear on both sides."""
        self.width, self.margin, self.text, self.rtl = width, margin, text, rtl
        self.inner = width - 2 * margin
        self.y = 0
        self._ops: list[_Op] = []

    def space(self, height: int) -> None:
        """Vertical white space."""
        self.y += height

    def rule(self, thickness: int = 2) -> None:
        """A horizontal line across the printable width."""
        top = self.y
        self._ops.append(
            lambda draw, _: draw.rectangle(
                (self.margin, top, self.width - self.margin - 1, top + thickness - 1), fill=0
            )
        )
        self.y += thickness

    def image(self, picture: Image.Image) -> None:
        """A centred image (the QR code)."""
        left, top = (self.width - picture.width) // 2, self.y
        self._ops.append(lambda _, canvas: canvas.paste(picture, (left, top)))
        self.y += picture.height

    def paragraph(self, text: str, font: ImageFont.FreeTypeFont, align: Align = "center") -> None:
        """Text wrapped at word boundaries so that nothing is ever cut off."""
        for line in self.wrap(text, font):
            self.line(line, font, align=align)

    def line(
        self,
        text: str,
        font: ImageFont.FreeTypeFont,
        *,
        align: Align = "center",
        rtl: bool | None = None,
        tight: bool = False,
    ) -> None:
        """One line; ``tight`` uses the ink box (the big number) instead of the font's line box."""
        rtl = self.rtl if rtl is None else rtl
        run = self.text.run(text, rtl=rtl)
        width = font.getlength(run.text, **run.options)
        ink_left, ink_top, ink_right, ink_bottom = font.getbbox(
            run.text, anchor="ls", **run.options
        )
        if tight:
            baseline, height = self.y - ink_top, ink_bottom - ink_top
        else:
            ascent, descent = font.getmetrics()
            baseline, height = self.y + round(ascent * LEADING), round((ascent + descent) * LEADING)
        x = self._x(width, align, rtl)
        # glyph ink may overhang the advance box: keep it off the paper's edge margins
        x = max(x, self.margin - ink_left)
        x = min(x, self.width - self.margin - ink_right)
        self._ops.append(
            lambda draw, _: draw.text((x, baseline), run.text, font=font, fill=0, anchor="ls",
                                      **run.options)
        )  # fmt: skip
        self.y += height

    def row(
        self, label: str, value: str, label_font: ImageFont.FreeTypeFont,
        value_font: ImageFont.FreeTypeFont,
    ) -> None:  # fmt: skip
        """Label at the start side, value at the end side; the value drops a line if needed."""
        label_width = self.text.width(label_font, label, rtl=self.rtl)
        value_width = self.text.width(value_font, value, rtl=self.rtl)
        if label_width + value_width + label_font.size <= self.inner:
            top = self.y
            self.line(label, label_font, align="start")
            self.y = top
            self.line(value, value_font, align="end")
            return
        self.paragraph(label, label_font, align="start")
        self.paragraph(value, value_font, align="end")

    def wrap(self, text: str, font: ImageFont.FreeTypeFont) -> list[str]:
        """Greedy word wrap in logical order; a word wider than the page is split."""
        room = self.inner - max(2, font.size // 10)  # glyph ink may overhang its advance

        def fits(candidate: str) -> bool:
            return self.text.width(font, candidate, rtl=self.rtl) <= room

        lines: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}" if current else word
            if fits(candidate):
                current = candidate
                continue
            if current:
                lines.append(current)
            current = word
            while not fits(current):  # only a single over-long word gets here
                cut = len(current) - 1
                while cut > 1 and (not fits(current[:cut]) or combining(current[cut])):
                    cut -= 1
                lines.append(current[:cut])
                current = current[cut:]
        if current:
            lines.append(current)
        return lines

    def draw(self) -> Image.Image:
        """Draw every measured element on a white 'L' canvas of the final height."""
        canvas = Image.new("L", (self.width, max(self.y, 1)), 255)
        pen = ImageDraw.Draw(canvas)
        for op in self._ops:
            op(pen, canvas)
        return canvas

    def _x(self, width: float, align: Align, rtl: bool) -> int:
        """Left edge of a line of this width; 'start' is the right side in RTL."""
        if align == "center":
            return round((self.width - width) / 2)
        at_right = (align == "start") == rtl
        return round(self.width - self.margin - width) if at_right else self.margin
