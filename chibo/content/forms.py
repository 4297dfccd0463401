from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.content.models import MaterialKind
from chibo.lib.submissions import SubmissionField
from chibo.lib.uploads import MAX_DOCUMENT_BYTES, document_type
from chibo.orgs.models import Unit


class MaterialForm(forms.Form):
    submission = SubmissionField()
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MaterialKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    month = forms.CharField(
        label=gettext_lazy("Month"),
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=gettext_lazy("The month whose meetings it serves (YYYY-MM)."),
    )
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=300, required=False)
    file = forms.FileField(
        label=gettext_lazy("File (PDF, DOCX or image, up to 20 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.png,.jpg,.jpeg,.gif,.webp"}),
    )
    all_cells = forms.BooleanField(
        label=gettext_lazy("Send to every cell below"), required=False, initial=True
    )
    cells = forms.CharField(
        label=gettext_lazy("Or only to these cells (codes)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("Separated by commas or spaces."),
    )

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.file_type = ""

    def clean_month(self) -> datetime.date:
        text = self.cleaned_data["month"].strip()
        try:
            return datetime.datetime.strptime(text[:7], "%Y-%m").date()  # noqa: DTZ007
        except ValueError:
            raise forms.ValidationError(_("Write the month as YYYY-MM.")) from None

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        head = upload.read(MAX_DOCUMENT_BYTES + 1)
        upload.seek(0)
        kind = document_type(head)
        if kind is None:
            raise forms.ValidationError(
                _("Only PDF, DOCX and images (PNG, JPEG, GIF, WebP) can be published.")
            )
        self.file_type = kind
        return upload

    def clean_cells(self) -> list[Unit]:
        codes = [c for c in self.cleaned_data["cells"].replace(",", " ").split() if c]
        if not codes:
            return []
        found = {
            u.code: u
            for u in Unit.objects.cells().filter(code__in=codes, path__startswith=self.unit.path)
        }
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(
                _("Not cells below this unit: %(codes)s.") % {"codes": ", ".join(missing[:20])}
            )
        return list(found.values())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_cells") and not data.get("cells") and "cells" not in self.errors:
            self.add_error("cells", _("Send it to every cell below, or name the cells."))
        return data
