from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chibo.lib.admin import RecordAdmin
from chibo.scoring.models import MeetingScore, Rubric, ScoringRules


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin[Rubric]):
    list_display = ["code", "version", "name", "created_at"]

    def get_readonly_fields(self, request: object, obj: Rubric | None = None) -> list[str]:
        # A version that scored meetings stays as it was: add a new version instead.
        if obj is not None and obj.scores.exists():
            return ["code", "version", "name", "criteria", "thresholds", "full_marks_for_tot"]
        return []


@admin.register(ScoringRules)
class ScoringRulesAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["unit", "minutes_approval_days", "excellent_quota_percent", "quota_blocks"]
    raw_id_fields = ["unit"]


@admin.register(MeetingScore)
class MeetingScoreAdmin(RecordAdmin):
    list_display = ["meeting", "cell_total", "cell_level", "upper_total", "upper_level"]
    raw_id_fields = ["meeting", "proposed_by", "confirmed_by"]
