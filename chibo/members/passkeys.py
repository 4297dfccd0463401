"""Passkeys (WebAuthn, through django-otp-webauthn): the relying party is the host the
browser opened, which ALLOWED_HOSTS has already vetted, so one deployment serves its own
name without a second list of origins to keep in step."""

from __future__ import annotations

from django_otp_webauthn.helpers import WebAuthnHelper  # type: ignore[import-untyped]


class PasskeyHelper(WebAuthnHelper):  # type: ignore[misc]
    def get_relying_party_domain(self) -> str:
        return str(self.request.get_host().rsplit(":", 1)[0])

    def get_relying_party_name(self) -> str:
        return "chibo"

    def get_allowed_origins(self) -> list[str]:
        scheme = "https" if self.request.is_secure() else "http"
        return [f"{scheme}://{self.request.get_host()}"]

    def get_credential_display_name(self, user: object) -> str:
        member = getattr(user, "member", None)
        return (
            str(member.full_name)
            if member is not None
            else super().get_credential_display_name(user)
        )
