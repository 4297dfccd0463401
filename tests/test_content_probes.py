"""Content probes: each cast member follows every link they can reach (pages and the files
they link to, XLSX opened) and never meets words that only another scope may see — names
of members of cells outside their reach, the citizen ID and phone of a fellow member, an
inspection's subject and conclusion, a fellow member's discipline."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.utils import timezone

from chibo.directives import services as directive_services
from chibo.directives.models import Answer
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.supervision.models import InspectionItem, Sanction, SanctionKind
from tests.conftest import CAST
from tests.crawling import crawl
from tests.factories import complete, planned

pytestmark = pytest.mark.django_db

# Who may see each probe (everyone else must never meet it).
READ_ALL = {"admin", "bantochuc", "kiemtra"}
SUPERVISION_X001 = READ_ALL | {"uyvien1"}
PROBES = {
    # A member of commune 2's cell: those who see that cell.
    "Kanariahai": READ_ALL | {"bithu2", "tocongtac1"},
    # A member of commune 1's cell: those who see that cell.
    "Kanariamot": SUPERVISION_X001 | {"bithu1", "dangvien1"},
    # The citizen ID and phone of that member: record keepers and those above, not members.
    "068099123456": SUPERVISION_X001 | {"bithu1"},
    "0912398765": SUPERVISION_X001 | {"bithu1"},
    # An inspection of commune 1's cell: supervision staff, and the inspected cell's leaders
    # who must act on it (as on the inspection page); never its ordinary members.
    "Kanariakiemtra": SUPERVISION_X001 | {"bithu1"},
    "Kanariaketluan": SUPERVISION_X001 | {"bithu1"},
    # The discipline of that member.
    "Kanariakyluat": SUPERVISION_X001 | {"bithu1"},
    # The answers of two cells of commune 1 to the commune's request: the commune's staff
    # and the province's organisation commission above it; each cell's own staff theirs.
    "Kanariatraloimot": {"admin", "bantochuc", "uyvien1", "bithu1"},
    "Kanariatraloihai": {"admin", "bantochuc", "uyvien1"},
}


def plant() -> None:
    cell1 = Unit.objects.get(code="X001.01")
    commune1 = Unit.objects.get(code="X001")
    fellow = Member.objects.filter(unit=cell1, user__isnull=True).order_by("pk").first()
    assert fellow is not None
    Member.objects.filter(pk=fellow.pk).update(
        full_name="Nguyễn Văn Kanariamot",
        given_name="Kanariamot",
        citizen_id="068099123456",
        phone="0912398765",
    )
    other = Member.objects.filter(unit__code="X002.01").order_by("pk").first()
    assert other is not None
    Member.objects.filter(pk=other.pk).update(
        full_name="Lò Văn Kanariahai", given_name="Kanariahai"
    )
    year = timezone.localdate().year
    InspectionItem.objects.create(
        unit=commune1,
        year=year,
        kind="inspection",
        target=cell1,
        subject="Kiểm tra Kanariakiemtra",
        starts_on=datetime.date(year, 1, 1),
        ends_on=datetime.date(year, 1, 31),
        done=True,
        conclusion="Kết luận Kanariaketluan",
        concluded_on=datetime.date(year, 2, 1),
    )
    Sanction.objects.create(
        kind=SanctionKind.DISCIPLINE,
        member=fellow,
        unit=cell1,
        form="Khiển trách Kanariakyluat",
        decided_on=datetime.date(year, 1, 15),
        reason="Kanariakyluat",
    )
    request = directive_services.send_request(
        unit=commune1, kind="plan", title="Kế hoạch", body="", due_on=timezone.localdate(),
        period=f"{year}", template="form", target="all", by=None,
    )  # fmt: skip
    for code, words in (("X001.01", "Kanariatraloimot"), ("X001.02", "Kanariatraloihai")):
        directive_services.save_answer(
            answer=request.answers.get(unit__code=code), results=f"Kết quả {words}",
            submit=True, version=None, by=None,
        )  # fmt: skip


def text_of(response) -> str:
    """A response's words: HTML or CSV as text, an XLSX or DOCX with its XML parts read."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
                if name.endswith(".xml")
            )
    return body.decode("utf-8", "replace")


@pytest.mark.parametrize("username", [name for name in CAST if name != "admin"])
def test_no_page_or_file_shows_what_only_another_scope_may_see(username: str, client_for) -> None:
    complete(planned(code="X001.01"))
    complete(planned(code="X002.01"))
    plant()
    hidden = [probe for probe, who in PROBES.items() if username not in who]
    for path, response in crawl(client_for(username)):
        if response.status_code != 200:
            continue
        text = text_of(response)
        leaked = [probe for probe in hidden if probe in text]
        assert not leaked, f"{username} met {leaked} at {path}"


def test_the_probes_are_found_where_they_may_be(client_for) -> None:
    """The probes are real: each shows where its audience looks."""
    plant()
    member = Member.objects.get(given_name="Kanariamot")
    assert "068099123456" in client_for("bithu1").get(member.get_absolute_url()).content.decode()
    roster = client_for("bithu2").get("/units/X002.01/members/").content.decode()
    assert "Kanariahai" in roster
    answer = Answer.objects.get(results__contains="Kanariatraloihai")
    assert (
        "Kanariatraloihai" in client_for("uyvien1").get(answer.get_absolute_url()).content.decode()
    )
