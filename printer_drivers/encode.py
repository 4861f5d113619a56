"""What a ticket image is sent as: ESC/POS bytes for printers, PNG for the kiosk's screen.

Only the raster carries text; the stream holds ASCII control bytes and image data,
never Persian as code-page text (printers print it reversed, unjoined or as '?').
"""

from __future__ import annotations

import io
from functools import cached_property

from escpos.printer import Dummy
from PIL import Image

FRAGMENT_ROWS = 960  # rows per GS v 0 block; small enough for cheap printers' buffers
# zlib's fastest level: a 1-bit ticket is 9 KB either way, and level 6 takes 60 % longer.
PNG_LEVEL = 1


class _RasterEncoder(Dummy):
    """python-escpos's byte recorder, told the paper width so it never prints a warning."""

    def __init__(self, width: int) -> None:
        super().__init__()
        data = self.profile.profile_data
        # an instance attribute: the class-level profile data is shared by every printer
        self.profile.profile_data = {**data, "media": {"width": {"pixels": width}, "dpi": 203}}


def encode_ticket(image: Image.Image, *, cut: bool = True) -> bytes:
    """The whole print job for one ticket image as ESC/POS bytes."""
    encoder = _RasterEncoder(image.width)
    encoder.hw("INIT")
    encoder.image(image, impl="bitImageRaster", fragment_height=FRAGMENT_ROWS)
    if cut:
        encoder.cut()  # feeds past the cutter first
    return encoder.output


def encode_png(image: Image.Image) -> bytes:
    """The ticket as the PNG the kiosk shows."""
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=PNG_LEVEL)
    return out.getvalue()


class Rendered:
    """A ticket image and the forms drivers send it in, each made once, when first asked for.

    A render process makes them all ahead, so that their CPU is not the server's.
    """

    def __init__(
        self, image: Image.Image, *, escpos: bytes | None = None, png: bytes | None = None
    ) -> None:
        """``escpos`` and ``png``, when given, must be the image's own (made by this module)."""
        self.image = image
        for form, value in (("escpos", escpos), ("png", png)):
            if value is not None:
                self.__dict__[form] = value  # what cached_property would have stored

    @classmethod
    def of(cls, ticket: Image.Image | Rendered) -> Rendered:
        """A driver's argument, whichever of the two it was given."""
        return ticket if isinstance(ticket, Rendered) else cls(ticket)

    @cached_property
    def escpos(self) -> bytes:
        """The print job (see :func:`encode_ticket`)."""
        return encode_ticket(self.image)

    @cached_property
    def png(self) -> bytes:
        """The picture of the ticket (see :func:`encode_png`)."""
        return encode_png(self.image)
