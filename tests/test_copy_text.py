"""The seeds' COPY text gives the same rows on either database: PostgreSQL reads it with
COPY, SQLite inserts it through `chibo.demo.copy_text` (issue 24: the SQLite province seed
loaded as the national generator writes it)."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Max

from chibo.demo import copy_text
from chibo.demo.national import TABLES, Streams, _json
from chibo.meetings.models import Task
from chibo.members.models import Member
from chibo.scoring.models import MeetingScore, Rubric
from tests import factories

UTC = datetime.UTC


def _next(model: type[Task] | type[MeetingScore]) -> int:
    return int(model.objects.aggregate(n=Max("pk"))["n"] or 0) + 1


def _send(name: str, lines: list[str]) -> None:
    assert all(len(line.split("\t")) == len(TABLES[name][1]) for line in lines)
    Streams().send({name: ("".join(f"{line}\n" for line in lines).encode(), len(lines))})


def test_fields_are_taken_raw_unless_a_backslash_escapes_something() -> None:
    raw = copy_text.raw_fields("1\t\\N\tt\t\n2\tx\tf\t2025-01-01 08:00:00+07\n", 4)
    assert raw == ["1", "\\N", "t", "", "2", "x", "f", "2025-01-01 08:00:00+07"]
    assert copy_text.raw_fields("", 4) == []
    escaped = "1\t\\N\ta\\tb\\\\c\\nd\n2\t\\\\N\t\n"
    assert copy_text.raw_fields(escaped, 3) is None
    assert copy_text.exact_rows(escaped) == [["1", None, "a\tb\\c\nd"], ["2", "\\N", ""]]
    with pytest.raises(ValueError, match=r"escape not understood: \\x"):
        copy_text.exact_rows("1\t\\x41\n")


def test_text_that_is_not_whole_lines_of_the_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="3 columns expected: 5 fields in 2 lines"):
        copy_text.raw_fields("1\t2\t3\n4\t5\n", 3)
    with pytest.raises(ValueError, match="3 columns expected"):
        copy_text.raw_fields("1\t2\t3\n4\t5\t6", 3)
    with pytest.raises(ValueError, match="3 columns expected: 3 fields in 0 lines"):
        copy_text.raw_fields("1\t2\t3", 3)
    with pytest.raises(ValueError, match="complete line"):
        copy_text.exact_rows("1\t\\\\\n2")


@pytest.mark.django_db
def test_the_same_copy_text_gives_the_same_rows_on_either_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two rows per INSERT on SQLite: the batch of three is a full statement and a rest.
    monkeypatch.setattr(copy_text, "ROWS_PER_STATEMENT", 2)
    meeting = factories.planned()
    member = Member.objects.filter(unit=meeting.unit).order_by("pk").first()
    assert member is not None
    rubric = Rubric.objects.latest_of("HD12-100")
    assert rubric is not None
    task, score = _next(Task), _next(MeetingScore)

    # No escape: the fields go to the database as text and are converted there.
    _send(
        "task",
        [
            f"{task}\t{meeting.pk}\tBáo cáo\t\\N\tt\t2026-03-20\topen\t\t\\N",
            f"{task + 1}\t{meeting.pk}\tKiểm tra\t{member.pk}\tf\t2026-03-21\tdone\tXong"
            "\t2026-03-25",
            f"{task + 2}\t{meeting.pk}\tHọp\t{member.pk}\tf\t2026-03-23\topen\t\t\\N",
        ],
    )
    # Escapes: a tab and a backslash in a title, a backslash in a JSON document.
    _send(
        "task",
        [f"{task + 3}\t{meeting.pk}\tGhi\\tchú \\\\ xong\t\\N\tt\t2026-03-22\topen\t\t\\N"],
    )
    points = _json({"a": "x\\y", "b": 4})
    _send(
        "score",
        [
            f"{score}\t{meeting.pk}\t{rubric.pk}\t{points}\t\\N\t\t\\N"
            f"\t\\N\t2026-03-05 21:30:00+07\t{_json({})}\t\\N\t\t\t\\N\t{_json({})}\t"
        ],
    )

    first, second, fourth, third = Task.objects.filter(pk__gte=task).order_by("pk")
    assert (fourth.title, fourth.deadline) == ("Họp", datetime.date(2026, 3, 23))
    assert (first.owner_id, first.owned_by_committee, first.progress, first.done_on) == (
        None, True, "", None,
    )  # fmt: skip
    assert (second.owner_id, second.owned_by_committee, second.done_on, second.title) == (
        member.pk, False, datetime.date(2026, 3, 25), "Kiểm tra",
    )  # fmt: skip
    assert third.title == "Ghi\tchú \\ xong"
    assert third.deadline == datetime.date(2026, 3, 22)
    loaded = MeetingScore.objects.get(pk=score)
    assert loaded.cell_points == {"a": "x\\y", "b": 4}
    assert loaded.proposed_at == datetime.datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    assert loaded.confirmed_at is None
    assert loaded.cell_total is None
    # The rows reached their meeting through its foreign key: the keys were bound as numbers.
    assert set(meeting.tasks.values_list("pk", flat=True)) == {task, task + 1, task + 2, task + 3}
