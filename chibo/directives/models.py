"""Requests that go down the tree and the answers that come back up (plan, part III): a
unit's staff asks the units below for their implementing plan, their 6-month or year
report, the correction of findings; each recipient answers once, the sender reviews."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


class RequestKind(models.TextChoices):
    PLAN = "plan", _("Implementing plan")
    HALF_YEAR = "half_year", _("Six-month report")
    YEAR = "year", _("Year report")
    FINDINGS = "findings", _("Correct findings")
    OTHER = "other", _("Other")


class Template(models.TextChoices):
    FORM = "form", _("A form: figures computed by chibo and written parts")
    DOCUMENT = "document", _("A document to upload")


class Target(models.TextChoices):
    ALL = "all", _("Every unit directly below")
    KINDS = "kinds", _("Every unit of the chosen kinds below")
    LIST = "list", _("Chosen units")


class AnswerState(models.TextChoices):
    NEW = "new", _("Not started")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", _("Accepted")


# An answer still owed: nothing submitted yet (a returned answer was submitted once).
OWED = (AnswerState.NEW, AnswerState.DRAFT)
# Answers whose content the sender counts in the consolidated view.
COUNTED = (AnswerState.SUBMITTED, AnswerState.ACCEPTED)


class RequestQuerySet(models.QuerySet["Request"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_UNIT) -> RequestQuerySet:
        """Requests `user` may see: those of the units they send for (and oversee), and
        those addressed to a unit they answer for (chibo.directives.access)."""
        from chibo.directives.access import requests_q

        return self.filter(requests_q(user, action))


class Request(models.Model):
    """A request sent by a unit to units below it, with a due date and a template."""

    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RequestKind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("what is asked"), blank=True)
    due_on = models.DateField(_("due on"))
    period = models.CharField(
        _("period"),
        max_length=32,
        blank=True,
        help_text=_("The period the figures cover: 2026, 2026-H1, 2026-Q3…"),
    )
    template = models.CharField(_("template"), max_length=16, choices=Template.choices)
    target = models.CharField(_("sent to"), max_length=8, choices=Target.choices)
    kinds = models.ManyToManyField(
        "orgs.UnitKind", blank=True, related_name="+", verbose_name=_("unit kinds")
    )
    # Who the consolidated report goes to ("Nơi nhận"), one per line.
    report_recipients = models.TextField(_("consolidated report goes to"), blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    objects = RequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["unit", "due_on"], name="request_unit_due_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("directives:request", args=[self.pk])

    @property
    def recipients_list(self) -> list[str]:
        return [line.strip() for line in self.report_recipients.splitlines() if line.strip()]


class AnswerQuerySet(models.QuerySet["Answer"]):
    def visible_to(self, user: AnyUser, action: Perm = Perm.VIEW_UNIT) -> AnswerQuerySet:
        """Answers `user` may see: every answer to a request of a unit they send for, and
        the answers of the units they answer for (chibo.directives.access)."""
        from chibo.directives.access import answers_q

        return self.filter(answers_q(user, action))

    def late(self, today: datetime.date) -> AnswerQuerySet:
        """Answers not submitted by the due date (LATE: nothing submitted yet)."""
        return self.filter(state__in=OWED, request__due_on__lt=today)


class Answer(models.Model):
    """A recipient unit's one answer to a request: drafted, submitted, perhaps returned
    with a reason and submitted again, accepted."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="answers")
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=AnswerState.choices, default=AnswerState.NEW
    )
    # The figures chibo computed for the unit and the request's period (form template).
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    results = models.TextField(_("results"), blank=True)
    shortcomings = models.TextField(_("shortcomings and their causes"), blank=True)
    proposals = models.TextField(_("tasks ahead and proposals"), blank=True)
    file = models.FileField(_("document"), upload_to="answers/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_type = models.CharField(max_length=8, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    first_submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    return_reason = models.TextField(_("reason for returning"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    version = models.PositiveIntegerField(default=0)

    objects = AnswerQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["request", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["request", "unit"], name="answer_once_per_unit")
        ]
        indexes = [models.Index(fields=["unit", "state"], name="answer_unit_state_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} · {self.unit_id}"

    def get_absolute_url(self) -> str:
        return reverse("directives:answer", args=[self.pk])

    def is_late(self, today: datetime.date | None = None) -> bool:
        """LATE: past the due date with nothing submitted."""
        today = today or timezone.localdate()
        return self.state in OWED and self.request.due_on < today

    @property
    def submitted_late(self) -> bool:
        """First submitted after the due date."""
        if self.first_submitted_at is None:
            return False
        return timezone.localdate(self.first_submitted_at) > self.request.due_on


class Reminder(models.Model):
    """A reminder sent to a late recipient for one step of the reminder rule: the unique
    row is what keeps a retried worker from sending it twice."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="reminders")
    step = models.PositiveSmallIntegerField(_("days after the due date"))
    sent_at = models.DateTimeField(default=timezone.now)
    mails = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["answer", "step"], name="reminder_once_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.answer_id} +{self.step}"
