"""Reading the JSON file a command is given (`chibo score`, `chibo classify`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError


def read_json(path: Path) -> Any:
    """The JSON in `path`; a missing file or text that is not JSON stops the command with
    one message (exit status 1)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CommandError(f"No file at {path}.") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CommandError(f"{path} is not valid JSON: {error}") from error
