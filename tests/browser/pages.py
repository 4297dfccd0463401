"""What every browser test does: sign in through the login page, and keep a screenshot of a
step (in $CHIBO_SCREENSHOTS, default test-results/screenshots)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SHOTS = Path(os.environ.get("CHIBO_SCREENSHOTS", "test-results/screenshots"))


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"meeting-{name}.png"), full_page=True)


def login(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "chibo-demo")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
