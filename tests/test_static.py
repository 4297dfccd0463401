"""The project's own static files are whole: a script that does not parse breaks every page's
behaviour silently (the browser reports it only in its console)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "chibo" / "static" / "chibo"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.parametrize("script", sorted(STATIC.glob("*.js")), ids=lambda p: p.name)
def test_every_script_parses(script: Path) -> None:
    result = subprocess.run(  # noqa: S603
        ["node", "--check", str(script)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("sheet", sorted(STATIC.glob("*.css")), ids=lambda p: p.name)
def test_every_style_sheet_closes_its_blocks(sheet: Path) -> None:
    text = sheet.read_text(encoding="utf-8")
    assert text.count("{") == text.count("}")
