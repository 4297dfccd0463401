"""The yearly attendance plan: which upper-level member attends which cell meeting.

Pure functions on plain data, deterministic (no randomness: the same input gives the same
plan), so that the rules can be tested on their own:

- a commune-level (basic) committee: one of its members at every cell's regular meeting
  every month, the load spread evenly, nobody in two places on the same day;
- the provincial committee: each member attends the set number of residential cells a year,
  spread over the year and over cells, weak cells first, nobody in two places on a day.

Whatever cannot be covered is returned with the reason, for people to settle by hand.
Which of these a committee follows is the rule of its unit's kind (`UnitKind.visit_rule`),
and which cells its plan may cover is `plan_covers`.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass, field

from chibo.orgs.models import VisitRule


def plan_covers(
    rule: str, committee_path: str, cell_path: str, committee_paths: Collection[str]
) -> bool:
    """PLAN-3: whether the plan of the committee at `committee_path`, following `rule`, may
    place its members at the cell at `cell_path`. `committee_paths` are the paths of the
    units below that have a committee of their own attending their cells (a kind whose rule
    is not "none").

    A quota rule (the province, the historic district) sends its members as upper-level
    guests to cells anywhere below (domain §7). The monthly rule is a committee attending
    its own cells: a cell under a subordinate committee (a commune's đảng bộ cơ sở) is
    attended by that committee's members, never planned by the commune's."""
    if not cell_path.startswith(committee_path) or cell_path == committee_path:
        return False
    if rule in (VisitRule.PROVINCE_QUOTA, VisitRule.DISTRICT_QUOTA):
        return True
    if rule != VisitRule.MONTHLY:
        return False
    return not any(
        len(committee_path) < len(path) < len(cell_path) and cell_path.startswith(path)
        for path in committee_paths
    )


@dataclass(frozen=True)
class Slot:
    """A scheduled meeting that someone could attend."""

    meeting_id: int
    cell_id: int
    cell_code: str
    day: datetime.date
    residential: bool = False
    weak: bool = False


@dataclass(frozen=True)
class Assignee:
    user_id: int
    name: str


@dataclass(frozen=True)
class Gap:
    """What the plan could not cover."""

    cell_code: str
    month: int
    reason: str  # "no_meeting" | "all_busy" | "no_assignee" | "quota"
    user_id: int | None = None


@dataclass
class Plan:
    assignments: list[tuple[int, int]] = field(default_factory=list)  # (meeting, user)
    gaps: list[Gap] = field(default_factory=list)
    load: dict[int, int] = field(default_factory=dict)  # user → visits, kept ones included


def plan_monthly(
    *,
    cells: list[tuple[int, str]],
    months: list[int],
    slots: list[Slot],
    assignees: list[Assignee],
    busy: dict[int, set[datetime.date]],
    existing: dict[int, set[int]],
) -> Plan:
    """Every cell's regular meeting of every month in `months` gets one of `assignees`.

    `busy` is each person's days already taken (anywhere); `existing` the visitors already
    planned per meeting (a meeting one of the assignees already attends stays as it is).
    """
    plan = Plan(load={a.user_id: 0 for a in assignees})
    taken = {user: set(days) for user, days in busy.items()}
    ids = {a.user_id for a in assignees}
    first: dict[tuple[int, int], Slot] = {}
    for slot in sorted(slots, key=lambda s: (s.day, s.meeting_id)):
        first.setdefault((slot.cell_id, slot.day.month), slot)
    for slot in first.values():
        for user in existing.get(slot.meeting_id, set()) & ids:
            plan.load[user] += 1
    for month in months:
        for cell_id, code in cells:
            found = first.get((cell_id, month))
            if found is None:
                plan.gaps.append(Gap(code, month, "no_meeting"))
                continue
            slot = found
            if existing.get(slot.meeting_id, set()) & ids:
                continue
            if not assignees:
                plan.gaps.append(Gap(code, month, "no_assignee"))
                continue
            free = [a for a in assignees if slot.day not in taken.get(a.user_id, set())]
            if not free:
                plan.gaps.append(Gap(code, month, "all_busy"))
                continue
            chosen = min(free, key=lambda a: (plan.load[a.user_id], a.name, a.user_id))
            plan.assignments.append((slot.meeting_id, chosen.user_id))
            plan.load[chosen.user_id] += 1
            taken.setdefault(chosen.user_id, set()).add(slot.day)
    return plan


def plan_quota(
    *,
    slots: list[Slot],
    assignees: list[Assignee],
    per_person: int,
    busy: dict[int, set[datetime.date]],
    existing: dict[int, set[int]],
    residential_only: bool = True,
) -> Plan:
    """Each of `assignees` attends `per_person` meetings of residential cells (of any cell
    when not `residential_only`) a year, spread over the months, a different cell each time,
    weak cells first."""
    plan = Plan(load={a.user_id: 0 for a in assignees})
    taken = {user: set(days) for user, days in busy.items()}
    ids = {a.user_id for a in assignees}
    candidates = sorted(
        (s for s in slots if s.residential or not residential_only),
        key=lambda s: (not s.weak, s.day.month, s.cell_code, s.meeting_id),
    )
    visited_cells: set[int] = set()
    for slot in slots:
        for user in existing.get(slot.meeting_id, set()) & ids:
            plan.load[user] += 1
            visited_cells.add(slot.cell_id)
    months = sorted({s.day.month for s in candidates})
    for index, person in enumerate(sorted(assignees, key=lambda a: (a.name, a.user_id))):
        need = per_person - plan.load[person.user_id]
        for k in range(max(0, need)):
            # Spread: the k-th visit aims at an evenly spaced month, shifted per person.
            target = (
                months[(index + k * len(months) // max(1, need)) % len(months)] if months else 0
            )
            ordered = sorted(
                candidates,
                key=lambda s: (
                    s.cell_id in visited_cells,
                    (s.day.month - target) % 12,
                    not s.weak,
                    s.cell_code,
                ),
            )
            chosen = next(
                (
                    s
                    for s in ordered
                    if s.day not in taken.get(person.user_id, set())
                    and person.user_id not in existing.get(s.meeting_id, set())
                    and (s.meeting_id, person.user_id) not in plan.assignments
                ),
                None,
            )
            if chosen is None:
                plan.gaps.append(Gap("", 0, "quota", person.user_id))
                break
            plan.assignments.append((chosen.meeting_id, person.user_id))
            plan.load[person.user_id] += 1
            taken.setdefault(person.user_id, set()).add(chosen.day)
            visited_cells.add(chosen.cell_id)
    return plan


def plan_group(
    *,
    rule: str,
    cells: list[tuple[int, str]],
    charges: dict[int, set[int]],
    months: list[int],
    slots: list[Slot],
    assignees: list[Assignee],
    per_person: int,
    busy: dict[int, set[datetime.date]],
    existing: dict[int, set[int]],
) -> Plan:
    """A working group's plan under its own rule (`GroupVisitRule`).

    `charges` is each member's cells as the leader assigned them. Monthly: every charged
    cell's regular meeting every month goes to the member in charge, the cells nobody is
    charged with to the least-loaded member of the group. Quota: each member attends
    `per_person` meetings a year among their own cells (among all the group's cells when
    they are charged with none), a different cell each time, weak cells first. Nobody is in
    two places on one day, whichever of the two plans placed them."""
    plan = Plan(load={a.user_id: 0 for a in assignees})
    taken = {user: set(days) for user, days in busy.items()}
    day_of = {s.meeting_id: s.day for s in slots}

    def merge(part: Plan) -> None:
        plan.assignments.extend(part.assignments)
        plan.gaps.extend(part.gaps)
        for user, n in part.load.items():
            plan.load[user] = plan.load.get(user, 0) + n
        for meeting_id, user in part.assignments:
            taken.setdefault(user, set()).add(day_of[meeting_id])

    charged = set().union(*charges.values()) if charges else set()
    for person in sorted(assignees, key=lambda a: (a.name, a.user_id)):
        own = charges.get(person.user_id, set())
        if rule == "monthly":
            if own:
                merge(
                    plan_monthly(
                        cells=[c for c in cells if c[0] in own],
                        months=months,
                        slots=[s for s in slots if s.cell_id in own],
                        assignees=[person],
                        busy=taken,
                        existing=existing,
                    )
                )
            continue
        merge(
            plan_quota(
                slots=[s for s in slots if not own or s.cell_id in own],
                assignees=[person],
                per_person=per_person,
                busy=taken,
                existing=existing,
                residential_only=False,
            )
        )
    if rule == "monthly":
        rest = [c for c in cells if c[0] not in charged]
        if rest:
            merge(
                plan_monthly(
                    cells=rest,
                    months=months,
                    slots=[s for s in slots if s.cell_id not in charged],
                    assignees=assignees,
                    busy=taken,
                    existing=existing,
                )
            )
    return plan
