"""Activation slips: A4 sheets of eight slips (name, cell, username, a QR code opening the
activation page with the code, and the code in large letters), cut apart and handed out
at the next meeting. Data first (`Slip`), then the PDF (WeasyPrint, as the minutes)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from chibo.lib.pdf import html_to_pdf
from chibo.members.accounts import IssuedCode

SLIPS_PER_PAGE = 8


@dataclass(frozen=True)
class Slip:
    name: str
    cell: str
    username: str
    code: str  # as printed: XXXXX-XXXXX
    url: str
    expires_on: datetime.date

    def qr(self) -> segno.QRCode:
        return segno.make(self.url, error="m")

    def qr_matrix(self) -> tuple[bytearray, ...]:
        return tuple(self.qr().matrix)

    @property
    def qr_svg(self) -> SafeString:
        svg = self.qr().svg_inline(scale=3, omitsize=False)
        return mark_safe(svg)  # noqa: S308 - drawn by segno from our own URL


def activation_url(site: str, code: str) -> str:
    """The address a slip's QR code opens: the activation page with the code filled in."""
    return f"{site.rstrip('/')}{reverse('activate')}?{urlencode({'code': code})}"


def slips_for(issued: Sequence[IssuedCode], *, site: str) -> list[Slip]:
    slips = []
    for item in issued:
        member = item.member
        assert member.user is not None
        slips.append(
            Slip(
                name=member.full_name,
                cell=member.unit.name,
                username=member.user.username,
                code=item.printed,
                url=activation_url(site, item.printed),
                expires_on=timezone.localtime(item.expires_at).date(),
            )
        )
    return slips


def render_slips_html(slips: Sequence[Slip]) -> str:
    pages = [slips[i : i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
    return render_to_string("members/slips_print.html", {"pages": pages})


def slips_pdf(slips: Sequence[Slip]) -> bytes:
    return html_to_pdf(render_slips_html(slips))
