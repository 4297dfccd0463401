"""Votes (QĐ 24-QĐ/TW 9.3.2) and the member statuses that change them (docs/rules.md, VOTE-
and STATUS-)."""

from __future__ import annotations

import datetime
import io
import json
import random
from datetime import date as D
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from chibo.development import services as development
from chibo.development.models import Candidate, Stage
from chibo.lib.audit import AuditScope
from chibo.meetings import audit, services
from chibo.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingRules,
    MeetingState,
    MeetingStats,
)
from chibo.meetings.stats import refresh as refresh_stats
from chibo.meetings.votes import (
    VoteRoll,
    counts_for_vote,
    expected_to_attend,
    personnel_vote_passed,
    vote_errors,
    vote_roll,
)
from chibo.members import services as member_services
from chibo.members.models import Change, Member, MemberStatus, PersonnelVote, PersonnelVoteKind
from chibo.orgs.models import Unit
from chibo.scoring import classification
from chibo.scoring import services as scoring
from chibo.scoring.engine import FactsError, facts_from_json
from tests.factories import MARCH_5, all_present, cell, complete, planned

pytestmark = pytest.mark.django_db


def officials_of(meeting: Meeting) -> list[Member]:
    return [
        m for m, _row in services.attendance_roster(meeting) if m.status == MemberStatus.OFFICIAL
    ]


# -- the rule -------------------------------------------------------------------------------


def test_the_denominator_leaves_out_whom_qd_24_names() -> None:
    people = [
        ("official", "present"),
        ("official", "absent_unexcused"),  # counts, cannot vote
        ("official", "absent_excused"),  # approved reason: out
        ("probationary", "present"),  # never votes
        ("exempted", "present"),  # counts when present
        ("exempted", "absent_excused"),  # out when absent
        ("attached_elsewhere", "absent_excused"),
        ("suspended", "absent_excused"),
        ("detained", "absent_excused"),
        ("special_duty", "absent_excused"),
        ("special_duty", "present"),
    ]
    assert vote_roll(people) == VoteRoll(denominator=4, voters_present=3)
    assert not counts_for_vote("suspended", "present")


def test_votes_cast_never_exceed_the_official_members_present_who_may_vote() -> None:
    roll = VoteRoll(denominator=20, voters_present=9)
    assert vote_errors({"votes_for": 9, "votes_against": 0, "votes_abstain": 0}, roll) == {}
    assert "votes_for" in vote_errors({"votes_for": 12, "votes_against": 0}, roll)
    assert list(vote_errors({"votes_for": 1, "votes_against": -3}, roll)) == ["votes_against"]


def test_admission_and_recognition_need_two_thirds_of_the_official_members() -> None:
    assert personnel_vote_passed(6, 9)
    assert not personnel_vote_passed(6, 10)
    assert personnel_vote_passed(7, 10)
    assert not personnel_vote_passed(0, 0)


# -- the meeting ----------------------------------------------------------------------------


def test_probationary_members_present_do_not_make_room_for_more_votes() -> None:
    meeting = planned()
    officials = officials_of(meeting)
    entries = all_present(meeting)
    away = officials[: len(officials) // 2]
    for member in away:
        entries[member.pk] = (AttendanceStatus.ABSENT_UNEXCUSED, "")
    services.record_attendance(meeting=meeting, entries=entries, by=None)
    counts = meeting.attendance_counts()
    assert counts.probationary > 0
    assert counts.voters_present == len(officials) - len(away)
    assert counts.present == counts.voters_present + counts.probationary
    with pytest.raises(ValidationError) as refused:
        services.record_vote(
            meeting=meeting, votes_for=counts.present, against=0, abstain=0, by=None
        )
    assert "votes_for" in refused.value.message_dict
    with pytest.raises(ValidationError) as negative:
        services.record_vote(meeting=meeting, votes_for=1, against=-3, abstain=0, by=None)
    assert "votes_against" in negative.value.message_dict
    meeting.refresh_from_db()
    assert meeting.votes_for is None
    services.record_vote(
        meeting=meeting, votes_for=counts.voters_present, against=0, abstain=0, by=None
    )


def test_the_vote_form_shows_both_figures_and_names_the_field_it_refuses(client_for) -> None:
    meeting = planned()
    services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    counts = meeting.attendance_counts()
    secretary = client_for("bithu1")
    page = secretary.get(f"/meetings/{meeting.pk}/vote/").content.decode()
    assert f"9.3.2): {counts.denominator};" in page
    assert f"{counts.voters_present}." in page
    response = secretary.post(
        f"/meetings/{meeting.pk}/vote/",
        {"version": meeting.version, "votes_for": counts.present, "votes_against": 0,
         "votes_abstain": 0},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"votes_for"}
    meeting.refresh_from_db()
    assert meeting.votes_for is None


def test_minutes_and_engine_count_the_same_denominator_when_a_row_is_marked_exempted() -> None:
    meeting = planned()
    entries = all_present(meeting)
    marked = officials_of(meeting)[0]
    # An official member marked exempted on the sheet is absent for that reason.
    entries[marked.pk] = (AttendanceStatus.EXEMPTED, "")
    services.record_attendance(meeting=meeting, entries=entries, by=None)
    counts = meeting.attendance_counts()
    facts = scoring.facts_from_meeting(meeting)
    assert counts.denominator == facts.vote_denominator == len(officials_of(meeting)) - 1


def test_the_members_vote_on_the_score_is_held_to_the_same_roll() -> None:
    meeting = complete(planned())
    voters = meeting.attendance_counts().voters_present
    with pytest.raises(ValidationError) as refused:
        scoring.propose_score(
            meeting=meeting, judged={}, members_for=voters + 1, members_against=0, by=None
        )
    assert "members_for" in refused.value.message_dict


# -- chibo score ----------------------------------------------------------------------------


def score_input(**vote: int) -> dict[str, object]:
    return {
        "kind": "regular",
        "members": [{"status": "official", "attendance": "present"}] * 7,
        "vote": vote,
    }


@pytest.mark.parametrize(
    ("vote", "key"),
    [({"for": 100}, "vote.for"), ({"for": 3, "against": -3}, "vote.against"),
     ({"for": 4, "against": 4}, "vote.for")],
)  # fmt: skip
def test_chibo_score_refuses_impossible_votes_naming_the_key(
    tmp_path: Path, vote: dict[str, int], key: str
) -> None:
    with pytest.raises(FactsError, match=key):
        facts_from_json(score_input(**vote))
    path = tmp_path / "meeting.json"
    path.write_text(json.dumps(score_input(**vote)), encoding="utf-8")
    with pytest.raises(CommandError, match=key) as error:
        call_command("score", str(path), stdout=io.StringIO())
    assert error.value.returncode == 1


def test_chibo_score_leaves_suspended_detained_and_special_duty_out_of_the_rate() -> None:
    facts = facts_from_json(
        {
            "kind": "regular",
            "members": [{"status": "official", "attendance": "present"}] * 6
            + [
                {"status": s, "attendance": "absent_excused"}
                for s in ("suspended", "detained", "special_duty", "exempted")
            ],
            "vote": {"for": 6},
        }
    )
    assert facts.attendance_rate == 1.0
    assert facts.vote_denominator == 6


# -- member statuses ------------------------------------------------------------------------


def test_a_suspension_is_recorded_with_its_decision_and_ended_with_history(cast) -> None:
    member = Member.objects.get(user__username="dangvien1")
    was = member.status
    member_services.record_away_status(
        member=member,
        status=MemberStatus.SUSPENDED,
        on=D(2026, 3, 1),
        decision="12-QĐ/UBKT",
        decision_on=D(2026, 2, 25),
        reason="Đang bị khởi tố",
        by=cast["bithu1"],
    )
    assert member.status == MemberStatus.SUSPENDED
    assert member.is_active
    period = member.periods.get(ended_on__isnull=True)
    assert (period.change, period.decision, period.decision_on, period.started_on) == (
        Change.SUSPENDED, "12-QĐ/UBKT", D(2026, 2, 25), D(2026, 3, 1)
    )  # fmt: skip
    member_services.end_away_status(member=member, on=D(2026, 9, 1), by=cast["bithu1"])
    assert member.status == was
    period.refresh_from_db()
    assert period.ended_on == D(2026, 9, 1)
    assert member.history.count() >= 3
    with pytest.raises(ValidationError) as refused:
        member_services.record_away_status(
            member=member, status=MemberStatus.DETAINED, on=D(2026, 10, 1), decision=" ",
            decision_on=D(2026, 10, 1), by=None,
        )  # fmt: skip
    assert "decision" in refused.value.message_dict


def test_the_member_page_records_and_ends_a_status_for_record_keepers(client_for) -> None:
    member = Member.objects.get(user__username="dangvien1")
    secretary = client_for("bithu1")
    url = f"/members/{member.pk}/away/"
    refused = secretary.post(url, {"on": "2026-03-01", "status": "detained", "decision": ""})
    assert refused.status_code == 200
    assert "decision" in refused.context["form"].errors
    done = secretary.post(
        url,
        {"on": "2026-03-01", "status": "detained", "decision": "5-QĐ/CA",
         "decision_on": "2026-02-28"},
    )  # fmt: skip
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.status == MemberStatus.DETAINED
    page = secretary.get(f"/members/{member.pk}/").content.decode()
    assert "5-QĐ/CA, 28/02/2026" in page
    assert secretary.post(f"/members/{member.pk}/return/", {"on": "2026-06-01"}).status_code == 302
    member.refresh_from_db()
    assert member.status in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY)
    assert client_for("dangvien1").get(url).status_code == 404


def suspend(member: Member, status: str = MemberStatus.SUSPENDED, on: D = MARCH_5) -> None:
    member_services.record_away_status(
        member=member, status=status, on=on, decision="1-QĐ", decision_on=on, by=None
    )


def test_the_status_on_the_day_reaches_the_row_and_leaves_the_denominator() -> None:
    meeting = planned()
    officials = officials_of(meeting)
    suspended, detained, on_duty = officials[:3]
    suspend(suspended)
    suspend(detained, MemberStatus.DETAINED)
    suspend(on_duty, MemberStatus.SPECIAL_DUTY)
    entries = all_present(meeting)
    assert entries[suspended.pk][0] == AttendanceStatus.ABSENT_EXCUSED
    with pytest.raises(ValidationError, match=r"cannot attend|không thể"):
        services.record_attendance(
            meeting=meeting,
            entries={**entries, detained.pk: (AttendanceStatus.PRESENT, "")},
            by=None,
        )
    services.record_attendance(meeting=meeting, entries=entries, by=None)
    rows = {r.member_id: r for r in meeting.attendance.all()}
    assert rows[suspended.pk].member_status == MemberStatus.SUSPENDED
    assert rows[detained.pk].member_status == MemberStatus.DETAINED
    assert rows[on_duty.pk].member_status == MemberStatus.SPECIAL_DUTY
    counts = meeting.attendance_counts()
    assert counts.away == 3
    assert counts.denominator == len(officials) - 3
    facts = scoring.facts_from_meeting(meeting)
    assert facts.attendance_rate == 1.0  # none of the three is expected
    assert facts.vote_denominator == counts.denominator


def test_which_statuses_leave_the_attendance_rate_is_a_province_setting_with_a_date() -> None:
    """STATUS-2: the province may count suspended members in the attendance rate (the
    documented default leaves them out); the change applies from its effective date, in
    the engine, the rollups, compliance and the classification alike."""
    meeting = planned()
    officials = officials_of(meeting)
    suspend(officials[0])
    services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    services.save_minutes(meeting=meeting, data={}, item_notes={}, by=None)
    root = Unit.objects.get(code="LV")

    def figures() -> tuple[float, int, int]:
        facts = scoring.facts_from_meeting(meeting)
        stats = MeetingStats.objects.get(meeting=meeting)
        record = classification.member_record(officials[0], 2026)
        return facts.attendance_rate, stats.expected, record.expected

    rate, in_rollup, member_expected = figures()
    assert (rate, member_expected) == (1.0, 0)
    # Set from a day after the meeting: the meeting keeps the rules then in force; the
    # year's classification reads the rules in force at the year's end.
    rules = MeetingRules.objects.create(
        unit=root, attendance_left_out=["detained"], effective_from=D(2026, 6, 1)
    )
    refresh_stats(meeting)
    assert figures() == (1.0, in_rollup, 1)
    # In force from before the meeting: the suspended member counts, absent with a reason.
    rules.effective_from = D(2026, 1, 1)
    rules.save()
    refresh_stats(meeting)
    rate, in_rollup_after, member_expected = figures()
    assert rate < 1.0
    assert in_rollup_after == in_rollup + 1
    assert member_expected == 1
    assert expected_to_attend(MemberStatus.SUSPENDED, rules.not_expected())
    with pytest.raises(ValidationError):
        MeetingRules(unit=root, attendance_left_out=["exempted"]).full_clean()


def test_a_suspended_member_cannot_check_in() -> None:
    meeting = services.plan_meeting(
        unit=cell(),
        kind=MeetingKind.REGULAR,
        scheduled_at=timezone.now() - datetime.timedelta(minutes=5),
        place="Hội trường",
        by=None,
    )
    member = Member.objects.get(user__username="dangvien1")
    suspend(member, on=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.check_in(meeting=meeting, member=member, by=None)
    assert not meeting.attendance.filter(member=member).exists()


def test_meetings_missed_while_suspended_are_not_absences_for_classification() -> None:
    member = Member.objects.get(user__username="dangvien1")
    meetings = [planned(day=D(2026, month, 5)) for month in (1, 2, 3, 4, 5)]
    for meeting in meetings[:2]:
        services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
        services.save_minutes(meeting=meeting, data={}, item_notes={}, by=None)
    suspend(member, on=D(2026, 3, 1))
    for meeting in meetings[2:]:
        services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
        services.save_minutes(meeting=meeting, data={}, item_notes={}, by=None)
    record = classification.member_record(member, 2026)
    assert (record.expected, record.longest_absence) == (2, 0)
    last = scoring.facts_from_meeting(meetings[-1])
    assert all(m.consecutive_absences_before == 0 for m in last.members)


# -- admission and recognition --------------------------------------------------------------


def test_the_cells_admission_resolution_is_refused_below_two_thirds() -> None:
    unit = cell()
    roll = development.personnel_roll_on(unit, D(2026, 5, 10))
    assert roll == Member.objects.filter(unit=unit, status=MemberStatus.OFFICIAL).count()

    def vote(votes_for: int | None, against: int | None = 0) -> PersonnelVote:
        return member_services.record_personnel_vote(
            unit=unit,
            kind=PersonnelVoteKind.ADMISSION,
            on=D(2026, 5, 10),
            subject="Nguyễn Văn Mới",
            votes_for=votes_for,
            votes_against=against,
            by=None,
        )

    with pytest.raises(ValidationError, match=r"two thirds|hai phần ba"):
        vote(roll // 2)
    with pytest.raises(ValidationError):
        vote(roll + 1)
    with pytest.raises(ValidationError) as error:
        vote(roll, against=1)  # more votes than official members who may vote
    assert "votes_for" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        vote(roll, against=-1)
    assert "votes_against" in error.value.message_dict
    assert not PersonnelVote.objects.exists()
    stored = vote(roll)
    assert (stored.votes_for, stored.votes_against, stored.official_members) == (roll, 0, roll)


def admitted_candidate(unit_code: str = "X001.01") -> Candidate:
    """A candidate at the admission ceremony, built past the services (as old data is)."""
    unit = Unit.objects.get(code=unit_code)
    introducer = Member.objects.filter(unit=unit, status=MemberStatus.OFFICIAL).first()
    candidate = development.add_candidate(
        unit=unit,
        data={"full_name": "Trần Thị Mới", "gender": "female", "birth_date": D(1998, 3, 4)},
        listed_on=D(2025, 1, 6),
        by=None,
    )
    candidate.certificate_on = D(2025, 2, 1)
    candidate.introducer = introducer
    candidate.introducer_known_since = D(2023, 1, 1)
    candidate.stage = Stage.COMMENTED
    candidate.dates = {Stage.LISTED: "2025-01-06", Stage.COMMENTED: "2025-03-01"}
    candidate.save()
    return candidate


def test_the_pipeline_records_the_admission_and_recognition_votes(cast) -> None:
    candidate = admitted_candidate()
    unit = candidate.unit
    roll = development.personnel_roll_on(unit, D(2025, 3, 10))
    with pytest.raises(ValidationError, match=r"two thirds|hai phần ba"):
        development.advance(candidate=candidate, on=D(2025, 3, 10), by=None, votes_for=roll // 2)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.COMMENTED
    development.advance(
        candidate=candidate, on=D(2025, 3, 10), by=None, votes_for=roll - 1, votes_against=1
    )
    vote = candidate.admission_vote
    assert vote is not None
    assert (vote.kind, vote.votes_for, vote.votes_against, vote.official_members) == (
        PersonnelVoteKind.ADMISSION, roll - 1, 1, roll,
    )  # fmt: skip
    development.advance(candidate=candidate, on=D(2025, 3, 20), by=None)
    development.advance(candidate=candidate, on=D(2025, 4, 1), by=None, decision="12-QĐ/ĐU")
    mentor = Member.objects.filter(unit=unit, status=MemberStatus.OFFICIAL).first()
    development.advance(candidate=candidate, on=D(2025, 4, 10), by=None, mentor=mentor)
    official_roll = development.personnel_roll_on(unit, D(2026, 4, 15))
    with pytest.raises(ValidationError):
        development.advance(candidate=candidate, on=D(2026, 4, 15), by=None, votes_for=1)
    candidate.refresh_from_db()
    development.advance(candidate=candidate, on=D(2026, 4, 15), by=None, votes_for=official_roll)
    assert candidate.member is not None
    recognition = PersonnelVote.objects.get(
        member=candidate.member, kind=PersonnelVoteKind.RECOGNITION
    )
    assert (recognition.votes_for, recognition.official_members) == (
        official_roll, official_roll,
    )  # fmt: skip


def test_the_member_page_records_the_recognition_vote_and_refuses_below_two_thirds(
    client_for,
) -> None:
    member = Member.objects.get(user__username="dangvien1")
    roll = member_services.personnel_roll_on(member.unit, D(2026, 6, 4))
    url = f"/members/{member.pk}/official/"
    client = client_for("bithu1")
    response = client.post(url, {"on": "2026-06-04", "votes_for": str(roll // 2)})
    assert response.status_code == 200
    assert "hai phần ba" in response.content.decode()
    member.refresh_from_db()
    assert member.status == MemberStatus.PROBATIONARY
    response = client.post(url, {"on": "2026-06-04", "votes_for": str(roll), "votes_against": "0"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == MemberStatus.OFFICIAL
    vote = PersonnelVote.objects.get(member=member)
    assert (vote.votes_for, vote.official_members, vote.kind) == (
        roll, roll, PersonnelVoteKind.RECOGNITION,
    )  # fmt: skip


# -- the record audit -----------------------------------------------------------------------


def audit_rules(scope: AuditScope | None = None) -> list[tuple[str, str]]:
    scope = scope or AuditScope()
    return [(v.rule, v.url) for check in audit.CHECKS for v in check(scope)]


def test_the_audit_lists_approved_minutes_with_more_votes_than_voters() -> None:
    good = complete(planned())
    services.approve_minutes(meeting=good, by=None)
    bad = complete(planned(day=D(2026, 4, 5)))
    services.approve_minutes(meeting=bad, by=None)
    present = bad.attendance_counts().present
    Meeting.objects.filter(pk=bad.pk).update(votes_for=present, votes_abstain=0)
    odd = complete(planned(day=D(2026, 5, 5)))
    services.approve_minutes(meeting=odd, by=None)
    Meeting.objects.filter(pk=odd.pk).update(votes_for=None, votes_against=2)
    found = audit_rules(AuditScope(path=cell().path, year=2026))
    assert ("VOTE-2", bad.get_absolute_url()) in found
    assert ("VOTE-3", odd.get_absolute_url()) in found
    assert all(url != good.get_absolute_url() for _rule, url in found)
    assert audit_rules(AuditScope(year=2025)) == []


def test_the_audit_lists_a_suspended_member_recorded_present() -> None:
    meeting = planned()
    member = officials_of(meeting)[0]
    suspend(member)
    services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    assert audit_rules() == []
    Attendance.objects.filter(meeting=meeting, member=member).update(
        status=AttendanceStatus.PRESENT
    )
    assert audit_rules() == [("STATUS-3", meeting.get_absolute_url())]


def test_a_demo_like_history_passes_the_vote_checks() -> None:
    from chibo.demo.history import seed_history

    Meeting.objects.all().delete()
    seed_history(
        members=list(Member.objects.all()),
        weak_cells={cell("X001.02").pk},
        end_month=D(2026, 12, 1),
        months=12,
        rng=random.Random(5),
    )
    assert Meeting.objects.filter(state=MeetingState.APPROVED).count() > 20
    assert audit_rules() == []


def test_the_rating_list_leaves_out_the_suspended_and_detained_and_rates_special_duty(
    client_for,
) -> None:
    """ANNUAL-1 as chibo reads domain §3 and §5: members suspended or detained take no part
    in party activity and are not rated while the status lasts; members on special duty
    are rated."""
    unit = cell()
    officials = list(Member.objects.filter(unit=unit, status=MemberStatus.OFFICIAL)[:3])
    suspended, detained, on_duty = officials
    suspend(suspended)
    suspend(detained, MemberStatus.DETAINED)
    suspend(on_duty, MemberStatus.SPECIAL_DUTY)
    rated = set(classification.rated_members(unit))
    assert suspended not in rated
    assert detained not in rated
    assert on_duty in rated
    rules = classification.rules_for_year(unit, 2026)
    for member, refused in ((suspended, True), (detained, True), (on_duty, False)):
        evidence = classification.evidence_for(unit, 2026, member)
        findings = classification.check_rating("completed", evidence, rules, step="decide")
        assert any(f.blocking and f.rule == "ANNUAL-1" for f in findings) is refused
    body = client_for("bithu1").get(f"/units/{unit.code}/classification/?year=2026").content
    assert "không xếp loại" in body.decode()
