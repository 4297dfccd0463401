from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.directives.models import RequestKind, Target, Template
from chibo.lib.locking import VersionField
from chibo.lib.submissions import SubmissionField
from chibo.lib.uploads import MAX_DOCUMENT_BYTES, document_type
from chibo.orgs.models import Unit, UnitKind

MAX_CODES = 500


class RequestForm(forms.Form):
    submission = SubmissionField()
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RequestKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    body = forms.CharField(
        label=gettext_lazy("What is asked"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=20000,
    )
    due_on = forms.DateField(
        label=gettext_lazy("Due on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    template = forms.ChoiceField(
        label=gettext_lazy("Template"), choices=Template.choices, widget=forms.RadioSelect
    )
    period = forms.CharField(
        label=gettext_lazy("Period of the figures"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("For a form: 2026, 2026-H1, 2026-Q3 or 2026-05."),
    )
    target = forms.ChoiceField(
        label=gettext_lazy("Send to"), choices=Target.choices, widget=forms.RadioSelect
    )
    kinds = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Unit kinds"),
        queryset=UnitKind.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    units = forms.CharField(
        label=gettext_lazy("Or these units (codes)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=10000,
        help_text=gettext_lazy("Separated by commas or spaces."),
    )
    report_recipients = forms.CharField(
        label=gettext_lazy("The consolidated report goes to (one per line)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        kinds = UnitKind.objects.filter(
            pk__in=Unit.objects.filter(path__startswith=unit.path, depth__gt=unit.depth).values(
                "kind_id"
            )
        ).order_by("level", "name")
        self.fields["kinds"].queryset = kinds  # type: ignore[attr-defined]

    def clean_due_on(self) -> datetime.date:
        due: datetime.date = self.cleaned_data["due_on"]
        if not 2000 <= due.year <= 2100:
            raise forms.ValidationError(_("Give a due date between 2000 and 2100."))
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date has passed."))
        return due

    def clean_units(self) -> list[Unit]:
        codes = list(dict.fromkeys(self.cleaned_data["units"].replace(",", " ").split()))
        if len(codes) > MAX_CODES:
            raise forms.ValidationError(_("At most %(n)s units.") % {"n": MAX_CODES})
        if not codes:
            return []
        found = {
            u.code: u
            for u in Unit.objects.filter(
                code__in=codes, path__startswith=self.unit.path, depth__gt=self.unit.depth
            )
        }
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(
                _("Not units below this one: %(codes)s.") % {"codes": ", ".join(missing[:20])}
            )
        return list(found.values())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = data.get("target")
        if target == Target.KINDS and not data.get("kinds") and "kinds" not in self.errors:
            self.add_error("kinds", _("Choose at least one kind of unit."))
        if target == Target.LIST and not data.get("units") and "units" not in self.errors:
            self.add_error("units", _("Name the units to send it to."))
        return data

    @property
    def recipients_lines(self) -> list[str] | None:
        text = self.cleaned_data.get("report_recipients", "")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines or None


class AnswerForm(forms.Form):
    results = forms.CharField(
        label=gettext_lazy("Results"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=50000,
    )
    shortcomings = forms.CharField(
        label=gettext_lazy("Shortcomings and their causes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=50000,
    )
    proposals = forms.CharField(
        label=gettext_lazy("Tasks ahead and proposals"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=50000,
    )
    version = VersionField()

    def __init__(self, *args: Any, document: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_type = ""
        if document:
            for name in ("results", "shortcomings", "proposals"):
                del self.fields[name]
            self.fields["file"] = forms.FileField(
                label=gettext_lazy("Document (PDF, DOCX or image, up to 20 MB)"),
                required=False,
                widget=forms.ClearableFileInput(
                    attrs={"accept": ".pdf,.docx,.png,.jpg,.jpeg,.gif,.webp"}
                ),
            )

    def clean_file(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("file")
        if not upload:
            return None
        if (upload.size or 0) > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        head = upload.read(MAX_DOCUMENT_BYTES + 1)
        upload.seek(0)
        kind = document_type(head)
        if kind is None:
            raise forms.ValidationError(
                _("Only PDF, DOCX and images (PNG, JPEG, GIF, WebP) can be uploaded.")
            )
        self.file_type = kind
        return upload


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is to be corrected"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    version = VersionField()
