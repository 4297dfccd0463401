from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "chibo.orgs"
    label = "orgs"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from chibo.orgs import twofactor  # noqa: F401 - connects the login receiver
