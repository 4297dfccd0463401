"""What the upper levels send down to the cells: meeting materials, internal information,
HCM study content and thematic orientation, each with who has read it (domain §8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


class MaterialKind(models.TextChoices):
    MEETING = "meeting", _("Meeting materials")
    INTERNAL = "internal", _("Internal information")
    HCM = "hcm", _("Studying and following Hồ Chí Minh")
    THEMATIC = "thematic", _("Thematic orientation")
    MODEL = "model", _("Model of good practice")


class MaterialQuerySet(models.QuerySet["Material"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_MEETINGS) -> MaterialQuerySet:
        """Materials that reach the cells whose meetings `user` sees (and those of the units
        they publish for); for another `action`, those published by a unit over which the
        user holds it (chibo.content.access)."""
        from chibo.content.access import materials_q
        from chibo.orgs.access import unit_filter

        if action == Perm.VIEW_MEETINGS:
            return self.filter(materials_q(user))
        return self.filter(unit_filter(user, action, through="unit__"))


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
    # A model of good practice spread (nhân rộng): the inspection finding it comes from.
    source_finding = models.ForeignKey(
        "supervision.Finding",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("good practice it spreads"),
    )

    objects = MaterialQuerySet.as_manager()

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


class RegulationQuerySet(models.QuerySet["Regulation"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_MEETINGS) -> RegulationQuerySet:
        """Working regulations of the cells over which `user` holds `action`."""
        from chibo.orgs.access import unit_filter

        return self.filter(unit_filter(user, action, through="unit__"))


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

    objects = RegulationQuerySet.as_manager()

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


class CourseQuerySet(models.QuerySet["Course"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_MEMBERS) -> CourseQuerySet:
        """Courses organised by the units over which `user` holds `action`."""
        from chibo.orgs.access import unit_filter

        return self.filter(unit_filter(user, action, through="unit__"))


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

    objects = CourseQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[participants])

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:course", args=[self.pk])


class ThematicTopicQuerySet(models.QuerySet["ThematicTopic"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_UNIT) -> ThematicTopicQuerySet:
        """Topics that reach a unit `user` sees (chibo.content.access); for another
        `action`, those oriented by a unit over which the user holds it."""
        from chibo.content.access import topics_q
        from chibo.orgs.access import unit_filter

        if action == Perm.VIEW_UNIT:
            return self.filter(topics_q(user))
        return self.filter(unit_filter(user, action, through="unit__"))


class ThematicTopic(models.Model):
    """One topic of a unit's yearly thematic orientation (định hướng sinh hoạt chuyên đề),
    with the Hồ Chí Minh study content to go with it; cells below adopt it into one of their
    quarterly thematic meetings."""

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("oriented by")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    guidance = models.TextField(_("content and guidance"), blank=True)
    hcm_content = models.TextField(_("Hồ Chí Minh study content"), blank=True)
    quarter = models.PositiveSmallIntegerField(
        _("suggested quarter"), null=True, blank=True, choices=[(q, f"{q}") for q in (1, 2, 3, 4)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ThematicTopicQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("thematic topic")
        verbose_name_plural = _("thematic topics")
        ordering = ["year", "unit__path", "number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "number"], name="topic_number_once"),
            models.CheckConstraint(
                condition=models.Q(quarter__isnull=True) | models.Q(quarter__range=(1, 4)),
                name="topic_quarter_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}/{self.number}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("content:topic", args=[self.pk])


class TopicAdoption(models.Model):
    """A cell takes an oriented topic into its thematic meeting of one quarter; the meeting
    is named once it is planned."""

    topic = models.ForeignKey(ThematicTopic, on_delete=models.PROTECT, related_name="adoptions")
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("party cell")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), choices=[(q, f"{q}") for q in (1, 2, 3, 4)]
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("thematic meeting"),
    )
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    adopted_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("adopted topic")
        verbose_name_plural = _("adopted topics")
        ordering = ["year", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "topic"], name="topic_adopted_once"),
            models.UniqueConstraint(
                fields=["meeting"],
                condition=models.Q(meeting__isnull=False),
                name="topic_one_per_meeting",
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__range=(1, 4)), name="adoption_quarter_valid"
            ),
        ]
        indexes = [models.Index(fields=["unit", "year"], name="adoption_unit_year_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}Q{self.quarter}: {self.topic_id}"
