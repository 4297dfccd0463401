"""Periodic reports made (their number, files and progress) and the numbering settings."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


class ReportSettings(models.Model):
    """A province's settings for its documents (the root unit's row applies to its tree)."""

    unit = models.OneToOneField("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    term_start = models.DateField(
        _("start of the committee term"),
        default=datetime.date(2025, 10, 1),
        help_text=_("Document numbers restart with each term."),
    )
    place = models.CharField(
        _("place in the date line"), max_length=80, blank=True, help_text=_("e.g. Lâm Đồng")
    )

    class Meta:
        verbose_name = _("document settings")
        verbose_name_plural = _("document settings")

    def __str__(self) -> str:
        return str(self.unit)

    @classmethod
    def for_unit(cls, unit: Any) -> ReportSettings:
        root_path = unit.path[: unit.steplen]
        return cls.objects.filter(unit__path=root_path).first() or cls(unit=unit)


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class PeriodicReportQuerySet(models.QuerySet["PeriodicReport"]):
    def visible_to(
        self, user: AnyUser, action: Perm = Perm.VIEW_MEETINGS
    ) -> PeriodicReportQuerySet:
        """Periodic reports of the units over which `user` holds `action` (chibo.reports.access)."""
        from chibo.orgs.access import unit_filter

        return self.filter(unit_filter(user, action, through="unit__"))


class PeriodicReport(models.Model):
    """The periodic report of a unit for a period: its party-style number (kept when it is
    written again), its DOCX and XLSX, and the progress of the job writing them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=30)
    term_start = models.DateField()
    serial = models.PositiveIntegerField()
    state = models.CharField(max_length=8, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    docx = models.FileField(upload_to="reports/%Y/", blank=True)
    xlsx = models.FileField(upload_to="reports/%Y/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = PeriodicReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("periodic report")
        verbose_name_plural = _("periodic reports")
        constraints = [
            models.UniqueConstraint(fields=["unit", "period"], name="periodic_report_period"),
            models.UniqueConstraint(
                fields=["unit", "term_start", "serial"], name="periodic_report_serial"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report", args=[self.pk])


class ProvinceMonth(models.Model):
    """A province's month as the national dashboard counts it: the sums of its cells'
    months (`meetings.CellMonth`), for each unit directly below the national unit. Rebuilt
    from the cell-months by `chibo rebuild_national` (run from the scheduler), not in the
    transaction of each change: every save of a province would otherwise queue on its one
    row (see docs/performance.md)."""

    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    quarter = models.PositiveSmallIntegerField()
    cells = models.PositiveIntegerField(default=0)
    weak_cells = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)
    regular = models.PositiveIntegerField(default=0)
    # Cells that held a thematic meeting in the quarter, on the row of its last month.
    thematic_quarter = models.PositiveIntegerField(default=0)
    weak_low = models.PositiveIntegerField(default=0)
    meetings = models.PositiveIntegerField(default=0)
    expected = models.PositiveBigIntegerField(default=0)
    present = models.PositiveBigIntegerField(default=0)
    speakers = models.PositiveBigIntegerField(default=0)
    leaders_expected = models.PositiveBigIntegerField(default=0)
    leaders_present = models.PositiveBigIntegerField(default=0)
    leaders_speaking = models.PositiveBigIntegerField(default=0)
    upper_attended = models.PositiveIntegerField(default=0)
    level_tot = models.PositiveIntegerField(default=0)
    level_kha = models.PositiveIntegerField(default=0)
    level_trung_binh = models.PositiveIntegerField(default=0)
    level_kem = models.PositiveIntegerField(default=0)
    unscored = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("province month")
        verbose_name_plural = _("province months")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="province_month_unique"),
        ]
        indexes = [models.Index(fields=["month", "unit"], name="province_month_month_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"
