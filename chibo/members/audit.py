"""Stored member records that break the rules of probation and posts (docs/rules.md): each
check reads in bulk (a fixed number of queries) and asks the rule's one function in
members.rules."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterator

from django.db.models import Count, DateField, ExpressionWrapper, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib.audit import AuditScope, Violation, covers
from chibo.lib.batches import batches
from chibo.members import rules
from chibo.members.models import (
    ACTIVE_STATUSES,
    AWAY_STATUSES,
    Member,
    MembershipPeriod,
    MemberStatus,
    PersonnelVote,
    PersonnelVoteKind,
    Post,
)
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import Role


def _record(name: str, unit_name: str) -> str:
    return f"{name} — {unit_name}"


def _member_url(pk: int) -> str:
    return reverse("members:member", args=[pk])


@covers("PROB-1")
def recognised_before_probation_ended(scope: AuditScope) -> Iterator[Violation]:
    """PROB-1: official dates earlier than 12 months after admission."""
    # A coarse filter in the database (official within 13 months of admission), the exact
    # rule in Python: month arithmetic differs between databases.
    early = ExpressionWrapper(
        F("admitted_on") + datetime.timedelta(days=31 * 13), output_field=DateField()
    )
    members = Member.objects.filter(
        scope.units(), official_on__isnull=False, admitted_on__isnull=False
    ).filter(official_on__lt=early)
    if scope.year:
        members = members.filter(official_on__year=scope.year)
    rows = members.order_by("unit__path", "sort_key").values_list(
        "pk", "full_name", "unit__name", "admitted_on", "official_on"
    )
    for pk, name, unit_name, admitted_on, official_on in rows:
        if official_on is None:  # excluded by the query; said again for the type checker
            continue
        if problem := rules.recognition_problem(admitted_on=admitted_on, official_on=official_on):
            yield Violation("PROB-1", _record(name, unit_name), _member_url(pk), problem)


def _posts_in(scope: AuditScope, on: datetime.date) -> Q:
    return scope.units() & Q(started_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gt=on))


def _audit_day(scope: AuditScope) -> datetime.date:
    """The day whose posts are audited: today, or the last day of a past year."""
    today = timezone.localdate()
    if scope.year and scope.year < today.year:
        return datetime.date(scope.year, 12, 31)
    return today


@covers("POST-1")
def posts_held_by_non_official_members(scope: AuditScope) -> Iterator[Violation]:
    """POST-1: posts held by a member who, on the day the term began, was not official, or
    was suspended or detained (the status of that day, from the membership periods)."""
    on = _audit_day(scope)
    rows = list(
        Post.objects.filter(_posts_in(scope, on))
        .order_by("unit__path", "member__sort_key")
        .values_list(
            "member_id",
            "member__full_name",
            "unit__name",
            "member__status",
            "member__official_on",
            "started_on",
        )
    )
    periods: dict[int, list[tuple[datetime.date, datetime.date | None, str]]] = defaultdict(list)
    for members in batches(sorted({row[0] for row in rows})):
        for member_id, started, ended, status in MembershipPeriod.objects.filter(
            member_id__in=members
        ).values_list("member_id", "started_on", "ended_on", "status"):
            periods[member_id].append((started, ended, status))

    def status_on(member_id: int, day: datetime.date, today_status: str) -> str:
        covering = sorted(
            (started, status)
            for started, ended, status in periods[member_id]
            if started <= day and (ended is None or ended > day)
        )
        return covering[-1][1] if covering else today_status

    for pk, name, unit_name, status, official_on, started_on in rows:
        if problem := rules.holder_problem(
            status=status_on(pk, started_on, status), official_on=official_on, on=started_on
        ):
            yield Violation("POST-1", _record(name, unit_name), _member_url(pk), problem)


@covers("POST-2")
def cells_with_too_many_posts(scope: AuditScope) -> Iterator[Violation]:
    """POST-2: cells whose posts held at once break the committee's size or make-up."""
    on = _audit_day(scope)
    kinds: dict[int, list[str]] = defaultdict(list)
    for unit_id, kind in Post.objects.filter(_posts_in(scope, on)).values_list("unit_id", "kind"):
        kinds[unit_id].append(kind)
    if not kinds:
        return
    officials: dict[int, int] = {}
    units: list[Unit] = []
    for keys in batches(sorted(kinds)):
        officials.update(
            Member.objects.filter(unit__in=keys, status=MemberStatus.OFFICIAL)
            .values("unit_id")
            .annotate(n=Count("pk"))
            .values_list("unit_id", "n")
        )
        units.extend(Unit.objects.filter(pk__in=keys))
    for unit in sorted(units, key=lambda u: u.path):
        problems = rules.committee_problems(
            kinds=kinds[unit.pk], official_members=officials.get(unit.pk, 0)
        )
        if problems:
            yield Violation(
                "POST-2", unit.name, reverse("members:roster", args=[unit.code]), " ".join(problems)
            )


@covers("POST-3")
def grants_outliving_membership(scope: AuditScope) -> Iterator[Violation]:
    """POST-3: roles still valid today for a member who left, changed cell or ended a post."""
    labels = dict(Role.choices)
    rows = (
        RoleGrant.objects.active()
        .filter(scope.units("user__member__unit__"))
        .filter(user__member__isnull=False)
        .order_by("user__member__unit__path", "user__member__sort_key", "pk")
        .values_list(
            "role",
            "unit_id",
            "unit__name",
            "user__member__pk",
            "user__member__full_name",
            "user__member__unit__name",
            "user__member__status",
            "user__member__unit_id",
            "post__pk",
            "post__ended_on",
        )
    )
    today = timezone.localdate()
    for (
        role,
        unit_id,
        unit_name,
        pk,
        name,
        member_unit_name,
        status,
        member_unit_id,
        post_pk,
        post_ended_on,
    ) in rows:
        if rules.grant_outlives_membership(
            role=role,
            grant_unit_id=unit_id,
            member_active=status in ACTIVE_STATUSES,
            member_unit_id=member_unit_id,
            post_current=(
                None if post_pk is None else post_ended_on is None or post_ended_on > today
            ),
        ):
            yield Violation(
                "POST-3",
                _record(name, member_unit_name),
                _member_url(pk),
                _(
                    "The role “%(role)s” over %(unit)s is still valid, though the membership "
                    "or the post that gave it has ended."
                )
                % {"role": labels.get(role, role), "unit": unit_name},
            )


@covers("STATUS-1")
def away_statuses_without_decision(scope: AuditScope) -> Iterator[Violation]:
    """STATUS-1: a period of suspension, detention or special duty recorded without the
    decision's number or date, or with a decision dated after the period began."""
    periods = MembershipPeriod.objects.filter(scope.units(), status__in=AWAY_STATUSES).filter(
        Q(decision="") | Q(decision_on__isnull=True) | Q(decision_on__gt=F("started_on"))
    )
    if scope.year is not None:
        periods = periods.filter(started_on__year=scope.year)
    rows = periods.order_by("unit__path", "member__sort_key", "started_on").values_list(
        "member_id", "member__full_name", "unit__name", "status", "started_on", "decision",
        "decision_on",
    )  # fmt: skip
    for pk, name, unit_name, status, started_on, decision, decision_on in rows:
        problems = rules.away_decision_problems(
            decision=decision, decision_on=decision_on, on=started_on
        )
        if problems:
            yield Violation(
                "STATUS-1",
                _record(name, unit_name),
                _member_url(pk),
                _("%(status)s from %(day)s: %(problems)s")
                % {
                    "status": MemberStatus(status).label,
                    "day": f"{started_on:%d/%m/%Y}",
                    "problems": " ".join(problems.values()),
                },
            )


@covers("VOTE-5")
def personnel_votes_short_of_two_thirds(scope: AuditScope) -> Iterator[Violation]:
    """VOTE-5: a recorded resolution on an admission or a recognition as official whose
    votes for fall short of two thirds of the official members who may vote, or whose
    figures are more than those members."""
    votes = PersonnelVote.objects.filter(scope.units())
    if scope.year is not None:
        votes = votes.filter(held_on__year=scope.year)
    rows = votes.order_by("unit__path", "held_on", "pk").values_list(
        "kind", "subject", "unit__name", "unit__code", "held_on", "votes_for", "votes_against",
        "official_members",
    )  # fmt: skip
    kinds = dict(PersonnelVoteKind.choices)
    for kind, subject, unit_name, code, held_on, votes_for, against, official in rows:
        problems = rules.personnel_vote_problems(
            votes_for=votes_for, votes_against=against, official_members=official
        )
        if problems:
            yield Violation(
                "VOTE-5",
                _record(f"{kinds.get(kind, kind)}: {subject} ({held_on:%d/%m/%Y})", unit_name),
                reverse("members:roster", args=[code]),
                " ".join(problems.values()),
            )


CHECKS: tuple[Callable[[AuditScope], Iterator[Violation]], ...] = (
    recognised_before_probation_ended,
    posts_held_by_non_official_members,
    cells_with_too_many_posts,
    grants_outliving_membership,
    away_statuses_without_decision,
    personnel_votes_short_of_two_thirds,
)
