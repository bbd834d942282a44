"""QR codes of the join URL: SVG for the projector, text for the terminal."""

from __future__ import annotations

import io

import qrcode
from qrcode.image.svg import SvgPathImage


def qr_svg(url: str) -> bytes:
    """An SVG QR code that scales to any size (the projector draws it 400+ px wide)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=10,
                       image_factory=SvgPathImage)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.make_image().to_string()


def qr_text(url: str) -> str:
    """The QR code drawn with block characters, for `gamehub serve` in a terminal."""
    qr = qrcode.QRCode(border=1)
    qr.add_data(url)
    qr.make(fit=True)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue()
