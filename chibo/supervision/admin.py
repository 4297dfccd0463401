from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chibo.lib.admin import RecordAdmin
from chibo.supervision.models import SupervisionRules, Visit, WorkingGroup


@admin.register(WorkingGroup)
class WorkingGroupAdmin(RecordAdmin):
    list_display = ["name", "unit", "leader", "starts_on", "ends_on"]
    raw_id_fields = ["unit", "leader", "members", "units"]
    exclude = ["grants"]


@admin.register(Visit)
class VisitAdmin(RecordAdmin):
    list_display = ["meeting", "user", "state", "source"]
    raw_id_fields = ["meeting", "user", "group"]


@admin.register(SupervisionRules)
class SupervisionRulesAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["unit", "commune_visits_per_year", "province_visits_per_year"]
    raw_id_fields = ["unit"]
