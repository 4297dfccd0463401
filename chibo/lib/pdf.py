"""PDF documents through WeasyPrint, all set in one vendored font with every Vietnamese
letter (Noto Serif, chibo/lib/fonts/noto-serif): a system font without ư or ơ with tones
made WeasyPrint take those letters from another font, mid-word.

Templates name the family `PDF_FAMILY` in their CSS and nothing else."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent / "fonts" / "noto-serif"
PDF_FAMILY = "Chibo Serif"
FACES = [
    ("NotoSerif_400Regular.ttf", 400, "normal"),
    ("NotoSerif_700Bold.ttf", 700, "normal"),
    ("NotoSerif_400Regular_Italic.ttf", 400, "italic"),
    ("NotoSerif_700Bold_Italic.ttf", 700, "italic"),
]


class PdfUnavailableError(Exception):
    """WeasyPrint or the system libraries it needs (Pango) are missing."""


def font_faces_css() -> str:
    """The @font-face rules of the vendored family."""
    return "\n".join(
        f'@font-face {{ font-family: "{PDF_FAMILY}"; src: url("{(FONT_DIR / name).as_uri()}");'
        f" font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in FACES
    )


def html_to_pdf(html: str) -> bytes:
    """`html` as PDF, its text in the vendored family."""
    try:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
    except OSError as error:  # Pango missing on this machine
        raise PdfUnavailableError(str(error)) from error
    fonts = FontConfiguration()
    faces = CSS(string=font_faces_css(), font_config=fonts)
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=[faces], font_config=fonts)
    return pdf
