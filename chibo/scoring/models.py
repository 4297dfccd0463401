"""Rubric versions (data) and the scores meetings received."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chibo.scoring.engine import RubricSpec


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
