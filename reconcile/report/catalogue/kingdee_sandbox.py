"""Catalogue section: what `sandbox serve --vendor kingdee` says about the Kingdee sandbox (issue 20)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "sandbox.kingdee_serves": (
        "Kingdee K/3 Cloud WebAPI (AuthService logins, DynamicFormService.ExecuteBillQuery) under /K3Cloud; "
        "the company's Fxiaoke books as one Kingdee account (sales orders, receivables, receipts, VAT "
        "invoices, customers, materials)",
        "金蝶云星空 WebAPI（AuthService 登录、DynamicFormService.ExecuteBillQuery），位于 /K3Cloud 下；"
        "公司在纷享销客中的账务作为一个金蝶账套（销售订单、应收单、收款单、增值税发票、客户、物料）",
    ),
}
