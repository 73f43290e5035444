"""JSON decoding in one place, so a faster decoder can replace the standard one everywhere."""

from __future__ import annotations

import json
from typing import Any

decode_json = json.loads


def encode_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
