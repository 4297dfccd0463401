"""The access matrix's cases: every URL pattern, the request that reaches it, and which cast
member gets 200 (everyone else logged in gets the case's `denied`, anonymous its
`anonymous`). Shared by the matrix itself (test_access_matrix) and the sweeps that replay
its requests (test_get_writes, test_writes_once).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.utils import timezone

from chibo.meetings.models import AgendaItem, CalendarFeed, Meeting, Task
from chibo.members.models import ImportState, Member, RosterImport
from chibo.orgs.models import Unit
from tests.conftest import CAST
from tests.factories import planned, publish

ANON = None
EVERYONE = frozenset(CAST)


@dataclass(frozen=True)
class Case:
    """One request and who gets 200 (everyone else logged in gets `denied`)."""

    url_name: str
    args: Callable[[], list[object]]
    allowed: frozenset[str]
    method: str = "get"
    ok: int = 200
    denied: int = 404
    anonymous: int = 302
    # The API: the cast member's own token in the Authorization header (no session), a
    # query string, a JSON body.
    bearer: bool = False
    query: str = ""
    body: str | None = None

    def expected(self, username: str | None) -> int:
        if username is None:
            return self.anonymous
        return self.ok if username in self.allowed else self.denied


def member_of(code: str) -> Callable[[], list[object]]:
    def args() -> list[object]:
        return [Member.objects.filter(unit__code=code).order_by("pk")[0].pk]

    return args


def unit(code: str) -> Callable[[], list[object]]:
    return lambda: [code]


def action(code: str, slug: str) -> Callable[[], list[object]]:
    return lambda: [*member_of(code)(), slug]


def meeting_of(code: str) -> Callable[[], list[object]]:
    """A planned meeting of the cell `code` (made once per test)."""

    def args() -> list[object]:
        meeting = Meeting.objects.filter(unit__code=code).first()
        if meeting is None:
            meeting = planned(code, day=timezone.localdate() + datetime.timedelta(days=3))
        return [meeting.pk]

    return args


def feed_of(username: str, *cell: str) -> Callable[[], list[object]]:
    def args() -> list[object]:
        user = User.objects.get(username=username)
        feed, _created = CalendarFeed.objects.get_or_create(user=user)
        return [feed.token, *cell]

    return args


def checkin_of(code: str) -> Callable[[], list[object]]:
    def args() -> list[object]:
        (pk,) = meeting_of(code)()
        return [pk, Meeting.objects.get(pk=int(str(pk))).checkin_code]

    return args


def item_of(code: str) -> Callable[[], list[object]]:
    def args() -> list[object]:
        (pk,) = meeting_of(code)()
        # An item with minutes: removing it is refused (302 with a message), so it stays
        # for every user of the matrix.
        item = AgendaItem.objects.filter(meeting_id=int(str(pk))).last()
        assert item is not None
        AgendaItem.objects.filter(pk=item.pk).update(notes="<p>Đã ghi</p>")
        return [pk, item.pk]

    return args


def task_of_dangvien1() -> list[object]:
    (pk,) = meeting_of("X001.01")()
    meeting = Meeting.objects.get(pk=int(str(pk)))
    owner = Member.objects.get(user__username="dangvien1")
    task = Task.objects.create(
        meeting=meeting, title="Vận động hội viên", owner=owner, deadline=timezone.localdate()
    )
    return [task.pk]


def notification_of(username: str) -> Callable[[], list[object]]:
    def make() -> list[object]:
        from chibo.notifications.models import Notification

        notification = Notification.objects.create(
            user=User.objects.get(username=username), key="test:1", kind="test", title="T", url="/"
        )
        return [notification.pk]

    return make


def material_of(code: str) -> Callable[[], list[object]]:
    """A material published by `code` to every cell below it."""

    def make() -> list[object]:
        return [publish(code, month=datetime.date(2026, 3, 1)).pk]

    return make


def candidate_of(code: str) -> Callable[[], list[object]]:
    """A candidate listed by the cell `code`."""

    def make() -> list[object]:
        from chibo.development.services import add_candidate

        candidate = add_candidate(
            unit=Unit.objects.get(code=code),
            data={
                "full_name": "Nguyễn Văn Mới",
                "gender": "male",
                "birth_date": datetime.date(2000, 1, 1),
            },
            listed_on=datetime.date(2026, 1, 5),
            by=None,
        )
        return [candidate.pk]

    return make


def regulation_of(code: str) -> Callable[[], list[object]]:
    def make() -> list[object]:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from chibo.content.services import adopt_regulation

        regulation = adopt_regulation(
            unit=Unit.objects.get(code=code),
            adopted_on=datetime.date(2025, 1, 1),
            notes="",
            file=SimpleUploadedFile("q.pdf", b"%PDF-1.4\n%%EOF\n"),
            file_type="pdf",
            by=None,
        )
        return [regulation.pk]

    return make


def topic_of(code: str) -> Callable[[], list[object]]:
    """A thematic topic oriented by `code` for this year."""

    def make() -> list[object]:
        from chibo.content.services import save_topic

        topic = save_topic(
            topic=None,
            unit=Unit.objects.get(code=code),
            data={"year": 2026, "title": "Chuyên đề", "guidance": "", "hcm_content": ""},
            by=None,
        )
        return [topic.pk]

    return make


def course_of(code: str) -> Callable[[], list[object]]:
    def make() -> list[object]:
        from chibo.content.models import Course

        course = Course.objects.create(
            unit=Unit.objects.get(code=code),
            kind="tap_huan",
            title="Tập huấn",
            starts_on=datetime.date(2026, 1, 5),
            ends_on=datetime.date(2026, 1, 6),
        )
        return [course.pk]

    return make


def import_job() -> list[object]:
    """A checked roster import uploaded by bithu1 into her cell."""
    job = RosterImport.objects.create(
        created_by=User.objects.get(username="bithu1"),
        unit=Unit.objects.get(code="X001.01"),
        file=ContentFile(b"-", name="roster.csv"),
        filename="roster.csv",
        state=ImportState.CHECKED,
    )
    return [job.pk]


def visit_of_uyvien1() -> list[object]:
    """uyvien1 assigned to a meeting of X001.01."""
    from chibo.supervision.services import assign_visit

    (pk,) = meeting_of("X001.01")()
    meeting = Meeting.objects.get(pk=int(str(pk)))
    visit = assign_visit(meeting=meeting, user=User.objects.get(username="uyvien1"), by=None)
    return [visit.pk]


def working_group() -> list[object]:
    """A provincial working group led by uyvien1, assigned commune 1."""
    from chibo.supervision.services import save_group

    today = timezone.localdate()
    group = save_group(
        unit=Unit.objects.get(code="LV"),
        name="Tổ công tác",
        leader=User.objects.get(username="uyvien1"),
        members=[],
        units=[Unit.objects.get(code="X001")],
        starts_on=datetime.date(today.year, 1, 1),
        ends_on=datetime.date(today.year, 12, 31),
        by=None,
    )
    return [group.pk]


def weak_cell_of_x001_01() -> list[object]:
    """X001.01 proposed for the list of weak cells by its commune."""
    from chibo.supervision.services import propose_weak_cell

    case = propose_weak_cell(
        unit=Unit.objects.get(code="X001.01"),
        year=timezone.localdate().year,
        source="commune",
        reason="Sinh hoạt không đều",
        by=None,
    )
    return [case.pk]


def good_practice_of_x001_01() -> list[object]:
    """A finding of good practice of commune 1's inspection of X001.01."""
    from chibo.supervision.models import InspectionItem
    from chibo.supervision.services import add_finding

    (pk,) = inspection_of_x001_01()
    finding = add_finding(
        item=InspectionItem.objects.get(pk=int(str(pk))),
        data={"kind": "good_practice", "text": "Sổ tay đảng viên điện tử"},
        by=None,
    )
    return [finding.pk]


def report_file_of(fmt: str) -> Callable[[], list[object]]:
    """This year's report of the working group led by uyvien1, as a file."""
    return lambda: [*working_group(), f"{timezone.localdate().year}", fmt]


def inspection_of_x001_01() -> list[object]:
    from chibo.supervision.services import add_inspection

    today = timezone.localdate()
    item = add_inspection(
        unit=Unit.objects.get(code="X001"),
        year=today.year,
        kind="inspection",
        target=Unit.objects.get(code="X001.01"),
        subject="Sinh hoạt chi bộ",
        starts_on=today,
        ends_on=today,
        by=None,
    )
    return [item.pk]


def report_of_x001(*extra: str) -> Callable[[], list[object]]:
    """The periodic report of commune 1, written."""

    def args() -> list[object]:
        from chibo.reports.periodic import reserve, write_report
        from chibo.reports.periods import parse

        report = reserve(Unit.objects.get(code="X001"), parse("2026-H1"), None)
        write_report(report, User.objects.get(username="admin"))
        return [str(report.pk), *extra]

    return args


def export_of(code: str, table: str, fmt: str) -> Callable[[], list[object]]:
    return lambda: [code, table, fmt]


def request_of(code: str, template: str = "form") -> Callable[[], list[object]]:
    """A request sent by `code` to every unit directly below it."""

    def make() -> list[object]:
        from chibo.directives.services import send_request

        request = send_request(
            unit=Unit.objects.get(code=code),
            kind="half_year",
            title="Báo cáo",
            body="",
            due_on=timezone.localdate(),
            period="2026-H1",
            template=template,
            target="all",
            by=None,
        )
        return [request.pk]

    return make


def answer_to(sender: str, code: str, *, with_file: bool = False) -> Callable[[], list[object]]:
    """The answer of `code` to a request of `sender` (a document, uploaded when asked)."""

    def make() -> list[object]:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from chibo.directives.models import Answer
        from chibo.directives.services import save_answer

        (pk,) = request_of(sender, "document")()
        answer = Answer.objects.get(request_id=int(str(pk)), unit__code=code)
        if with_file:
            save_answer(
                answer=answer,
                file=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n"),
                file_type="pdf",
                submit=False,
                version=None,
                by=None,
            )
        return [answer.pk]

    return make


def export_of_request(code: str, fmt: str) -> Callable[[], list[object]]:
    return lambda: [*request_of(code)(), fmt]


NO_ARGS: Callable[[], list[object]] = list
# Who manages the whole province, and who reads it all (kiemtra: inspection staff).
ALL_UNITS = {"admin", "bantochuc"}
READ_ALL = ALL_UNITS | {"kiemtra"}
# Who may see each unit of the small province: commune 1 (X001) holds bithu1's and
# dangvien1's cell X001.01; commune 2 (X002) holds bithu2's cell X002.01, and is the
# charge of tocongtac1's provincial working group.
SEE = {
    "LV": READ_ALL,
    "X001": READ_ALL | {"uyvien1"},
    "X001.01": READ_ALL | {"uyvien1", "bithu1", "dangvien1"},
    "X002": READ_ALL | {"tocongtac1"},
    "X002.01": READ_ALL | {"bithu2", "tocongtac1"},
}

# Who may change member records (members and upper-level committee members may not).
MANAGE = {
    "LV": ALL_UNITS,
    "X001": ALL_UNITS,
    "X001.01": ALL_UNITS | {"bithu1"},
    "X002": ALL_UNITS,
    "X002.01": ALL_UNITS | {"bithu2"},
}

MEETING_FORMS = (
    "preparation",
    "attendance",
    "minutes",
    "speech",
    "vote",
    "task",
    "postpone",
    "cancel",
    "guest",
    "item",
    "edit",
)
# Who may plan meetings and write minutes: the cell's secretary, deputy and committee.
WRITE_MEETINGS = {"X001.01": {"admin", "bithu1"}, "X002.01": {"admin", "bithu2"}}


def cases() -> Iterator[Case]:
    yield Case("portal:home", NO_ARGS, EVERYONE)
    yield Case("health", NO_ARGS, EVERYONE, anonymous=200)
    # The phone's service worker: its script is open (the browser checks it for updates with
    # or without a session); the list of pages it keeps is the user's own, as is the page
    # it shows for a page not kept (chibo.portal.offline).
    yield Case("portal:service_worker", NO_ARGS, EVERYONE, anonymous=200)
    yield Case("portal:offline_pages", NO_ARGS, EVERYONE)
    yield Case("portal:offline", NO_ARGS, EVERYONE)
    yield Case("login", NO_ARGS, EVERYONE, anonymous=200)
    yield Case("logout", NO_ARGS, frozenset(), method="post", denied=302)
    yield Case("password_change", NO_ARGS, EVERYONE)
    # Activation with a code: open to all; its next steps only to a session opened with one.
    yield Case("activate", NO_ARGS, EVERYONE, anonymous=200)
    yield Case("activate_setup", NO_ARGS, frozenset())
    yield Case("activate_done", NO_ARGS, frozenset())
    # django-otp-webauthn's endpoints: registering a passkey needs a login, signing in not.
    yield Case("otp_webauthn:credential-registration-begin", NO_ARGS, EVERYONE, method="post")
    yield Case(
        "otp_webauthn:credential-registration-complete",
        NO_ARGS,
        EVERYONE,
        method="post",
        ok=400,
    )
    yield Case(
        "otp_webauthn:credential-authentication-begin",
        NO_ARGS,
        EVERYONE,
        method="post",
        anonymous=200,
    )
    yield Case(
        "otp_webauthn:credential-authentication-complete",
        NO_ARGS,
        EVERYONE,
        method="post",
        ok=400,
        anonymous=400,
    )
    yield Case("otp_webauthn:js-i18n-catalog", NO_ARGS, EVERYONE, anonymous=200)
    yield Case("password_change_done", NO_ARGS, EVERYONE)
    # A user's own API tokens (revoking another's: 404).
    yield Case("api_tokens", NO_ARGS, EVERYONE)
    yield Case("api_token_revoke", lambda: [10**9], frozenset(), method="post")
    yield Case("two_factor", NO_ARGS, EVERYONE)
    yield Case("two_factor_setup", NO_ARGS, EVERYONE)
    # Without a device there is no code to ask: straight on (or back to the status page).
    yield Case("two_factor_verify", NO_ARGS, EVERYONE, ok=302)
    yield Case("two_factor_disable", NO_ARGS, EVERYONE, method="post", ok=302)
    yield Case("set_language", NO_ARGS, frozenset(), method="post", denied=302)
    yield Case("orgs:tree", NO_ARGS, EVERYONE)
    yield Case("admin:index", NO_ARGS, frozenset({"admin"}), denied=302)
    yield Case("members:search", NO_ARGS, EVERYONE)
    yield Case("search:search", NO_ARGS, EVERYONE)
    # The to-do list and notifications: each person's own.
    yield Case("portal:todo", NO_ARGS, EVERYONE)
    yield Case("portal:todo_count", NO_ARGS, EVERYONE)
    yield Case("portal:my_tasks", NO_ARGS, EVERYONE, ok=302)  # now the to-do list
    yield Case("notifications:list", NO_ARGS, EVERYONE)
    yield Case("notifications:settings", NO_ARGS, EVERYONE)
    yield Case("notifications:read_all", NO_ARGS, EVERYONE, method="post", ok=302)
    yield Case(
        "notifications:read",
        notification_of("dangvien1"),
        frozenset({"dangvien1"}),
        method="post",
        ok=302,
    )
    # An empty body is no subscription, for whoever sends it.
    yield Case("notifications:subscribe", NO_ARGS, EVERYONE, method="post", ok=400)
    yield Case("notifications:unsubscribe", NO_ARGS, EVERYONE, method="post")
    yield Case("meetings:calendar", NO_ARGS, EVERYONE)
    # Calendar apps cannot log in: the private token stands for its owner, whoever asks.
    yield Case("meetings:person_calendar", feed_of("dangvien1"), EVERYONE, anonymous=200)
    yield Case("meetings:cell_calendar", feed_of("bithu1", "X001.01"), EVERYONE, anonymous=200)
    yield Case("meetings:cell_calendar", feed_of("bithu1", "X002.01"), frozenset(), anonymous=404)
    yield Case("meetings:person_calendar", lambda: ["no-such-token"], frozenset(), anonymous=404)
    yield Case(
        "meetings:task_update", task_of_dangvien1, frozenset({"admin", "bithu1", "dangvien1"})
    )
    yield Case("meetings:cell", unit("X001"), frozenset())  # not a cell
    yield Case("scoring:scorecard", unit("X001"), frozenset())  # not a cell
    for code in ("LV", "X001", "X002"):
        yield Case("scoring:league", unit(code), frozenset(SEE[code]))
    for code, writers in WRITE_MEETINGS.items():
        yield Case("scoring:scorecard", unit(code), frozenset(SEE[code]))
        yield Case("meetings:cell", unit(code), frozenset(SEE[code]))
        yield Case("meetings:new", unit(code), frozenset(writers))
        yield Case("meetings:schedule", unit(code), frozenset(writers), method="post", ok=302)
        yield Case("meetings:meeting", meeting_of(code), frozenset(SEE[code]))
        for name in ("minutes_docx", "minutes_pdf", "attendance_sheet", "seal"):
            yield Case(f"meetings:{name}", meeting_of(code), frozenset(SEE[code]))
        yield Case("meetings:item_remove", item_of(code), frozenset(writers), method="post", ok=302)
        for name in MEETING_FORMS:
            yield Case(f"meetings:{name}", meeting_of(code), frozenset(writers))
        yield Case("meetings:approve", meeting_of(code), frozenset(writers), method="post", ok=302)
        # The live minutes: the page, and its pieces posted empty (errors or a bad request).
        yield Case("meetings:live", meeting_of(code), frozenset(writers))
        for name in ("live_vote", "live_task", "live_head", "attendance_counts"):
            yield Case(f"meetings:{name}", meeting_of(code), frozenset(writers), method="post")
        for name in ("live_text", "live_speech"):
            yield Case(
                f"meetings:{name}", meeting_of(code), frozenset(writers), method="post", ok=400
            )
        yield Case("meetings:qr", meeting_of(code), frozenset(writers))
        # The scanned code opens a confirm page; its button checks in and goes back to the
        # meeting (with a message when not open or not listed).
        yield Case("meetings:checkin", checkin_of(code), frozenset(SEE[code]))
        yield Case(
            "meetings:checkin", checkin_of(code), frozenset(SEE[code]), method="post", ok=302
        )
        # Scoring a planned meeting shows its sheet; upper levels confirm (bantochuc is
        # staff of the organisation commission: it reads but does not confirm).
        yield Case("scoring:meeting", meeting_of(code), frozenset(writers))
        confirmers = {"admin", "uyvien1"} if code == "X001.01" else {"admin", "tocongtac1"}
        yield Case("scoring:confirm", meeting_of(code), frozenset(confirmers))
        yield Case("supervision:meeting_visits", meeting_of(code), frozenset(SEE[code]))
        # Only approved minutes can be amended.
        yield Case("meetings:amend", meeting_of(code), frozenset())
    # Requests down, answers up: the sending unit's staff (and the staff above who oversee
    # it) see a request and all its answers; a recipient's staff see the request and their
    # own answer; sending, answering and reviewing take a grant on the unit itself.
    yield Case("directives:inbox", NO_ARGS, EVERYONE)
    request_senders = {
        "LV": {"admin", "bantochuc"},
        "X001": {"admin", "uyvien1"},
        "X002": {"admin"},
    }
    for code, people in request_senders.items():
        yield Case("directives:new", unit(code), frozenset(people))
    yield Case("directives:new", unit("X001.01"), frozenset())  # a cell sends nothing
    yield Case("directives:new", unit("LV"), frozenset({"admin", "bantochuc"}), method="post")
    request_overseers = {"LV": {"admin", "bantochuc"}, "X001": {"admin", "bantochuc", "uyvien1"}}
    yield Case(
        "directives:request", request_of("LV"), frozenset(request_overseers["LV"] | {"uyvien1"})
    )
    yield Case(
        "directives:request", request_of("X001"), frozenset(request_overseers["X001"] | {"bithu1"})
    )
    for code, people in request_overseers.items():
        yield Case("directives:consolidated", request_of(code), frozenset(people))
        for fmt in ("docx", "xlsx"):
            yield Case(
                "directives:consolidated_export", export_of_request(code, fmt), frozenset(people)
            )
    yield Case("directives:consolidated_export", export_of_request("LV", "pdf"), frozenset())
    request_answers = {
        ("LV", "X001"): request_overseers["LV"] | {"uyvien1"},
        ("LV", "X002"): request_overseers["LV"],
        ("X001", "X001.01"): request_overseers["X001"] | {"bithu1"},
        ("X001", "X001.02"): request_overseers["X001"],
    }
    for (sender, code), people in request_answers.items():
        yield Case("directives:answer", answer_to(sender, code), frozenset(people))
        yield Case("directives:answer_file", answer_to(sender, code), frozenset())  # no file
        yield Case(
            "directives:answer_file", answer_to(sender, code, with_file=True), frozenset(people)
        )
    # Posting an answer (empty: the form's errors): the staff of the recipient unit itself.
    answer_writers = {"X001": {"admin", "uyvien1"}, "X001.01": {"admin", "bithu1"}}
    yield Case(
        "directives:answer",
        answer_to("LV", "X001"),
        frozenset(answer_writers["X001"]),
        method="post",
    )
    yield Case(
        "directives:answer",
        answer_to("X001", "X001.01"),
        frozenset(answer_writers["X001.01"]),
        method="post",
    )
    yield Case("members:template", NO_ARGS, EVERYONE)
    yield Case("supervision:my_visits", NO_ARGS, EVERYONE)
    yield Case("reports:export", lambda: ["LV", "no-such-table", "csv"], frozenset())
    yield Case("reports:report", report_of_x001(), frozenset(SEE["X001"]))
    yield Case("reports:report_file", report_of_x001("docx"), frozenset(SEE["X001"]))
    yield Case("reports:report_file", report_of_x001("pdf"), frozenset())
    # An inspection of bithu1's cell by commune 1: its supervisors, and the cell's leaders.
    yield Case("supervision:inspection", inspection_of_x001_01, frozenset(SEE["X001"] | {"bithu1"}))
    yield Case("supervision:visit", visit_of_uyvien1, frozenset(SEE["X001.01"]))
    yield Case("supervision:group", working_group, frozenset(READ_ALL | {"uyvien1"}))
    yield Case("supervision:my_groups", NO_ARGS, EVERYONE)
    for fmt in ("docx", "xlsx"):
        yield Case(
            "supervision:report_file",
            report_file_of(fmt),
            frozenset(READ_ALL | {"uyvien1"}),
        )
    yield Case(
        "supervision:report_file",
        lambda: [*working_group(), f"{timezone.localdate().year}", "pdf"],
        frozenset(),
    )
    # A weak-cell record of bithu1's cell: its supervisors and its leaders.
    yield Case("supervision:weak_cell", weak_cell_of_x001_01, frozenset(SEE["X001"] | {"bithu1"}))
    # A good practice found in bithu1's cell: spread by whoever publishes for commune 1.
    yield Case("content:spread", good_practice_of_x001_01, frozenset({"admin"}))
    yield Case(
        "supervision:report",
        lambda: [*working_group(), f"{timezone.localdate().year}"],
        frozenset(READ_ALL | {"uyvien1"}),
    )
    # Planning the province's visits: no provincial committee member in the cast, so
    # nothing to plan and straight back to the page.
    yield Case("supervision:plan", unit("LV"), frozenset(ALL_UNITS), method="post", ok=302)
    for code in SEE:
        supervisors = SEE[code] - {"bithu1", "bithu2", "dangvien1"}
        yield Case("supervision:plan", unit(code), frozenset(supervisors))
        # The people of the province's working group (tocongtac1) reach the list of the
        # committee that set it up.
        group_people = {"tocongtac1"} if code == "LV" else set()
        yield Case("supervision:groups", unit(code), frozenset(supervisors | group_people))
        yield Case("supervision:priority_cells", unit(code), frozenset(supervisors))
        yield Case("supervision:weak_cells", unit(code), frozenset(supervisors))
        yield Case("content:good_practice", unit(code), frozenset(SEE[code]))
        yield Case("supervision:programme", unit(code), frozenset(supervisors))
        yield Case(
            "supervision:support", unit(code), frozenset(supervisors if code.count(".") else ())
        )
    # The province's rules: its organisation commission (and administrators).
    yield Case("scoring:rules", NO_ARGS, frozenset(ALL_UNITS))
    yield Case("supervision:rules", NO_ARGS, frozenset(ALL_UNITS))
    yield Case("scoring:rules", NO_ARGS, frozenset(ALL_UNITS), method="post")  # form errors
    yield Case("scoring:rubric_new", lambda: ["HD12-100"], frozenset(ALL_UNITS))
    yield Case("scoring:rubric_new", lambda: ["NO-SUCH"], frozenset())
    yield Case("members:import_status", import_job, frozenset({"bithu1"}))
    yield Case("members:import_confirm", import_job, frozenset({"bithu1"}), method="post", ok=302)
    yield Case("members:import_retry", import_job, frozenset({"bithu1"}), method="post", ok=302)
    # Materials: a unit's list for whoever sees the unit (publishing is for propaganda staff,
    # tested in test_content); a material for whoever sees the meetings of a cell it reaches
    # or the publishing unit; who has read it for the publishers and supervisors above.
    for code in SEE:
        yield Case("content:materials", unit(code), frozenset(SEE[code]))
        yield Case("development:candidates", unit(code), frozenset(SEE[code]))
        yield Case("development:development", unit(code), frozenset(SEE[code]))
        yield Case("content:regulations", unit(code), frozenset(SEE[code]))
        yield Case("content:topics", unit(code), frozenset(SEE[code]))
        yield Case("content:training", unit(code), frozenset(SEE[code]))
        yield Case("content:course", course_of(code), frozenset(SEE[code]))
    for code in ("X001.01", "X002.01"):
        yield Case("content:regulation_file", regulation_of(code), frozenset(SEE[code]))
    for code in ("X001.01", "X002.01"):
        yield Case("development:candidate", candidate_of(code), frozenset(SEE[code]))
    readers = {"LV": EVERYONE - {"outsider"}, "X001": SEE["X001.01"], "X002": SEE["X002.01"]}
    for code, who in readers.items():
        yield Case("content:material", material_of(code), frozenset(who))
        yield Case("content:file", material_of(code), frozenset(who))
        yield Case("content:confirm_read", material_of(code), frozenset(who), method="post", ok=302)
        yield Case("content:topic", topic_of(code), frozenset(who))
        yield Case(
            "content:coverage",
            material_of(code),
            frozenset(SEE[code] - {"bithu1", "bithu2", "dangvien1"}),
        )
    for code, users in SEE.items():
        yield Case("portal:unit", unit(code), frozenset(users))
        yield Case("orgs:unit_history", unit(code), frozenset(users))
        yield Case("members:roster", unit(code), frozenset(users))
        yield Case("members:export", unit(code), frozenset(users))
        yield Case("members:import", unit(code), frozenset(MANAGE[code]))
        # Members are added to cells only.
        cell_managers = MANAGE[code] if code.count(".") else set()
        yield Case("members:member_new", unit(code), frozenset(cell_managers))
        # Who can sign in, and accounts with codes: the cell's record keepers.
        yield Case("members:accounts", unit(code), frozenset(cell_managers))
        yield Case(
            "members:account_codes",
            unit(code),
            frozenset(cell_managers),
            method="post",
            ok=302,
        )
        yield Case("scoring:compliance", unit(code), frozenset(users))
        yield Case("reports:dashboard", unit(code), frozenset(users))
        yield Case("reports:reports", unit(code), frozenset(() if code.count(".") else users))
        # The record audit: organisation and inspection staff, and committee members above.
        yield Case("reports:audit", unit(code), frozenset(users & (READ_ALL | {"uyvien1"})))
        for table, fmt in (("summary", "xlsx"), ("units", "csv")):
            yield Case("reports:export", export_of(code, table, fmt), frozenset(users))
        yield Case("scoring:classification", unit(code), frozenset(users))
        yield Case("scoring:classification_export", unit(code), frozenset(users))
        yield Case("scoring:rate_cell", unit(code), frozenset(users if code.count(".") else ()))
    for code in ("X001.01", "X002.01"):
        yield Case("members:member", member_of(code), frozenset(SEE[code]))
        yield Case("members:member_history", member_of(code), frozenset(SEE[code]))
        yield Case("members:member_edit", member_of(code), frozenset(MANAGE[code]))
        yield Case("scoring:rate_member", member_of(code), frozenset(SEE[code]))
        # Only those with a step to take may post: the secretary's self-assessment here.
        yield Case("scoring:rate_cell", unit(code), frozenset(WRITE_MEETINGS[code]), method="post")
        yield Case(
            "members:account_revoke",
            member_of(code),
            frozenset(MANAGE[code]),
            method="post",
            ok=302,
        )
        for slug in ("transfer", "exempt", "away", "leave", "post"):
            yield Case("members:member_action", action(code, slug), frozenset(MANAGE[code]))


def api_cases() -> Iterator[Case]:
    """The API (/api/v1/): the same access as the pages, with a token instead of a session;
    401 without one. The documents describing it are open."""
    yield Case("api:openapi-json", NO_ARGS, EVERYONE, anonymous=200)
    yield Case("api:openapi-view", NO_ARGS, EVERYONE, anonymous=200)
    yield Case("api:api-root", NO_ARGS, frozenset(), anonymous=404)

    def api(
        name: str, args: Callable[[], list[object]], allowed: frozenset[str], **kw: Any
    ) -> Case:
        return Case(f"api:{name}", args, allowed, bearer=True, anonymous=401, **kw)

    yield api("list_units", NO_ARGS, EVERYONE)
    for code, users in SEE.items():
        yield api("get_unit", unit(code), frozenset(users))
        yield api("list_units", NO_ARGS, frozenset(users), query=f"root={code}")
        yield api("list_members", NO_ARGS, frozenset(users), query=f"unit={code}")
        yield api("export_members", NO_ARGS, frozenset(users), query=f"unit={code}")
        yield api("export_members_xlsx", NO_ARGS, frozenset(users), query=f"unit={code}")
        yield api("list_meetings", NO_ARGS, frozenset(users), query=f"unit={code}&period=2026")
        yield api("list_tasks", NO_ARGS, frozenset(users), query=f"unit={code}")
        yield api("list_scores", NO_ARGS, frozenset(users), query=f"unit={code}&year=2026")
        yield api("list_classifications", NO_ARGS, frozenset(users), query=f"unit={code}&year=2026")
        yield api("get_figures", NO_ARGS, frozenset(users), query=f"unit={code}&period=2026")
    for code in ("X001.01", "X002.01"):
        yield api("get_member", member_of(code), frozenset(SEE[code]))
        yield api("get_meeting", meeting_of(code), frozenset(SEE[code]))
        # An empty sheet at a stale version: refused (409) for those who may write, 404 else.
        yield api(
            "put_attendance",
            meeting_of(code),
            frozenset(WRITE_MEETINGS[code]),
            method="put",
            body='{"version": 0, "entries": []}',
            ok=409,
        )
    yield api(
        "patch_task",
        task_of_dangvien1,
        frozenset({"admin", "bithu1", "dangvien1"}),
        method="patch",
        body='{"status": "in_progress", "progress": ""}',
    )
    yield api("list_materials", NO_ARGS, EVERYONE)
    for code, who in {"LV": EVERYONE - {"outsider"}, "X001": SEE["X001.01"]}.items():
        yield api("get_material", material_of(code), frozenset(who))
        yield api("mark_material_read", material_of(code), frozenset(who), method="post")
    yield api("list_changes", NO_ARGS, EVERYONE)


CASES = list(cases()) + list(api_cases())


def token_headers(username: str | None) -> dict[str, str]:
    """The Authorization header of a new API token of `username` (none for anonymous)."""
    from chibo.api.tokens import create_token

    if username is None:
        return {}
    _token, text = create_token(user=User.objects.get(username=username), name="matrix")
    return {"Authorization": f"Bearer {text}"}
