"""The attendance rule of each existing unit kind (domain §7; docs/rules.md, PLAN-2)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

RULES = {
    # The province: each committee member attends a yearly number of residential cells.
    "tinh_uy": "province_quota",
    # The historic district level: a yearly number of its cells per member, not every cell
    # every month (a district had hundreds of cells and a few dozen committee members).
    "huyen_uy": "district_quota",
    # Commune-level and basic committees: one of their members at every cell of theirs,
    # every month.
    "dang_uy_xa": "monthly",
    "dang_uy_phuong": "monthly",
    "dang_uy_dac_khu": "monthly",
    "dang_uy_truc_thuoc": "monthly",
    "dang_bo_co_so": "monthly",
}


def set_rules(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    UnitKind = apps.get_model("orgs", "UnitKind")
    for code, rule in RULES.items():
        UnitKind.objects.filter(code=code).update(visit_rule=rule)


class Migration(migrations.Migration):
    dependencies = [("orgs", "0003_province_holiday_visit_rule")]

    operations = [migrations.RunPython(set_rules, migrations.RunPython.noop)]
