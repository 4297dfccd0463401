"""Which form submission created which record (chibo.lib.submissions)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Submission(models.Model):
    """A form submission that created a record: the token the form carried and what it
    made (chibo.lib.submissions), so that the same submission sent again finds the record
    instead of making a second one."""

    token = models.UUIDField(primary_key=True)
    model = models.CharField(max_length=100, blank=True)
    object_pk = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "submission"

    def __str__(self) -> str:
        return f"{self.token} → {self.model} {self.object_pk}"
