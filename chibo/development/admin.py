from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chibo.development.models import DevelopmentRules


@admin.register(DevelopmentRules)
class DevelopmentRulesAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """A province's admission rules (certificate validity, ages, working days): data that
    differs by province, with the documented defaults until a row is saved."""

    list_display = ["unit", "certificate_valid_months", "min_age", "max_age", "review_working_days"]
    raw_id_fields = ["unit"]
