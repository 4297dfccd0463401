"""Rubric versions (data) and the scores meetings received."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chibo.orgs.models import ProvinceSettings
from chibo.orgs.permissions import Perm
from chibo.scoring.engine import DEFAULT_SETTINGS, EngineSettings, RubricSpec

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


class Level(models.TextChoices):
    TOT = "tot", _("Good (Tốt)")
    KHA = "kha", _("Fair (Khá)")
    TRUNG_BINH = "trung_binh", _("Average (Trung bình)")
    KEM = "kem", _("Poor (Kém)")


class RubricQuerySet(models.QuerySet["Rubric"]):
    def latest_of(self, code: str) -> Rubric | None:
        return self.filter(code=code).order_by("-version").first()


class Rubric(models.Model):
    """One version of a scoring sheet: its criteria, points, thresholds and the criteria
    that need full marks for "Tốt". Versions are never edited once meetings use them."""

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    # [{"code", "name", "max", "computed"}], in order.
    criteria = models.JSONField(_("criteria"))
    thresholds = models.JSONField(_("level thresholds"))
    full_marks_for_tot = models.JSONField(_("criteria needing full marks for Tốt"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = RubricQuerySet.as_manager()

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rubric_code_version"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def spec(self) -> RubricSpec:
        data: dict[str, Any] = {
            "criteria": self.criteria,
            "thresholds": self.thresholds,
            "full_marks_for_tot": self.full_marks_for_tot,
        }
        return RubricSpec.from_data(f"{self.code} v{self.version}", data)


class MeetingScoreQuerySet(models.QuerySet["MeetingScore"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_MEETINGS) -> MeetingScoreQuerySet:
        """Scores of meetings of the cells over which `user` holds `action`
        (chibo.scoring.access)."""
        from chibo.orgs.access import unit_filter

        return self.filter(unit_filter(user, action, through="meeting__unit__"))


class MeetingScore(models.Model):
    """A meeting's score: the cell's proposal and the upper level's confirmation, both kept."""

    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="score"
    )
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="scores")
    # Points per criterion code, computed ones included, as scored at the time.
    cell_points = models.JSONField(default=dict)
    cell_total = models.PositiveSmallIntegerField(null=True, blank=True)
    cell_level = models.CharField(max_length=16, choices=Level.choices, blank=True)
    members_for = models.PositiveSmallIntegerField(_("members agreeing"), null=True, blank=True)
    members_against = models.PositiveSmallIntegerField(
        _("members disagreeing"), null=True, blank=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    upper_points = models.JSONField(default=dict)
    upper_total = models.PositiveSmallIntegerField(null=True, blank=True)
    upper_level = models.CharField(max_length=16, choices=Level.choices, blank=True)
    upper_comment = models.TextField(_("comment of the upper level"), blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The SHA-256 of the confirmed score (scoring.seals), printed with it.
    seal = models.CharField(max_length=64, blank=True, default="", db_default="")
    # The province's settings the score was made with (engine.EngineSettings.as_dict), so
    # that a later change of setting leaves it as it was; empty for scores made before
    # settings were recorded (they used the defaults).
    settings = models.JSONField(_("settings used"), default=dict, blank=True)

    objects = MeetingScoreQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting score")
        verbose_name_plural = _("meeting scores")

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.final_level}"

    @property
    def final_level(self) -> str:
        return self.upper_level or self.cell_level


class ScoringRules(ProvinceSettings):
    """The rules a province sets for compliance and the annual results (data, with the
    documented defaults; the row of the province's root unit applies to its tree, from its
    effective date: `ProvinceSettings.for_unit`, `in_force`)."""

    unit = models.OneToOneField("orgs.Unit", on_delete=models.CASCADE, related_name="scoring_rules")
    minutes_approval_days = models.PositiveSmallIntegerField(
        _("days allowed to approve the minutes"), default=7
    )
    attendance_threshold = models.PositiveSmallIntegerField(
        _("attendance rate required (%)"), default=DEFAULT_SETTINGS.attendance_threshold
    )
    max_consecutive_absences = models.PositiveSmallIntegerField(
        _("consecutive absences allowed"), default=DEFAULT_SETTINGS.max_consecutive_absences
    )
    min_minutes = models.PositiveSmallIntegerField(
        _("minimum length of a meeting (minutes)"), default=DEFAULT_SETTINGS.min_minutes
    )
    min_minutes_combined = models.PositiveSmallIntegerField(
        _("minimum length of a combined regular and thematic meeting (minutes)"),
        default=DEFAULT_SETTINGS.min_minutes_combined,
    )
    small_cell_size = models.PositiveSmallIntegerField(
        _("cells with fewer members than this may meet shorter (0: none)"),
        default=DEFAULT_SETTINGS.small_cell_size,
    )
    small_cell_min_minutes = models.PositiveSmallIntegerField(
        _("minimum length of a meeting of a small cell (minutes)"),
        default=DEFAULT_SETTINGS.small_cell_min_minutes,
    )
    min_targets_percent = models.PositiveSmallIntegerField(
        _("targets met below which the year is not completed (%)"), default=50
    )
    excellent_cell_good_share = models.PositiveSmallIntegerField(
        _("members at least 'hoàn thành tốt' in an excellent cell (%)"), default=80
    )
    annual_tot_min_tot_meetings = models.PositiveSmallIntegerField(
        _("meetings rated Tốt needed for a Tốt year"), default=7
    )
    excellent_quota_percent = models.PositiveSmallIntegerField(
        _("'xuất sắc' quota (percent of 'hoàn thành tốt')"), default=20
    )
    quota_blocks = models.BooleanField(_("the quota blocks (otherwise it warns)"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scoring rules")
        verbose_name_plural = _("scoring rules")

    def __str__(self) -> str:
        return str(self.unit)

    def engine_settings(self) -> EngineSettings:
        return EngineSettings(
            attendance_threshold=self.attendance_threshold,
            max_consecutive_absences=self.max_consecutive_absences,
            min_minutes=self.min_minutes,
            min_minutes_combined=self.min_minutes_combined,
            small_cell_size=self.small_cell_size,
            small_cell_min_minutes=self.small_cell_min_minutes,
        )


class Classification(models.TextChoices):
    """The four levels of the annual classification (QĐ 366-QĐ/TW)."""

    EXCELLENT = "excellent", _("Completed tasks excellently")
    GOOD = "good", _("Completed tasks well")
    COMPLETED = "completed", _("Completed tasks")
    FAILED = "failed", _("Did not complete tasks")


CLASSIFICATION_RANK = {"excellent": 3, "good": 2, "completed": 1, "failed": 0}


class Step(models.TextChoices):
    SELF = "self", _("Self-assessment")
    VERIFY = "verify", _("Verification")
    DECIDE = "decide", _("Decision")


class AnnualRatingQuerySet(models.QuerySet["AnnualRating"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_MEMBERS) -> AnnualRatingQuerySet:
        """Classifications of the cells, and of their members, over which `user` holds
        `action` (chibo.scoring.access)."""
        from chibo.orgs.access import unit_filter

        return self.filter(unit_filter(user, action, through="unit__"))


class AnnualRating(models.Model):
    """The classification of a cell (member empty) or of one of its members for a year:
    the self-assessment, the advisory body's verification and the decision, each kept."""

    year = models.PositiveSmallIntegerField(_("year"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kem_criterion = models.BooleanField(_("a criterion is rated Kém"), default=False)
    targets_percent = models.PositiveSmallIntegerField(_("targets met (%)"), null=True, blank=True)
    disciplined = models.BooleanField(_("disciplined during the year"), default=False)
    # Set when supervision records a discipline or the deciding level decides with one:
    # `disciplined` then stays set whatever a later step says.
    discipline_recorded = models.BooleanField(
        _("discipline recorded by supervision or the deciding level"),
        default=False,
        db_default=False,
    )
    self_level = models.CharField(
        _("self-assessment"), max_length=16, choices=Classification.choices, blank=True
    )
    self_note = models.TextField(_("self-assessment notes"), blank=True)
    self_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    self_at = models.DateTimeField(null=True, blank=True)
    verified_level = models.CharField(
        _("verified level"), max_length=16, choices=Classification.choices, blank=True
    )
    verified_note = models.TextField(_("verification notes"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    decided_level = models.CharField(
        _("decided level"), max_length=16, choices=Classification.choices, blank=True
    )
    decided_note = models.TextField(_("decision notes"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    # The SHA-256 of the decided classification (scoring.seals), printed with it.
    seal = models.CharField(max_length=64, blank=True, default="", db_default="")

    objects = AnnualRatingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("annual classification")
        verbose_name_plural = _("annual classifications")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "unit"],
                condition=models.Q(member__isnull=True),
                name="annual_rating_unit_year",
            ),
            models.UniqueConstraint(
                fields=["year", "member"],
                condition=models.Q(member__isnull=False),
                name="annual_rating_member_year",
            ),
        ]
        indexes = [models.Index(fields=["unit", "year"], name="annual_rating_unit_idx")]

    def __str__(self) -> str:
        return f"{self.year} {self.member_id or self.unit_id}: {self.level}"

    @property
    def level(self) -> str:
        """The furthest step's level."""
        return self.decided_level or self.verified_level or self.self_level

    @property
    def step(self) -> str:
        if self.decided_level:
            return Step.DECIDE
        if self.verified_level:
            return Step.VERIFY
        return Step.SELF if self.self_level else ""

    @property
    def step_label(self) -> str:
        return str(Step(self.step).label) if self.step else ""


class RatingTally(models.Model):
    """A cell's classification results of a year in one row (the dashboards read this,
    not the ratings): its own current level and how many of its members hold each level.
    Kept by `classification.rate` in the same transaction; rebuilt by `rebuild_tallies`."""

    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    cell_level = models.CharField(max_length=16, blank=True)
    excellent = models.PositiveIntegerField(default=0)
    good = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("classification tally")
        verbose_name_plural = _("classification tallies")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="rating_tally_unit_year")
        ]
        indexes = [models.Index(fields=["year", "unit"], name="rating_tally_year_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}"


class Correction(models.Model):
    """What a correction of a final record keeps: the content before and after, why, who and
    when, and the seal of the record with it (scoring.seals)."""

    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))
    reason = models.CharField(_("why"), max_length=300)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)
    seal = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True
        ordering = ["made_at", "pk"]


class ScoreAmendment(Correction):
    """A correction of a confirmed score: the upper level's points, total, level and comment
    before and after, why, who and when; the score shows it beside the original."""

    score = models.ForeignKey(MeetingScore, on_delete=models.CASCADE, related_name="amendments")

    class Meta(Correction.Meta):
        verbose_name = _("score amendment")
        verbose_name_plural = _("score amendments")

    def __str__(self) -> str:
        return f"{self.score_id} · {self.made_at:%Y-%m-%d}"


class RatingAmendment(Correction):
    """A correction of a decided classification: what was decided and what it became, why,
    who and when; the classification shows it beside the original decision."""

    rating = models.ForeignKey(AnnualRating, on_delete=models.CASCADE, related_name="amendments")

    class Meta(Correction.Meta):
        verbose_name = _("classification amendment")
        verbose_name_plural = _("classification amendments")

    def __str__(self) -> str:
        return f"{self.rating_id} · {self.made_at:%Y-%m-%d}"
