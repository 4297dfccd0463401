"""Members and their history in the field names of the party-member record (Lý lịch đảng
viên, Mẫu 1-HSĐV, as far as chibo keeps its fields), for the national party-member database:
one JSON document or one workbook (members, then their membership periods). Used by the API
(`/api/v1/members-export/`) and `chibo export_members --format json`. The access layer's
field rules apply: the citizen ID and the phone are left empty for whoever may not see them.
Documented in docs/api.md."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet

from chibo.lib.xlsx import Sheet, write_workbook
from chibo.members.access import hidden_fields
from chibo.members.models import Gender, Member, MembershipPeriod, MemberStatus

SCHEMA = "chibo.members.national/1"
GENDERS: dict[str, str] = {Gender.MALE: "Nam", Gender.FEMALE: "Nữ"}

# (key, the record's label, value of a member); the keys are stable, the labels are the form's.
FIELDS: list[tuple[str, str, Callable[[Member], Any]]] = [
    ("ho_va_ten", "Họ và tên đang dùng", lambda m: m.full_name),
    ("gioi_tinh", "Giới tính", lambda m: GENDERS.get(m.gender, "")),
    ("ngay_sinh", "Sinh ngày", lambda m: m.birth_date),
    ("dan_toc", "Dân tộc", lambda m: m.ethnicity),
    ("ton_giao", "Tôn giáo", lambda m: m.religion),
    ("so_dinh_danh", "Số định danh cá nhân", lambda m: m.citizen_id),
    ("dien_thoai", "Điện thoại", lambda m: m.phone),
    ("nghe_nghiep", "Nghề nghiệp, chức vụ hiện nay", lambda m: m.occupation),
    ("trinh_do_hoc_van", "Trình độ học vấn", lambda m: m.education),
    ("ngay_vao_dang", "Ngày vào Đảng", lambda m: m.admitted_on),
    ("ngay_chinh_thuc", "Ngày chính thức", lambda m: m.official_on),
    ("so_the_dang_vien", "Số thẻ đảng viên", lambda m: m.card_number),
    ("ma_chi_bo", "Mã chi bộ", lambda m: m.unit.code),
    ("chi_bo", "Chi bộ đang sinh hoạt", lambda m: m.unit.name),
    ("tinh_trang", "Tình trạng", lambda m: MemberStatus(m.status).label),
]
# Where each field of chibo's record goes (keys that are personal, by the access layer).
PERSONAL = {"so_dinh_danh": "citizen_id", "dien_thoai": "phone"}
PERIOD_FIELDS: list[tuple[str, str]] = [
    ("tu_ngay", "Từ ngày"),
    ("den_ngay", "Đến ngày"),
    ("ma_chi_bo", "Mã chi bộ"),
    ("tinh_trang", "Tình trạng"),
    ("bien_dong", "Biến động"),
    ("ly_do", "Lý do"),
    ("quyet_dinh", "Quyết định"),
]


def _with_history(members: QuerySet[Member]) -> QuerySet[Member]:
    periods = MembershipPeriod.objects.select_related("unit").order_by("started_on", "pk")
    return members.select_related("unit").prefetch_related(Prefetch("periods", queryset=periods))


def _record(member: Member, user: Any) -> dict[str, Any]:
    hidden = hidden_fields(user, member)
    record: dict[str, Any] = {}
    for key, _label, value in FIELDS:
        shown = value(member)
        if key in PERSONAL and PERSONAL[key] in hidden:
            shown = None
        record[key] = shown.isoformat() if hasattr(shown, "isoformat") else (shown or None)
    record["qua_trinh"] = [
        {
            "tu_ngay": p.started_on.isoformat(),
            "den_ngay": p.ended_on.isoformat() if p.ended_on else None,
            "ma_chi_bo": p.unit.code,
            "tinh_trang": MemberStatus(p.status).label,
            "bien_dong": p.get_change_display(),
            "ly_do": p.reason or None,
            "quyet_dinh": p.decision or None,
        }
        for p in member.periods.all()
    ]
    return record


def document(members: QuerySet[Member], *, user: Any) -> dict[str, Any]:
    """The JSON document: its schema, the labels of its keys and one record per member."""
    return {
        "schema": SCHEMA,
        "fields": {key: label for key, label, _value in FIELDS}
        | {"qua_trinh": "Quá trình sinh hoạt đảng"}
        | {f"qua_trinh.{key}": label for key, label in PERIOD_FIELDS},
        "members": [_record(m, user) for m in _with_history(members).iterator(chunk_size=2000)],
    }


def xlsx(members: QuerySet[Member], *, user: Any) -> bytes:
    """The same as a workbook: a sheet of members, a sheet of their periods."""
    records = document(members, user=user)["members"]

    def member_rows() -> Iterable[list[Any]]:
        for r in records:
            yield [r[key] for key, _label, _value in FIELDS]

    def period_rows() -> Iterable[list[Any]]:
        for r in records:
            for p in r["qua_trinh"]:
                yield [r["so_the_dang_vien"], r["ho_va_ten"], *(p[k] for k, _l in PERIOD_FIELDS)]

    target = io.BytesIO()
    write_workbook(
        target,
        [
            Sheet("Dang vien", "LÝ LỊCH ĐẢNG VIÊN (Mẫu 1-HSĐV)",
                  [label for _key, label, _value in FIELDS], member_rows()),
            Sheet("Qua trinh", "QUÁ TRÌNH SINH HOẠT ĐẢNG",
                  ["Số thẻ đảng viên", "Họ và tên", *(label for _k, label in PERIOD_FIELDS)],
                  period_rows()),
        ],
    )  # fmt: skip
    return target.getvalue()
