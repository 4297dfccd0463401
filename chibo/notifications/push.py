"""Web Push (RFC 8030) to the browsers that allowed it, through pywebpush with the VAPID
keys of the settings (VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY, VAPID_SUBJECT). Without keys
push is off and nothing is sent."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from pywebpush import WebPushException, webpush  # type: ignore[import-untyped]

from chibo.notifications.models import PushSubscription

logger = logging.getLogger(__name__)

# Seconds to wait for a push service; a slow one must not hold the worker.
TIMEOUT = 10
# How long the push service keeps a message for a phone that is off (seconds).
TTL = 24 * 60 * 60


def push_enabled() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY)


def send_push(subscription: PushSubscription, payload: dict[str, Any]) -> bool:
    """Send `payload` (JSON) to one browser; forget the subscription when the push service
    says it is gone (404, 410). Whether the service accepted the message."""
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload),
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=TTL,
            timeout=TIMEOUT,
        )
    except WebPushException as error:
        status = getattr(error.response, "status_code", None)
        if status in (404, 410):
            subscription.delete()
        else:
            logger.warning("Web Push to %s failed: %s", subscription.pk, error)
        return False
    except OSError as error:  # the service cannot be reached
        logger.warning("Web Push to %s failed: %s", subscription.pk, error)
        return False
    return True
