"""What may end, move or pause a dossier at any step (domain.md §2): withdrawal by the applicant,
transfer to another cell with the person, rejection with the rule and reason, and the pause for
internal political screening (để lại sưu tra) with its resumption."""

from __future__ import annotations

from ketnap.domain.rules import RuleCode
from ketnap.services.gateway.web.forms import Act, Field


def _on(label: str) -> Field:
    return Field("on", label, kind="date", today_by_default=True)


ACTS = [
    Act(
        "dossiers", "transfer", "chuyen-ho-so", "Chuyển hồ sơ sang chi bộ khác",
        (_on("Ngày chuyển"), Field("to_cell", "Chi bộ nhận hồ sơ", kind="choice", options="cells")),
        lead="Hồ sơ đi theo người; chi bộ nhận tiếp tục từ bước hiện nay, không mất gì đã ghi.",
        order=900,
    ),
    Act(
        "dossiers", "withdraw", "rut-ho-so", "Ghi việc người vào Đảng rút hồ sơ",
        (_on("Ngày rút hồ sơ"),),
        lead="Hồ sơ kết thúc theo nguyện vọng của người vào Đảng.", order=910, confirm=True, submit="Xem lại trước khi ghi",
    ),
    Act(
        "dossiers", "reject", "bac-ho-so", "Bác hồ sơ",
        (
            _on("Ngày bác"),
            Field("rule", "Quy định không đáp ứng", kind="choice", choices={c.value: f"{c.message} ({c.value})" for c in RuleCode},
                  required=False),
            Field("reason", "Lý do", kind="long_text"),
        ),
        lead="Hồ sơ kết thúc; ghi rõ quy định và lý do.", order=920, confirm=True, submit="Xem lại trước khi ghi",
    ),
    Act("dossiers", "suspend", "de-lai-suu-tra", "Để lại sưu tra", (_on("Ngày để lại"),),
        lead="Tạm dừng hồ sơ để sưu tra chính trị nội bộ; mọi việc khác chờ đến khi tiếp tục.", order=930),
    Act("dossiers", "resume", "tiep-tuc-ho-so", "Tiếp tục hồ sơ sau sưu tra", (_on("Ngày tiếp tục"),),
        order=940, while_suspended=True),
]
