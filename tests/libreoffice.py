"""LibreOffice for the tests that convert documents with it, asked for by the filters a
test uses rather than by the program's name."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def libreoffice() -> tuple[str | None, set[str]]:
    """The LibreOffice on PATH and which of the filters these tests use it has.

    Debian splits LibreOffice into packages: `libreoffice-writer-nogui` reads DOCX and writes
    PDF but has no PNG export (that comes with the graphics filters), and `soffice` can
    exist without Writer at all. So a test asks for the filters it uses, read from the
    installation's configuration, rather than for the program's name.
    """
    found = shutil.which("soffice")
    if found is None:
        return None, set()
    program = Path(found).resolve().parent
    wanted = {"MS Word 2007 XML", "writer_pdf_Export", "writer_png_Export"}
    present: set[str] = set()
    # share/registry on Linux and Windows, Resources/registry on macOS.
    for registry in (
        program.parent / "share" / "registry",
        program.parent / "Resources" / "registry",
    ):
        for part in registry.glob("*.xcd"):
            text = part.read_text(encoding="utf-8", errors="replace")
            present |= {name for name in wanted if f'oor:name="{name}"' in text}
    return found, present


SOFFICE, FILTERS = libreoffice()


def convert(source: Path, target: str, tmp_path: Path) -> Path:
    """Convert with LibreOffice in a profile of its own (a running LibreOffice, or another
    test converting at the same time, would otherwise hold the user's profile)."""
    assert SOFFICE is not None
    subprocess.run(  # noqa: S603
        [
            SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
            "--convert-to", target, "--outdir", str(tmp_path), str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )  # fmt: skip
    return tmp_path / f"{source.stem}.{target.split(':')[0]}"


def require_docx_to_pdf() -> None:
    """Skip unless LibreOffice here reads DOCX and writes PDF; CI installs LibreOffice for
    these tests (.ci/run, CHIBO_REQUIRE_LIBREOFFICE=1): there a missing one fails."""
    if not {"MS Word 2007 XML", "writer_pdf_Export"} <= FILTERS:
        missing = pytest.fail if os.environ.get("CHIBO_REQUIRE_LIBREOFFICE") == "1" else pytest.skip
        missing("no LibreOffice here that reads DOCX and writes PDF")
