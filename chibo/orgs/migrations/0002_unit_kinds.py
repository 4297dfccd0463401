"""The unit kinds of the party organisation, as data (national names, not translated)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

KINDS = [
    # code, name, level, holds meetings, historic
    ("tinh_uy", "Tỉnh ủy", 10, False, False),
    ("huyen_uy", "Huyện ủy / Thành ủy", 20, False, True),
    ("dang_uy_xa", "Đảng ủy xã", 30, False, False),
    ("dang_uy_phuong", "Đảng ủy phường", 30, False, False),
    ("dang_uy_dac_khu", "Đảng ủy đặc khu", 30, False, False),
    ("dang_uy_truc_thuoc", "Đảng ủy trực thuộc Tỉnh ủy", 30, False, False),
    ("dang_bo_co_so", "Đảng bộ cơ sở", 40, False, False),
    ("chi_bo_co_so", "Chi bộ cơ sở", 40, True, False),
    ("chi_bo_truc_thuoc", "Chi bộ trực thuộc", 50, True, False),
    ("to_dang", "Tổ đảng", 60, False, False),
]


def add_kinds(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    UnitKind = apps.get_model("orgs", "UnitKind")
    for code, name, level, holds_meetings, historic in KINDS:
        UnitKind.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "holds_meetings": holds_meetings,
                "historic": historic,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]

    operations = [migrations.RunPython(add_kinds, migrations.RunPython.noop)]
