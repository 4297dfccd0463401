"""Audit integrity: approved minutes, confirmed scores and decided classifications carry a
seal printed on their documents; a change made behind the application's back no longer
matches it; amendments are sealed in turn; the admin cannot rewrite any of it."""

from __future__ import annotations

import io

import docx
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from chibo.lib import seal
from chibo.meetings import seals, services
from chibo.meetings.models import Meeting
from chibo.scoring import seals as scoring_seals
from chibo.scoring import services as scoring
from chibo.scoring.classification import rate
from chibo.scoring.models import AnnualRating, MeetingScore
from tests.factories import complete, planned

pytestmark = pytest.mark.django_db


def approved() -> Meeting:
    meeting = complete(planned())
    services.approve_minutes(meeting=meeting, by=None)
    return meeting


def docx_text(content: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


def test_approved_minutes_are_sealed_and_the_seal_is_printed(client_for) -> None:
    meeting = approved()
    assert len(meeting.minutes_seal) == 64
    status = seals.status(Meeting.objects.get(pk=meeting.pk))
    assert status is not None
    assert status.intact
    client = client_for("bithu1")
    code = seal.display(meeting.minutes_seal)
    assert code in client.get(meeting.get_absolute_url()).content.decode()
    document = client.get(f"/meetings/{meeting.pk}/minutes.docx")
    assert code in docx_text(document.content)
    page = client.get(f"/meetings/{meeting.pk}/seal/").content.decode()
    assert "matches its seal" in page or "khớp" in page


def test_minutes_changed_behind_the_application_no_longer_match(client_for) -> None:
    meeting = approved()
    Meeting.objects.filter(pk=meeting.pk).update(conclusion="<p>Sửa lén</p>")
    status = seals.status(Meeting.objects.get(pk=meeting.pk))
    assert status is not None
    assert status.sealed
    assert not status.intact
    page = client_for("bithu1").get(f"/meetings/{meeting.pk}/seal/").content.decode()
    assert status.current in page
    assert meeting.minutes_seal in page
    # So does an attendance row changed by hand.
    Meeting.objects.filter(pk=meeting.pk).update(conclusion=meeting.conclusion)
    assert seals.status(Meeting.objects.get(pk=meeting.pk)).intact  # type: ignore[union-attr]
    row = meeting.attendance.first()
    assert row is not None
    type(row).objects.filter(pk=row.pk).update(status="absent_unexcused")
    assert not seals.status(Meeting.objects.get(pk=meeting.pk)).intact  # type: ignore[union-attr]
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("seals", stdout=out)
    assert f"/meetings/{meeting.pk}/" in out.getvalue()


def test_an_amendment_is_sealed_and_its_history_kept(cast: dict[str, User]) -> None:
    meeting = approved()
    first = meeting.minutes_seal
    amendment = services.amend_minutes(
        meeting=meeting,
        field="resolution",
        text="<p>Nghị quyết tháng 3 (đính chính)</p>",
        reason="Sai số liệu",
        by=cast["bithu1"],
    )
    assert amendment.seal
    assert amendment.seal != first
    fresh = Meeting.objects.get(pk=meeting.pk)
    assert fresh.minutes_seal == first  # the approval's seal stays as it was
    status = seals.status(fresh)
    assert status is not None
    assert status.intact
    assert status.seal == amendment.seal
    # Deleting the amendment behind the application's back shows.
    type(amendment).objects.filter(pk=amendment.pk).delete()
    assert not seals.status(Meeting.objects.get(pk=meeting.pk)).intact  # type: ignore[union-attr]


def test_a_confirmed_score_is_sealed(cast: dict[str, User], client_for) -> None:
    meeting = complete(planned())
    scoring.propose_score(
        meeting=meeting, judged={}, members_for=5, members_against=0, by=cast["bithu1"]
    )
    assert scoring_seals.score_status(MeetingScore.objects.get(meeting=meeting)) is None
    scoring.confirm_score(meeting=meeting, judged={}, comment="Đạt", by=cast["uyvien1"])
    score = MeetingScore.objects.get(meeting=meeting)
    status = scoring_seals.score_status(score)
    assert status is not None
    assert status.intact
    page = client_for("bithu1").get(f"/meetings/{meeting.pk}/score/").content.decode()
    assert seal.display(score.seal) in page
    MeetingScore.objects.filter(pk=score.pk).update(upper_total=99)
    status = scoring_seals.score_status(MeetingScore.objects.get(pk=score.pk))
    assert status is not None
    assert not status.intact
    assert "no longer matches" in client_for("bithu1").get(
        f"/meetings/{meeting.pk}/score/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode() or "không còn khớp" in (
        client_for("bithu1").get(f"/meetings/{meeting.pk}/score/").content.decode()
    )


def test_a_decided_classification_is_sealed(cast: dict[str, User]) -> None:
    from chibo.orgs.models import Unit

    unit = Unit.objects.get(code="X001.01")
    complete(planned())  # a cell that held no meeting can only be "did not complete tasks"
    rate(unit=unit, year=2026, step="self", level="good", by=cast["bithu1"])
    rating, _ = rate(unit=unit, year=2026, step="verify", level="good", by=cast["bantochuc"])
    assert not rating.seal
    rating, _ = rate(unit=unit, year=2026, step="decide", level="good", by=cast["uyvien1"])
    status = scoring_seals.rating_status(AnnualRating.objects.get(pk=rating.pk))
    assert status is not None
    assert status.intact
    AnnualRating.objects.filter(pk=rating.pk).update(decided_level="excellent")
    status = scoring_seals.rating_status(AnnualRating.objects.get(pk=rating.pk))
    assert status is not None
    assert not status.intact


@pytest.mark.parametrize(
    "model",
    ["meetings/meeting", "scoring/meetingscore", "members/member", "supervision/workinggroup"],
)
def test_the_admin_cannot_change_or_delete_records(model: str, client_for) -> None:
    meeting = approved()
    scoring.propose_score(meeting=meeting, judged={}, members_for=5, members_against=0, by=None)
    app, name = model.split("/")
    from django.apps import apps

    obj = apps.get_model(app, name).objects.order_by("pk").first()
    assert obj is not None
    client = client_for("admin")
    base = f"/admin/{app}/{name}/{obj.pk}"
    page = client.get(f"{base}/change/")
    assert page.status_code == 200  # readable…
    assert 'name="_save"' not in page.content.decode()  # …but not editable
    assert client.post(f"{base}/change/", {"conclusion": "x"}).status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"/admin/{app}/{name}/add/").status_code == 403
    history = obj.history.order_by("history_id").first()
    # The history can be read but not "reverted to" (which would rewrite the record).
    revert = client.get(f"{base}/history/{history.history_id}/")
    assert revert.status_code in (200, 403)
    assert 'name="_save"' not in revert.content.decode()


def test_staff_without_the_view_permission_read_no_records_in_the_admin(cast) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    client = Client()
    client.force_login(clerk)
    for model in ("members/member", "meetings/meeting", "scoring/meetingscore"):
        assert client.get(f"/admin/{model}/").status_code == 403, model


def test_the_tasks_of_the_resolution_are_part_of_the_seal(
    cast: dict[str, User], client_for
) -> None:
    """A task is what the resolution decided: one changed after approval (its title, owner
    or deadline) shows as CHANGED, in `chibo seals` and on the meeting page; its progress,
    reported afterwards, is not the minutes and changes nothing."""
    meeting = complete(planned())
    task = services.add_task(
        meeting=meeting,
        title="Vận động hội viên",
        deadline=meeting.month.replace(day=28),
        owned_by_committee=True,
        by=None,
    )
    services.approve_minutes(meeting=meeting, by=None)
    services.update_task(task=task, status="in_progress", progress="Đã gặp 3 hộ", by=None)
    assert seals.status(Meeting.objects.get(pk=meeting.pk)).intact  # type: ignore[union-attr]
    call_command("seals", stdout=io.StringIO())
    type(task).objects.filter(pk=task.pk).update(deadline=meeting.month.replace(day=1))
    status = seals.status(Meeting.objects.get(pk=meeting.pk))
    assert status is not None
    assert status.sealed
    assert not status.intact
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("seals", stdout=out)
    assert f"CHANGED X001.01 /meetings/{meeting.pk}/" in out.getvalue()
    page = client_for("bithu1").get(meeting.get_absolute_url()).content.decode()
    assert "no longer match their seal" in page or "không còn khớp" in page


def test_a_seal_made_before_tasks_were_sealed_stays_verifiable(cast: dict[str, User]) -> None:
    """Seals of the first format (no tasks) still match the minutes they sealed, and still
    show a change to what they covered."""
    meeting = complete(planned())
    services.approve_minutes(meeting=meeting, by=None)
    old = seal.digest(seals.minutes_content(meeting, format=1))
    assert old != meeting.minutes_seal
    Meeting.objects.filter(pk=meeting.pk).update(minutes_seal=old)
    assert seals.status(Meeting.objects.get(pk=meeting.pk)).intact  # type: ignore[union-attr]
    call_command("seals", stdout=io.StringIO())
    Meeting.objects.filter(pk=meeting.pk).update(conclusion="<p>Sửa lén</p>")
    assert not seals.status(Meeting.objects.get(pk=meeting.pk)).intact  # type: ignore[union-attr]
