from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chibo.members.models import Member


@admin.register(Member)
class MemberAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["full_name", "unit", "status", "card_number"]
    list_filter = ["status", "gender"]
    search_fields = ["search_name", "card_number"]
    raw_id_fields = ["unit", "user"]

    def save_model(self, request: object, obj: Member, form: object, change: bool) -> None:
        obj.set_name(obj.full_name)
        super().save_model(request, obj, form, change)
