"""Party member records (the full registry grows from this minimal record)."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chibo.lib import vntext
from chibo.lib.dates import years_between
from chibo.members.rules import PROBATION_MONTHS, probation_ends_on, recognition_problem
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import Perm, Scope

__all__ = ["PROBATION_MONTHS"]  # kept here too: the demo seed and others import it from here

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", _("Probationary")
    OFFICIAL = "official", _("Official")
    EXEMPTED = "exempted", _("Exempted from activity")
    SUSPENDED = "suspended", _("Suspended from party activity")
    DETAINED = "detained", _("Detained")
    SPECIAL_DUTY = "special_duty", _("On special duty in the armed forces")
    LEFT = "left", _("No longer a member here")


# Statuses a member holds for a period, by decision, and then returns from (domain.md §3):
# official or probationary again as before, like an exemption. (QĐ 24-QĐ/TW 9.3.2: the
# suspended and the detained do not count for votes; HD 12: members on special duty are
# left out of the attendance rate.)
AWAY_STATUSES = (MemberStatus.SUSPENDED, MemberStatus.DETAINED, MemberStatus.SPECIAL_DUTY)

# Statuses in which a member belongs to a cell's roster today.
ACTIVE_STATUSES = (
    MemberStatus.PROBATIONARY,
    MemberStatus.OFFICIAL,
    MemberStatus.EXEMPTED,
    *AWAY_STATUSES,
)


class LeaveReason(models.TextChoices):
    TRANSFERRED_OUT = "transferred_out", _("Transferred out of the province")
    DECEASED = "deceased", _("Deceased")
    EXPELLED = "expelled", _("Expelled")
    REMOVED = "removed", _("Name removed")


class Change(models.TextChoices):
    """What opened a membership period."""

    CREATED = "created", _("Record created")
    IMPORTED = "imported", _("Imported")
    TRANSFERRED_IN = "transferred_in", _("Transferred in")
    TRANSFERRED = "transferred", _("Transferred to another cell")
    MADE_OFFICIAL = "made_official", _("Recognised as official member")
    EXEMPTED = "exempted", _("Exempted from activity")
    RESTORED = "restored", _("Activity restored")
    ATTACHED = "attached", _("Temporarily attached to another cell")
    ATTACHMENT_ENDED = "attachment_ended", _("Temporary attachment ended")
    SUSPENDED = "suspended", _("Suspended from party activity")
    DETAINED = "detained", _("Detained")
    SPECIAL_DUTY = "special_duty", _("Special duty in the armed forces")
    RETURNED = "returned", _("Returned to party activity")
    LEFT = "left", _("Left")


class MemberQuerySet(models.QuerySet["Member"]):
    def visible_to(
        self, user: AbstractBaseUser | AnonymousUser, action: Perm = Perm.VIEW_MEMBERS
    ) -> MemberQuerySet:
        """Members whose unit `user` holds `action` over: the access chokepoint for members."""
        from chibo.orgs.access import grants_with, is_superuser, unit_filter

        if is_superuser(user):
            return self.all()
        if any(g.scope == Scope.SUBTREE and g.unit.depth == 1 for g in grants_with(user, action)):
            # A whole province: scanning members with their unit's path is cheapest.
            return self.filter(unit_filter(user, action, through="unit__"))
        # A commune or a cell: choose the units first and reach their members through
        # the unit index, instead of reading every member of the province.
        units = Unit.objects.visible_to(user, action).order_by().values("pk")
        return self.filter(unit__in=units)

    def in_vietnamese_order(self) -> MemberQuerySet:
        return self.order_by("sort_key", "pk")

    def active(self) -> MemberQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def in_unit_on(self, unit: Unit, on: datetime.date) -> MemberQuerySet:
        """Members of `unit` (their home cell) on the day `on`, whatever happened since."""
        return self.filter(
            pk__in=MembershipPeriod.objects.covering(on).filter(unit=unit).values("member_id")
        )

    def attached_to_unit_on(self, unit: Unit, on: datetime.date) -> MemberQuerySet:
        """Members of other cells temporarily attached to `unit` on the day `on`."""
        return self.filter(
            pk__in=MembershipPeriod.objects.covering(on)
            .filter(attached_to=unit)
            .values("member_id")
        )

    def on_sheet_of(self, unit: Unit, on: datetime.date) -> MemberQuerySet:
        """The members of `unit` and those attached to it on the day `on`: its attendance
        sheet. One subquery (the union of the two above made PostgreSQL read every member)."""
        return self.filter(
            pk__in=MembershipPeriod.objects.on_sheet_of(unit, on).values("member_id")
        )

    def search(self, text: str, *, citizen_id_within: models.Q | None = None) -> MemberQuerySet:
        """Names in which every word of `text` starts a word, with or without diacritics,
        the exact name first; or the party card or citizen ID number (the latter only among
        the members `citizen_id_within` matches, when given: members.access's field rule)."""
        folded = vntext.fold(text)
        if not folded:
            return self.none()
        if folded.isdigit():
            by_id = models.Q(citizen_id=folded)
            if citizen_id_within is not None:
                by_id &= citizen_id_within
            return self.filter(models.Q(card_number=folded) | by_id).order_by("sort_key", "pk")
        condition = models.Q()
        for word in folded.split(" "):
            condition &= models.Q(search_name__startswith=word) | models.Q(
                search_name__contains=f" {word}"
            )
        exact = models.Case(models.When(search_name=folded, then=0), default=1)
        return self.filter(condition).alias(inexact=exact).order_by("inexact", "sort_key", "pk")


class Member(models.Model):
    """A party member: identity, current cell and status (the past is in the periods)."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="members", verbose_name=_("party cell")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name=_("user account"),
    )
    full_name = models.CharField(_("full name"), max_length=120)
    family_name = models.CharField(_("family name"), max_length=40, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=80, blank=True)
    given_name = models.CharField(_("given name"), max_length=40)
    # Indexed in Meta (no pattern-ops twin: it is only ever sorted on, never matched).
    sort_key = models.CharField(max_length=400, editable=False)
    # Not indexed: `search` matches a word's start anywhere in the name, which no btree
    # serves (PostgreSQL read every member either way, or the cells of the reader's units).
    search_name = models.CharField(max_length=120, editable=False)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=40, blank=True, default="Kinh")
    religion = models.CharField(_("religion"), max_length=40, blank=True, default="Không")
    # Unique by constraints in Meta: the same check and message as `unique=True`, without
    # the pattern-ops index PostgreSQL gets for a unique field; both are only ever looked up
    # whole (`=`, `IN`), and every import and seed wrote that index for nothing. NULL, not
    # "", for a member without one, so that many can lack it.
    card_number = models.CharField(  # noqa: DJ001
        _("party card number"), max_length=20, null=True, blank=True
    )
    citizen_id = models.CharField(  # noqa: DJ001
        _("citizen ID number"), max_length=12, null=True, blank=True
    )
    admitted_on = models.DateField(_("date of admission"), null=True, blank=True)
    official_on = models.DateField(_("date of official membership"), null=True, blank=True)
    education = models.CharField(_("education"), max_length=120, blank=True)
    occupation = models.CharField(_("occupation or position"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    holds_leadership_post = models.BooleanField(
        _("holds a leadership or management post"),
        default=False,
        help_text=_("Đảng viên giữ chức vụ lãnh đạo, quản lý: the plan asks for their example."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.OFFICIAL
    )
    attached_to = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attached_members",
        verbose_name=_("temporarily attached to"),
    )
    left_reason = models.CharField(
        _("reason for leaving"), max_length=20, choices=LeaveReason.choices, blank=True
    )

    # Raised by every edit of the record (chibo.lib.locking): two people editing at once.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = MemberQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        indexes = [models.Index(fields=["sort_key"], name="member_sort_key_idx")]
        constraints = [
            models.UniqueConstraint(fields=["card_number"], name="member_card_number_unique"),
            models.UniqueConstraint(fields=["citizen_id"], name="member_citizen_id_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=MemberStatus.values), name="member_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(citizen_id__isnull=True)
                | models.Q(citizen_id__regex=r"^[0-9]{12}$"),
                name="member_citizen_id_12_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(official_on__isnull=True)
                | models.Q(admitted_on__isnull=True)
                | models.Q(official_on__gte=models.F("admitted_on")),
                name="member_official_after_admission",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("members:member", args=[self.pk])

    def set_name(self, full_name: str) -> None:
        """Set the name and the fields derived from it (parts, sort key, search text)."""
        parts = vntext.split_name(full_name)
        self.full_name = parts.full
        self.family_name, self.middle_name, self.given_name = (
            parts.family,
            parts.middle,
            parts.given,
        )
        self.sort_key = vntext.collation_key(parts.given, parts.middle, parts.family)
        self.search_name = vntext.fold(parts.full)

    def fact_errors(self, today: datetime.date | None = None) -> dict[str, list[str]]:
        """Inconsistencies between the dates and numbers of this record, by field."""
        today = today or timezone.localdate()
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.birth_date and self.birth_date >= today:
            add("birth_date", gettext("The date of birth must be in the past."))
        if self.admitted_on:
            if self.admitted_on > today:
                add("admitted_on", gettext("The date of admission cannot be in the future."))
            if self.birth_date and self.admitted_on <= self.birth_date:
                add(
                    "admitted_on",
                    gettext("The date of admission must come after the date of birth."),
                )
            elif self.birth_date and years_between(self.birth_date, self.admitted_on) < 18:
                add("admitted_on", gettext("A member must be 18 or older on the day of admission."))
        if self.official_on:
            if self.admitted_on and self.official_on < self.admitted_on:
                add(
                    "official_on",
                    gettext("The official date cannot come before the date of admission."),
                )
            elif self.admitted_on and (
                problem := recognition_problem(
                    admitted_on=self.admitted_on, official_on=self.official_on
                )
            ):
                add("official_on", problem)
            if self.official_on > today:
                add("official_on", gettext("The official date cannot be in the future."))
            if self.status == MemberStatus.PROBATIONARY:
                add("official_on", gettext("A probationary member has no official date yet."))
        elif (
            self.status == MemberStatus.OFFICIAL
            and self.admitted_on
            and (problem := recognition_problem(admitted_on=self.admitted_on, official_on=today))
        ):
            # Official without an official date (a roster saying "Chính thức"): it can
            # only be true once the probation has ended.
            add("status", problem)
        if self.citizen_id and not (len(self.citizen_id) == 12 and self.citizen_id.isdigit()):
            add("citizen_id", gettext("A citizen ID number has exactly 12 digits."))
        if self.card_number and not self.card_number.replace(".", "").replace("-", "").isalnum():
            add("card_number", gettext("A party card number has only digits and letters."))
        return errors

    def clean(self) -> None:
        errors = self.fact_errors()
        if errors:
            raise ValidationError(errors)

    @property
    def official_due_on(self) -> datetime.date | None:
        """When a probationary member's 12 months end."""
        if self.admitted_on is None:
            return None
        return probation_ends_on(self.admitted_on)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class PeriodQuerySet(models.QuerySet["MembershipPeriod"]):
    def covering(self, on: datetime.date) -> PeriodQuerySet:
        return self.filter(
            models.Q(started_on__lte=on),
            models.Q(ended_on__isnull=True) | models.Q(ended_on__gt=on),
        )

    def on_sheet_of(self, unit: Unit | int, on: datetime.date) -> PeriodQuerySet:
        """The periods that put their members on the attendance sheet of `unit` (a unit or
        its id) on the day `on`: of the unit itself, or attached to it."""
        return self.covering(on).filter(models.Q(unit=unit) | models.Q(attached_to=unit))


class MembershipPeriod(models.Model):
    """Where a member held party activity, in which status, from one day until another.

    Every status change or transfer ends the open period and starts a new one, so that
    "the members of this cell on that day" can always be answered.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="periods")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="member_periods", verbose_name=_("party cell")
    )
    status = models.CharField(_("status"), max_length=16, choices=MemberStatus.choices)
    attached_to = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attached_periods",
        verbose_name=_("temporarily attached to"),
    )
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    change = models.CharField(_("change"), max_length=20, choices=Change.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decision = models.CharField(_("decision"), max_length=120, blank=True)
    # The decision's date: party documents are identified by number and date (HD 36).
    decision_on = models.DateField(_("decision dated"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership period")
        verbose_name_plural = _("membership periods")
        ordering = ["member", "started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="period_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(ended_on__isnull=True),
                name="period_one_open_per_member",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "started_on"], name="period_unit_idx"),
            models.Index(fields=["attached_to", "started_on"], name="period_attached_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.unit} · {self.started_on}"


class PostKind(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    COMMITTEE_MEMBER = "committee_member", _("Cell committee member")


class PostEndReason(models.TextChoices):
    TERM_ENDED = "term_ended", _("Term ended")
    REMOVED = "removed", _("Removed from the committee")
    RESIGNED = "resigned", _("Resigned")
    TRANSFERRED = "transferred", _("Transferred")
    OTHER = "other", _("Other")


class Post(models.Model):
    """A cell post held by a member for a term, with the concurrent posts the plan tracks."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="posts")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="posts", verbose_name=_("party cell")
    )
    kind = models.CharField(_("post"), max_length=20, choices=PostKind.choices)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(
        _("why the term ended"), max_length=20, choices=PostEndReason.choices, blank=True
    )
    also_village_head = models.BooleanField(
        _("also head of the village or residential group"), default=False
    )
    also_front_head = models.BooleanField(_("also head of the Front work committee"), default=False)
    is_head_of_agency = models.BooleanField(_("head of the agency or unit"), default=False)
    grant = models.OneToOneField(
        RoleGrant, on_delete=models.SET_NULL, null=True, blank=True, related_name="post"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cell post")
        verbose_name_plural = _("cell posts")
        ordering = ["unit", "kind", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="post_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.member}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None or self.ended_on > timezone.localdate()


class ImportState(models.TextChoices):
    CHECKING = "checking", _("Checking the file")
    CHECKED = "checked", _("Checked: waiting for confirmation")
    REJECTED = "rejected", _("The file has errors")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Import finished")
    FAILED = "failed", _("Failed")


class RosterImportQuerySet(models.QuerySet["RosterImport"]):
    def visible_to(
        self, user: AbstractBaseUser | AnonymousUser, action: Perm = Perm.MANAGE_MEMBERS
    ) -> RosterImportQuerySet:
        """An import is seen only by the person who uploaded it, while they still hold
        `action` over its unit."""
        from chibo.orgs.access import unit_filter

        if not user.is_authenticated:
            return self.none()
        return self.filter(unit_filter(user, action, through="unit__"), created_by_id=user.pk)


class RosterImport(models.Model):
    """A roster file uploaded from the web: checked first, imported when confirmed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="imports/%Y/%m/")
    filename = models.CharField(max_length=200)
    update = models.BooleanField(default=False)
    state = models.CharField(
        max_length=16, choices=ImportState.choices, default=ImportState.CHECKING
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    # The ImportResult of the check, then of the import, as plain data.
    summary = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    # When the job last showed a sign of life (started, progressed); a running job silent
    # for STALL_AFTER died with its worker and may be run again.
    touched_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RosterImportQuerySet.as_manager()

    STALL_AFTER = datetime.timedelta(minutes=15)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("members:import_status", args=[self.pk])

    @property
    def running(self) -> bool:
        return self.state in (ImportState.CHECKING, ImportState.IMPORTING)

    @property
    def stalled(self) -> bool:
        return self.running and self.touched_at < timezone.now() - self.STALL_AFTER

    @property
    def retryable(self) -> bool:
        """Failed, or stopped with its worker: the file is still there to try again."""
        return (self.state == ImportState.FAILED or self.stalled) and bool(self.file)

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class ActivationCode(models.Model):
    """A one-time code that lets a member set up the account made for them from the roster.

    Only a keyed hash of the code is kept (chibo.members.accounts.code_digest): the code
    itself exists on the printed slip or the message sent, nowhere else.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="activation_codes")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # A newer code for the same member (reissued) or a revocation ends this one.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        ordering = ["member", "-issued_at"]
        indexes = [models.Index(fields=["member", "issued_at"], name="activation_member_idx")]

    def __str__(self) -> str:
        return f"{self.member} · {self.issued_at:%d/%m/%Y}"

    def usable(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.withdrawn_at is None and self.expires_at > now


class AccountEventKind(models.TextChoices):
    CREATED = "created", _("Account created from the roster")
    CODE_ISSUED = "code_issued", _("Activation code issued")
    ACTIVATED = "activated", _("Account activated")
    PASSKEY_ADDED = "passkey_added", _("Passkey registered")
    REVOKED = "revoked", _("Passkeys and sessions revoked")


class AccountEvent(models.Model):
    """What happened to a member's account, by whom and when (the record of reissues and
    revocations the secretary answers for)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="account_events")
    kind = models.CharField(_("event"), max_length=16, choices=AccountEventKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=AccountEventKind.values),
                name="account_event_kind_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_kind_display()} · {self.at:%d/%m/%Y %H:%M}"


class PersonnelVoteKind(models.TextChoices):
    ADMISSION = "admission", _("Admission to the Party")
    RECOGNITION = "recognition", _("Recognition as official member")


class PersonnelVote(models.Model):
    """A cell's resolution on admitting a person or recognising a probationary member as
    official, with its vote figures (VOTE-5: at least two thirds of the official members)."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("party cell")
    )
    kind = models.CharField(_("resolution on"), max_length=16, choices=PersonnelVoteKind.choices)
    held_on = models.DateField(_("voted on"))
    # Whom it is about: the member recognised, or the candidate's name for an admission
    # (the candidate record lives in `development`, above this app).
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personnel_votes",
        verbose_name=_("member"),
    )
    subject = models.CharField(_("about"), max_length=120)
    votes_for = models.PositiveSmallIntegerField(_("official members for"))
    votes_against = models.PositiveSmallIntegerField(_("official members against"), default=0)
    official_members = models.PositiveSmallIntegerField(_("official members who may vote"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("personnel vote")
        verbose_name_plural = _("personnel votes")
        ordering = ["unit", "held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=PersonnelVoteKind.values),
                name="personnel_vote_kind_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.subject} · {self.held_on:%d/%m/%Y}"
