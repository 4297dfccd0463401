"""Forms of the meeting pages. Each form that changes a meeting carries the version it
was read at, so that a save over someone else's newer save is refused."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chibo.lib.submissions import SubmissionField
from chibo.meetings.models import AttendanceStatus, ItemKind, Meeting, MeetingKind, TaskStatus
from chibo.meetings.rules import check_recording_open
from chibo.meetings.votes import vote_errors
from chibo.members.forms import DateInput
from chibo.members.models import Member


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def member_field(
    meeting: Meeting, label: Any, *, required: bool = False
) -> forms.ModelChoiceField[Member]:
    return forms.ModelChoiceField(
        label=label,
        queryset=Member.objects.active().filter(unit=meeting.unit).in_vietnamese_order(),
        required=required,
    )


class PlanForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices)
    scheduled_at = forms.DateTimeField(label=_("Time"), widget=DateTimeInput())
    place = forms.CharField(label=_("Place"), max_length=200)
    topic = forms.CharField(label=_("Topic (thematic meetings)"), max_length=300, required=False)


class EditForm(VersionedForm, PlanForm):
    pass


class NewMeetingForm(PlanForm):
    """The form that plans a meeting: it carries a token of its own, so that the same
    submission sent twice (a double click, a resent request) plans one meeting."""

    submission = SubmissionField()


class ScheduleForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    day = forms.IntegerField(label=_("Day of the month"), min_value=1, max_value=28, initial=5)
    hour = forms.IntegerField(label=_("Hour"), min_value=6, max_value=21, initial=19)
    place = forms.CharField(label=_("Place"), max_length=200)


class PostponeForm(VersionedForm):
    to = forms.DateTimeField(label=_("New time"), widget=DateTimeInput())
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CancelForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class PreparationForm(VersionedForm):
    committee_met_on = forms.DateField(
        label=_("Cell committee met on"), widget=DateInput(), required=False
    )
    notified_on = forms.DateField(
        label=_("Members and the upper-level attendee notified on"),
        widget=DateInput(),
        required=False,
    )
    materials_published_on = forms.DateField(
        label=_("Materials published on"), widget=DateInput(), required=False
    )
    draft_resolution = forms.CharField(
        label=_("Draft resolution"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["drafter"] = member_field(meeting, _("Drafter of the content and resolution"))
        self.order_fields(["drafter"])


class MinutesForm(VersionedForm):
    started_at = forms.DateTimeField(label=_("Started at"), widget=DateTimeInput(), required=False)
    ended_at = forms.DateTimeField(label=_("Ended at"), widget=DateTimeInput(), required=False)
    conclusion = forms.CharField(
        label=_("Chair's conclusion"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    resolution = forms.CharField(
        label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"] = member_field(meeting, _("Chair"))
        self.fields["minutes_secretary"] = member_field(meeting, _("Minutes secretary"))
        self.items = list(meeting.items.all())
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.CharField(
                label=f"{item.order}. {item.title}",
                widget=forms.Textarea(attrs={"rows": 3}),
                required=False,
                initial=item.notes,
            )
        self.order_fields(["chair", "minutes_secretary", "started_at", "ended_at"])

    def item_notes(self) -> dict[int, str]:
        return {item.pk: self.cleaned_data.get(f"item_{item.pk}", "") for item in self.items}


class SpeechForm(VersionedForm):
    submission = SubmissionField()
    gist = forms.CharField(
        label=_("Gist of what was said"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"] = forms.ModelChoiceField(
            label=_("Agenda item"), queryset=meeting.items.all()
        )
        self.fields["member"] = member_field(meeting, _("Speaker"), required=True)
        self.order_fields(["item", "member", "gist"])


class GuestForm(VersionedForm):
    submission = SubmissionField()
    name = forms.CharField(label=_("Name"), max_length=120)
    title = forms.CharField(label=_("Post or unit"), max_length=200, required=False)
    is_upper_attendee = forms.BooleanField(
        label=_("Upper-level committee member assigned to the cell"), required=False
    )


class AgendaItemForm(VersionedForm):
    submission = SubmissionField()
    title = forms.CharField(label=_("Agenda item"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=ItemKind.choices, initial=ItemKind.OTHER)


class VoteForm(VersionedForm):
    """The vote on the resolution, with the roll of QĐ 24-QĐ/TW 9.3.2 beside the fields."""

    votes_for = forms.IntegerField(label=_("For"), min_value=0, max_value=10_000)
    votes_against = forms.IntegerField(label=_("Against"), min_value=0, initial=0, max_value=10_000)
    votes_abstain = forms.IntegerField(label=_("Abstain"), min_value=0, initial=0, max_value=10_000)

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.roll = meeting.attendance_counts().roll
        figures = _(
            "Denominator (QĐ 24-QĐ/TW 9.3.2): %(d)s; official members present who may vote: "
            "%(present)s. Votes for must be more than half of the denominator."
        ) % {"d": self.roll.denominator, "present": self.roll.voters_present}
        self.fields["votes_for"].help_text = figures
        for name in ("votes_for", "votes_against", "votes_abstain"):
            self.fields[name].widget.attrs["max"] = self.roll.voters_present

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        names = ("votes_for", "votes_against", "votes_abstain")
        # Before the meeting's start nobody has voted: say that, not that the figures exceed
        # the (empty) roll.
        try:
            check_recording_open(self.meeting, _("the vote"))
        except ValidationError as error:
            self.add_error(None, error)
            return data
        if all(data.get(name) is not None for name in names):
            errors = vote_errors({name: data[name] for name in names}, self.roll)
            for field, message in errors.items():
                self.add_error(field, message)
        return data


class TaskForm(VersionedForm):
    submission = SubmissionField()
    title = forms.CharField(label=_("Task"), max_length=300)
    owned_by_committee = forms.BooleanField(label=_("Owned by the cell committee"), required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"] = member_field(meeting, _("Owner"))
        self.order_fields(["title", "owner", "owned_by_committee", "deadline"])


class TaskUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)
    progress = forms.CharField(label=_("Progress"), max_length=500, required=False)


class AmendForm(VersionedForm):
    submission = SubmissionField()
    field = forms.ChoiceField(
        label=_("Part of the minutes"),
        choices=[("conclusion", _("Chair's conclusion")), ("resolution", _("Resolution"))],
    )
    text = forms.CharField(label=_("Corrected text"), widget=forms.Textarea(attrs={"rows": 4}))
    reason = forms.CharField(label=_("Why"), max_length=300)


ATTENDANCE_CHOICES = AttendanceStatus.choices


class LiveSpeechForm(forms.Form):
    """A speaker added on the live minutes page: one of the members present."""

    gist = forms.CharField(
        label=_("Gist of what was said"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, speakers: list[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.speakers = {m.pk: m for m in speakers}
        self.fields["member"] = forms.TypedChoiceField(
            label=_("Speaker"),
            choices=[("", "—"), *((m.pk, m.full_name) for m in speakers)],
            coerce=int,
        )
        self.order_fields(["member", "gist"])

    def clean_member(self) -> Member:
        return self.speakers[self.cleaned_data["member"]]


class MinutesHeadForm(VersionedForm):
    """Who chaired and wrote the minutes, and the times: the head of the live minutes."""

    started_at = forms.DateTimeField(label=_("Started at"), widget=DateTimeInput(), required=False)
    ended_at = forms.DateTimeField(label=_("Ended at"), widget=DateTimeInput(), required=False)

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"] = member_field(meeting, _("Chair"))
        self.fields["minutes_secretary"] = member_field(meeting, _("Minutes secretary"))
        self.order_fields(["chair", "minutes_secretary", "started_at", "ended_at"])
