"""Changes to member records: named, atomic actions that keep the periods and history.

Every action takes the user who makes it (`by`), records it in the member's history and,
where the member's place or status changes, ends the open membership period and starts
a new one on the day given.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib import vntext
from chibo.lib.locking import claim
from chibo.members.models import (
    ACTIVE_STATUSES,
    Change,
    LeaveReason,
    Member,
    MembershipPeriod,
    MemberStatus,
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
            recorded_by=by if by is not None and by.is_authenticated else None,
        )


@transaction.atomic
def create_member(
    *,
    unit: Unit,
    data: dict[str, Any],
    by: Actor,
    status: str | None = None,
    on: datetime.date | None = None,
    change: Change = Change.CREATED,
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
    for key, value in data.items():
        if key == "full_name":
            member.set_name(value or "")
        elif key in IDENTITY_FIELDS:
            setattr(member, key, value)
    _validate(member)
    _record(member, by)
    member.save()
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
    return member


@transaction.atomic
def make_official(*, member: Member, on: datetime.date, by: Actor, decision: str = "") -> Member:
    if member.status != MemberStatus.PROBATIONARY:
        raise ValidationError(_("Only a probationary member can be recognised as official."))
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
    return member


@transaction.atomic
def appoint_post(
    *, member: Member, kind: PostKind | str, on: datetime.date, by: Actor, **flags: bool
) -> Post:
    """Give a member a cell post; with a user account, the post grants its role."""
    _require_active(member)
    if member.status == MemberStatus.EXEMPTED:
        raise ValidationError(_("An exempted member cannot hold a post."))
    if kind in (PostKind.SECRETARY, PostKind.DEPUTY_SECRETARY):
        held = Post.objects.filter(unit=member.unit, kind=kind, ended_on__isnull=True)
        if held.exists():
            raise ValidationError(
                _("The cell already has a %(post)s: end that term first.")
                % {"post": PostKind(kind).label.lower()}
            )
    post = Post(member=member, unit=member.unit, kind=kind, started_on=on, **flags)
    if member.user_id is not None:
        post.grant = RoleGrant.objects.create(
            user_id=member.user_id,
            unit=member.unit,
            role=POST_ROLES[PostKind(kind)],
            scope=Scope.UNIT,
            valid_from=on,
            note=_("Cell post"),
        )
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
        # The role holds up to the day before the term's end.
        post.grant.valid_until = max(post.grant.valid_from, on - datetime.timedelta(days=1))
        post.grant.save(update_fields=["valid_until"])
    return post
