from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "chibo.api"
    label = "api"
    verbose_name = _("Integration API")

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from chibo.api.auth import mark_api_history

        # Every change written through the API is marked as such in the history, whichever
        # app's service wrote it (the services know nothing of the API).
        pre_create_historical_record.connect(mark_api_history, dispatch_uid="chibo_api_history")
