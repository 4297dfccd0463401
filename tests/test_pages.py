"""Pages: what they show, the htmx fragment, query counts that do not grow, history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chibo.demo.seed import SIZES, ProvinceBuilder
from chibo.members.models import Member
from chibo.orgs import services
from chibo.orgs.models import Unit, UnitKind

pytestmark = pytest.mark.django_db


def grow_commune(code: str, cells: int = 5, members_per_cell: int = 20) -> None:
    """Add cells and members under a commune, to show that query counts stay flat."""
    commune = Unit.objects.get(code=code)
    kind = UnitKind.objects.get(code="chi_bo_truc_thuoc")
    for i in range(cells):
        cell = services.create_unit(
            parent=commune, code=f"{code}.G{i}", name=f"Chi bộ thêm {i}", kind=kind
        )
        members = []
        for j in range(members_per_cell):
            member = Member(unit=cell, gender="male")
            member.set_name(f"Nguyễn Văn Thêm{i}x{j}")
            members.append(member)
        Member.objects.bulk_create(members)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("bantochuc", "/units/"),
        ("bantochuc", "/units/LV/"),
        ("uyvien1", "/units/X001/"),
        ("uyvien1", "/units/?parent=X001"),
        ("bantochuc", "/units/X001/members/"),
        ("bithu1", "/units/X001.01/members/"),
        ("bithu1", "/"),
        ("bithu1", "/units/X001.01/members/?q=nguyen"),
        ("bantochuc", "/members/search/?q=nguyen"),
        ("bithu1", "/members/search/?q=van"),
        ("bantochuc", "/units/X001/members/export.xlsx"),
    ],
)
def test_query_count_does_not_grow_with_the_data(client_for, username: str, url: str) -> None:
    client = client_for(username)
    before = count_queries(client, url)
    grow_commune("X001")
    Member.objects.bulk_create(
        [
            Member(
                unit=Unit.objects.get(code="X001.01"),
                gender="female",
                full_name=f"Trần Thị B{i}",
                given_name=f"B{i}",
            )
            for i in range(30)
        ]
    )
    assert count_queries(client, url) == before


def test_tree_fragment_for_htmx_lists_the_children_with_counts(client_for) -> None:
    response = client_for("uyvien1").get("/units/?parent=X001", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    commune = Unit.objects.get(code="X001")
    for child in Unit.objects.get_children(commune):
        assert child.name in html
    cell = Unit.objects.get(code="X001.01")
    assert f"{cell.members.count()} đảng viên" in html


def test_tree_fragment_of_another_commune_is_404(client_for) -> None:
    assert (
        client_for("bithu1").get("/units/?parent=X002", headers={"HX-Request": "true"}).status_code
        == 404
    )
    assert client_for("uyvien1").get("/units/?parent=LV").status_code == 404


def test_unit_page_shows_counts_and_links_only_visible_ancestors(client_for) -> None:
    response = client_for("bithu1").get("/units/X001.01/")
    html = response.content.decode()
    commune = Unit.objects.get(code="X001")
    assert commune.name in html  # as context
    assert f'href="{commune.get_absolute_url()}"' not in html  # but not a link: 404 for bithu1
    response = client_for("uyvien1").get("/units/X001.01/")
    assert f'href="{commune.get_absolute_url()}"' in response.content.decode()


def test_roster_lists_members_in_vietnamese_order(client_for) -> None:
    cell = Unit.objects.get(code="X001.01")
    html = client_for("bithu1").get("/units/X001.01/members/").content.decode()
    html = html[html.index("<tbody") :]  # the header names the secretary too
    names = list(cell.members.in_vietnamese_order().values_list("full_name", flat=True))
    positions = [html.index(name) for name in names]
    assert positions == sorted(positions)


def test_member_history_shows_who_changed_what(client_for, cast) -> None:
    member = Member.objects.get(user=cast["dangvien1"])
    client = client_for("bithu1")
    # Requests record their user through the history middleware; here we set it by hand.
    member._history_user = cast["bithu1"]  # type: ignore[attr-defined]
    member.card_number = "99999999"
    member.save()
    html = client.get(f"/members/{member.pk}/history/").content.decode()
    assert f"<td>{cast['bithu1'].get_full_name()}</td>" in html  # by name, not login
    assert "99999999" in html


def test_english_is_available(client_for) -> None:
    client = client_for("bithu1")
    assert "Xin chào" in client.get("/").content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Hello" in client.get("/").content.decode()


def test_anonymous_visitors_can_open_the_login_page_only(client) -> None:
    for url in ["/", "/units/", "/units/LV/", "/units/X001.01/members/", "/members/1/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/login/").status_code == 200


def test_login_locks_out_after_repeated_failures(client, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": "bithu1", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": "bithu1", "password": "wrong"})
    assert response.status_code == 429
    assert "tạm khóa" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "bithu1", "password": "chibo-demo"})
    assert response.status_code == 429
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_demo_password_logs_in(client) -> None:
    response = client.post("/accounts/login/", {"username": "bithu1", "password": "chibo-demo"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_same_seed_builds_the_same_province() -> None:
    import random

    first = ProvinceBuilder(SIZES["small"], random.Random(3)).build()
    second = ProvinceBuilder(SIZES["small"], random.Random(3)).build()
    assert [(u.code, u.name, u.path) for u in first.units] == [
        (u.code, u.name, u.path) for u in second.units
    ]
    assert [m.full_name for m in first.members] == [m.full_name for m in second.members]
    other = ProvinceBuilder(SIZES["small"], random.Random(4)).build()
    assert [m.full_name for m in other.members] != [m.full_name for m in first.members]


def test_vietnamese_is_the_default_whatever_the_browser_says(client_for) -> None:
    client = client_for("bithu1")
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()
    assert "Xin chào" in html
    assert '<html lang="vi">' in html


@pytest.mark.parametrize("prefix", ["/", "/chibo/"])
def test_every_page_links_to_the_pages_of_the_menu_under_the_script_prefix(
    client_for, prefix: str
) -> None:
    """The menu's addresses are reversed once per process and prefix
    (portal.context_processors.LINKS); they must be those `reverse` gives under the prefix."""
    from django.urls import set_script_prefix

    from chibo.portal.context_processors import LINKS

    client = client_for("admin")  # sees every link of the menu
    # (As the WSGI handler sets it from SCRIPT_NAME; Django's test client does not.)
    set_script_prefix(prefix)
    try:
        expected = {name: reverse(name) for name in LINKS}
        html = client.get("/").content.decode()
        login = client_for(None).get("/accounts/login/").content.decode()
    finally:
        set_script_prefix("/")
    for name, url in expected.items():
        assert url.startswith(prefix), name
        # (The to-do count is loaded after the page, by htmx.)
        # (The service worker's address is given to the page's script, not linked.)
        linked = (f'href="{url}"', f'action="{url}"', f'hx-get="{url}"', f'data-sw="{url}"')
        assert any(link in html for link in linked), name
    assert f'action="{expected["set_language"]}"' in login
