"""Catalogue section: order-to-cash and ageing."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- columns
    "col.unapplied": ("Unapplied / ahead of invoicing", "未核销/超开票回款"),
    "col.settlement_unknown": ("Settlement unknown", "回款情况未知"),
    "col.variants": ("Spellings folded", "合并的名称写法"),
    # ---------------------------------------------------------------- the base-currency total
    "o2c.base_total": ("Total in {currency} (base currency)", "合计（本位币 {currency}）"),
    "o2c.base_total_partial": (
        "Total in {currency} (base currency; {count} without an exchange rate left out)",
        "合计（本位币 {currency}；{count} 张无汇率单据未计入）",
    ),
    "o2c.meta.base_currency": ("Base currency", "本位币"),
    "o2c.meta.unconverted": ("Not in the base-currency total", "未计入本位币合计"),
    "o2c.unconverted.one": (
        "{count} document without an exchange rate is left out of the base-currency total",
        "{count} 张单据没有汇率，未计入本位币合计",
    ),
    "o2c.unconverted.many": (
        "{count} documents without an exchange rate are left out of the base-currency total",
        "{count} 张单据没有汇率，未计入本位币合计",
    ),
    # ---------------------------------------------------------------- invoices of unknown settlement
    "o2c.meta.settlement_unknown": ("Settlement unknown", "回款情况未知"),
    "o2c.settlement_unknown.one": (
        "{count} invoice cannot be known to be collected or not (its order, or where its order's payments "
        "went, is not in the ledger): shown under Settlement unknown, neither outstanding nor paid",
        "{count} 张发票无法确定是否已回款（其订单或订单回款的核销明细不在账本中）：列在“回款情况未知”，"
        "既不计入应收余额，也不视为已收款",
    ),
    "o2c.settlement_unknown.many": (
        "{count} invoices cannot be known to be collected or not (their order, or where their order's "
        "payments went, is not in the ledger): shown under Settlement unknown, neither outstanding nor paid",
        "{count} 张发票无法确定是否已回款（其订单或订单回款的核销明细不在账本中）：列在“回款情况未知”，"
        "既不计入应收余额，也不视为已收款",
    ),
    # ---------------------------------------------------------------- choosing the sources of record
    "o2c.error.prefix": ("cannot make the report", "无法生成报表"),
    "o2c.error.choose": (
        "{option}: several sources hold {kind} ({sources}); the same sale kept in two systems would count "
        "twice, so name the one(s) to read, e.g. {option} {first} (several: {option} a,b)",
        "{option}：有多个数据来源含有{kind}（{sources}）；同一笔业务若在两个系统中都有记录会被重复计算，"
        "请指定要读取的来源，例如 {option} {first}（多个：{option} a,b）",
    ),
    "o2c.error.unknown_source": (
        "{option} {source}: no such source (configured connectors: {known})",
        "{option} {source}：没有这个数据来源（已配置的连接器：{known}）",
    ),
    "o2c.error.mirrored": (
        "{option} {sources}: rule {rule} reconciles these sources' {kind} against each other (the same "
        "sales kept in both), so adding them would count each sale twice; name one of them",
        "{option} {sources}：规则 {rule} 对这些来源的{kind}互相对账（同一批业务在两边都有记录），"
        "相加会把每笔业务计算两次；请只指定其中一个",
    ),
    "o2c.error.none_configured": ("none", "无"),
    "o2c.kind.sales_order": ("sales orders", "销售订单"),
    "o2c.kind.invoice": ("invoices", "发票"),
    "o2c.kind.payment": ("payments", "回款"),
}
