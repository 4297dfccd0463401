"""What the upper levels send down to the cells: meeting materials, internal information,
HCM study content and thematic orientation, each with who has read it (domain §8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class MaterialKind(models.TextChoices):
    MEETING = "meeting", _("Meeting materials")
    INTERNAL = "internal", _("Internal information")
    HCM = "hcm", _("Studying and following Hồ Chí Minh")
    THEMATIC = "thematic", _("Thematic orientation")


class Material(models.Model):
    """A document published by a unit to every cell below it, or to chosen cells, for a
    month (and a topic)."""

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MaterialKind.choices)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    month = models.DateField(_("month"), help_text=_("The month whose meetings it serves."))
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    file = models.FileField(_("file"), upload_to="materials/%Y/%m/")
    file_name = models.CharField(max_length=200)
    file_type = models.CharField(max_length=8)  # pdf, docx, png, jpeg, gif, webp
    file_size = models.PositiveIntegerField()
    all_cells = models.BooleanField(_("to every cell below"), default=True)
    cells = models.ManyToManyField(
        "orgs.Unit", blank=True, related_name="+", verbose_name=_("to these cells")
    )
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["-month", "-published_at"]
        indexes = [models.Index(fields=["unit", "month"], name="material_unit_month_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:material", args=[self.pk])


class MaterialRead(models.Model):
    """Someone opened a material and confirmed reading it."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("read confirmation")
        verbose_name_plural = _("read confirmations")
        constraints = [
            models.UniqueConstraint(fields=["material", "user"], name="material_read_once")
        ]

    def __str__(self) -> str:
        return f"{self.material_id} · {self.user_id}"


class Regulation(models.Model):
    """One version of a cell's working regulations (Quy chế làm việc của chi bộ)."""

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("party cell")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    adopted_on = models.DateField(_("adopted on"))
    notes = models.TextField(_("what changed"), blank=True)
    file = models.FileField(_("file"), upload_to="regulations/%Y/")
    file_type = models.CharField(max_length=8)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("working regulations")
        verbose_name_plural = _("working regulations")
        ordering = ["unit", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="regulation_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} v{self.number}"


class CourseKind(models.TextChoices):
    REFRESHER = "boi_duong", _("Refresher course (bồi dưỡng)")
    WORKSHOP = "tap_huan", _("Training workshop (tập huấn)")


class Course(models.Model):
    """A course for cell secretaries and committee members, organised by a unit."""

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("organised by")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CourseKind.choices)
    title = models.CharField(_("title"), max_length=300)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    participants = models.ManyToManyField(
        "members.Member", blank=True, related_name="+", verbose_name=_("participants")
    )

    history = HistoricalRecords(m2m_fields=[participants])

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:course", args=[self.pk])
