"""Catalogue section: what the Xero connector's commands say (issue 19)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "sandbox.xero_serves": (
        "Xero Identity (OAuth), /connections and the Accounting API 2.0 on one address; the company's "
        "books as one Xero organisation",
        "Xero Identity（OAuth）、/connections 和会计 API 2.0 共用一个地址；公司账簿作为一个 Xero 组织",
    ),
}
