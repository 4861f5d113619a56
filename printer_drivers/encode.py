"""ESC/POS bytes for a ticket image: initialise, GS v 0 raster, feed and cut.

Only the raster carries text; the stream holds ASCII control bytes and image data,
never Persian as code-page text (printers print it reversed, unjoined or as '?').
"""

from __future__ import annotations

from escpos.printer import Dummy
from PIL import Image

FRAGMENT_ROWS = 960  # rows per GS v 0 block; small enough for cheap printers' buffers


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
