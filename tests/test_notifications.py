"""Notifications: made by the background worker from new to-do items, once per person and
item (a retry sends nothing twice); the daily digest (opt-out per person); Web Push to a
local push endpoint stub; `chibo notify --dry-run`; the pages, POST only for writes."""

from __future__ import annotations

import base64
import datetime
import io
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import http_ece  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from chibo.meetings import services as meeting_services
from chibo.meetings.models import Meeting, MeetingState
from chibo.members.models import Member
from chibo.notifications.models import Digest, Notification, Preference, PushSubscription
from chibo.notifications.services import notify_user
from chibo.notifications.tasks import notify_people
from chibo.orgs.models import Unit

DAY = datetime.date(2026, 12, 4)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def overdue_task_for(username: str) -> None:
    owner = Member.objects.select_related("unit__kind").get(user__username=username)
    meeting = meeting_services.plan_meeting(
        unit=Unit.objects.select_related("kind").get(pk=owner.unit_id),
        kind="regular",
        scheduled_at=timezone.now() - datetime.timedelta(days=30),
        place="Nhà văn hoá",
        by=None,
    )
    meeting_services.add_task(
        meeting=meeting, title="Thu đảng phí", deadline=DAY.replace(day=1), by=None, owner=owner
    )
    Meeting.objects.filter(pk=meeting.pk).update(state=MeetingState.HELD)


class PushService:
    """A push service on this machine: records what it receives, answers `status`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                service.received.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(service.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def vapid() -> Iterator[None]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    with override_settings(
        VAPID_PRIVATE_KEY=b64url(private),
        VAPID_PUBLIC_KEY=b64url(public),
        VAPID_SUBJECT="mailto:admin@example.invalid",
    ):
        yield


class Browser:
    """A browser's push keys, as PushManager makes them."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64url(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def read(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth)
        result: dict[str, Any] = json.loads(plain)
        return result


def test_the_worker_notifies_once_however_often_it_runs(cast) -> None:
    overdue_task_for("dangvien1")
    user = cast["dangvien1"]
    notify_people.enqueue(DAY.isoformat(), [user.pk])
    made = list(Notification.objects.filter(user=user).values_list("kind", flat=True))
    assert "meetings.task" in made
    assert len(mail.outbox) == 1  # the day's digest
    assert "Thu đảng phí" in mail.outbox[0].body
    # A retry, or the same day's second run: nothing new is made or sent.
    notify_people.enqueue(DAY.isoformat(), [user.pk])
    assert Notification.objects.filter(user=user).count() == len(made)
    assert len(mail.outbox) == 1
    assert Digest.objects.filter(user=user, day=DAY).count() == 1


def test_the_digest_is_not_sent_to_who_opted_out(cast, client_for) -> None:
    overdue_task_for("dangvien1")
    client = client_for("dangvien1")
    response = client.post(reverse("notifications:settings"), {})  # the box unticked
    assert response.status_code == 302
    assert Preference.objects.get(user=cast["dangvien1"]).daily_digest is False
    told = notify_user(user=cast["dangvien1"], today=DAY)
    assert told.new
    assert told.digest_items == 0
    assert mail.outbox == []


@pytest.mark.usefixtures("vapid")
def test_web_push_reaches_the_push_service_once(cast, push_service) -> None:
    overdue_task_for("dangvien1")
    browser = Browser()
    PushSubscription.objects.create(
        user=cast["dangvien1"],
        endpoint=f"{push_service.url}/push/phone-1",
        p256dh=browser.p256dh,
        auth=b64url(browser.auth),
    )
    told = notify_user(user=cast["dangvien1"], today=DAY)
    assert told.pushes == 1
    assert len(push_service.received) == 1
    request = push_service.received[0]
    assert request["path"] == "/push/phone-1"
    assert request["headers"]["authorization"].startswith("vapid t=")
    assert request["headers"]["content-encoding"] == "aes128gcm"
    message = browser.read(request["body"])
    assert message["tag"] == "chibo-todo"
    assert str(len(told.new)) in message["title"]
    # Run again (a retry of the worker): nothing is pushed twice.
    again = notify_user(user=cast["dangvien1"], today=DAY)
    assert again.pushes == 0
    assert len(push_service.received) == 1


@pytest.mark.usefixtures("vapid")
def test_a_browser_the_push_service_says_is_gone_is_forgotten(cast, push_service) -> None:
    overdue_task_for("dangvien1")
    push_service.status = 410
    browser = Browser()
    PushSubscription.objects.create(
        user=cast["dangvien1"],
        endpoint=f"{push_service.url}/push/old-phone",
        p256dh=browser.p256dh,
        auth=b64url(browser.auth),
    )
    notify_user(user=cast["dangvien1"], today=DAY)
    assert len(push_service.received) == 1
    assert not PushSubscription.objects.filter(user=cast["dangvien1"]).exists()


def test_notify_dry_run_prints_what_would_be_sent_and_sends_nothing(cast) -> None:
    overdue_task_for("dangvien1")
    out = io.StringIO()
    call_command("notify", "--dry-run", "--date", DAY.isoformat(), stdout=out)
    text = out.getvalue()
    assert "dangvien1:" in text
    assert "Thu đảng phí" in text
    assert "Would send" in text
    assert not Notification.objects.exists()
    assert mail.outbox == []
    call_command("notify", "--date", DAY.isoformat(), "--user", "dangvien1", stdout=io.StringIO())
    assert Notification.objects.filter(user=cast["dangvien1"]).exists()


def test_notify_refuses_a_bad_date() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("notify", "--dry-run", "--date", "04/12/2026", stdout=io.StringIO())


def test_reading_a_notification_is_a_post_and_opens_its_page(cast, client_for) -> None:
    notification = Notification.objects.create(
        user=cast["dangvien1"], key="t:1", kind="t", title="Đọc tài liệu", url="/todo/"
    )
    client = client_for("dangvien1")
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Đọc tài liệu" in page
    url = reverse("notifications:read", args=[notification.pk])
    assert client.get(url).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None
    response = client.post(url)
    assert response["Location"] == "/todo/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    # Another person's notification is not found.
    assert client_for("bithu1").post(url).status_code == 404


def test_a_browser_subscribes_with_the_csrf_token(cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["dangvien1"])
    body = json.dumps(
        {
            "endpoint": "https://push.example.invalid/send/abc",
            "keys": {"p256dh": Browser().p256dh, "auth": b64url(os.urandom(16))},
        }
    )
    url = reverse("notifications:subscribe")
    assert client.post(url, body, content_type="application/json").status_code == 403
    client.get(reverse("notifications:settings"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert PushSubscription.objects.filter(user=cast["dangvien1"]).count() == 1
    bad = client.post(url, "{", content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert bad.status_code == 400


def test_the_todo_page_counts_unread_notifications(cast, client_for) -> None:
    Notification.objects.create(user=cast["bithu1"], key="t:2", kind="t", title="X", url="/")
    page = client_for("bithu1").get(reverse("portal:todo")).content.decode()
    assert reverse("notifications:list") in page
    assert "1 chưa đọc" in page


def test_the_notification_list_uses_the_same_queries_however_many(cast, client_for) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = cast["bithu1"]
    Notification.objects.create(user=user, key="q:0", kind="t", title="Một", url="/")
    client = client_for("bithu1")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("notifications:list"))
    Notification.objects.bulk_create(
        Notification(user=user, key=f"q:{i}", kind="t", title=f"Việc {i}", url="/")
        for i in range(1, 30)
    )
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("notifications:list"))
    assert len(many) == len(one)
    assert page.content.decode().count("Việc ") >= 29
