"""A file a person uploads for the registry's import, as the registry's command carries it: a CSV
or JSON file as its UTF-8 text, a spreadsheet (XLSX) as its bytes in base64. The registry reads
both with the one reader the CLI's import uses (`ketnap.domain.spreadsheet.records_of`; the gateway
reads a file's dossier rows with it too, taking_over.py): every sheet, a sheet named by its kind,
a CCCD typed as a number, the line numbers the person sees."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Literal

LIMIT_BYTES = 256 * 1024
"""What one import may carry (the registry's command goes over the bus in one message)."""

WORKBOOK = b"PK\x03\x04"
"""How an XLSX file starts (a zip): told by content, as the registry's reader tells it."""


class NotReadable(ValueError):
    """The file cannot be read; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class Upload:
    """The `content` and `encoding` of the registry's `import_records`."""

    content: str
    encoding: Literal["utf-8", "base64"]

    def raw(self) -> bytes:
        """The file's bytes again, for the gateway's own reading of its dossier rows (taking_over.py)."""
        if self.encoding == "utf-8":
            return self.content.encode()
        try:
            return base64.b64decode(self.content, validate=True)
        except binascii.Error:
            raise NotReadable("Nội dung tệp đã kiểm tra bị hỏng; hãy chọn tệp và kiểm tra lại.") from None


def upload_of(name: str, raw: bytes) -> Upload:
    if not raw:
        raise NotReadable("Hãy chọn một tệp có dữ liệu.")
    if len(raw) > LIMIT_BYTES:
        raise NotReadable(f"Tệp quá lớn: tối đa {LIMIT_BYTES // 1024} KiB mỗi lần nhập; hãy chia tệp theo từng đảng bộ.")
    if raw.startswith(WORKBOOK):
        return Upload(base64.b64encode(raw).decode("ascii"), "base64")
    if name.lower().endswith(".xlsx"):
        raise NotReadable("Không đọc được tệp bảng tính (XLSX): tệp hỏng hoặc không phải XLSX.")
    try:
        return Upload(raw.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError:
        raise NotReadable("Tệp CSV hoặc JSON phải lưu dạng UTF-8 (trong Excel: Lưu thành, chọn «CSV UTF-8»).") from None
