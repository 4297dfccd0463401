"""Uploaded files judged by their content, never by their name."""

from __future__ import annotations

import io
import zipfile

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def zip_entries(data: bytes) -> list[zipfile.ZipInfo] | None:
    """The directory of a zip archive (DOCX, XLSX and ODS are zips), or None if it is not
    one that can be read."""
    try:
        return zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def unpacked_size(entries: list[zipfile.ZipInfo]) -> int:
    """What the archive declares it unpacks to."""
    return sum(entry.file_size for entry in entries)


# The media type of each kind `document_type` recognises, for serving the file back.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}


def document_type(data: bytes, *, max_unpacked: int = 200 * 1024 * 1024) -> str | None:
    """ "pdf", "docx", "png", "jpeg", "gif" or "webp" by the first bytes (and, for DOCX, the
    archive's content, bounded against zip bombs); None for anything else."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] == b"PK\x03\x04":
        entries = zip_entries(data)
        if (
            entries is not None
            and unpacked_size(entries) <= max_unpacked
            and any(entry.filename == "word/document.xml" for entry in entries)
        ):
            return "docx"
    return None
