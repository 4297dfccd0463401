"""The default agendas (HD 12-HD/BTCTW), as data the province may edit."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

AGENDAS = {
    "regular": [
        ["review", "Kiểm điểm việc thực hiện nghị quyết tháng trước"],
        ["situation", "Đánh giá tình hình, kết quả thực hiện nhiệm vụ trong tháng"],
        ["criticism", "Tự phê bình và phê bình"],
        ["hcm_study", "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"],
        ["news", "Thông tin thời sự, chủ trương, chính sách"],
        ["next_tasks", "Phương hướng, nhiệm vụ tháng tới"],
    ],
    "thematic": [
        ["topic", "Trình bày dự thảo báo cáo chuyên đề"],
        ["other", "Thảo luận, đóng góp ý kiến"],
        ["next_tasks", "Kết luận và phân công hoàn thiện chuyên đề"],
    ],
    "extraordinary": [["other", "Nội dung sinh hoạt bất thường"]],
    "combined": [
        ["review", "Kiểm điểm việc thực hiện nghị quyết tháng trước"],
        ["situation", "Đánh giá tình hình, kết quả thực hiện nhiệm vụ trong tháng"],
        ["criticism", "Tự phê bình và phê bình"],
        ["hcm_study", "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"],
        ["news", "Thông tin thời sự, chủ trương, chính sách"],
        ["topic", "Sinh hoạt chuyên đề"],
        ["next_tasks", "Phương hướng, nhiệm vụ tháng tới"],
    ],
}


def add_templates(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    AgendaTemplate = apps.get_model("meetings", "AgendaTemplate")
    for kind, items in AGENDAS.items():
        AgendaTemplate.objects.get_or_create(kind=kind, defaults={"items": items})


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [migrations.RunPython(add_templates, migrations.RunPython.noop)]
