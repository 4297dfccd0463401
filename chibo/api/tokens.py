"""Making, finding and revoking API tokens: the only writers of ApiToken."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.api.models import ApiToken

# "chibo_" + 8 characters of prefix + "_" + 43 of secret: recognisable in logs and by
# secret scanners, 256 bits of secret.
LEAD = "chibo_"
# A token's last use is written at most this often (not a write per request).
LAST_USE_EVERY = datetime.timedelta(minutes=1)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_token(
    *,
    user: User,
    name: str,
    expires_on: datetime.date | None = None,
    read_only: bool = False,
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with the only copy of its text."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name (what it is for).")})
    if expires_on is not None and expires_on < timezone.localdate():
        raise ValidationError({"expires_on": _("The expiry date has passed.")})
    if not user.is_active:
        raise ValidationError(_("This account is not active."))
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():  # pragma: no cover - 2**32
        prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        digest=digest_of(secret),
        expires_on=expires_on,
        read_only=read_only,
    )
    return token, f"{LEAD}{prefix}_{secret}"


def find_token(text: str, *, today: datetime.date | None = None) -> ApiToken | None:
    """The usable token whose text is `text`, else None (unknown, revoked, expired,
    malformed: one answer)."""
    if not text.startswith(LEAD):
        return None
    prefix, _sep, secret = text[len(LEAD) :].partition("_")
    if len(prefix) != 8 or not secret:
        return None
    token = (
        ApiToken.objects.usable(today)
        .select_related("user")
        .filter(prefix=prefix, user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, digest_of(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USE_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@transaction.atomic
def revoke_token(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
