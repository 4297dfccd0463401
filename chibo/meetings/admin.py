from django.contrib import admin

from chibo.lib.admin import RecordAdmin
from chibo.meetings.models import AgendaTemplate, Meeting, MeetingRules, Task


@admin.register(AgendaTemplate)
class AgendaTemplateAdmin(admin.ModelAdmin[AgendaTemplate]):
    list_display = ["kind"]


@admin.register(Meeting)
class MeetingAdmin(RecordAdmin):
    list_display = ["unit", "kind", "scheduled_at", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["unit__code", "unit__name"]
    raw_id_fields = ["unit", "drafter", "chair", "minutes_secretary", "approved_by", "created_by"]


@admin.register(Task)
class TaskAdmin(RecordAdmin):
    list_display = ["title", "owner", "deadline", "status"]
    list_filter = ["status"]
    raw_id_fields = ["meeting", "owner"]


@admin.register(MeetingRules)
class MeetingRulesAdmin(admin.ModelAdmin[MeetingRules]):
    """A province's meeting rules (STATUS-2, HOLIDAY-1): set on the province's root unit."""

    list_display = [
        "unit",
        "effective_from",
        "attendance_left_out",
        "tet_days_before",
        "tet_days_after",
    ]
    raw_id_fields = ["unit"]
