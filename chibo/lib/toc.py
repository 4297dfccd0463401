"""An in-page table of contents for long pages: base.html wraps its content in
`{% contents %}…{% endcontents %}`; a page with at least MIN_SECTIONS second-level
headings gets a list of links to them right after its title, each heading an id.

On a phone a long page (a meeting, a member, a dashboard) is many screens tall: the list
takes the reader to a section in one tap, and back with the browser's Back."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from chibo.lib.vntext import fold

register = template.Library()

MIN_SECTIONS = 4
_H2 = re.compile(r"<h2(?P<attrs>\s[^>]*)?>(?P<text>.*?)</h2>", re.S)
_ID = re.compile(r"\sid=\"([^\"]+)\"")
_TITLE_END = "</h1>"


def with_contents(html: str) -> str:
    """`html` with ids on its h2 headings and the list of them after its first h1, when it
    has at least MIN_SECTIONS of them and no such list yet."""
    headings = list(_H2.finditer(html))
    already = 'class="toc"' in html or 'class="live-toc"' in html
    if len(headings) < MIN_SECTIONS or already or _TITLE_END not in html:
        return html
    entries: list[tuple[str, str]] = []
    used: set[str] = set()

    def add_id(match: re.Match[str]) -> str:
        attrs = match.group("attrs") or ""
        text = " ".join(strip_tags(match.group("text")).split())
        found = _ID.search(attrs)
        if found:
            anchor = found.group(1)
        else:
            base = "s-" + (slugify(fold(text)) or "section")
            anchor, n = base, 2
            while anchor in used:
                anchor, n = f"{base}-{n}", n + 1
            attrs += f' id="{anchor}"'
        used.add(anchor)
        if text:
            entries.append((anchor, text))
        return f"<h2{attrs}>{match.group('text')}</h2>"

    html = _H2.sub(add_id, html)
    links = "".join(f'<li><a href="#{a}">{escape(t)}</a></li>' for a, t in entries)
    nav = f'<nav class="toc" aria-label="{escape(_("On this page"))}"><ul>{links}</ul></nav>'
    at = html.index(_TITLE_END) + len(_TITLE_END)
    group = html.find("</hgroup>", at)
    if group != -1 and "<hgroup" in html[:at] and "<hgroup" not in html[at:group]:
        at = group + len("</hgroup>")  # a title with its subtitle: after both
    return html[:at] + nav + html[at:]


class ContentsNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: Any) -> SafeString:
        # The page's own HTML, already escaped by its template: only ids and links are added.
        return mark_safe(with_contents(self.nodelist.render(context)))  # noqa: S308


@register.tag
def contents(parser: template.base.Parser, token: template.base.Token) -> ContentsNode:
    nodelist = parser.parse(("endcontents",))
    parser.delete_first_token()
    return ContentsNode(nodelist)
