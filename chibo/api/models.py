"""Personal API tokens: a user's key for other systems, acting as that user."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self, today: datetime.date | None = None) -> ApiTokenQuerySet:
        """Tokens neither revoked nor expired on `today`."""
        today = today or timezone.localdate()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=today)
        )


class ApiToken(models.Model):
    """One token. Only the SHA-256 digest of the secret is kept: the token is shown once,
    when it is made. The prefix (not secret) finds the row and names the token in lists."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    read_only = models.BooleanField(_("read only"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        # The throttle keys its counter on this: one budget per token.
        return f"api-token:{self.pk}"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return str(_("revoked"))
        if self.expires_on and self.expires_on < timezone.localdate():
            return str(_("expired"))
        return str(_("active"))
