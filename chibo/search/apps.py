from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "chibo.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from chibo.lib.fulltext import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="chibo_fulltext")
