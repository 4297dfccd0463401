"""Changes to member records: named, atomic actions that keep the periods and history.

Every action takes the user who makes it (`by`), records it in the member's history and,
where the member's place or status changes, ends the open membership period and starts
a new one on the day given.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from chibo.lib import vntext
from chibo.lib.locking import claim
from chibo.lib.submissions import once_per_submission
from chibo.members import rules
from chibo.members.models import (
    ACTIVE_STATUSES,
    AWAY_STATUSES,
    Change,
    LeaveReason,
    Member,
    MembershipPeriod,
    MemberStatus,
    PersonnelVote,
    PersonnelVoteKind,
    Post,
    PostEndReason,
    PostKind,
)
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import Role, Scope

Actor = AuthUser | None

# Fields a person edits directly (status and place change through the actions below).
IDENTITY_FIELDS = [
    "full_name",
    "gender",
    "birth_date",
    "ethnicity",
    "religion",
    "card_number",
    "citizen_id",
    "admitted_on",
    "official_on",
    "education",
    "occupation",
    "phone",
    "notes",
    "holds_leadership_post",
]

POST_ROLES = {
    PostKind.SECRETARY: Role.SECRETARY,
    PostKind.DEPUTY_SECRETARY: Role.DEPUTY_SECRETARY,
    PostKind.COMMITTEE_MEMBER: Role.CELL_COMMITTEE,
}


def check_cell(unit: Unit, on: datetime.date) -> None:
    """Members belong to party cells that are open on the day."""
    if not unit.kind.holds_meetings:
        raise ValidationError(
            _("Members belong to a party cell; %(unit)s is not one.") % {"unit": unit}
        )
    if not unit.is_active(on):
        raise ValidationError(_("%(unit)s is closed on that day.") % {"unit": unit})


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Text in NFC with single spaces; empty identifiers as None (they are unique)."""
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = vntext.nfc(value) if key != "notes" else value.strip()
        if key in ("card_number", "citizen_id"):
            value = (value or "").replace(" ", "") or None
        clean[key] = value
    return clean


def _validate(member: Member, exclude: list[str] | None = None) -> None:
    errors = member.fact_errors()
    try:
        member.full_clean(exclude=["sort_key", "search_name", *(exclude or [])])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _record(member: Member, by: Actor) -> None:
    member._history_user = by  # type: ignore[attr-defined]


def _open_period(member: Member) -> MembershipPeriod | None:
    return member.periods.filter(ended_on__isnull=True).first()


def next_period(
    member: Member,
    *,
    on: datetime.date,
    change: Change,
    by: Actor,
    reason: str = "",
    decision: str = "",
    decision_on: datetime.date | None = None,
) -> None:
    """End the open period on `on` and open one with the member's present state."""
    current = _open_period(member)
    if current is not None:
        if on < current.started_on:
            raise ValidationError(
                _("This change cannot be dated before %(date)s, when the present situation began.")
                % {"date": current.started_on.strftime("%d/%m/%Y")}
            )
        current.ended_on = on
        current.save(update_fields=["ended_on"])
    if member.status != MemberStatus.LEFT:
        MembershipPeriod.objects.create(
            member=member,
            unit=member.unit,
            status=member.status,
            attached_to=member.attached_to,
            started_on=on,
            change=change,
            reason=reason,
            decision=decision,
            decision_on=decision_on,
            recorded_by=by if by is not None and by.is_authenticated else None,
        )


@transaction.atomic
@once_per_submission
def create_member(
    *,
    unit: Unit,
    data: dict[str, Any],
    by: Actor,
    status: str | None = None,
    on: datetime.date | None = None,
    change: Change = Change.CREATED,
    submission: uuid.UUID | None = None,
) -> Member:
    """Add a member to `unit`. The status is derived from the dates when not given:
    official once the official date is set, probationary otherwise."""
    data = normalise(data)
    member = Member(
        unit=unit, **{k: v for k, v in data.items() if k in IDENTITY_FIELDS and k != "full_name"}
    )
    member.set_name(data.get("full_name") or "")
    member.status = status or (
        MemberStatus.OFFICIAL if member.official_on else MemberStatus.PROBATIONARY
    )
    start = on or member.admitted_on or timezone.localdate()
    check_cell(unit, max(start, timezone.localdate()))
    _validate(member)
    _record(member, by)
    member.save()
    next_period(member, on=start, change=change, by=by)
    return member


@transaction.atomic
def update_member(
    *, member: Member, data: dict[str, Any], by: Actor, version: int | None = None
) -> Member:
    """Change identity fields; the history keeps the old values and who changed them.
    Refused if the record was saved since `version` (the one the form was read at)."""
    claim(member, version)
    data = normalise(data)
    was_leader = member.holds_leadership_post
    for key, value in data.items():
        if key == "full_name":
            member.set_name(value or "")
        elif key in IDENTITY_FIELDS:
            setattr(member, key, value)
    _validate(member)
    _record(member, by)
    member.save()
    if member.holds_leadership_post != was_leader:
        # The figures of the meetings the member was on the sheet of count leaders by
        # this flag (settings.CHIBO_LEADERSHIP_CHANGED: the apps above keep them).
        for path in getattr(settings, "CHIBO_LEADERSHIP_CHANGED", []):
            import_string(path)(member)
    return member


def _require_active(member: Member) -> None:
    if member.status not in ACTIVE_STATUSES:
        raise ValidationError(_("This person is no longer a member here."))


@transaction.atomic
def transfer_member(
    *, member: Member, to_unit: Unit, on: datetime.date, reason: str, by: Actor
) -> Member:
    """Move a member to another cell from `on`; posts in the old cell end that day."""
    _require_active(member)
    if to_unit.pk == member.unit_id:
        raise ValidationError(_("The member already belongs to this cell."))
    check_cell(to_unit, on)
    for post in member.posts.filter(ended_on__isnull=True):
        end_post(post=post, on=on, reason=PostEndReason.TRANSFERRED, by=by)
    member.unit = to_unit
    if member.attached_to_id == to_unit.pk:
        member.attached_to = None
    _record(member, by)
    member.save()
    next_period(member, on=on, change=Change.TRANSFERRED, by=by, reason=reason)
    # The member grant follows the member: it ends in the old cell and starts in the new.
    end_outlived_grants(member=member, on=on)
    give_member_grant(member=member, on=on)
    return member


def give_member_grant(*, member: Member, on: datetime.date) -> RoleGrant | None:
    """The grant that membership of the cell gives the member's account, from `on` (none
    without an account): the one place that makes it (transfers, accounts from the roster)."""
    if member.user_id is None:
        return None
    return RoleGrant.objects.create(
        user_id=member.user_id,
        unit_id=member.unit_id,
        role=Role.MEMBER,
        scope=Scope.UNIT,
        valid_from=on,
        note=_("Party member of the cell"),
    )


def give_post_grant(*, post: Post, user_id: int, on: datetime.date) -> RoleGrant:
    """The grant a cell post gives the holder's account, from `on`, tied to the post (so
    that ending the post ends it)."""
    post.grant = RoleGrant.objects.create(
        user_id=user_id,
        unit_id=post.unit_id,
        role=POST_ROLES[PostKind(post.kind)],
        scope=Scope.UNIT,
        valid_from=on,
        note=_("Cell post"),
    )
    return post.grant


def personnel_roll_on(unit: Unit, on: datetime.date) -> int:
    """The official members a personnel vote of `unit` on the day `on` is counted on
    (VOTE-5), from the membership periods of that day."""
    periods = MembershipPeriod.objects.covering(on).filter(unit=unit)
    return rules.personnel_roll(
        (status, attached is not None)
        for status, attached in periods.values_list("status", "attached_to_id")
    )


@transaction.atomic
def record_personnel_vote(
    *,
    unit: Unit,
    kind: PersonnelVoteKind | str,
    on: datetime.date,
    subject: str,
    votes_for: int | None,
    votes_against: int | None,
    by: Actor,
    member: Member | None = None,
) -> PersonnelVote:
    """Record the cell's vote on an admission or a recognition as official, with the
    official members who may vote that day; refused, naming the field, when the figures
    cannot be or do not reach two thirds (VOTE-5)."""
    roll = personnel_roll_on(unit, on)
    errors = rules.personnel_vote_problems(
        votes_for=votes_for, votes_against=votes_against, official_members=roll
    )
    if errors:
        raise ValidationError(errors)
    assert votes_for is not None
    return PersonnelVote.objects.create(
        unit=unit,
        kind=kind,
        held_on=on,
        member=member,
        subject=subject,
        votes_for=votes_for,
        votes_against=votes_against or 0,
        official_members=roll,
        recorded_by=by,
    )


@transaction.atomic
def make_official(
    *,
    member: Member,
    on: datetime.date,
    by: Actor,
    votes_for: int | None,
    votes_against: int | None = 0,
    decision: str = "",
) -> Member:
    """Recognise a probationary member as official from `on`, after 12 months of probation
    (PROB-1), on the cell's resolution whose vote is recorded with it (VOTE-5)."""
    if member.status != MemberStatus.PROBATIONARY:
        raise ValidationError(_("Only a probationary member can be recognised as official."))
    if problem := rules.recognition_problem(admitted_on=member.admitted_on, official_on=on):
        raise ValidationError({"on": problem})
    record_personnel_vote(
        unit=member.unit,
        kind=PersonnelVoteKind.RECOGNITION,
        on=on,
        subject=member.full_name,
        member=member,
        votes_for=votes_for,
        votes_against=votes_against,
        by=by,
    )
    member.status = MemberStatus.OFFICIAL
    member.official_on = on
    _validate(member)
    _record(member, by)
    member.save()
    next_period(member, on=on, change=Change.MADE_OFFICIAL, by=by, decision=decision)
    return member


@transaction.atomic
def exempt_member(
    *, member: Member, on: datetime.date, reason: str, decision: str, by: Actor
) -> Member:
    """Exempt from party work and activity (decided by the cell, reported upward)."""
    if member.status not in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY):
        raise ValidationError(_("Only an active member can be exempted."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the exemption.")})
    member.status = MemberStatus.EXEMPTED
    _record(member, by)
    member.save()
    next_period(member, on=on, change=Change.EXEMPTED, by=by, reason=reason, decision=decision)
    return member


@transaction.atomic
def restore_member(*, member: Member, on: datetime.date, by: Actor, reason: str = "") -> Member:
    """End an exemption: the member takes part again, official or probationary as before."""
    if member.status != MemberStatus.EXEMPTED:
        raise ValidationError(_("Only an exempted member can be restored."))
    member.status = MemberStatus.OFFICIAL if member.official_on else MemberStatus.PROBATIONARY
    _record(member, by)
    member.save()
    next_period(member, on=on, change=Change.RESTORED, by=by, reason=reason)
    return member


AWAY_CHANGES = {
    MemberStatus.SUSPENDED: Change.SUSPENDED,
    MemberStatus.DETAINED: Change.DETAINED,
    MemberStatus.SPECIAL_DUTY: Change.SPECIAL_DUTY,
}


@transaction.atomic
def record_away_status(
    *,
    member: Member,
    status: MemberStatus | str,
    on: datetime.date,
    decision: str,
    decision_on: datetime.date,
    reason: str = "",
    by: Actor,
) -> Member:
    """Record that from `on` the member is suspended from party activity, detained, or on
    special duty in the armed forces, by the decision `decision` of `decision_on`
    (domain.md §3). The membership periods keep it, like an exemption; `end_away_status`
    ends it."""
    errors: dict[str, str] = {}
    if status not in AWAY_STATUSES:
        errors["status"] = _("Choose suspended, detained or special duty.")
    if member.status not in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY):
        errors["status"] = _("Only an active member who is not exempted can be given this status.")
    errors.update(rules.away_decision_problems(decision=decision, decision_on=decision_on, on=on))
    if errors:
        raise ValidationError(errors)
    member.status = MemberStatus(status)
    _record(member, by)
    member.save()
    next_period(
        member,
        on=on,
        change=AWAY_CHANGES[MemberStatus(status)],
        by=by,
        reason=reason.strip(),
        decision=vntext.nfc(decision),
        decision_on=decision_on,
    )
    return member


@transaction.atomic
def end_away_status(
    *,
    member: Member,
    on: datetime.date,
    by: Actor,
    decision: str = "",
    decision_on: datetime.date | None = None,
    reason: str = "",
) -> Member:
    """End a suspension, detention or special duty from `on`: the member takes part again,
    official or probationary as before."""
    if member.status not in AWAY_STATUSES:
        raise ValidationError(
            {"on": _("The member is not suspended, detained or on special duty.")}
        )
    member.status = MemberStatus.OFFICIAL if member.official_on else MemberStatus.PROBATIONARY
    _record(member, by)
    member.save()
    next_period(
        member,
        on=on,
        change=Change.RETURNED,
        by=by,
        reason=reason.strip(),
        decision=vntext.nfc(decision),
        decision_on=decision_on,
    )
    return member


@transaction.atomic
def attach_member(
    *, member: Member, host: Unit, on: datetime.date, reason: str, by: Actor
) -> Member:
    """Temporary activity in another cell; the member stays on the home cell's roll."""
    _require_active(member)
    if host.pk == member.unit_id:
        raise ValidationError(_("A member cannot be attached to their own cell."))
    check_cell(host, on)
    member.attached_to = host
    _record(member, by)
    member.save()
    next_period(member, on=on, change=Change.ATTACHED, by=by, reason=reason)
    return member


@transaction.atomic
def end_attachment(*, member: Member, on: datetime.date, by: Actor) -> Member:
    if member.attached_to_id is None:
        raise ValidationError(_("The member is not attached to another cell."))
    member.attached_to = None
    _record(member, by)
    member.save()
    next_period(member, on=on, change=Change.ATTACHMENT_ENDED, by=by)
    return member


@transaction.atomic
def record_leaving(
    *, member: Member, on: datetime.date, reason: LeaveReason | str, note: str, by: Actor
) -> Member:
    """The member leaves the province's rolls (transfer out, death, expulsion, removal)."""
    _require_active(member)
    if reason not in LeaveReason.values:
        raise ValidationError({"reason": _("Choose why the member leaves.")})
    for post in member.posts.filter(ended_on__isnull=True):
        end_post(post=post, on=on, reason=PostEndReason.OTHER, by=by)
    member.status = MemberStatus.LEFT
    member.left_reason = reason
    member.attached_to = None
    _record(member, by)
    member.save()
    next_period(member, on=on, change=Change.LEFT, by=by, reason=note)
    end_outlived_grants(member=member, on=on)
    return member


def status_on(member: Member, on: datetime.date) -> str:
    """The member's status on the day `on`, from the membership periods (today's status
    when no period covers the day)."""
    status: str | None = (
        MembershipPeriod.objects.covering(on)
        .filter(member=member)
        .order_by("-started_on", "-pk")
        .values_list("status", flat=True)
        .first()
    )
    return status or member.status


@transaction.atomic
def appoint_post(
    *, member: Member, kind: PostKind | str, on: datetime.date, by: Actor, **flags: bool
) -> Post:
    """Give a member a cell post; with a user account, the post grants its role."""
    _require_active(member)
    if member.status == MemberStatus.EXEMPTED:
        raise ValidationError(_("An exempted member cannot hold a post."))
    if kind not in PostKind.values:
        raise ValidationError({"kind": _("Choose the post.")})
    # Lock the cell's row: two appointments at once must not both pass the count below.
    Unit.objects.select_for_update().filter(pk=member.unit_id).first()
    if problem := rules.holder_problem(
        status=status_on(member, on), official_on=member.official_on, on=on
    ):
        raise ValidationError({"member": problem})
    held = list(
        Post.objects.filter(unit=member.unit, started_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .values_list("kind", flat=True)
    )
    problems = rules.committee_problems(
        kinds=[*held, kind], official_members=official_members_on(member.unit, on)
    )
    if problems:
        raise ValidationError({"kind": problems})
    post = Post(member=member, unit=member.unit, kind=kind, started_on=on, **flags)
    if member.user_id is not None:
        give_post_grant(post=post, user_id=member.user_id, on=on)
    post._history_user = by  # type: ignore[attr-defined]
    post.save()
    return post


@transaction.atomic
def end_post(*, post: Post, on: datetime.date, reason: PostEndReason | str, by: Actor) -> Post:
    if post.ended_on is not None:
        raise ValidationError(_("This term has already ended."))
    if on < post.started_on:
        raise ValidationError(_("A term cannot end before it began."))
    post.ended_on = on
    post.end_reason = reason
    post._history_user = by  # type: ignore[attr-defined]
    post.save()
    if post.grant is not None:
        end_grant(post.grant, on)
    return post


def end_grant(grant: RoleGrant, on: datetime.date) -> None:
    """End `grant` so that it no longer holds on `on` (it holds up to the day before). A
    grant that would not have begun by then is removed (its history keeps it)."""
    if grant.valid_from >= on:
        grant.delete()
    elif grant.valid_until is None or grant.valid_until >= on:
        grant.valid_until = on - datetime.timedelta(days=1)
        grant.save(update_fields=["valid_until"])


def end_outlived_grants(*, member: Member, on: datetime.date) -> int:
    """End, from `on`, the grants of the member's account that what gave them no longer
    supports (POST-3: leaving ends them all, a transfer the member grant of the old cell,
    an ended post its own). How many ended."""
    if member.user_id is None:
        return 0
    ended = 0
    grants = (
        RoleGrant.objects.filter(user_id=member.user_id)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .select_related("post")
        .select_for_update(of=("self",))
    )
    for grant in grants:
        post: Post | None = getattr(grant, "post", None)
        if rules.grant_outlives_membership(
            role=grant.role,
            grant_unit_id=grant.unit_id,
            member_active=member.status in ACTIVE_STATUSES,
            member_unit_id=member.unit_id,
            post_current=None if post is None else post.ended_on is None or post.ended_on > on,
        ):
            end_grant(grant, on)
            ended += 1
    return ended


def official_members_on(unit: Unit, on: datetime.date) -> int:
    """How many official members `unit` has on `on` (the committee's size depends on it)."""
    return (
        MembershipPeriod.objects.covering(on)
        .filter(unit=unit, status=MemberStatus.OFFICIAL)
        .count()
    )
