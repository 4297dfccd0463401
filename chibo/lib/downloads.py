"""The name a downloaded file keeps: every view that serves a file sets its
Content-Disposition here (RFC 6266), with the Vietnamese name encoded by RFC 5987
(`filename*`) and a plain ASCII fallback (`filename`) for older clients.

A title such as "Nghị quyết 05/2026" would otherwise lose everything before its slash
(browsers take a name with a path separator for a path and keep "2026.docx")."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from django.http import HttpResponseBase

MAX_LENGTH = 120
# Path separators, characters Windows refuses in a name, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_SPACES = re.compile(r"\s+")


def file_name(title: str, extension: str) -> str:
    """A file name made of `title`: no path separator nor control character, NFC, at most
    MAX_LENGTH characters before the extension."""
    text = unicodedata.normalize("NFC", title)
    text = _SPACES.sub(" ", _UNSAFE.sub("-", text)).strip(" .-") or "tep"
    return f"{text[:MAX_LENGTH].rstrip(' .-')}.{extension}"


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9._ ()-]+", "_", plain)


def content_disposition(name: str, *, inline: bool = False) -> str:
    """The header's value for a file called `name` (already a file name: see file_name)."""
    kind = "inline" if inline else "attachment"
    fallback = _ascii(name)
    if fallback == name:
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def name_download(response: HttpResponseBase, name: str, *, inline: bool = False) -> None:
    """Give `response` the file name `name` (replaces what FileResponse set)."""
    response["Content-Disposition"] = content_disposition(name, inline=inline)
