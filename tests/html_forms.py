"""Read the forms of a rendered page as a browser would submit them: each form's action,
method and fields with their current values (and, for selects, the values offered)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea" or "select"
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = True
    required: bool = False
    maxlength: int | None = None


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)

    def data(self) -> dict[str, list[str]]:
        """What submitting the form unchanged sends."""
        sent: dict[str, list[str]] = {}
        for f in self.fields:
            if f.kind in ("checkbox", "radio") and not f.checked:
                continue
            if f.kind in ("submit", "button", "file", "reset", "image"):
                continue
            sent.setdefault(f.name, []).append(f.value)
        return sent


class FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._text: Field | None = None
        self._select: Field | None = None
        self._option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(values.get("action", ""), values.get("method", "get").lower())
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = values.get("name")
        maxlength = int(values["maxlength"]) if values.get("maxlength", "").isdigit() else None
        required = "required" in values
        if tag == "input" and name:
            kind = values.get("type", "text").lower()
            self._form.fields.append(
                Field(
                    name,
                    kind,
                    values.get("value", "on" if kind in ("checkbox", "radio") else ""),
                    checked="checked" in values,
                    required=required,
                    maxlength=maxlength,
                )
            )
        elif tag == "textarea" and name:
            self._text = Field(name, "textarea", required=required, maxlength=maxlength)
            self._form.fields.append(self._text)
        elif tag == "select" and name:
            self._select = Field(name, "select", required=required)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = values.get("value")
            self._select.options.append(self._option or "")
            if "selected" in values or len(self._select.options) == 1:
                self._select.value = self._option or ""

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            if self._text is not None and self._text.value.startswith("\n"):
                self._text.value = self._text.value[1:]
            self._text = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None


def forms_of(html: str) -> list[Form]:
    reader = FormReader()
    reader.feed(html)
    return reader.forms


def post_form(html: str, with_field: str = "version") -> Form:
    """The page's first POST form that has a field named `with_field`."""
    for form in forms_of(html):
        if form.method == "post" and any(f.name == with_field for f in form.fields):
            return form
    raise AssertionError(f"no POST form with a field {with_field!r}")
