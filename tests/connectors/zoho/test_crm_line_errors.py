"""A CRM line item's bad field is quarantined under the key the payload used (any casing) and the rule
it broke: the line reader builds these field names only when there is an error (issue 18), and they
must be what they were when it built one for every field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connectors.errors import RecordError
from connectors.reasons import Rule
from connectors.zoho.normalize import _crm_line

WHERE = "Ordered_Items[0]"


@pytest.mark.parametrize(
    ("row", "field", "rule"),
    [
        ({}, f"{WHERE}.total_after_discount", Rule.MISSING),
        ({"Total": None, "Total_After_Discount": None}, f"{WHERE}.total_after_discount", Rule.MISSING),
        ({"Quantity": "abc", "total": Decimal(1)}, f"{WHERE}.Quantity", Rule.NOT_A_NUMBER),
        ({"TAX": 1.5, "Total": Decimal(2)}, f"{WHERE}.TAX", Rule.NOT_EXACT),
        ({"List_Price": True, "total": Decimal(2)}, f"{WHERE}.List_Price", Rule.NOT_A_BOOLEAN),
        ({"unit_price": "NaN", "total": Decimal(2)}, f"{WHERE}.unit_price", Rule.NOT_FINITE),
        ({"Total_After_Discount": Decimal("Infinity")}, f"{WHERE}.Total_After_Discount", Rule.NOT_FINITE),
        ({"total": ""}, f"{WHERE}.amount", Rule.NOT_A_NUMBER),  # present but empty: the model says it
    ],
)
def test_a_bad_line_field_is_named_as_the_payload_spells_it(
    row: dict[str, Any], field: str, rule: Rule
) -> None:
    with pytest.raises(RecordError) as caught:
        _crm_line(row, WHERE)
    assert (caught.value.field, caught.value.rule) == (field, rule)


def test_a_good_line_keeps_exact_amounts_and_the_first_non_null_alternative() -> None:
    line = _crm_line(
        {
            "Total_After_Discount": None,
            "total": Decimal("0.30"),
            "Quantity": Decimal("3"),
            "list_price": None,
            "Unit_Price": Decimal("0.1"),
            "tax": Decimal("0.2"),
        },
        WHERE,
    )
    assert (line.amount, line.quantity, line.unit_price, line.tax) == (
        Decimal("0.30"),
        Decimal(3),
        Decimal("0.1"),
        Decimal("0.2"),
    )
    assert str(line.amount) == "0.30"
