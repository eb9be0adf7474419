"""Catalogue section: the web app's Reports pages (order-to-cash, AR ageing: filters, charts, downloads)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "web.reports.title": ("Reports", "报表"),
    "web.reports.o2c": ("Order to cash", "订单到回款"),
    "web.reports.aging": ("AR ageing", "应收账龄"),
    "web.reports.by": ("Rows", "行"),
    "web.reports.period": ("Period", "期间"),
    "web.reports.as_of": ("As of", "截至日期"),
    "web.reports.orders_from": ("Orders from", "订单来源"),
    "web.reports.invoices_from": ("Invoices from", "发票来源"),
    "web.reports.payments_from": ("Payments from", "回款来源"),
    "web.reports.sources_default": ("(the only source holding them)", "（唯一持有该类单据的来源）"),
    "web.reports.measure": ("Chart", "图表"),
    "web.reports.show": ("Show", "显示"),
    "web.reports.bad_input": ("{field}: {error}", "{field}有误：{error}"),
    "web.reports.bad_date": ("not a yyyy-mm-dd date", "不是 yyyy-mm-dd 日期"),
    "web.reports.download": ("Download", "下载"),
    "web.reports.format.table": ("Table text", "文本表格"),
    "web.reports.format.csv": ("CSV", "CSV 文件"),
    "web.reports.format.xlsx": ("Excel", "Excel 工作簿"),
    "web.reports.format.html": ("HTML", "HTML 网页"),
    "web.reports.format.json": ("JSON", "JSON 数据"),
    "web.reports.lang.zh": ("Chinese", "中文"),
    "web.reports.lang.en": ("English", "英文"),
    "web.reports.chart.o2c": (
        "{measure} per {by} ({currency})",
        "按{by}的{measure}（{currency}）",
    ),
    "web.reports.chart.aging": ("Open balances by age ({currency})", "按账龄的未收余额（{currency}）"),
    "web.reports.chart.bar": ("{label}: {amount}", "{label}：金额 {amount}"),
    "web.reports.empty": ("Nothing to show for this choice.", "所选条件下没有数据。"),
}
