"""The default rubric HD12-100 (HD 12-HD/BTCTW, as provinces turn it into 100 points).

Kept here as the content of the first rubric version; the database holds the versions
in use, and province staff add new ones.
"""

from typing import Any

REGULAR_CRITERIA: list[dict[str, Any]] = [
    {"code": "1a", "name": "Tỷ lệ đảng viên dự sinh hoạt trên 85%", "max": 10, "computed": True},
    {"code": "1b", "name": "Không có đảng viên vắng không lý do", "max": 5, "computed": True},
    {"code": "1c", "name": "Không có đảng viên vắng quá 3 lần liên tiếp trong năm", "max": 5, "computed": True},
    {"code": "2a", "name": "Phân công người chuẩn bị nội dung, dự thảo nghị quyết", "max": 3, "computed": True},
    {"code": "2b", "name": "Chi ủy họp chuẩn bị", "max": 4, "computed": True},
    {"code": "2c", "name": "Thông báo cho đảng viên và cấp ủy viên cấp trên", "max": 3, "computed": True},
    {"code": "2d", "name": "Gửi tài liệu trước ít nhất 1 ngày", "max": 2, "computed": True},
    {"code": "2e", "name": "Có dự thảo nghị quyết", "max": 3, "computed": True},
    {"code": "3a", "name": "Thời gian sinh hoạt đủ 90 phút (120 phút khi kết hợp chuyên đề)", "max": 10, "computed": True},
    {"code": "3b", "name": "Đảng viên phát biểu (≥ 30%: đủ điểm; ≥ 15%: nửa số điểm)", "max": 10, "computed": True},
    {"code": "3c", "name": "Nội dung đúng hướng dẫn, trọng tâm", "max": 10, "computed": False},
    {"code": "3d", "name": "Có tự phê bình và phê bình, học tập và làm theo Bác", "max": 5, "computed": True},
    {"code": "3e", "name": "Chất lượng tự phê bình và phê bình", "max": 5, "computed": False},
    {"code": "3f", "name": "Thực hiện đúng nguyên tắc tổ chức và sinh hoạt Đảng", "max": 5, "computed": False},
    {"code": "4a", "name": "Biểu quyết thông qua nghị quyết", "max": 5, "computed": True},
    {"code": "4b", "name": "Biên bản đầy đủ", "max": 5, "computed": True},
    {"code": "4c", "name": "Kiểm điểm nghị quyết kỳ trước (≥ 80% hoàn thành: đủ điểm; ≥ 50%: nửa)", "max": 10, "computed": True},
]  # fmt: skip
THEMATIC_CRITERIA = [
    c
    if c["code"] != "4c"
    else {"code": "4c", "name": "Báo cáo chuyên đề được hoàn thiện và gửi đảng viên", "max": 10, "computed": False}
    for c in REGULAR_CRITERIA
]  # fmt: skip
THRESHOLDS = {"tot": 90, "kha": 70, "trung_binh": 50}
FULL_MARKS_FOR_TOT = ["1a", "1b", "3a", "3b", "4b"]

DEFAULT_RUBRICS: dict[str, dict[str, Any]] = {
    "HD12-100": {
        "name": "Phiếu chấm điểm sinh hoạt chi bộ thường kỳ (100 điểm)",
        "criteria": REGULAR_CRITERIA,
        "thresholds": THRESHOLDS,
        "full_marks_for_tot": FULL_MARKS_FOR_TOT,
    },
    "HD12-100-CD": {
        "name": "Phiếu chấm điểm sinh hoạt chuyên đề (100 điểm)",
        "criteria": THEMATIC_CRITERIA,
        "thresholds": THRESHOLDS,
        "full_marks_for_tot": FULL_MARKS_FOR_TOT,
    },
}
