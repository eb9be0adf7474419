"""The payload hash's canonical JSON: msgspec's bytes equal the standard-library form for every JSON value,
so switching encoders changed no hash already stored in a ledger (ADR 0012)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from store.canonical import _stdlib_canonical_json, canonical_json, canonical_json_bytes, payload_hash

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # any size: vendor ids overflow 64 bits
    | st.text()
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.decimals(places=4, min_value=-(10**13), max_value=10**13)
)
_json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=25,
)


def _reference(payload: Any) -> str:
    """What every payload hash in a ledger was computed from before msgspec (ledgerbridge <= 0.1)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@settings(max_examples=400)
@given(st.dictionaries(st.text(), _json_values, max_size=8))
def test_the_fast_encoder_writes_exactly_the_standard_library_text(payload: dict[str, Any]) -> None:
    assert canonical_json(payload) == _reference(payload)
    assert canonical_json_bytes(payload) == _reference(payload).encode("utf-8")


def test_a_vendor_invoice_hashes_as_it_always_did() -> None:
    invoice = {
        "invoice_id": 4150868000000123456789,
        "客户": "上海某某贸易有限公司",
        "total": Decimal("98765432109.1234"),
        "lines": [{"rate": Decimal("0.10"), "qty": Decimal("1E+3"), "note": 'tab\t"quote"\n\x00'}],
        "paid": False,
        "void": None,
    }
    assert payload_hash(invoice) == hashlib.sha256(_reference(invoice).encode("utf-8")).hexdigest()


def test_what_msgspec_cannot_encode_takes_the_standard_library_path() -> None:
    class Text(str):
        pass

    odd: dict[str, Any] = {"name": Text("x"), "nested": {"b": 1, "a": [Decimal("1.50")]}}
    assert canonical_json(odd) == _stdlib_canonical_json(odd) == '{"name":"x","nested":{"a":["1.50"],"b":1}}'
    assert canonical_json({"by_year": {2026: "a", 2025: "b"}}) == '{"by_year":{"2025":"b","2026":"a"}}'
