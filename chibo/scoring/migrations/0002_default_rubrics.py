"""The default rubrics HD12-100 (regular) and HD12-100-CD (thematic), version 1."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

RUBRICS = {
    "HD12-100": {
        "name": "Phiếu chấm điểm sinh hoạt chi bộ thường kỳ (100 điểm)",
        "criteria": [
            {
                "code": "1a",
                "name": "Tỷ lệ đảng viên dự sinh hoạt trên 85%",
                "max": 10,
                "computed": True,
            },
            {
                "code": "1b",
                "name": "Không có đảng viên vắng không lý do",
                "max": 5,
                "computed": True,
            },
            {
                "code": "1c",
                "name": "Không có đảng viên vắng quá 3 lần liên tiếp trong năm",
                "max": 5,
                "computed": True,
            },
            {
                "code": "2a",
                "name": "Phân công người chuẩn bị nội dung, dự thảo nghị quyết",
                "max": 3,
                "computed": True,
            },
            {"code": "2b", "name": "Chi ủy họp chuẩn bị", "max": 4, "computed": True},
            {
                "code": "2c",
                "name": "Thông báo cho đảng viên và cấp ủy viên cấp trên",
                "max": 3,
                "computed": True,
            },
            {"code": "2d", "name": "Gửi tài liệu trước ít nhất 1 ngày", "max": 2, "computed": True},
            {"code": "2e", "name": "Có dự thảo nghị quyết", "max": 3, "computed": True},
            {
                "code": "3a",
                "name": "Thời gian sinh hoạt đủ 90 phút (120 phút khi kết hợp chuyên đề)",
                "max": 10,
                "computed": True,
            },
            {
                "code": "3b",
                "name": "Đảng viên phát biểu (≥ 30%: đủ điểm; ≥ 15%: nửa số điểm)",
                "max": 10,
                "computed": True,
            },
            {
                "code": "3c",
                "name": "Nội dung đúng hướng dẫn, trọng tâm",
                "max": 10,
                "computed": False,
            },
            {
                "code": "3d",
                "name": "Có tự phê bình và phê bình, học tập và làm theo Bác",
                "max": 5,
                "computed": True,
            },
            {
                "code": "3e",
                "name": "Chất lượng tự phê bình và phê bình",
                "max": 5,
                "computed": False,
            },
            {
                "code": "3f",
                "name": "Thực hiện đúng nguyên tắc tổ chức và sinh hoạt Đảng",
                "max": 5,
                "computed": False,
            },
            {"code": "4a", "name": "Biểu quyết thông qua nghị quyết", "max": 5, "computed": True},
            {"code": "4b", "name": "Biên bản đầy đủ", "max": 5, "computed": True},
            {
                "code": "4c",
                "name": "Kiểm điểm nghị quyết kỳ trước (≥ 80% hoàn thành: đủ điểm; ≥ 50%: nửa)",
                "max": 10,
                "computed": True,
            },
        ],
        "thresholds": {"tot": 90, "kha": 70, "trung_binh": 50},
        "full_marks_for_tot": ["1a", "1b", "3a", "3b", "4b"],
    },
    "HD12-100-CD": {
        "name": "Phiếu chấm điểm sinh hoạt chuyên đề (100 điểm)",
        "criteria": [
            {
                "code": "1a",
                "name": "Tỷ lệ đảng viên dự sinh hoạt trên 85%",
                "max": 10,
                "computed": True,
            },
            {
                "code": "1b",
                "name": "Không có đảng viên vắng không lý do",
                "max": 5,
                "computed": True,
            },
            {
                "code": "1c",
                "name": "Không có đảng viên vắng quá 3 lần liên tiếp trong năm",
                "max": 5,
                "computed": True,
            },
            {
                "code": "2a",
                "name": "Phân công người chuẩn bị nội dung, dự thảo nghị quyết",
                "max": 3,
                "computed": True,
            },
            {"code": "2b", "name": "Chi ủy họp chuẩn bị", "max": 4, "computed": True},
            {
                "code": "2c",
                "name": "Thông báo cho đảng viên và cấp ủy viên cấp trên",
                "max": 3,
                "computed": True,
            },
            {"code": "2d", "name": "Gửi tài liệu trước ít nhất 1 ngày", "max": 2, "computed": True},
            {"code": "2e", "name": "Có dự thảo nghị quyết", "max": 3, "computed": True},
            {
                "code": "3a",
                "name": "Thời gian sinh hoạt đủ 90 phút (120 phút khi kết hợp chuyên đề)",
                "max": 10,
                "computed": True,
            },
            {
                "code": "3b",
                "name": "Đảng viên phát biểu (≥ 30%: đủ điểm; ≥ 15%: nửa số điểm)",
                "max": 10,
                "computed": True,
            },
            {
                "code": "3c",
                "name": "Nội dung đúng hướng dẫn, trọng tâm",
                "max": 10,
                "computed": False,
            },
            {
                "code": "3d",
                "name": "Có tự phê bình và phê bình, học tập và làm theo Bác",
                "max": 5,
                "computed": True,
            },
            {
                "code": "3e",
                "name": "Chất lượng tự phê bình và phê bình",
                "max": 5,
                "computed": False,
            },
            {
                "code": "3f",
                "name": "Thực hiện đúng nguyên tắc tổ chức và sinh hoạt Đảng",
                "max": 5,
                "computed": False,
            },
            {"code": "4a", "name": "Biểu quyết thông qua nghị quyết", "max": 5, "computed": True},
            {"code": "4b", "name": "Biên bản đầy đủ", "max": 5, "computed": True},
            {
                "code": "4c",
                "name": "Báo cáo chuyên đề được hoàn thiện và gửi đảng viên",
                "max": 10,
                "computed": False,
            },
        ],
        "thresholds": {"tot": 90, "kha": 70, "trung_binh": 50},
        "full_marks_for_tot": ["1a", "1b", "3a", "3b", "4b"],
    },
}


def add_rubrics(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Rubric = apps.get_model("scoring", "Rubric")
    for code, data in RUBRICS.items():
        Rubric.objects.get_or_create(code=code, version=1, defaults=data)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(add_rubrics, migrations.RunPython.noop)]
