"""The log's JSON (ketnap.platform.jsoncodec) is the standard library's to the byte and to the
value: every stored hash covers text `json.dumps` wrote, and projections read what `json.loads` gives."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ketnap.platform.envelope import dumps_data, unstable_number
from ketnap.platform.jsoncodec import decode_json, encode_sorted

scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses to write them and reads them as floats
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)
data = st.dictionaries(st.text(), values, max_size=6)


def reference(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def same(left: object, right: object) -> bool:
    """Equal and of the same types all the way down (1 == 1.0 == True in Python)."""
    return json.dumps(left) == json.dumps(right) and repr(left) == repr(right)


@settings(max_examples=400, deadline=None)
@given(data)
def test_data_is_written_as_json_dumps_writes_it(value: dict) -> None:
    assert encode_sorted(value) == reference(value)
    if unstable_number(value) is None:  # the others the log refuses (tests/unit/test_envelope_numbers.py)
        assert dumps_data(value) == reference(value)


@settings(max_examples=400, deadline=None)
@given(values)
def test_text_is_read_as_json_loads_reads_it(value: object) -> None:
    for text in (reference(value), json.dumps(value, ensure_ascii=False), json.dumps(value)):
        assert same(decode_json(text), json.loads(text))


def test_what_orjson_would_write_or_read_otherwise_takes_the_standard_way() -> None:
    awkward = {"f": 1e-7, "big": 10**20, "neg": -(2**63) - 1, "nested": [{"g": 1e16}], "lone": "\ud800", 3: "int key"}
    for key, item in awkward.items():
        value = {key: item}
        assert encode_sorted(value) == reference(value)
    for text in ('{"big": 18446744073709551616}', '{"f": 1.0}', '{"x": NaN}', '[1e400]', '{"a": -0}'):
        assert same(decode_json(text), json.loads(text))
