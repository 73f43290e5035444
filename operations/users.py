"""`ketnap users list` as a table that fits the terminal (ketnap.operations.terminal)."""

from __future__ import annotations

from typing import Any

from ketnap.services.reporting.export import Table

HEADERS = ["Tên đăng nhập", "Họ tên", "Vai trò", "Tổ chức", "Trạng thái", "Mã truy cập còn hiệu lực"]


def users_table(users: list[dict[str, Any]]) -> Table:
    return Table("Người dùng", HEADERS, [
        [
            u["login"], u["display_name"], u["role_title"], u["organisation"], "đã khóa" if u["disabled"] else "hoạt động",
            ", ".join(t["token_id"] + (f" ({t['label']})" if t.get("label") else "") for t in u["tokens"]) or "-",
        ]
        for u in users
    ])
