"""Forms for member records and the actions on them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chibo.lib.locking import VersionField
from chibo.lib.submissions import SubmissionField
from chibo.members.models import (
    Change,
    LeaveReason,
    Member,
    MemberStatus,
    Post,
    PostEndReason,
    PostKind,
)
from chibo.members.roster_io import MAX_BYTES, ImportFileError, sniff
from chibo.members.services import IDENTITY_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MemberForm(forms.ModelForm[Member]):
    version = VersionField(required=False)

    class Meta:
        model = Member
        fields = IDENTITY_FIELDS
        widgets = {
            "birth_date": DateInput(),
            "admitted_on": DateInput(),
            "official_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "citizen_id": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 12}),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
        for name in ("birth_date", "admitted_on"):
            self.fields[name].required = True

    def _post_clean(self) -> None:
        # The name's derived fields are set by the service; check the rest here.
        self.instance.set_name(self.cleaned_data.get("full_name") or "")
        super()._post_clean()  # type: ignore[misc]


class ArrivalForm(forms.Form):
    """How a new record comes to the cell: a new admission or a transfer from elsewhere;
    and the token of the new-member page (chibo.lib.submissions)."""

    submission = SubmissionField()

    arrival = forms.ChoiceField(
        label=_("The member joins this cell"),
        choices=[
            (Change.CREATED, _("admitted here, or already a member here")),
            (Change.TRANSFERRED_IN, _("transferred in from outside the province")),
        ],
        initial=Change.CREATED,
        required=False,
    )
    arrived_on = forms.DateField(
        label=_("On"),
        widget=DateInput(),
        required=False,
        help_text=_("For a transfer: the day the member joins the cell."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("arrival") == Change.TRANSFERRED_IN and not data.get("arrived_on"):
            self.add_error("arrived_on", _("Give the day of the transfer."))
        return data


class DatedForm(forms.Form):
    on = forms.DateField(label=_("On"), widget=DateInput(), initial=timezone.localdate)


class UnitCodeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text", _("The code of the party cell, as in the organisation tree.")
        )
        super().__init__(**kwargs)


class TransferForm(DatedForm):
    to_unit = UnitCodeField(label=_("Transfer to the cell"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class OfficialForm(DatedForm):
    """The cell's resolution recognising the member as official, with its vote (VOTE-5)."""

    votes_for = forms.IntegerField(
        label=_("Official members for"),
        min_value=0,
        max_value=10_000,
        help_text=_(
            "The resolution needs at least two thirds of the cell's official members who "
            "may vote (Điều lệ Đảng, Art. 5)."
        ),
    )
    votes_against = forms.IntegerField(
        label=_("Official members against"), min_value=0, max_value=10_000, required=False
    )
    decision = forms.CharField(label=_("Decision"), max_length=120, required=False)


class ExemptForm(DatedForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    decision = forms.CharField(label=_("Decision of the cell"), max_length=120, required=False)


class RestoreForm(DatedForm):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class AwayStatusForm(DatedForm):
    """Suspended from party activity, detained, or on special duty (domain.md §3)."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (s.value, s.label)
            for s in (MemberStatus.SUSPENDED, MemberStatus.DETAINED, MemberStatus.SPECIAL_DUTY)
        ],
    )
    decision = forms.CharField(label=_("Number of the decision"), max_length=120)
    decision_on = forms.DateField(label=_("Date of the decision"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class EndAwayStatusForm(DatedForm):
    decision = forms.CharField(label=_("Number of the decision"), max_length=120, required=False)
    decision_on = forms.DateField(
        label=_("Date of the decision"), widget=DateInput(), required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class AttachForm(DatedForm):
    host = UnitCodeField(label=_("Temporarily attached to the cell"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class LeaveForm(DatedForm):
    reason = forms.ChoiceField(label=_("Why"), choices=LeaveReason.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PostForm(DatedForm):
    kind = forms.ChoiceField(label=_("Post"), choices=PostKind.choices)
    also_village_head = forms.BooleanField(
        label=Post._meta.get_field("also_village_head").verbose_name, required=False
    )
    also_front_head = forms.BooleanField(
        label=Post._meta.get_field("also_front_head").verbose_name, required=False
    )
    is_head_of_agency = forms.BooleanField(
        label=Post._meta.get_field("is_head_of_agency").verbose_name, required=False
    )


class EndPostForm(DatedForm):
    post = forms.ModelChoiceField(label=_("Post"), queryset=Post.objects.none())
    reason = forms.ChoiceField(label=_("Why the term ended"), choices=PostEndReason.choices)

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["post"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = member.posts.filter(ended_on__isnull=True)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.ods,.csv"}),
    )
    update = forms.BooleanField(
        label=_("Update the members already registered (matched by party card number)"),
        required=False,
    )

    def clean_file(self) -> Any:
        # Refused here, before it is stored: the importer would refuse it anyway.
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB; split it into several files.")
                % {"size": MAX_BYTES // (1024 * 1024)}
            )
        # By content, not by name: what is not a roster, or would unpack to too much.
        try:
            sniff(upload.read(MAX_BYTES + 1), upload.name or "")
        except ImportFileError as error:
            raise forms.ValidationError(str(error)) from error
        finally:
            upload.seek(0)
        return upload
