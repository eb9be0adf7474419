"""The bank statement fixtures (tests/fixtures/bank/) and the connector settings that read them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.kinds import BankStatementSettings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bank"

ICBC_CSV: dict[str, Any] = {
    "encoding": "gb18030",
    "currency": "CNY",
    "columns": {
        "date": "交易日期",
        "debit": "借方发生额",
        "credit": "贷方发生额",
        "balance": "余额",
        "counterparty": "对方户名",
        "counterparty_account": "对方账号",
        "reference": "交易流水号",
        "text": "摘要",
    },
}
CMB_XLSX: dict[str, Any] = {
    "currency": "USD",
    "date_formats": ["%Y%m%d"],
    "columns": {
        "date": "交易日",
        "value_date": "起息日",
        "amount": "交易金额",
        "balance": "账户余额",
        "counterparty": "对方户名",
        "counterparty_account": "对方账号",
        "reference": "流水号",
        "text": "摘要",
    },
}


def settings(name: str = "bank", *, csv: dict[str, Any] | None = None, **keys: Any) -> BankStatementSettings:
    return BankStatementSettings.model_validate({"name": name, "kind": "bank_statement", "csv": csv, **keys})


def sample(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
