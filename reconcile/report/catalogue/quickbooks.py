"""Catalogue section: what the QuickBooks connector's commands say (issue 19)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "sandbox.quickbooks_serves": (
        "Intuit OAuth and the QuickBooks Online v3 API (query, CDC) on one address; the company's books "
        "as one QuickBooks company",
        "Intuit OAuth 和 QuickBooks Online v3 API（query、CDC）共用一个地址；"
        "公司账簿作为一个 QuickBooks 公司",
    ),
}
