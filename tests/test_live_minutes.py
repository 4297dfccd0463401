"""The secretary's phone (issue 22): the minutes taken live on one page, saved as they are
typed with the meeting's version, and the attendance sheet with its rows and live counts."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chibo.lib.richtext import rich
from chibo.meetings import services
from chibo.meetings.models import Meeting, MeetingState, Speech, Task
from chibo.members.models import Member
from tests.factories import HX, D, all_present, grow_cell, planned

pytestmark = pytest.mark.django_db


def version_in(html: str) -> int:
    """The version the fragment hands back to the page (out of band)."""
    found = re.search(r'id="live-version" value="(\d+)" hx-swap-oob="true"', html)
    assert found, html
    return int(found.group(1))


def test_the_live_page_has_every_part_of_the_minutes_and_one_version(client_for) -> None:
    meeting = planned()
    html = client_for("bithu1").get(f"/meetings/{meeting.pk}/live/").content.decode()
    assert html.count('id="live-version"') == 1
    for item in meeting.items.all():
        assert f'id="t-item_{item.pk}"' in html
    for part in ("t-conclusion", "t-resolution", "live-vote", "live-tasks", "attendance-form"):
        assert f'id="{part}"' in html
    assert 'hx-trigger="input changed delay:1s"' in html
    assert (
        f'href="/meetings/{meeting.pk}/live/"'
        in client_for("bithu1").get(f"/meetings/{meeting.pk}/").content.decode()
    )


def test_autosave_saves_and_hands_the_new_version_to_the_page(client_for) -> None:
    meeting = planned()
    item = meeting.items.get(order=1)
    client = client_for("bithu1")
    url = f"/meetings/{meeting.pk}/live/text/"
    response = client.post(
        url, {"field": f"item_{item.pk}", "text": "Ghi chép", "version": 1}, **HX
    )
    html = response.content.decode()
    assert "đã lưu" in html
    assert version_in(html) == 2
    # The second field typed goes with the version the first save handed back.
    html = client.post(url, {"field": "conclusion", "text": "Kết luận", "version": 2}, **HX)
    assert version_in(html.content.decode()) == 3
    meeting.refresh_from_db()
    item.refresh_from_db()
    assert (item.notes, meeting.conclusion, meeting.state) == (
        "Ghi chép",
        "Kết luận",
        MeetingState.HELD,
    )


def test_autosave_refuses_a_stale_version_and_shows_both_texts(client_for) -> None:
    meeting = planned()
    client = client_for("bithu1")
    url = f"/meetings/{meeting.pk}/live/text/"
    # Another device saves the resolution first.
    services.save_minutes(
        meeting=meeting, data={"resolution": "Văn bản đã lưu"}, item_notes={}, by=None, version=1
    )
    html = client.post(
        url, {"field": "resolution", "text": "Văn bản tôi gõ", "version": 1}, **HX
    ).content.decode()
    assert "thiết bị khác" in html
    assert "Văn bản đã lưu" in html
    assert "Văn bản tôi gõ" in html
    assert 'hx-swap-oob="true"' not in html  # the page keeps its version until one is chosen
    meeting.refresh_from_db()
    assert meeting.resolution == "Văn bản đã lưu"
    # Keeping one's text is a conscious choice, sent with the version now current.
    html = client.post(
        url, {"field": "resolution", "text": "Văn bản tôi gõ", "version": meeting.version}, **HX
    ).content.decode()
    meeting.refresh_from_db()
    assert meeting.resolution == "Văn bản tôi gõ"
    # Or the saved text is taken back into the field, with the version.
    html = client.get(url, {"field": "resolution"}, **HX).content.decode()
    assert "Văn bản tôi gõ" in html
    assert version_in(html) == meeting.version


def test_a_stale_head_shows_both_values_and_keeps_mine_at_the_newer_version(client_for) -> None:
    meeting = planned()
    members = [m for m, _row in services.attendance_roster(meeting)]
    other, mine = members[0], members[1]
    # Another device records the chair first.
    services.save_minutes(meeting=meeting, data={"chair": other}, item_notes={}, by=None, version=1)
    client = client_for("bithu1")
    url = f"/meetings/{meeting.pk}/live/head/"
    typed = {"chair": mine.pk, "minutes_secretary": "", "started_at": "", "ended_at": ""}
    response = client.post(url, {**typed, "version": 1}, **HX)
    html = response.content.decode()
    assert response["X-Chibo-Refused"] == "stale"
    assert "thiết bị khác" in html
    assert other.full_name in html  # both, side by side
    assert mine.full_name in html
    assert 'hx-swap-oob="true"' not in html
    meeting.refresh_from_db()
    assert meeting.chair == other
    # "Keep mine" sends the typed values again with the version now current.
    version = int(re.search(r'name="version" value="(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert version == meeting.version
    assert f'name="chair" value="{mine.pk}"' in html
    html = client.post(url, {**typed, "version": version}, **HX).content.decode()
    assert version_in(html) == version + 1
    meeting.refresh_from_db()
    assert meeting.chair == mine


def test_speakers_are_picked_from_the_members_present_most_recent_first(client_for) -> None:
    meeting = planned()
    entries = all_present(meeting)
    members = [m for m, _row in services.attendance_roster(meeting)]
    absent = members[-1]
    entries[absent.pk] = ("absent_unexcused", "")
    services.record_attendance(meeting=meeting, entries=entries, by=None)
    item = meeting.items.get(order=1)
    client = client_for("bithu1")
    url = f"/meetings/{meeting.pk}/live/speech/"
    data = {"item": item.pk, "member": members[2].pk, "gist": "Ý kiến", "version": 2}
    html = client.post(url, data, **HX).content.decode()
    assert version_in(html) == 3
    assert Speech.objects.filter(item=item, member=members[2]).exists()
    options = re.findall(r'<option value="(\d+)"', html)
    assert options[0] == str(members[2].pk)  # who spoke last comes first
    assert str(absent.pk) not in options
    # Someone absent is refused, on the field; nothing is saved.
    data = {"item": item.pk, "member": absent.pk, "gist": "Ý kiến", "version": 3}
    html = client.post(url, data, **HX).content.decode()
    assert 'aria-invalid="true"' in html
    assert not Speech.objects.filter(member=absent).exists()


def test_vote_and_tasks_are_added_inline_with_the_figures(client_for) -> None:
    meeting = planned()
    services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    counts = meeting.attendance_counts()
    client = client_for("bithu1")
    html = client.post(
        f"/meetings/{meeting.pk}/live/vote/",
        {"votes_for": counts.denominator, "votes_against": 0, "votes_abstain": 0, "version": 2},
        **HX,
    ).content.decode()
    assert f"biểu quyết: {counts.denominator};" in html
    assert f"trong đó có mặt: {counts.voters_present}" in html
    assert version_in(html) == 3
    owner = Member.objects.get(user__username="dangvien1")
    html = client.post(
        f"/meetings/{meeting.pk}/live/task/",
        {"title": "Việc một", "owner": owner.pk, "deadline": "2026-04-01", "version": 3},
        **HX,
    ).content.decode()
    assert "Việc một" in html
    assert version_in(html) == 4
    html = client.post(
        f"/meetings/{meeting.pk}/live/task/",
        {"title": "Việc hai", "deadline": "2026-04-01", "version": 4},
        **HX,
    ).content.decode()
    assert 'aria-invalid="true"' in html  # no owner: said on the field
    assert Task.objects.filter(meeting=meeting).count() == 1


def test_attendance_errors_are_marked_on_their_row(client_for) -> None:
    meeting = planned()
    members = [m for m, _row in services.attendance_roster(meeting)]
    data: dict[str, object] = {"version": 1}
    for m in members:
        data[f"status_{m.pk}"] = "present"
        data[f"reason_{m.pk}"] = ""
    data[f"status_{members[1].pk}"] = "absent_excused"
    html = client_for("bithu1").post(f"/meetings/{meeting.pk}/attendance/", data).content.decode()
    row = re.search(
        rf'<fieldset class="att-row invalid" id="att-{members[1].pk}">.*?</fieldset>', html, re.S
    )
    assert row, html
    assert f'aria-describedby="att-{members[1].pk}-error"' in row.group(0)
    assert 'aria-invalid="true"' in row.group(0)
    assert f'id="att-{members[1].pk}-error"' in row.group(0)
    assert html.count('aria-invalid="true"') == row.group(0).count('aria-invalid="true"')
    assert not meeting.attendance.exists()


def test_attendance_choices_are_radio_buttons_with_full_labels(client_for) -> None:
    meeting = planned()
    html = client_for("bithu1").get(f"/meetings/{meeting.pk}/attendance/").content.decode()
    assert "<select" not in html
    assert "Vắng có lý do" in html
    assert "Vắng không lý do" in html
    assert html.count('type="radio"') >= 7 * len(services.attendance_roster(meeting))


def test_attendance_counts_update_from_the_form_without_saving(client_for) -> None:
    meeting = planned()
    members = [m for m, _row in services.attendance_roster(meeting)]
    data = {f"status_{m.pk}": "present" for m in members}
    data[f"status_{members[0].pk}"] = "absent_excused"
    html = (
        client_for("bithu1")
        .post(f"/meetings/{meeting.pk}/attendance/counts/", data, **HX)
        .content.decode()
    )
    present = re.search(r"<strong>(\d+)</strong>có mặt", html)
    assert present
    assert int(present.group(1)) == len(members) - 1
    assert not meeting.attendance.exists()


def test_attendance_saved_from_the_live_page_returns_the_form_and_version(client_for) -> None:
    meeting = planned()
    data: dict[str, object] = {"version": 1}
    for m, _row in services.attendance_roster(meeting):
        data[f"status_{m.pk}"] = "present"
        data[f"reason_{m.pk}"] = ""
    response = client_for("bithu1").post(f"/meetings/{meeting.pk}/attendance/", data, **HX)
    assert response.status_code == 200
    assert version_in(response.content.decode()) == 2
    assert meeting.attendance.count() == len(data) // 2


def test_attendance_counts_mid_meeting_read_the_whole_roster(client_for) -> None:
    meeting = planned()
    roster = services.attendance_roster(meeting)
    first = roster[0][0]
    services.record_attendance(meeting=meeting, entries={first.pk: ("present", "")}, by=None)
    html = client_for("bithu1").get(f"/meetings/{meeting.pk}/").content.decode()
    official = re.search(r"<strong>(\d+)</strong>chính thức", html)
    assert official
    assert int(official.group(1)) > 1
    assert "chưa ghi nhận" in html


def test_resolution_line_breaks_are_kept() -> None:
    assert str(rich("Một\nHai\n\nBa")) == "<p>Một<br>Hai</p><p>Ba</p>"
    assert str(rich("<p>x</p>\n<p>y</p>")) == "<p>x</p>\n<p>y</p>"


def test_approving_from_the_live_page_says_what_is_missing_there(client_for) -> None:
    meeting = planned()
    response = client_for("bithu1").post(f"/meetings/{meeting.pk}/approve/", {"version": 1}, **HX)
    assert "HX-Redirect" not in response
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "điểm danh" in html.lower()
    meeting.refresh_from_db()
    assert meeting.state != MeetingState.APPROVED


def test_the_score_links_lead_each_reader_to_a_page_they_may_open(client_for) -> None:
    meeting = planned()
    services.save_minutes(meeting=meeting, data={}, item_notes={}, by=None)
    url = f"/meetings/{meeting.pk}/"
    cell_page = client_for("bithu1").get(url).content.decode()
    assert f"/meetings/{meeting.pk}/score/" in cell_page
    upper = client_for("uyvien1").get(url).content.decode()
    assert f'href="/meetings/{meeting.pk}/score/confirm/"' in upper
    assert f'href="/meetings/{meeting.pk}/score/"' not in upper
    for username in ("uyvien1", "bantochuc", "dangvien1", "bithu1"):
        client = client_for(username)
        html = client.get(url).content.decode()
        for link in set(re.findall(rf'href="(/meetings/{meeting.pk}/score/[^"]*)"', html)):
            assert client.get(link).status_code == 200, (username, link)


def test_the_live_page_is_closed_to_members_and_to_approved_minutes(client_for) -> None:
    meeting = planned()
    assert client_for("dangvien1").get(f"/meetings/{meeting.pk}/live/").status_code == 404
    Meeting.objects.filter(pk=meeting.pk).update(state=MeetingState.APPROVED)
    assert client_for("bithu1").get(f"/meetings/{meeting.pk}/live/").status_code == 404


def test_the_live_page_uses_the_same_queries_with_more_items_and_speakers(client_for) -> None:
    meeting = planned(day=D(2026, 3, 5))
    client = client_for("bithu1")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/meetings/{meeting.pk}/live/").status_code == 200
        return len(captured)

    before = queries()
    grow_cell("X001.01", 10)
    services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    members = [m for m, _row in services.attendance_roster(meeting)]
    for n in range(3):
        item = services.add_agenda_item(meeting=meeting, title=f"Mục {n}", kind="other", by=None)
        for member in members[:4]:
            services.add_speech(item=item, member=member, gist="Ý kiến", by=None)
    owner = Member.objects.get(user__username="dangvien1")
    for n in range(3):
        services.add_task(
            meeting=meeting,
            title=f"Việc {n}",
            deadline=datetime.date(2026, 4, 1),
            owner=owner,
            by=None,
        )
    assert queries() == before


def test_the_chair_secretary_and_times_are_saved_as_they_change(client_for) -> None:
    meeting = planned()
    members = [m for m, _row in services.attendance_roster(meeting)]
    client = client_for("bithu1")
    data = {
        "chair": members[0].pk,
        "minutes_secretary": members[1].pk,
        "started_at": "2026-03-05T19:00",
        "ended_at": "2026-03-05T18:00",
        "version": 1,
    }
    html = client.post(f"/meetings/{meeting.pk}/live/head/", data, **HX).content.decode()
    assert 'role="alert"' in html  # ends before it starts: refused, said
    assert not Meeting.objects.filter(pk=meeting.pk, chair__isnull=False).exists()
    data["ended_at"] = "2026-03-05T20:45"
    html = client.post(f"/meetings/{meeting.pk}/live/head/", data, **HX).content.decode()
    assert version_in(html) == 2
    meeting.refresh_from_db()
    assert (meeting.chair_id, meeting.minutes_secretary_id) == (members[0].pk, members[1].pk)
