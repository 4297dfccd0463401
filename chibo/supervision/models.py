"""Working groups, planned visits of upper-level members to cell meetings and what they
observed, and the province's supervision settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chibo.orgs.permissions import Perm
from chibo.scoring.models import Level

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


def _user_id(user: AnyUser) -> int:
    return int(user.pk) if user.is_authenticated and user.pk is not None else 0


class WorkingGroupQuerySet(models.QuerySet["WorkingGroup"]):
    def visible_to(
        self, user: AnyUser, action: Perm = Perm.VIEW_SUPERVISION
    ) -> WorkingGroupQuerySet:
        """Working groups seen by whoever holds `action` over the committee that set them
        up, and by their leader and members (chibo.supervision.access)."""
        from chibo.orgs.access import unit_filter

        uid = _user_id(user)
        members = WorkingGroup.members.through.objects.filter(user_id=uid).values("workinggroup_id")
        return self.filter(
            unit_filter(user, action, through="unit__")
            | models.Q(leader_id=uid)
            | models.Q(pk__in=members)
        )


class VisitQuerySet(models.QuerySet["Visit"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_MEETINGS) -> VisitQuerySet:
        """The user's own visits, and the visits of meetings of cells over which they hold
        `action` (chibo.supervision.access)."""
        from chibo.orgs.access import unit_filter

        return self.filter(
            models.Q(user_id=_user_id(user)) | unit_filter(user, action, through="meeting__unit__")
        )


class InspectionItemQuerySet(models.QuerySet["InspectionItem"]):
    def visible_to(
        self, user: AnyUser, action: Perm = Perm.VIEW_SUPERVISION
    ) -> InspectionItemQuerySet:
        """Inspections (their subject, findings and conclusion) seen by whoever holds
        `action` over the inspecting unit; for VIEW_SUPERVISION also over the inspected
        unit, and by the inspected cell's leaders (who must act on it)."""
        from chibo.orgs.access import unit_filter

        q = unit_filter(user, action, through="unit__")
        if action == Perm.VIEW_SUPERVISION:
            q |= unit_filter(user, action, through="target__")
            q |= unit_filter(user, Perm.MANAGE_MEETINGS, through="target__")
        return self.filter(q)


# Who sees a unit's discipline, besides the disciplined member: its supervision staff and
# its leaders, who act on its inspections (chibo.supervision.access.sees_discipline).
DISCIPLINE_SEERS = (Perm.VIEW_SUPERVISION, Perm.MANAGE_MEETINGS)


class SanctionQuerySet(models.QuerySet["Sanction"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_SUPERVISION) -> SanctionQuerySet:
        """The field rule of discipline: a member's or a unit's discipline is seen by
        whoever holds `action` over its unit (supervision staff), for VIEW_SUPERVISION also
        by the unit's leaders (as on the inspection page), and by the disciplined member;
        a commendation by whoever sees the unit's members too."""
        from chibo.orgs.access import unit_filter

        q = models.Q(member__user_id=_user_id(user))
        for perm in DISCIPLINE_SEERS if action == Perm.VIEW_SUPERVISION else (action,):
            q |= unit_filter(user, perm, through="unit__")
        commendations = models.Q(kind=SanctionKind.COMMENDATION) & unit_filter(
            user, Perm.VIEW_MEMBERS, through="unit__"
        )
        return self.filter(q | commendations)


class GroupVisitRule(models.TextChoices):
    """How a working group attends its cells' meetings: the group's own rule, kept with the
    group as the committees' rule is kept with their unit kind (UnitKind.visit_rule)."""

    QUOTA = "quota", _("Each member attends a set number of meetings of their cells a year")
    MONTHLY = "monthly", _("Every assigned cell is attended every month by its member")


class WorkingGroup(models.Model):
    """A Tổ công tác: set up by a committee to attend, monitor and guide the meetings of
    the units assigned to it, for a period. Its members get scoped grants over exactly
    those units, ending with the period."""

    unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        related_name="working_groups",
        verbose_name=_("set up by"),
    )
    name = models.CharField(_("name"), max_length=200)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("leader"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="working_groups", verbose_name=_("members")
    )
    units = models.ManyToManyField("orgs.Unit", related_name="+", verbose_name=_("assigned units"))
    grants: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "orgs.RoleGrant", related_name="+", editable=False
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    decision = models.CharField(_("decision"), max_length=120, blank=True)
    visit_rule = models.CharField(
        _("attendance rule"),
        max_length=8,
        choices=GroupVisitRule.choices,
        default=GroupVisitRule.QUOTA,
        db_default=GroupVisitRule.QUOTA,
    )
    visits_per_member = models.PositiveSmallIntegerField(
        _("visits a year of each member"),
        default=6,
        db_default=6,
        validators=[MaxValueValidator(366)],
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=0, editable=False)

    objects = WorkingGroupQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[members, units], excluded_fields=["version"])

    class Meta:
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="working_group_period",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("supervision:group", args=[self.pk])


class GroupAssignment(models.Model):
    """The leader's charge of one member of the group: a commune or a cell among the
    group's units, whose meetings that member attends."""

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("member"),
    )
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune or cell")
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assignment in a working group")
        verbose_name_plural = _("assignments in a working group")
        constraints = [
            models.UniqueConstraint(fields=["group", "unit"], name="group_assignment_unit")
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.user_id} → {self.unit_id}"


class VisitState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Attended")
    MISSED = "missed", _("Did not attend")


class VisitSource(models.TextChoices):
    PLAN = "plan", _("Yearly plan")
    MANUAL = "manual", _("Assigned by hand")


class Visit(models.Model):
    """An upper-level member assigned to attend one cell meeting, and what they saw."""

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="+", verbose_name=_("meeting")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("attendee"),
    )
    group = models.ForeignKey(
        WorkingGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("working group"),
    )
    source = models.CharField(max_length=8, choices=VisitSource.choices)
    state = models.CharField(
        _("state"), max_length=8, choices=VisitState.choices, default=VisitState.PLANNED
    )
    observation = models.TextField(_("what was observed"), blank=True)
    guidance = models.TextField(_("guidance given"), blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    planned_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=0)

    objects = VisitQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="visit_meeting_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.meeting_id}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:visit", args=[self.pk])


MONTH = [MinValueValidator(1), MaxValueValidator(12)]
DAY = [MinValueValidator(1), MaxValueValidator(31)]


class SupervisionRules(models.Model):
    """Attendance quotas and report due dates of a province (its root unit's row applies
    to its tree; the documented defaults otherwise)."""

    unit = models.OneToOneField(
        "orgs.Unit", on_delete=models.CASCADE, related_name="supervision_rules"
    )
    basic_monthly = models.BooleanField(
        _("a member of the basic-level committee attends every cell every month"), default=True
    )
    commune_visits_per_year = models.PositiveSmallIntegerField(
        _("visits a year of each commune-level committee member"),
        default=6,
        validators=[MaxValueValidator(366)],
    )
    province_visits_per_year = models.PositiveSmallIntegerField(
        _("visits a year of each provincial committee member to residential cells"),
        default=2,
        validators=[MaxValueValidator(366)],
    )
    mid_report_month = models.PositiveSmallIntegerField(
        _("mid-year report: month"), default=6, validators=MONTH
    )
    mid_report_day = models.PositiveSmallIntegerField(
        _("mid-year report: day"), default=15, validators=DAY
    )
    year_report_month = models.PositiveSmallIntegerField(
        _("year-end report: month"), default=12, validators=MONTH
    )
    year_report_day = models.PositiveSmallIntegerField(
        _("year-end report: day"), default=31, validators=DAY
    )
    weak_kem_meetings = models.PositiveSmallIntegerField(
        _("regular meetings rated Kém in a year that propose a cell as weak"),
        default=3,
        db_default=3,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("supervision rules")
        verbose_name_plural = _("supervision rules")

    def __str__(self) -> str:
        return str(self.unit)

    @classmethod
    def for_unit(cls, unit: Any) -> SupervisionRules:
        root_path = unit.path[: unit.steplen]
        return cls.objects.filter(unit__path=root_path).first() or cls(unit=unit)


class ReportState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    EVALUATED = "evaluated", _("Accepted")


# The states in which the group writes its report.
WRITABLE = (ReportState.DRAFT, ReportState.RETURNED)


class GroupReport(models.Model):
    """A working group's report for half a year (due 15/6) or a year (due 31/12), drafted
    from its visits, written by the group, evaluated by the Organisation Commission."""

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="reports")
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.BooleanField(_("mid-year report"))
    due_on = models.DateField(_("due on"))
    state = models.CharField(
        _("state"), max_length=10, choices=ReportState.choices, default=ReportState.DRAFT
    )
    figures = models.JSONField(_("figures"), default=dict)
    results = models.TextField(_("results"), blank=True)
    shortcomings = models.TextField(_("shortcomings and their causes"), blank=True)
    proposals = models.TextField(_("proposals"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    evaluation = models.TextField(_("evaluation of the Organisation Commission"), blank=True)
    evaluation_level = models.CharField(
        _("level"), max_length=16, choices=Level.choices, blank=True
    )
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    evaluated_at = models.DateTimeField(null=True, blank=True)
    returned_reason = models.TextField(_("why it is returned"), blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("working group report")
        verbose_name_plural = _("working group reports")
        constraints = [
            models.UniqueConstraint(fields=["group", "year", "half"], name="group_report_period")
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:report", args=[self.group_id, self.period])

    @property
    def period(self) -> str:
        return f"{self.year}-H1" if self.half else str(self.year)

    def is_overdue(self, today: Any = None) -> bool:
        today = today or timezone.localdate()
        return self.state in WRITABLE and self.due_on < today


class SupportAction(models.Model):
    """Help given to a weak or priority cell: who, when, what."""

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("party cell")
    )
    on = models.DateField(_("date"))
    by_whom = models.CharField(_("who helped"), max_length=200)
    what = models.TextField(_("what was done"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("support action")
        verbose_name_plural = _("support actions")
        indexes = [models.Index(fields=["unit", "on"], name="support_unit_on_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.on}"


class ProgrammeKind(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")
    SUPERVISION = "supervision", _("Supervision")


class InspectionItem(models.Model):
    """One entry of a committee's yearly inspection and supervision programme: whom, on
    what, when; then its conclusion."""

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("inspecting level")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=12, choices=ProgrammeKind.choices)
    target = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("inspected unit")
    )
    subject = models.CharField(_("subject"), max_length=300)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    done = models.BooleanField(_("concluded"), default=False)
    conclusion = models.TextField(_("conclusion"), blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=0)

    objects = InspectionItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inspection or supervision")
        verbose_name_plural = _("inspections and supervisions")
        indexes = [models.Index(fields=["unit", "year"], name="inspection_unit_year_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="inspection_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target_id} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:inspection", args=[self.pk])


class FindingKind(models.TextChoices):
    SHORTCOMING = "shortcoming", _("Shortcoming to correct")
    VIOLATION = "violation", _("Violation")
    GOOD_PRACTICE = "good_practice", _("Good practice")


class Finding(models.Model):
    """What an inspection found, the correction it requires and its follow-up."""

    item = models.ForeignKey(InspectionItem, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("kind"), max_length=16, choices=FindingKind.choices)
    text = models.TextField(_("finding"))
    correction = models.TextField(_("correction required"), blank=True)
    owner = models.CharField(_("who corrects"), max_length=200, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    corrected_on = models.DateField(_("corrected on"), null=True, blank=True)
    follow_up = models.TextField(_("follow-up"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return self.text[:60]

    def is_overdue(self, today: Any = None) -> bool:
        today = today or timezone.localdate()
        return bool(self.deadline and not self.corrected_on and self.deadline < today)


class SanctionKind(models.TextChoices):
    DISCIPLINE = "discipline", _("Discipline")
    COMMENDATION = "commendation", _("Commendation")


class Sanction(models.Model):
    """Discipline or commendation of a member or of a unit, with its decision."""

    kind = models.CharField(_("kind"), max_length=12, choices=SanctionKind.choices)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    form = models.CharField(_("form"), max_length=120)
    decided_on = models.DateField(_("decided on"))
    decision = models.CharField(_("decision"), max_length=120, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    finding = models.ForeignKey(
        Finding, on_delete=models.SET_NULL, null=True, blank=True, related_name="sanctions"
    )

    objects = SanctionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("discipline or commendation")
        verbose_name_plural = _("discipline and commendations")
        indexes = [models.Index(fields=["unit", "decided_on"], name="sanction_unit_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.form}"


class WeakCellQuerySet(models.QuerySet["WeakCell"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_SUPERVISION) -> WeakCellQuerySet:
        """Weak-cell records seen by whoever holds `action` over the cell (its supervisors
        above; for VIEW_SUPERVISION also the cell's leaders, who must act on the plan), and
        by the committee member assigned to help it (chibo.supervision.access)."""
        from chibo.orgs.access import unit_filter

        q = unit_filter(user, action, through="unit__")
        if action == Perm.VIEW_SUPERVISION:
            q |= unit_filter(user, Perm.MANAGE_MEETINGS, through="unit__")
            q |= models.Q(helper_id=_user_id(user))
        return self.filter(q)


class WeakState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    LISTED = "listed", _("On the list of weak cells")
    REJECTED = "rejected", _("Not put on the list")
    CLOSED = "closed", _("Left the list")


# The states of a record still open: one at most per cell.
WEAK_OPEN = (WeakState.PROPOSED, WeakState.LISTED)


class WeakSource(models.TextChoices):
    CLASSIFICATION = "classification", _("Classified as not completing its tasks")
    KEM_MEETINGS = "kem_meetings", _("Meetings rated Kém")
    COMMUNE = "commune", _("Proposed by the commune")
    MIGRATED = "migrated", _("Flagged weak before these records")


class WeakCell(models.Model):
    """A cell's passage on the list of weak cells (chi bộ yếu kém): proposed from its
    classification or by its commune, decided by the upper level, helped by a committee
    member under an improvement plan with quarterly reviews, closed by an exit review.
    `Unit.is_weak` mirrors whether the cell is on the list now (set only here)."""

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("party cell")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("proposed from"), max_length=16, choices=WeakSource.choices)
    reason = models.TextField(_("reason"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=WeakState.choices, default=WeakState.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decision_note = models.TextField(_("decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    listed_on = models.DateField(_("on the list from"), null=True, blank=True)
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("committee member in charge"),
    )
    plan = models.TextField(_("improvement plan"), blank=True)
    targets = models.TextField(_("targets"), blank=True)
    exit_review = models.TextField(_("exit review"), blank=True)
    closed_on = models.DateField(_("left the list on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    objects = WeakCellQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("weak cell")
        verbose_name_plural = _("weak cells")
        constraints = [
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(state__in=["proposed", "listed"]),
                name="weak_cell_one_open",
            )
        ]
        indexes = [models.Index(fields=["unit", "year"], name="weak_cell_unit_year_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.state}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:weak_cell", args=[self.pk])


class WeakCellReview(models.Model):
    """A quarterly review of a weak cell's improvement plan; the exit review closes it."""

    case = models.ForeignKey(WeakCell, on_delete=models.CASCADE, related_name="reviews")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    progress = models.TextField(_("progress against the targets"))
    on_track = models.BooleanField(_("on track"), default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quarterly review of a weak cell")
        verbose_name_plural = _("quarterly reviews of weak cells")
        constraints = [
            models.UniqueConstraint(fields=["case", "year", "quarter"], name="weak_review_quarter")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.year}Q{self.quarter}"
