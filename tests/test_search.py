"""The search over everything a user may see (chibo.search, chibo.lib.fulltext)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chibo.lib import fulltext, vntext
from chibo.meetings.models import AgendaItem, Meeting, Speech, Task
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.search.search import PER_TYPE, search
from chibo.supervision.models import Finding, InspectionItem

# The records planted in each cell, each tagged with the cell's made-up word: (group, text).
TAG = {"X001.01": "Quỳnhlâm", "X002.01": "Diễnchâu"}
PLANTED = {
    "members": "Ưng Thị Khuê",
    "meetings": "Khởi nghiệp",
    "minutes-item": "Thủy lợi",
    "minutes-conclusion": "Giếng khoan",
    "minutes-speech": "Mương máng",
    "resolutions": "Đường làng",
    "tasks": "Cống thoát",
    "materials": "Phòng cháy",
    "inspections": "Quỹ đảng",
    "inspections-finding": "Sổ sách",
}


def plant(code: str) -> None:
    from chibo.content.services import publish
    from chibo.meetings.services import plan_meeting
    from chibo.supervision.services import add_inspection

    tag = TAG[code]
    cell = Unit.objects.get(code=code)
    meeting = Meeting.objects.filter(unit=cell).order_by("-scheduled_at").first()
    if meeting is None:
        meeting = plan_meeting(
            unit=cell,
            kind="regular",
            scheduled_at=timezone.now() + datetime.timedelta(days=3),
            place="Hội trường thôn",
            by=None,
        )
    member = Member.objects.filter(unit=cell, user__isnull=True).first()
    assert member is not None
    name = f"{PLANTED['members']} {tag}"
    Member.objects.filter(pk=member.pk).update(
        full_name=name,
        search_name=vntext.fold(name),
        citizen_id=f"0{'1' if code == 'X001.01' else '2'}9876543210"[:12],
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        topic=f"{PLANTED['meetings']} {tag}",
        conclusion=f"<p>Kết luận: {PLANTED['minutes-conclusion']} {tag}</p>",
        resolution=f"Nghị quyết {PLANTED['resolutions']} {tag}",
    )
    item = AgendaItem.objects.create(
        meeting=meeting,
        order=90,
        kind="other",
        title="Việc khác",
        notes=f"<p>Bàn về <strong>{PLANTED['minutes-item']}</strong> {tag}</p>",
    )
    Speech.objects.create(
        item=item, member=member, gist=f"Ý kiến {PLANTED['minutes-speech']} {tag}"
    )
    Task.objects.create(
        meeting=meeting,
        title=f"Sửa {PLANTED['tasks']} {tag}",
        owner=member,
        deadline=timezone.localdate(),
    )
    publish(
        unit=Unit.objects.get(code=code.split(".")[0]),
        kind="meeting",
        title=f"Tài liệu {PLANTED['materials']} {tag}",
        summary="",
        month=datetime.date(2026, 3, 1),
        topic="",
        file=SimpleUploadedFile("t.pdf", b"%PDF-1.4\n%%EOF\n"),
        file_type="pdf",
        cells=[],
        by=None,
    )
    inspection = add_inspection(
        unit=Unit.objects.get(code=code.split(".")[0]),
        year=timezone.localdate().year,
        kind="inspection",
        target=cell,
        subject=f"Kiểm tra {PLANTED['inspections']} {tag}",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        by=None,
    )
    Finding.objects.create(
        item=inspection,
        kind="shortcoming",
        text=f"Phát hiện {PLANTED['inspections-finding']} {tag}",
    )


@pytest.fixture
def planted(db: None) -> None:
    plant("X001.01")
    plant("X002.01")


def _found(user: User, term: str) -> dict[str, list[str]]:
    return {
        group.key: [f"{hit.title} {hit.excerpt}" for hit in group.hits]
        for group in search(user, term).groups
    }


@pytest.mark.parametrize("planted_as", sorted(PLANTED))
@pytest.mark.parametrize("accents", [True, False], ids=["with-diacritics", "without"])
def test_every_type_is_found_with_or_without_diacritics(
    planted: None, cast: dict[str, User], planted_as: str, accents: bool
) -> None:
    term = f"{PLANTED[planted_as]} {TAG['X001.01']}"
    if not accents:
        term = vntext.fold(term).upper()
    found = _found(cast["bithu1"], term)
    group = planted_as.split("-")[0]
    assert group in found, (term, found)
    assert any(
        "Quỳnhlâm" in text or "Quỳnhlâm" in text.replace("<mark>", "").replace("</mark>", "")
        for text in found[group]
    )
    # The other cell's record, with the same words but its own tag, is not among them.
    assert not any("Diễnchâu" in text for texts in found.values() for text in texts)


def test_results_carry_the_unit_date_and_link(planted: None, cast: dict[str, User]) -> None:
    (hit,) = search(cast["bithu1"], "cong thoat quynhlam").groups[0].hits
    task = Task.objects.get(title__contains="Quỳnhlâm")
    assert hit.unit == task.meeting.unit.name
    assert hit.date == task.deadline
    assert hit.url == reverse("meetings:meeting", args=[task.meeting_id])


@pytest.mark.parametrize("username", ["dangvien1", "bithu1", "uyvien1", "outsider"])
def test_nothing_of_another_cell_is_found(
    planted: None, cast: dict[str, User], username: str
) -> None:
    for text in PLANTED.values():
        assert _found(cast[username], f"{text} Diễnchâu") == {}


def test_an_ordinary_member_finds_no_inspection_of_their_own_cell(
    planted: None, cast: dict[str, User]
) -> None:
    # Inspections are only for those who may open them (supervision.access's field rule).
    assert "inspections" not in _found(cast["dangvien1"], "quy dang quynhlam")
    assert "inspections" not in _found(cast["dangvien1"], "so sach quynhlam")
    assert "inspections" in _found(cast["bithu1"], "so sach quynhlam")


def test_members_cannot_search_fellow_members_by_citizen_id(
    planted: None, cast: dict[str, User]
) -> None:
    number = str(Member.objects.get(full_name__contains="Quỳnhlâm").citizen_id)
    assert "members" not in _found(cast["dangvien1"], number)
    assert "members" in _found(cast["bithu1"], number)


def test_everyone_with_a_reach_finds_the_meeting_page_by_the_header_box(
    planted: None, client_for
) -> None:
    response = client_for("dangvien1").get(reverse("search:search"), {"q": "khoi nghiep quynhlam"})
    assert response.status_code == 200
    assert "<mark>Khởi</mark>" in response.text
    assert 'action="/search/"' in client_for("dangvien1").get("/").text


def test_the_query_count_does_not_grow_with_what_is_found(
    planted: None, cast: dict[str, User]
) -> None:
    counts = []
    search(cast["bantochuc"], "warm")  # the user's grants, read once per user
    for term in ("quynhlam", "a", "zzzzzz"):
        with CaptureQueriesContext(connection) as queries:
            search(cast["bantochuc"], term)
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2] <= 12, counts


def test_found_rows_are_bounded_per_type(db: None, cast: dict[str, User]) -> None:
    plant("X001.01")
    meeting = Meeting.objects.filter(unit__code="X001.01").first()
    assert meeting is not None
    Task.objects.bulk_create(
        Task(
            meeting=meeting,
            title=f"Việc lặp {i}",
            owned_by_committee=True,
            deadline=timezone.localdate(),
        )
        for i in range(PER_TYPE + 5)
    )
    (group,) = search(cast["bithu1"], "viec lap").groups
    assert len(group.hits) == PER_TYPE
    assert group.more


HOSTILE = [
    '"',
    '"Nguyễn',
    "*",
    "an*",
    "NEAR(nguyen van)",
    "nguyen NEAR van",
    "-nguyen",
    "a & b | !c",
    "nguyen:* <-> van",
    "' OR 1=1 --",
    "%_\\",
    "\x00",
    "()",
    "x" * 5000,
    "ă " * 300,
    "🙂 漢字",
]


@pytest.mark.parametrize("term", HOSTILE)
def test_a_hostile_term_gives_a_page_never_an_error(planted: None, client_for, term: str) -> None:
    response = client_for("bithu1").get(reverse("search:search"), {"q": term})
    assert response.status_code == 200


def test_a_term_without_letters_says_so(planted: None, client_for) -> None:
    response = client_for("bithu1").get(reverse("search:search"), {"q": '"*-()'})
    assert "Type a few letters or digits" in response.text or "Gõ vài chữ" in response.text


def test_words_are_folded_bounded_and_without_syntax() -> None:
    assert fulltext.words('"Nguyễn  Văn-An" NEAR *') == ["nguyen", "van", "an", "near"]
    assert len(fulltext.words("a " * 100)) == fulltext.MAX_WORDS
    assert fulltext.words("x" * 500) == ["x" * fulltext.WORD_LENGTH]


def test_the_sqlite_match_and_the_snippet_fold_alike() -> None:
    assert fulltext.text_matches("nguyen van an", "<p>Ông NGUYỄN Văn Ánh</p>")
    assert not fulltext.text_matches("nguyen van an", "Nguyễn Văn Bình")
    snippet = fulltext.snippet("<p>Đồng chí Nguyễn Văn An & <b>x</b></p>", ["an", "dong"])
    assert snippet == "<mark>Đồng</mark> chí Nguyễn Văn <mark>An</mark> &amp; x"


def test_inspection_visible_rule_is_the_one_used(planted: None, cast: dict[str, User]) -> None:
    # The search reads inspections through InspectionItem.objects.visible_to only.
    seen = set(InspectionItem.objects.visible_to(cast["uyvien1"]).values_list("subject", flat=True))
    found = _found(cast["uyvien1"], "quy dang quynhlam").get("inspections", [])
    assert bool(found) == any("Quỳnhlâm" in subject for subject in seen)


@pytest.mark.parametrize(
    "text",
    ["Ông NGUYỄN Văn Ánh", "<p>Đường làng</p>", "khuyến nông", "an toàn", "Văn-An", "bàn"],
)
@pytest.mark.parametrize("word", ["an", "nguyen", "duong", "nong", "van", "ban"])
def test_the_postgresql_expression_finds_what_the_sqlite_function_finds(
    text: str, word: str
) -> None:
    import re

    pattern = fulltext.word_pattern(word)
    assert bool(re.search(pattern, text)) == fulltext.text_matches(word, text)
