"""Changes to candidates and targets: each stage reached in order, on a date, with the rules
checked; the ceremony creates the member record, the recognition makes it official."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chibo.development.models import (
    ORDER,
    Candidate,
    DevelopmentRules,
    Stage,
    Target,
    position,
)
from chibo.development.rules import Rules, eligibility_problems, probation_clock
from chibo.lib.locking import claim
from chibo.lib.submissions import once_per_submission
from chibo.members import services as members
from chibo.members.models import Member, MemberStatus, PersonnelVoteKind
from chibo.orgs.models import Unit

Actor = User | None


def rules_for(unit: Unit) -> Rules:
    row = DevelopmentRules.for_unit(unit)
    holidays = frozenset(
        datetime.date.fromisoformat(day) for day in getattr(settings, "CHIBO_HOLIDAYS", [])
    )
    return Rules(
        certificate_valid_months=row.certificate_valid_months,
        min_age=row.min_age,
        max_age=row.max_age,
        review_working_days=row.review_working_days,
        holidays=holidays,
    )


def problems_on(candidate: Candidate, on: datetime.date) -> list[str]:
    introducer = candidate.introducer
    return eligibility_problems(
        birth_date=candidate.birth_date,
        certificate_on=candidate.certificate_on,
        introducer_official=(
            None if introducer is None else introducer.status == MemberStatus.OFFICIAL
        ),
        introducer_known_since=candidate.introducer_known_since,
        on=on,
        rules=rules_for(candidate.unit),
    )


@transaction.atomic
@once_per_submission
def add_candidate(
    *,
    unit: Unit,
    data: dict[str, Any],
    listed_on: datetime.date,
    by: Actor,
    submission: uuid.UUID | None = None,
) -> Candidate:
    if not unit.is_cell:
        raise ValidationError(_("Candidates are listed by a party cell."))
    candidate = Candidate(
        unit=unit, listed_on=listed_on, dates={Stage.LISTED: listed_on.isoformat()}
    )
    for key, value in data.items():
        setattr(candidate, key, value)
    candidate._history_user = by  # type: ignore[attr-defined]
    candidate.full_clean(exclude=["introducer", "mentor", "member"])
    candidate.save()
    return candidate


def next_stage(candidate: Candidate) -> Stage | None:
    if candidate.stage in (Stage.OFFICIAL, Stage.DROPPED):
        return None
    return ORDER[position(candidate.stage) + 1]


@transaction.atomic
def advance(
    *,
    candidate: Candidate,
    on: datetime.date,
    by: Actor,
    version: int | None = None,
    certificate_on: datetime.date | None = None,
    introducer: Member | None = None,
    introducer_known_since: datetime.date | None = None,
    mentor: Member | None = None,
    decision: str = "",
    votes_for: int | None = None,
    votes_against: int | None = 0,
) -> Candidate:
    """Record that the candidate reached the next stage on `on`. The cell's resolutions
    (admission, recognition as official) give the votes for and against, which are
    recorded and must reach the personnel threshold (VOTE-5,
    `chibo.members.services.record_personnel_vote`)."""
    stage = next_stage(candidate)
    if stage is None:
        raise ValidationError(_("This candidate has no further stage."))
    last = max(datetime.date.fromisoformat(d) for d in candidate.dates.values())
    if on < last:
        raise ValidationError(_("A stage cannot come before the one already reached."))
    claim(candidate, version)
    if stage == Stage.CLASS:
        candidate.certificate_on = certificate_on or on
    if stage == Stage.INTRODUCED:
        if introducer is None or introducer.unit_id != candidate.unit_id:
            raise ValidationError(_("Choose the introducer among the cell's members."))
        candidate.introducer = introducer
        candidate.introducer_known_since = introducer_known_since
    if stage == Stage.CELL_RESOLUTION:
        problems = problems_on(candidate, on)
        if problems:
            raise ValidationError(problems)
    if stage == Stage.CELL_RESOLUTION:
        candidate.admission_vote = members.record_personnel_vote(
            unit=candidate.unit,
            kind=PersonnelVoteKind.ADMISSION,
            on=on,
            subject=candidate.full_name,
            votes_for=votes_for,
            votes_against=votes_against,
            by=by,
        )
    if stage == Stage.DECIDED:
        candidate.decision = decision.strip()
    if stage == Stage.ADMITTED:
        if mentor is None or mentor.unit_id != candidate.unit_id:
            raise ValidationError(_("Choose the mentor among the cell's members."))
        candidate.mentor = mentor
        candidate.member = members.create_member(
            unit=candidate.unit,
            data={
                "full_name": candidate.full_name,
                "gender": candidate.gender,
                "birth_date": candidate.birth_date,
                "ethnicity": candidate.ethnicity,
                "religion": candidate.religion,
                "occupation": candidate.occupation,
                "admitted_on": on,
            },
            status=MemberStatus.PROBATIONARY,
            on=on,
            by=by,
        )
    if stage == Stage.OFFICIAL:
        assert candidate.member is not None
        members.make_official(
            member=candidate.member,
            on=on,
            by=by,
            votes_for=votes_for,
            votes_against=votes_against,
            decision=decision,
        )
    candidate.stage = stage
    candidate.dates = {**candidate.dates, stage: on.isoformat()}
    if stage == Stage.ADMITTED:
        candidate.admitted_on = on
    candidate._history_user = by  # type: ignore[attr-defined]
    candidate.save()
    return candidate


# The stages that are a resolution of the cell, voted by its official members.
VOTED_STAGES = (Stage.CELL_RESOLUTION, Stage.OFFICIAL)


def personnel_roll_on(unit: Unit, on: datetime.date) -> int:
    """The official members a personnel vote of `unit` on the day `on` is counted on."""
    return members.personnel_roll_on(unit, on)


def clock(candidate: Candidate, rules: Rules | None = None) -> Any:
    """The probation clock of an admitted candidate (None otherwise); pass the province's
    `rules` when computing many."""
    admitted = candidate.dates.get(Stage.ADMITTED)
    if candidate.stage != Stage.ADMITTED or not admitted:
        return None
    return probation_clock(
        datetime.date.fromisoformat(admitted), rules or rules_for(candidate.unit)
    )


@transaction.atomic
def set_target(*, unit: Unit, year: int, admissions: int, by: Actor) -> Target:
    target, _created = Target.objects.update_or_create(
        unit=unit, year=year, defaults={"admissions": admissions, "set_by": by}
    )
    return target
