"""The API's resources. Every object is reached through its app's access layer with the
token's user; lists are paginated (limit ≤ 500) and read in a fixed number of queries."""

import datetime
from typing import Annotated, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from chibo.api import changes as change_feed
from chibo.api.api import Conflict, api, error
from chibo.content import services as content_services
from chibo.content.access import get_material_for_user
from chibo.content.models import Material
from chibo.lib.replica import reads_from_replica
from chibo.meetings import services as meeting_services
from chibo.meetings.access import get_meeting_for_user, get_task_for_user
from chibo.meetings.models import AttendanceStatus, Meeting, MeetingState, Task, TaskStatus
from chibo.members import national
from chibo.members.access import get_member_for_user, hidden_fields
from chibo.members.models import Member, MemberStatus
from chibo.orgs.access import get_unit_for_user, top_units
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from chibo.reports import figures
from chibo.reports.periods import PeriodError, parse
from chibo.scoring.models import AnnualRating, MeetingScore

MAX_PAGE = 500
# A record's id in a path: what the databases store (a larger number is a 422, not a 500).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ErrorOut(Schema):
    """Every error: what went wrong (`code`), for people (`message`, in the language of
    Accept-Language), and the field at fault where there is one."""

    code: str
    message: str
    field: str | None = None


def answers(body: Any, *more: int) -> dict[int, Any]:
    """The documented responses of an endpoint: `body` on success, the one error shape on
    401 (no valid token), 404 (absent or not yours), 422 (invalid), 429 (too many), and on
    the `more` codes (409: stale version)."""
    return {200: body, **dict.fromkeys((401, 404, 422, 429, *more), ErrorOut)}


class Page(LimitOffsetPagination):
    """limit (1 to 500, default 100) and offset."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE)
        offset: int = Field(0, ge=0, le=10_000_000)


def _user(request: HttpRequest) -> Any:
    return request.user


def _unit(request: HttpRequest, code: str, action: Perm = Perm.VIEW_UNIT) -> Unit:
    return get_unit_for_user(_user(request), code, action=action)


def _period(code: str) -> Any:
    try:
        return parse(code)
    except PeriodError as exc:
        raise _Invalid("period", str(exc)) from exc


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@api.exception_handler(_Invalid)
def _invalid(request: HttpRequest, exc: _Invalid) -> HttpResponse:
    return error(request, 422, "invalid", exc.message, exc.field)


# --- Units -----------------------------------------------------------------------------------


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None
    depth: int
    holds_meetings: bool
    cell_type: str
    active_from: datetime.date | None
    closed_on: datetime.date | None
    is_weak: bool


def _unit_out(unit: Unit, parents: dict[str, str]) -> UnitOut:
    return UnitOut(
        code=unit.code,
        name=unit.name,
        kind=unit.kind.code,
        parent=parents.get(unit.path[: -Unit.steplen]) if unit.depth > 1 else None,
        depth=unit.depth,
        holds_meetings=unit.kind.holds_meetings,
        cell_type=unit.cell_type,
        active_from=unit.active_from,
        closed_on=unit.closed_on,
        is_weak=unit.is_weak,
    )


@api.get("/units/", response=answers(list[UnitOut]), tags=["units"])
@paginate(Page)
def list_units(
    request: HttpRequest, root: str | None = None, depth: Annotated[int, Field(ge=0, le=10)] = 1
) -> Any:
    """The units the user may see, from `root` (default: the highest units they reach) down
    to `depth` levels below it (0: the root alone)."""
    user = _user(request)
    roots = [_unit(request, root)] if root else top_units(user)
    reach = Q(pk__in=[])
    for top in roots:
        reach |= Q(path__startswith=top.path, depth__lte=top.depth + depth)
    units = (
        Unit.objects.visible_to(user, Perm.VIEW_UNIT)
        .filter(reach)
        .select_related("kind")
        .order_by("path")
    )
    return _Mapped(units, _units_out, batch=True)


def _units_out(units: list[Unit]) -> list[UnitOut]:
    paths = {u.path[: -Unit.steplen] for u in units if u.depth > 1}
    parents = dict(Unit.objects.filter(path__in=paths).values_list("path", "code"))
    return [_unit_out(u, parents) for u in units]


@api.get("/units/{code}/", response=answers(UnitOut), tags=["units"])
def get_unit(request: HttpRequest, code: str) -> UnitOut:
    unit = _unit(request, code)
    parents = {}
    if unit.depth > 1:
        parents = dict(
            Unit.objects.filter(path=unit.path[: -Unit.steplen]).values_list("path", "code")
        )
    return _unit_out(unit, parents)


# --- Members ---------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    full_name: str
    gender: str
    birth_date: datetime.date | None
    unit: str
    status: str
    card_number: str
    admitted_on: datetime.date | None
    official_on: datetime.date | None
    # Only for those who keep the member's records, and the member (the access layer's
    # field rules); null for everyone else.
    citizen_id: str | None
    phone: str | None


def _member_out(request: HttpRequest, member: Member) -> MemberOut:
    hidden = hidden_fields(_user(request), member)
    return MemberOut(
        id=member.pk,
        full_name=member.full_name,
        gender=member.gender,
        birth_date=member.birth_date,
        unit=member.unit.code,
        status=member.status,
        card_number=member.card_number or "",
        admitted_on=member.admitted_on,
        official_on=member.official_on,
        citizen_id=None if "citizen_id" in hidden else (member.citizen_id or ""),
        phone=None if "phone" in hidden else member.phone,
    )


def _members(request: HttpRequest, unit: str, status: str | None) -> QuerySet[Member]:
    top = _unit(request, unit, Perm.VIEW_MEMBERS)
    members = (
        Member.objects.visible_to(_user(request), Perm.VIEW_MEMBERS)
        .filter(unit__path__startswith=top.path)
        .select_related("unit")
        .order_by("unit__path", "sort_key", "pk")
    )
    if status:
        if status not in MemberStatus.values:
            raise _Invalid("status", _("Unknown status."))
        members = members.filter(status=status)
    return members


@api.get("/members/", response=answers(list[MemberOut]), tags=["members"])
@paginate(Page)
def list_members(request: HttpRequest, unit: str, status: str | None = None) -> Any:
    """The members of `unit` and the units below it that the user may see."""
    return _Mapped(_members(request, unit, status), lambda m: _member_out(request, m))


@api.get("/members/{member_id}/", response=answers(MemberOut), tags=["members"])
def get_member(request: HttpRequest, member_id: Id) -> MemberOut:
    return _member_out(request, get_member_for_user(_user(request), member_id))


class NationalExport(Schema):
    schema_: str = Field(..., alias="schema")
    fields: dict[str, str]
    members: list[dict[str, Any]]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@api.get("/members-export/", response=answers(NationalExport), tags=["members"], by_alias=True)
def export_members(request: HttpRequest, unit: str) -> Any:
    """The members of `unit` and below with their history, in the field names of the
    party-member record (Mẫu 1-HSĐV, as far as chibo keeps them): docs/api.md."""
    with reads_from_replica():
        return national.document(_members(request, unit, None), user=_user(request))


@api.get(
    "/members-export/xlsx/",
    response=dict.fromkeys((401, 404, 422, 429), ErrorOut),
    tags=["members"],
    openapi_extra={
        "responses": {
            "200": {
                "description": "The same as a workbook: members, then their periods.",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_members_xlsx(request: HttpRequest, unit: str) -> Any:
    with reads_from_replica():
        content = national.xlsx(_members(request, unit, None), user=_user(request))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="dang-vien-{unit}.xlsx"'
    return response


class _Mapped:
    """A queryset whose slices come out mapped (pagination slices, then we convert)."""

    def __init__(self, queryset: QuerySet[Any], convert: Any, *, batch: bool = False) -> None:
        self.queryset = queryset
        self.convert = convert
        self.batch = batch

    def __getitem__(self, index: slice) -> list[Any]:
        rows = list(self.queryset[index])
        return self.convert(rows) if self.batch else [self.convert(obj) for obj in rows]

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()


# --- Meetings ------------------------------------------------------------------------------


class MeetingOut(Schema):
    id: int
    unit: str
    kind: str
    month: datetime.date
    scheduled_at: datetime.datetime
    place: str
    topic: str
    state: str
    version: int
    approved_at: datetime.datetime | None


class AttendanceOut(Schema):
    member: Id
    name: str
    status: str
    reason: str


class ItemOut(Schema):
    order: int
    kind: str
    title: str
    notes: str | None
    speeches: list[dict[str, Any]] | None


class VoteOut(Schema):
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None
    denominator: int
    voters_present: int


class TaskOut(Schema):
    id: int
    meeting: int
    title: str
    owner: int | None
    owned_by_committee: bool
    deadline: datetime.date
    status: str
    progress: str
    done_on: datetime.date | None


class MeetingDetail(MeetingOut):
    attendance: list[AttendanceOut]
    items: list[ItemOut]
    conclusion: str | None
    resolution: str | None
    vote: VoteOut | None
    tasks: list[TaskOut]


def _meeting_out(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "unit": meeting.unit.code,
        "kind": meeting.kind,
        "month": meeting.month,
        "scheduled_at": meeting.scheduled_at,
        "place": meeting.place,
        "topic": meeting.topic,
        "state": meeting.state,
        "version": meeting.version,
        "approved_at": meeting.approved_at,
    }


def _task_out(task: Task) -> TaskOut:
    return TaskOut(
        id=task.pk,
        meeting=task.meeting_id,
        title=task.title,
        owner=task.owner_id,
        owned_by_committee=task.owned_by_committee,
        deadline=task.deadline,
        status=task.status,
        progress=task.progress,
        done_on=task.done_on,
    )


@api.get("/meetings/", response=answers(list[MeetingOut]), tags=["meetings"])
@paginate(Page)
def list_meetings(request: HttpRequest, unit: str, period: str | None = None) -> Any:
    """The meetings of `unit` and the cells below it, in `period` (2026, 2026-H1, 2026-Q3,
    2026-05, or 2026-01-01..2026-06-30; at most 5 years; default: this year)."""
    top = _unit(request, unit, Perm.VIEW_MEETINGS)
    chosen = _period(period or str(timezone.localdate().year))
    meetings = (
        Meeting.objects.visible_to(_user(request), Perm.VIEW_MEETINGS)
        .filter(unit__path__startswith=top.path)
        .filter(month__gte=chosen.start.replace(day=1), month__lte=chosen.end)
        .select_related("unit")
        .order_by("scheduled_at", "pk")
    )
    return _Mapped(meetings, lambda m: MeetingOut(**_meeting_out(m)))


@api.get("/meetings/{meeting_id}/", response=answers(MeetingDetail), tags=["meetings"])
def get_meeting(request: HttpRequest, meeting_id: Id) -> MeetingDetail:
    """A meeting with its attendance, agenda and tasks; the minutes' text (notes, speeches,
    conclusion, resolution, vote) once they are approved."""
    meeting = get_meeting_for_user(_user(request), meeting_id)
    approved = meeting.state == MeetingState.APPROVED
    rows = list(meeting.attendance.select_related("member").order_by("member__sort_key"))
    items = list(
        meeting.items.prefetch_related("speeches__member").order_by("order", "pk")
        if approved
        else meeting.items.order_by("order", "pk")
    )
    vote = None
    if approved:
        roll = meeting.attendance_counts().roll
        vote = VoteOut(
            votes_for=meeting.votes_for,
            votes_against=meeting.votes_against,
            votes_abstain=meeting.votes_abstain,
            denominator=roll.denominator,
            voters_present=roll.voters_present,
        )
    return MeetingDetail(
        **_meeting_out(meeting),
        attendance=[
            AttendanceOut(
                member=r.member_id, name=r.member.full_name, status=r.status, reason=r.reason
            )
            for r in rows
        ],
        items=[
            ItemOut(
                order=i.order,
                kind=i.kind,
                title=i.title,
                notes=i.notes if approved else None,
                speeches=[
                    {"member": s.member_id, "name": s.member.full_name, "gist": s.gist}
                    for s in i.speeches.all()
                ]
                if approved
                else None,
            )
            for i in items
        ],
        conclusion=meeting.conclusion if approved else None,
        resolution=meeting.resolution if approved else None,
        vote=vote,
        tasks=[_task_out(t) for t in meeting.tasks.order_by("deadline", "pk")],
    )


class AttendanceEntry(Schema):
    member: Id
    status: AttendanceStatus
    reason: str = Field("", max_length=200)


class AttendanceIn(Schema):
    version: int = Field(..., ge=0, description="The meeting's version the entries were made on.")
    entries: list[AttendanceEntry] = Field(..., max_length=2000)


@api.put(
    "/meetings/{meeting_id}/attendance/", response=answers(MeetingDetail, 409), tags=["meetings"]
)
def put_attendance(request: HttpRequest, meeting_id: Id, payload: AttendanceIn) -> Any:
    """Record the attendance before the minutes are approved, as the attendance form does
    (the same rules, the same service): 409 when the meeting changed since `version`."""
    meeting = get_meeting_for_user(_user(request), meeting_id, action=Perm.MANAGE_MEETINGS)
    if meeting.version != payload.version:
        raise Conflict(_("The meeting was saved by someone else since that version."))
    meeting_services.record_attendance(
        meeting=meeting,
        entries={e.member: (e.status, e.reason) for e in payload.entries},
        version=payload.version,
        by=_user(request),
    )
    return get_meeting(request, meeting_id)


# --- Tasks ----------------------------------------------------------------------------------


@api.get("/tasks/", response=answers(list[TaskOut]), tags=["tasks"])
@paginate(Page)
def list_tasks(request: HttpRequest, unit: str, status: TaskStatus | None = None) -> Any:
    """The tasks of the meetings of `unit` and the cells below it."""
    top = _unit(request, unit, Perm.VIEW_MEETINGS)
    tasks = (
        Task.objects.visible_to(_user(request), Perm.VIEW_MEETINGS)
        .filter(meeting__unit__path__startswith=top.path)
        .order_by("deadline", "pk")
    )
    if status:
        tasks = tasks.filter(status=status)
    return _Mapped(tasks, _task_out)


class TaskIn(Schema):
    status: TaskStatus
    progress: str = Field("", max_length=2000)


@api.patch("/tasks/{task_id}/", response=answers(TaskOut, 409), tags=["tasks"])
def patch_task(request: HttpRequest, task_id: Id, payload: TaskIn) -> TaskOut:
    """Move a task on (its status and a progress note), as its owner or the cell's record
    keepers may on the web."""
    task = get_task_for_user(_user(request), task_id)
    return _task_out(
        meeting_services.update_task(
            task=task, status=payload.status, progress=payload.progress, by=_user(request)
        )
    )


# --- Scores and classifications --------------------------------------------------------------


class ScoreOut(Schema):
    meeting: int
    unit: str
    month: datetime.date
    cell_total: int | None
    cell_level: str
    upper_total: int | None
    upper_level: str
    final_level: str
    confirmed_at: datetime.datetime | None


@api.get("/scores/", response=answers(list[ScoreOut]), tags=["scoring"])
@paginate(Page)
def list_scores(
    request: HttpRequest, unit: str, year: Annotated[int, Field(ge=2000, le=2100)]
) -> Any:
    top = _unit(request, unit, Perm.VIEW_MEETINGS)
    scores = (
        MeetingScore.objects.visible_to(_user(request), Perm.VIEW_MEETINGS)
        .filter(meeting__unit__path__startswith=top.path, meeting__month__year=year)
        .select_related("meeting", "meeting__unit")
        .order_by("meeting__month", "meeting__pk")
    )
    return _Mapped(
        scores,
        lambda s: ScoreOut(
            meeting=s.meeting_id,
            unit=s.meeting.unit.code,
            month=s.meeting.month,
            cell_total=s.cell_total,
            cell_level=s.cell_level,
            upper_total=s.upper_total,
            upper_level=s.upper_level,
            final_level=s.final_level,
            confirmed_at=s.confirmed_at,
        ),
    )


class ClassificationOut(Schema):
    year: int
    unit: str
    member: int | None
    self_level: str
    verified_level: str
    decided_level: str


@api.get("/classifications/", response=answers(list[ClassificationOut]), tags=["scoring"])
@paginate(Page)
def list_classifications(
    request: HttpRequest, unit: str, year: Annotated[int, Field(ge=2000, le=2100)]
) -> Any:
    """The annual classifications of the cells of `unit` and below, and of their members
    (member null: the cell's own)."""
    top = _unit(request, unit, Perm.VIEW_MEMBERS)
    ratings = (
        AnnualRating.objects.visible_to(_user(request), Perm.VIEW_MEMBERS)
        .filter(unit__path__startswith=top.path, year=year)
        .select_related("unit")
        .order_by("unit__path", "member_id", "pk")
    )
    return _Mapped(
        ratings,
        lambda r: ClassificationOut(
            year=r.year,
            unit=r.unit.code,
            member=r.member_id,
            self_level=r.self_level,
            verified_level=r.verified_level,
            decided_level=r.decided_level,
        ),
    )


# --- Materials ------------------------------------------------------------------------------


class MaterialOut(Schema):
    id: int
    unit: str
    title: str
    kind: str
    summary: str
    month: datetime.date
    topic: str
    file_name: str
    file_type: str
    published_at: datetime.datetime


def _material_out(material: Material) -> MaterialOut:
    return MaterialOut(
        id=material.pk,
        unit=material.unit.code,
        title=material.title,
        kind=material.kind,
        summary=material.summary,
        month=material.month,
        topic=material.topic,
        file_name=material.file_name,
        file_type=material.file_type,
        published_at=material.published_at,
    )


@api.get("/materials/", response=answers(list[MaterialOut]), tags=["materials"])
@paginate(Page)
def list_materials(request: HttpRequest) -> Any:
    """The materials sent down to the user's units."""
    materials = (
        Material.objects.visible_to(_user(request), Perm.VIEW_MEETINGS)
        .select_related("unit")
        .order_by("-pk")
    )
    return _Mapped(materials, _material_out)


@api.get("/materials/{material_id}/", response=answers(MaterialOut), tags=["materials"])
def get_material(request: HttpRequest, material_id: Id) -> MaterialOut:
    return _material_out(get_material_for_user(_user(request), material_id))


class ReadOut(Schema):
    material: int
    read_at: datetime.datetime


@api.post("/materials/{material_id}/read/", response=answers(ReadOut), tags=["materials"])
def mark_material_read(request: HttpRequest, material_id: Id) -> ReadOut:
    """Record that the user read the material (the first time is kept)."""
    material = get_material_for_user(_user(request), material_id)
    with transaction.atomic():
        read = content_services.mark_read(material, _user(request))
    return ReadOut(material=material.pk, read_at=read.read_at)


# --- Figures --------------------------------------------------------------------------------


class FigureRow(Schema):
    label: str
    values: list[Any]


class FiguresOut(Schema):
    unit: str
    period: str
    start: datetime.date
    end: datetime.date
    tables: dict[str, dict[str, Any]]


@api.get("/figures/", response=answers(FiguresOut), tags=["reports"])
def get_figures(request: HttpRequest, unit: str, period: str | None = None) -> FiguresOut:
    """The dashboard's figures of `unit` for `period` (as on the dashboard page)."""
    with reads_from_replica():
        top = _unit(request, unit, Perm.VIEW_MEETINGS)
        chosen = _period(period or str(timezone.localdate().year))
        board = figures.build(_user(request), top, chosen)
    tables = {
        key: {"title": str(title), "headers": [str(h) for h in heads],
              "rows": [[_plain(v) for v in row] for row in rows]}
        for key, (title, heads, rows) in board.tables().items()
    }  # fmt: skip
    return FiguresOut(
        unit=top.code, period=chosen.code, start=chosen.start, end=chosen.end, tables=tables
    )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


# --- Changes --------------------------------------------------------------------------------


class ChangeOut(Schema):
    cursor: str
    type: str
    id: int
    change: str
    at: datetime.datetime


class ChangesOut(Schema):
    changes: list[ChangeOut]
    next: str = Field(..., description="Pass as `since` to read on.")


@api.get("/changes/", response=answers(ChangesOut), tags=["changes"])
def list_changes(
    request: HttpRequest, since: str = "", limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 200
) -> ChangesOut:
    """What changed after the cursor `since` (empty: from the beginning), oldest first,
    among the records the user may see: units, members, meetings, attendance, tasks, scores.
    Read on with `next` until `changes` is empty."""
    try:
        found, cursor = change_feed.read(_user(request), since, limit)
    except change_feed.BadCursor as exc:
        raise _Invalid("since", _("This cursor is not one the API gave.")) from exc
    return ChangesOut(changes=[ChangeOut(**vars(change)) for change in found], next=cursor)
