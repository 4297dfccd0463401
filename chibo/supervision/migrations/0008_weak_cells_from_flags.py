"""The weak-cell flags set by hand before the weak-cell records: each flagged cell becomes
a record on the list, from the day of this migration, marked as migrated."""

from django.db import migrations
from django.utils import timezone


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Unit = apps.get_model("orgs", "Unit")
    WeakCell = apps.get_model("supervision", "WeakCell")
    today = timezone.localdate()
    flagged = Unit.objects.filter(is_weak=True).exclude(
        pk__in=WeakCell.objects.filter(state__in=["proposed", "listed"]).values("unit_id")
    )
    WeakCell.objects.bulk_create(
        WeakCell(
            unit_id=pk,
            year=today.year,
            source="migrated",
            state="listed",
            listed_on=today,
            decision_note="",
        )
        for pk in flagged.values_list("pk", flat=True)
    )


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("supervision", "WeakCell").objects.filter(source="migrated").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0007_groups_weak_cells"),
        ("orgs", "0004_unit_kind_visit_rules"),
    ]

    operations = [migrations.RunPython(forward, backward)]
