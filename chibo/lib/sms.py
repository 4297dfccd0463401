"""Text messages: one small interface, the gateway chosen by the setting SMS_BACKEND (a
dotted path to a class with `send(to, text)`). The console backend, the default, prints
the message, as Django's console e-mail backend does; a province plugs in its carrier's
gateway with a class of a few lines."""

from __future__ import annotations

import sys
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, to: str, text: str) -> None: ...


class ConsoleBackend:
    """Writes each message to the standard output (development, and no gateway yet)."""

    def send(self, to: str, text: str) -> None:
        sys.stdout.write(f"SMS to {to}: {text}\n")
        sys.stdout.flush()


class MemoryBackend:
    """Keeps the messages in `outbox` (tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        self.outbox.append((to, text))


def send_sms(to: str, text: str) -> None:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(to, text)
