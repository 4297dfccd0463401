from django.contrib import admin

from chibo.lib.admin import RecordAdmin
from chibo.members.models import Member


@admin.register(Member)
class MemberAdmin(RecordAdmin):
    list_display = ["full_name", "unit", "status", "card_number"]
    list_filter = ["status", "gender"]
    search_fields = ["search_name", "card_number"]
    raw_id_fields = ["unit", "user"]
