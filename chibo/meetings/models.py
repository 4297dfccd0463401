"""The cell meeting (sinh hoạt chi bộ) and everything recorded about it (HD 12-HD/BTCTW)."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chibo.meetings import votes
from chibo.meetings.rules import absent_roles
from chibo.members.models import AWAY_STATUSES, Member, MemberStatus
from chibo.orgs.models import ProvinceSettings, Unit
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


# The levels of a meeting's quality (the scoring app decides them; the meeting keeps one).
QUALITY_LEVELS = [
    ("tot", _("Good (Tốt)")),
    ("kha", _("Fair (Khá)")),
    ("trung_binh", _("Average (Trung bình)")),
    ("kem", _("Poor (Kém)")),
]


def new_token_short() -> str:
    return secrets.token_urlsafe(12)


class MeetingKind(models.TextChoices):
    REGULAR = "regular", _("Regular (monthly)")
    THEMATIC = "thematic", _("Thematic")
    COMBINED = "combined", _("Regular and thematic")
    EXTRAORDINARY = "extraordinary", _("Extraordinary")


class MeetingState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    POSTPONED = "postponed", _("Postponed")
    CANCELLED = "cancelled", _("Cancelled")
    HELD = "held", _("Held: minutes being written")
    APPROVED = "approved", _("Minutes approved")


class ItemKind(models.TextChoices):
    REVIEW = "review", _("Review of the previous resolution's tasks")
    SITUATION = "situation", _("Situation and results of the month")
    CRITICISM = "criticism", _("Self-criticism and criticism")
    HCM_STUDY = "hcm_study", _("Studying and following Ho Chi Minh's example")
    NEWS = "news", _("News and policies")
    TOPIC = "topic", _("Thematic topic")
    NEXT_TASKS = "next_tasks", _("Tasks for next month")
    OTHER = "other", _("Other")


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(
        self, user: AbstractBaseUser | AnonymousUser, action: Perm = Perm.VIEW_MEETINGS
    ) -> MeetingQuerySet:
        """Meetings of the cells over which `user` holds `action`: the chokepoint
        (chibo.meetings.access)."""
        from chibo.orgs.access import unit_filter

        return self.filter(unit__in=Unit.objects.filter(unit_filter(user, action)).values("pk"))

    def upcoming(self, since: datetime.datetime | None = None) -> MeetingQuerySet:
        """Meetings still to be held, scheduled from `since` (by default `coming_since()`),
        soonest first."""
        return self.filter(
            state__in=[MeetingState.PLANNED, MeetingState.POSTPONED],
            scheduled_at__gte=since or coming_since(),
        ).order_by("scheduled_at")


def coming_since() -> datetime.datetime:
    """From when a meeting not held yet counts as coming: 12 hours ago, so that one under
    way still shows."""
    return timezone.now() - datetime.timedelta(hours=12)


class Meeting(models.Model):
    """One meeting of a party cell, counted for one month."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("party cell")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MeetingKind.choices)
    month = models.DateField(_("month"), help_text=_("The month the meeting counts for."))
    scheduled_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200)
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=MeetingState.choices, default=MeetingState.PLANNED
    )
    state_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Preparation (HD 12): who drafts, the committee's preparatory meeting, notice,
    # materials published a day ahead, the draft resolution.
    drafter = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafter of the content and resolution"),
    )
    committee_met_on = models.DateField(_("cell committee met on"), null=True, blank=True)
    notified_on = models.DateField(
        _("members and the upper-level attendee notified on"), null=True, blank=True
    )
    materials_published_on = models.DateField(_("materials published on"), null=True, blank=True)
    draft_resolution = models.TextField(_("draft resolution"), blank=True)
    # The upper-level members expected at the meeting (set by the visit plan): they are
    # notified with the members and see the meeting in their calendar.
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="meetings_to_attend",
        verbose_name=_("upper-level attendees expected"),
    )
    # Conduct and minutes.
    chair = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chair"),
    )
    minutes_secretary = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("minutes secretary"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    conclusion = models.TextField(_("chair's conclusion"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    votes_for = models.PositiveSmallIntegerField(_("for"), null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField(_("against"), null=True, blank=True)
    votes_abstain = models.PositiveSmallIntegerField(_("abstain"), null=True, blank=True)
    # The final level of the meeting's quality score (set by scoring; shown in the minutes).
    quality_level = models.CharField(
        _("quality level"), max_length=16, blank=True, choices=QUALITY_LEVELS
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The secret in the meeting's QR code: members who scan it check themselves in.
    checkin_code = models.CharField(max_length=32, default=new_token_short, editable=False)
    # The SHA-256 of the minutes as approved (meetings.seals); amendments carry their own.
    minutes_seal = models.CharField(
        _("seal of the minutes"), max_length=64, blank=True, default="", db_default=""
    )
    # Raised by every save through the services: a form sends the version it was read
    # at, and a save made from an older version is refused (two people editing at once).
    version = models.PositiveIntegerField(default=1)

    objects = MeetingQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-scheduled_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(ended_at__gt=models.F("started_at")),
                name="meeting_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["unit", "month"], name="meeting_unit_month_idx")]

    def __str__(self) -> str:
        local = timezone.localtime(self.scheduled_at)
        return f"{self.get_kind_display()} {local:%m/%Y} — {self.unit.name}"

    def get_absolute_url(self) -> str:
        return reverse("meetings:meeting", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        """Approved minutes are read-only; later corrections are amendments."""
        return self.state == MeetingState.APPROVED

    @property
    def duration_minutes(self) -> int | None:
        if self.started_at and self.ended_at:
            return int((self.ended_at - self.started_at).total_seconds() // 60)
        return None

    def attendance_counts(self, rows: list[Attendance] | None = None) -> AttendanceCounts:
        """The counts of the minutes and the vote's roll, from the attendance rows.

        Who may vote and the denominator (QĐ 24-QĐ/TW, 9.3.2) come from the rule's one
        function, `chibo.meetings.votes.vote_roll`, on the cell's own members: members
        attached here from another cell vote where they belong.
        """
        if rows is None:
            rows = list(self.attendance.all())
        home = [r for r in rows if not r.attached_from_elsewhere]

        def count(condition: Any) -> int:
            return sum(1 for r in rows if condition(r))

        roll = votes.vote_roll(r.vote_facts() for r in home)
        return AttendanceCounts(
            official=sum(1 for r in home if r.member_status == MemberStatus.OFFICIAL),
            probationary=sum(1 for r in home if r.member_status == MemberStatus.PROBATIONARY),
            attached_here=count(lambda r: r.attached_from_elsewhere),
            exempted=sum(1 for r in home if r.member_status == MemberStatus.EXEMPTED),
            present=count(lambda r: r.is_present),
            absent_excused=count(lambda r: r.status == AttendanceStatus.ABSENT_EXCUSED),
            absent_unexcused=count(lambda r: r.status == AttendanceStatus.ABSENT_UNEXCUSED),
            denominator=roll.denominator,
            voters_present=roll.voters_present,
            away=sum(1 for r in home if r.member_status in AWAY_STATUSES),
        )

    def vote_passed(self, counts: AttendanceCounts) -> bool | None:
        """More than half of the denominator voted for (None before the vote)."""
        return votes.vote_passed(self.votes_for, counts.denominator)

    def missing_for_approval(self) -> list[Any]:
        """What the minutes still lack before they can be approved."""
        missing: list[Any] = []
        if not (self.started_at and self.ended_at):
            missing.append(_("the actual start and end times"))
        if self.chair_id is None:
            missing.append(_("the chair"))
        if self.minutes_secretary_id is None:
            missing.append(_("the minutes secretary"))
        rows = list(self.attendance.values_list("member_id", "status"))
        if not rows:
            missing.append(_("the attendance"))
        present = {member for member, status in rows if status in PRESENT_STATUSES}
        missing.extend(absent_roles(self.chair_id, self.minutes_secretary_id, present))
        if self.items.filter(notes="").exists():
            missing.append(_("the minutes of every agenda item"))
        if not self.conclusion.strip():
            missing.append(_("the chair's conclusion"))
        if not self.resolution.strip():
            missing.append(_("the resolution"))
        if self.votes_for is None:
            missing.append(_("the vote on the resolution"))
        return missing

    def load_people(self) -> Meeting:
        """Read the chair, the minutes secretary and the drafter in one query. Joined to the
        meeting's own query they cost PostgreSQL more to plan (a millisecond: three joins to
        the member table and its twelve indexes) than the query itself."""
        ids = {self.chair_id, self.minutes_secretary_id, self.drafter_id} - {None}
        people = {m.pk: m for m in Member.objects.filter(pk__in=ids)} if ids else {}
        for relation in ("chair", "minutes_secretary", "drafter"):
            setattr(self, relation, people.get(getattr(self, f"{relation}_id")))
        return self

    def preparation_steps(self) -> list[tuple[Any, bool]]:
        """The preparation steps of HD 12 and whether each is done."""
        day_before = timezone.localtime(self.scheduled_at).date() - datetime.timedelta(days=1)
        return [
            (_("Drafter of the content and resolution assigned"), self.drafter_id is not None),
            (_("Cell committee met to prepare"), self.committee_met_on is not None),
            (_("Members and the upper-level attendee notified"), self.notified_on is not None),
            (
                _("Materials published at least one day before"),
                self.materials_published_on is not None
                and self.materials_published_on <= day_before,
            ),
            (_("Draft resolution attached"), bool(self.draft_resolution.strip())),
        ]


@dataclass(frozen=True)
class AttendanceCounts:
    """The counts the minutes need, and the voting denominator (QĐ 24, 9.3.2)."""

    official: int
    probationary: int
    attached_here: int
    exempted: int
    present: int
    absent_excused: int
    absent_unexcused: int
    denominator: int
    # Official members present who may vote: the votes cast cannot be more.
    voters_present: int = 0
    # Members suspended, detained or on special duty (domain.md §3).
    away: int = 0

    @property
    def roll(self) -> votes.VoteRoll:
        return votes.VoteRoll(self.denominator, self.voters_present)


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    LEFT_EARLY = "left_early", _("Left early")
    ABSENT_EXCUSED = "absent_excused", _("Absent with reason")
    ABSENT_UNEXCUSED = "absent_unexcused", _("Absent without reason")
    EXEMPTED = "exempted", _("Exempted from activity")
    ATTACHED_ELSEWHERE = "attached_elsewhere", _("Temporarily attached to another cell")


PRESENT_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


class Attendance(models.Model):
    """Whether one member attended one meeting (one row per member of the cell that day)."""

    # Indexed on its own although `attendance_once` (meeting, member) leads with it: the
    # meeting alone repeats, so PostgreSQL stores it deduplicated, a quarter of the size of
    # `attendance_once` (37 against 157 MB for the province), and the month-end rush ran
    # 4 % faster with it (migrations 0013 and 0014, docs/performance.md).
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(_("attendance"), max_length=20, choices=AttendanceStatus.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The member's status on the day, kept so that past counts never change.
    member_status = models.CharField(max_length=16, choices=MemberStatus.choices)
    attached_from_elsewhere = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once"),
            models.CheckConstraint(
                condition=~models.Q(status=AttendanceStatus.ABSENT_EXCUSED) | ~models.Q(reason=""),
                name="attendance_excused_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_status_display()}"

    @property
    def is_present(self) -> bool:
        return self.status in PRESENT_STATUSES

    def vote_facts(self) -> tuple[str, str]:
        """The member's status and attendance in the words of `chibo.meetings.votes` (and
        of the scoring engine): a row marked exempted or attached elsewhere is absent for
        that reason, whatever the member's status."""
        if self.status == AttendanceStatus.ATTACHED_ELSEWHERE:
            return "attached_elsewhere", "absent_excused"
        if self.status == AttendanceStatus.EXEMPTED:
            away = self.member_status in AWAY_STATUSES
            return (self.member_status if away else "exempted"), "absent_excused"
        return self.member_status, self.status


class Guest(models.Model):
    """Someone who attended without being a member of the cell (incl. the upper-level attendee)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guests")
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("post or unit"), max_length=200, blank=True)
    is_upper_attendee = models.BooleanField(_("upper-level committee member"), default=False)

    class Meta:
        verbose_name = _("guest")
        verbose_name_plural = _("guests")

    def __str__(self) -> str:
        return self.name


class AgendaItem(models.Model):
    """One item of a meeting's agenda, with what the minutes say of it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    title = models.CharField(_("title"), max_length=300)
    notes = models.TextField(_("minutes of this item"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting_id", "order"]

    def __str__(self) -> str:
        return self.title


class Speech(models.Model):
    """A member who spoke on an agenda item, and the gist of what they said."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="speeches")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="speeches")
    gist = models.TextField(_("gist"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("speech")
        verbose_name_plural = _("speeches")
        ordering = ["item_id", "pk"]

    def __str__(self) -> str:
        return f"{self.member}: {self.gist[:40]}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class TaskQuerySet(models.QuerySet["Task"]):
    def visible_to(
        self, user: AbstractBaseUser | AnonymousUser, action: Perm = Perm.VIEW_MEETINGS
    ) -> TaskQuerySet:
        """Tasks of meetings of the cells over which `user` holds `action`, and the user's
        own tasks (an owner reports progress on their task whatever their role)."""
        from chibo.orgs.access import unit_filter

        own = models.Q(owner__user_id=user.pk) if user.is_authenticated else models.Q(pk__in=[])
        return self.filter(own | unit_filter(user, action, through="meeting__unit__"))

    def still_open(self) -> TaskQuerySet:
        return self.filter(status__in=OPEN_TASK_STATUSES)


class Task(models.Model):
    """A task of a meeting's resolution: short, with an owner and a deadline."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=300)
    owner = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("owner"),
    )
    owned_by_committee = models.BooleanField(_("owned by the cell committee"), default=False)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    progress = models.TextField(_("progress notes"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=False) | models.Q(owned_by_committee=True),
                name="task_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status in OPEN_TASK_STATUSES and self.deadline < timezone.localdate()


class Amendment(models.Model):
    """A correction made to approved minutes: what, why, who and when, beside the original."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="amendments")
    field = models.CharField(_("what"), max_length=60)
    before = models.TextField(_("before"))
    after = models.TextField(_("after"))
    reason = models.CharField(_("why"), max_length=300)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)
    # The seal of the minutes with this amendment (meetings.seals).
    seal = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["made_at"]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.field}"


class AgendaTemplate(models.Model):
    """The agenda a new meeting of a kind starts with; the province edits it as data."""

    kind = models.CharField(_("kind"), max_length=16, choices=MeetingKind.choices, unique=True)
    # A list of [item kind, title] pairs, in order.
    items = models.JSONField(_("items"))

    class Meta:
        verbose_name = _("agenda template")
        verbose_name_plural = _("agenda templates")

    def __str__(self) -> str:
        return self.get_kind_display()


def new_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A person's private calendar address: calendar apps cannot log in, so the token in
    the address stands for the person, with the person's rights. A new token revokes
    the old address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)


class MeetingStats(models.Model):
    """The figures of one held meeting, kept up to date by `meetings.stats` in the same
    transaction as any change (dashboards read these, never the attendance rows)."""

    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    expected = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    absent_excused = models.PositiveIntegerField(default=0)
    absent_unexcused = models.PositiveIntegerField(default=0)
    speakers = models.PositiveIntegerField(default=0)
    leaders_expected = models.PositiveIntegerField(default=0)
    leaders_present = models.PositiveIntegerField(default=0)
    leaders_speaking = models.PositiveIntegerField(default=0)
    upper_attended = models.BooleanField(default=False)
    duration_minutes = models.PositiveIntegerField(null=True)

    class Meta:
        verbose_name = _("meeting figures")
        verbose_name_plural = _("meeting figures")

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.present}/{self.expected}"


class CellMonth(models.Model):
    """A cell's month as the dashboards count it: the sums of its held meetings' figures."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    quarter = models.PositiveSmallIntegerField()
    meetings = models.PositiveSmallIntegerField(default=0)
    regular_held = models.BooleanField(default=False)
    thematic_held = models.BooleanField(default=False)
    expected = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    speakers = models.PositiveIntegerField(default=0)
    leaders_expected = models.PositiveIntegerField(default=0)
    leaders_present = models.PositiveIntegerField(default=0)
    leaders_speaking = models.PositiveIntegerField(default=0)
    upper_attended = models.PositiveSmallIntegerField(default=0)
    level_tot = models.PositiveSmallIntegerField(default=0)
    level_kha = models.PositiveSmallIntegerField(default=0)
    level_trung_binh = models.PositiveSmallIntegerField(default=0)
    level_kem = models.PositiveSmallIntegerField(default=0)
    unscored = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("cell month")
        verbose_name_plural = _("cell months")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="cell_month_unique"),
        ]
        indexes = [
            models.Index(fields=["month", "unit"], name="cell_month_month_idx"),
            # The dashboards count the cells that held a thematic meeting per quarter: a
            # third of the cell-months, read from this index alone.
            models.Index(
                fields=["month", "unit", "quarter"],
                condition=models.Q(thematic_held=True),
                name="cell_month_thematic_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"


def _default_left_out() -> list[str]:
    return list(votes.DEFAULT_LEFT_OUT)


class MeetingRules(ProvinceSettings):
    """The rules a province sets for meetings (data, with the documented defaults; the row
    of the province's root unit applies to its tree, from its effective date): which
    statuses are left out of the attendance rate (STATUS-2) and the span of Tết the year
    planner keeps free (HOLIDAY-1)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="meeting_rules")
    attendance_left_out = models.JSONField(
        _("also left out of the attendance rate"),
        default=_default_left_out,
        blank=True,
        help_text=_(
            "Besides exempted members and members on special duty (always left out): "
            '"suspended", "detained".'
        ),
    )
    tet_days_before = models.PositiveSmallIntegerField(
        _("days off before the first day of Tết"), default=1
    )
    tet_days_after = models.PositiveSmallIntegerField(
        _("days off after the first day of Tết"), default=3
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting rules")
        verbose_name_plural = _("meeting rules")

    def __str__(self) -> str:
        return str(self.unit)

    def clean(self) -> None:
        left_out = self.attendance_left_out
        if not isinstance(left_out, list) or any(
            s not in votes.OPTIONALLY_NOT_EXPECTED for s in left_out
        ):
            raise ValidationError(
                {"attendance_left_out": _('A list of "suspended" and "detained" only.')}
            )
        if self.tet_days_before > 7 or self.tet_days_after > 10:
            raise ValidationError(_("Tết lasts at most a week before and ten days after."))

    def not_expected(self) -> frozenset[str]:
        """The statuses left out of the attendance rate under these rules."""
        key = tuple(self.attendance_left_out) if isinstance(self.attendance_left_out, list) else ()
        return votes.not_expected(key)
