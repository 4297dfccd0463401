"""Party development (domain §9): candidates through the admission pipeline, the probation
clock and each unit's yearly targets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chibo.members.models import Gender
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


class Stage(models.TextChoices):
    """The stages in their order; each is reached on a date."""

    LISTED = "listed", _("On the cell's list of outstanding non-members")
    CLASS = "class", _("Awareness class attended (certificate)")
    APPLIED = "applied", _("Application and background file")
    CHECKED = "checked", _("Background checked")
    INTRODUCED = "introduced", _("Introduced by an official member")
    COMMENTED = "commented", _("Comments of organisations and place of residence")
    CELL_RESOLUTION = "cell_resolution", _("Cell resolution")
    BASIC_RESOLUTION = "basic_resolution", _("Basic committee resolution")
    DECIDED = "decided", _("Admission decision")
    ADMITTED = "admitted", _("Admission ceremony: probationary member")
    OFFICIAL = "official", _("Recognised as an official member")
    DROPPED = "dropped", _("No longer a candidate")


ORDER: list[Stage] = [Stage(value) for value in Stage.values if value != Stage.DROPPED]
# Decided by the committee above the cell: recorded by its staff (the organisation
# commission), not by the cell's secretary.
UPPER_STAGES = frozenset({Stage.BASIC_RESOLUTION, Stage.DECIDED, Stage.OFFICIAL})


def position(stage: str) -> int:
    """Where a stage comes in the pipeline (DROPPED has no place)."""
    return [s.value for s in ORDER].index(stage)


class DevelopmentRules(models.Model):
    """A province's rules of admission (its root unit's row applies to its tree; the
    documented defaults otherwise)."""

    unit = models.OneToOneField("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    certificate_valid_months = models.PositiveSmallIntegerField(
        _("months an awareness-class certificate stays valid"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    min_age = models.PositiveSmallIntegerField(
        _("youngest age when the cell considers"), default=18
    )
    max_age = models.PositiveSmallIntegerField(_("oldest age when the cell considers"), default=60)
    review_working_days = models.PositiveSmallIntegerField(
        _("working days to consider official status after the 12 months"), default=30
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("admission rules")
        verbose_name_plural = _("admission rules")

    def __str__(self) -> str:
        return str(self.unit)

    @classmethod
    def for_unit(cls, unit: Any) -> DevelopmentRules:
        root = unit.path[: unit.steplen]
        return cls.objects.filter(unit__path=root).first() or cls(unit=unit)


class CandidateQuerySet(models.QuerySet["Candidate"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_MEMBERS) -> CandidateQuerySet:
        """Candidates of the cells over which `user` holds `action` (chibo.development.access)."""
        from chibo.orgs.access import unit_filter

        return self.filter(unit_filter(user, action, through="unit__"))


class Candidate(models.Model):
    """A person on the way to membership, in one cell."""

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("party cell")
    )
    full_name = models.CharField(_("full name"), max_length=120)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"))
    ethnicity = models.CharField(_("ethnicity"), max_length=40, default="Kinh")
    religion = models.CharField(_("religion"), max_length=40, default="Không")
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    private_enterprise = models.BooleanField(_("works in a private enterprise"), default=False)
    foreign_invested = models.BooleanField(
        _("works in a foreign-invested enterprise"), default=False
    )
    business_owner = models.BooleanField(_("business owner"), default=False)
    rural = models.BooleanField(_("lives in a rural area"), default=False)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LISTED)
    listed_on = models.DateField(_("listed on"))
    certificate_on = models.DateField(_("awareness certificate issued on"), null=True, blank=True)
    introducer = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("introducer"),
    )
    introducer_known_since = models.DateField(
        _("introducer worked with the candidate since"), null=True, blank=True
    )
    mentor = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mentor during probation"),
    )
    # The day each stage was reached, by stage code.
    dates = models.JSONField(default=dict)
    # The ceremony's day again, as a column: what the figures of new members count by.
    admitted_on = models.DateField(_("admitted on"), null=True, blank=True, editable=False)
    decision = models.CharField(_("admission decision"), max_length=120, blank=True)
    member = models.OneToOneField(
        "members.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member record"),
    )
    # The cell's resolution proposing the admission, with its vote figures (VOTE-5).
    admission_vote = models.OneToOneField(
        "members.PersonnelVote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("cell's vote on the admission"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["version"])
    objects = CandidateQuerySet.as_manager()

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["unit", "full_name"]
        indexes = [models.Index(fields=["unit", "stage"], name="candidate_unit_stage_idx")]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("development:candidate", args=[self.pk])


class Target(models.Model):
    """How many new members a unit plans to admit in a year."""

    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    admissions = models.PositiveIntegerField(_("new members"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("development target")
        verbose_name_plural = _("development targets")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="development_target_once")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}: {self.admissions}"
