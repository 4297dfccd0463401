"""The province's rules: compliance and classification settings, rubric versions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.lib.http import actor, add_validation_errors
from chibo.lib.submissions import SubmissionField
from chibo.orgs.access import get_province_for_user
from chibo.scoring import services
from chibo.scoring.models import Rubric, ScoringRules

EXTRA_CRITERIA = 3


class RulesForm(forms.ModelForm[ScoringRules]):
    class Meta:
        model = ScoringRules
        fields = [
            "effective_from",
            "minutes_approval_days",
            "attendance_threshold",
            "max_consecutive_absences",
            "min_minutes",
            "min_minutes_combined",
            "small_cell_size",
            "small_cell_min_minutes",
            "annual_tot_min_tot_meetings",
            "min_targets_percent",
            "excellent_cell_good_share",
            "excellent_quota_percent",
            "quota_blocks",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in (
            "attendance_threshold",
            "excellent_quota_percent",
            "min_targets_percent",
            "excellent_cell_good_share",
        ):
            if (data.get(name) or 0) > 100:
                self.add_error(name, _("At most 100%."))
        if (data.get("annual_tot_min_tot_meetings") or 0) > 12:
            self.add_error("annual_tot_min_tot_meetings", _("A year has 12 regular meetings."))
        return data


def rules(request: HttpRequest) -> HttpResponse:
    province = get_province_for_user(request.user)
    current = ScoringRules.for_unit(province)
    form = RulesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.unit = province
        saved._history_user = actor(request)  # type: ignore[attr-defined]
        saved.save()
        messages.success(request, _("The rules are saved."))
        return redirect("scoring:rules")
    rubrics = list(Rubric.objects.annotate(meetings=Count("scores")).order_by("code", "-version"))
    return render(
        request,
        "scoring/rules.html",
        {"province": province, "form": form, "rubrics": rubrics},
    )


class RubricForm(forms.Form):
    """The next version of a rubric, filled from the latest one."""

    submission = SubmissionField()

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    tot = forms.IntegerField(label=gettext_lazy("Tốt from (points)"), min_value=1, max_value=100)
    kha = forms.IntegerField(label=gettext_lazy("Khá from (points)"), min_value=1, max_value=100)
    trung_binh = forms.IntegerField(
        label=gettext_lazy("Trung bình from (points)"), min_value=1, max_value=100
    )

    def __init__(self, *args: Any, rubric: Rubric, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        self.criteria = list(rubric.criteria)
        for c in self.criteria:
            code = c["code"]
            self.fields[f"keep_{code}"] = forms.BooleanField(
                label=gettext_lazy("Keep"), required=False, initial=True
            )
            self.fields[f"name_{code}"] = forms.CharField(
                label=code, max_length=300, initial=c["name"], required=False
            )
            self.fields[f"max_{code}"] = forms.IntegerField(
                label=gettext_lazy("Points"), min_value=1, max_value=100, initial=c["max"]
            )
            self.fields[f"full_{code}"] = forms.BooleanField(
                label=gettext_lazy("Full marks for Tốt"),
                required=False,
                initial=code in rubric.full_marks_for_tot,
            )
        for i in range(EXTRA_CRITERIA):
            self.fields[f"new_code_{i}"] = forms.CharField(
                label=gettext_lazy("Code"),
                max_length=4,
                required=False,
                widget=forms.TextInput(
                    attrs={"placeholder": "3g", "aria-label": gettext_lazy("Code"), "size": 4}
                ),
            )
            self.fields[f"new_name_{i}"] = forms.CharField(
                label=gettext_lazy("New judged criterion"),
                max_length=300,
                required=False,
                widget=forms.TextInput(
                    attrs={
                        "placeholder": gettext_lazy("New judged criterion"),
                        "aria-label": gettext_lazy("New judged criterion"),
                    }
                ),
            )
            self.fields[f"new_max_{i}"] = forms.IntegerField(
                label=gettext_lazy("Points"), min_value=1, max_value=100, required=False
            )

    def rows(self) -> list[tuple[dict[str, Any], list[forms.BoundField]]]:
        return [
            (c, [self[f"{p}_{c['code']}"] for p in ("keep", "name", "max", "full")])
            for c in self.criteria
        ]

    def extra_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"new_code_{i}"], self[f"new_name_{i}"], self[f"new_max_{i}"]]
            for i in range(EXTRA_CRITERIA)
        ]

    def content(self) -> dict[str, Any]:
        data = self.cleaned_data
        criteria = []
        full = []
        for c in self.criteria:
            code = c["code"]
            if not data.get(f"keep_{code}"):
                continue
            criteria.append(
                {
                    "code": code,
                    "name": data.get(f"name_{code}") or "",
                    "max": data.get(f"max_{code}") or 0,
                    "computed": c["computed"],
                }
            )
            if data.get(f"full_{code}"):
                full.append(code)
        for i in range(EXTRA_CRITERIA):
            code = (data.get(f"new_code_{i}") or "").strip().lower()
            if code:
                criteria.append(
                    {
                        "code": code,
                        "name": data.get(f"new_name_{i}") or "",
                        "max": data.get(f"new_max_{i}") or 0,
                        "computed": False,
                    }
                )
        return {
            "criteria": criteria,
            "thresholds": {k: data[k] for k in ("tot", "kha", "trung_binh")},
            "full_marks_for_tot": full,
        }


def rubric_new(request: HttpRequest, code: str) -> HttpResponse:
    get_province_for_user(request.user)
    latest = Rubric.objects.latest_of(code)
    if latest is None:
        raise Http404
    form = RubricForm(
        request.POST or None,
        rubric=latest,
        initial={"name": latest.name, **latest.thresholds},
    )
    if request.method == "POST" and form.is_valid():
        try:
            rubric = services.new_rubric_version(
                code=code,
                name=form.cleaned_data["name"],
                content=form.content(),
                submission=form.cleaned_data["submission"],
                by=actor(request),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(
                request,
                _("Version %(version)s of %(code)s is saved; meetings scored from now on use it.")
                % {"version": rubric.version, "code": code},
            )
            return redirect("scoring:rules")
    return render(request, "scoring/rubric_form.html", {"rubric": latest, "form": form})
