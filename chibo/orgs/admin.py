from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from chibo.orgs.models import ProvinceHoliday, RoleGrant, Unit, UnitKind


@admin.register(UnitKind)
class UnitKindAdmin(admin.ModelAdmin[UnitKind]):
    list_display = ["name", "code", "level", "holds_meetings", "historic", "visit_rule"]


@admin.register(ProvinceHoliday)
class ProvinceHolidayAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["on", "name", "unit"]
    list_filter = ["unit"]
    date_hierarchy = "on"


@admin.register(Unit)
class UnitAdmin(TreeAdmin, SimpleHistoryAdmin):  # type: ignore[misc]
    # Whether a cell is weak follows its weak-cell record (chibo.supervision), not a tick.
    form = movenodeform_factory(Unit)
    readonly_fields = ["is_weak"]
    list_display = ["name", "code", "kind", "closed_on"]
    list_filter = ["kind", "cell_type", "is_weak", "is_difficult_area"]
    search_fields = ["name", "code"]
    raw_id_fields = ["merged_into"]


@admin.register(RoleGrant)
class RoleGrantAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = ["user", "role", "unit", "scope", "valid_from", "valid_until"]
    list_filter = ["role", "scope"]
    search_fields = ["user__username", "unit__name", "unit__code"]
    raw_id_fields = ["user", "unit"]
