"""`chibo prune_submissions` forgets old submission tokens and keeps recent ones."""

from __future__ import annotations

import datetime
import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from chibo.lib.submissions.models import Submission

pytestmark = pytest.mark.django_db


def test_old_tokens_are_forgotten_and_recent_ones_kept() -> None:
    now = timezone.now()
    old = Submission.objects.create(token=uuid.uuid4(), created_at=now - datetime.timedelta(31))
    recent = Submission.objects.create(token=uuid.uuid4(), created_at=now - datetime.timedelta(1))
    out = io.StringIO()
    call_command("prune_submissions", stdout=out)
    assert "1 " in out.getvalue()
    assert not Submission.objects.filter(pk=old.pk).exists()
    assert Submission.objects.filter(pk=recent.pk).exists()
    with pytest.raises(CommandError):
        call_command("prune_submissions", days=0)
    assert Submission.objects.filter(pk=recent.pk).exists()
