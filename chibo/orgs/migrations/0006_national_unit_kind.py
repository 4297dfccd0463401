"""The national level above the provinces (the national size of the demo, issue 24)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def add_kind(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    UnitKind = apps.get_model("orgs", "UnitKind")
    UnitKind.objects.update_or_create(
        code="trung_uong",
        defaults={
            "name": "Trung ương",
            "level": 0,
            "holds_meetings": False,
            "historic": False,
            "visit_rule": "none",
        },
    )


def remove_kind(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("orgs", "UnitKind").objects.filter(code="trung_uong").delete()


class Migration(migrations.Migration):
    dependencies = [("orgs", "0005_unit_is_weak_not_editable")]

    operations = [migrations.RunPython(add_kind, remove_kind)]
