"""Two people editing the same record at once: the second save is refused and told, and
nothing of the first is lost. Every model with a `version` field is held to it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from chibo.lib.locking import STALE
from chibo.members.models import Member
from chibo.supervision.models import WorkingGroup
from tests.html_forms import post_form

pytestmark = pytest.mark.django_db


def stale() -> str:
    """The refusal as the pages show it (in Vietnamese, the default)."""
    with translation.override("vi"):
        return escape(str(STALE))


def two_forms(
    first: Client, second: Client, url: str
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Both clients open the edit page before either saves."""
    a = post_form(first.get(url).content.decode()).data()
    b = post_form(second.get(url).content.decode()).data()
    return a, b


def test_the_second_of_two_member_edits_is_refused(client_for) -> None:
    member = Member.objects.filter(unit__code="X001.01").order_by("pk").first()
    assert member is not None
    url = f"/members/{member.pk}/edit/"
    first, second = client_for("bithu1"), client_for("admin")
    a, b = two_forms(first, second, url)
    a["occupation"] = ["Giáo viên"]
    b["occupation"] = ["Nông dân"]
    assert first.post(url, a).status_code == 302
    response = second.post(url, b)
    assert response.status_code == 200
    assert stale() in response.content.decode()
    # The second person's text is still in the form, the first person's save stands.
    assert "Nông dân" in response.content.decode()
    member.refresh_from_db()
    assert member.occupation == "Giáo viên"
    assert member.history.count() == 2  # created, then the one accepted edit
    # Reloading gives the new version, and then the save goes through.
    c = post_form(second.get(url).content.decode()).data()
    c["occupation"] = ["Nông dân"]
    assert second.post(url, c).status_code == 302
    member.refresh_from_db()
    assert member.occupation == "Nông dân"


def test_the_second_of_two_working_group_edits_is_refused(client_for) -> None:
    group = WorkingGroup.objects.order_by("pk").first()
    assert group is not None
    url = f"/working-groups/{group.pk}/"
    first, second = client_for("admin"), client_for("bantochuc")
    a, b = two_forms(first, second, url)
    a["name"] = ["Tổ công tác số 1"]
    b["name"] = ["Tổ công tác số 9"]
    assert first.post(url, a).status_code == 302
    response = second.post(url, b)
    assert response.status_code == 200
    assert stale() in response.content.decode()
    group.refresh_from_db()
    assert group.name == "Tổ công tác số 1"


def test_a_form_without_its_version_is_refused(client_for) -> None:
    member = Member.objects.filter(unit__code="X001.01").order_by("pk").first()
    assert member is not None
    url = f"/members/{member.pk}/edit/"
    client = client_for("bithu1")
    data = post_form(client.get(url).content.decode()).data()
    del data["version"]
    data["occupation"] = ["Kỹ sư"]
    assert client.post(url, data).status_code == 200
    member.refresh_from_db()
    assert member.occupation != "Kỹ sư"


# The records people edit on the web; each must carry a version (a test above or in the
# app's tests proves the refusal).
EDITED_ON_THE_WEB = {
    "meetings.Meeting",
    "members.Member",
    "scoring.AnnualRating",
    "supervision.WorkingGroup",
    "supervision.Visit",
    "supervision.GroupReport",
    "supervision.InspectionItem",
}


def test_every_record_edited_on_the_web_carries_a_version() -> None:
    versioned = {
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in {"meetings", "members", "scoring", "supervision", "orgs"}
        and any(f.name == "version" for f in model._meta.fields)
        and not model._meta.label.split(".")[1].startswith("Historical")
    }
    assert EDITED_ON_THE_WEB - versioned == set()
