"""Reading the QR codes of a PDF as a phone's camera would: each page rendered to an image
(pypdfium2, PDFium's wheels) and decoded (zxing-cpp)."""

from __future__ import annotations

import pypdfium2  # type: ignore[import-untyped]
import zxingcpp

# Points to pixels: 200 dpi, enough for the slips' QR codes (3 px modules on screen).
SCALE = 200 / 72


def qr_codes_by_page(pdf: bytes) -> list[list[str]]:
    """The text of every QR code found on each page of `pdf`."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for index in range(len(document)):
            image = document[index].render(scale=SCALE).to_pil()
            found = zxingcpp.read_barcodes(
                image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
            )
            found = sorted(
                found, key=lambda r: (r.position.top_left.y // 50, r.position.top_left.x)
            )
            pages.append([result.text for result in found])
        return pages
    finally:
        document.close()
