"""The report catalogue: every label, type name, status and heading in English and Chinese."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Final, Literal, get_args

from reconcile.report.catalogue import SECTIONS

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = get_args(Lang)

# key -> (English, 中文). Keys are stable; a missing key is an error, never a silent fallback.
_REPORT_MESSAGES: Final[Mapping[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- report titles and meta
    "report.mismatches": ("Reconciliation mismatch report", "对账差异报告"),
    "report.o2c": ("Order-to-cash summary", "订单到回款汇总"),
    "report.aging": ("Accounts receivable ageing", "应收账款账龄分析"),
    "meta.generated_at": ("Generated at", "生成时间"),
    "meta.period": ("Period", "期间"),
    "meta.rule": ("Rule", "规则"),
    "meta.status": ("Status", "状态"),
    "meta.as_of": ("As of", "截至日期"),
    "meta.by": ("Grouped by", "分组方式"),
    "meta.timezone": ("Time zone", "时区"),
    "meta.exceptions": ("Exceptions", "差异条数"),
    "meta.all": ("All", "全部"),
    "meta.sources": ("Sources", "数据来源"),
    # ---------------------------------------------------------------- section headings
    "section.bridge": ("Bridge statement", "差异调节表"),
    "section.counts": ("Exceptions by type", "差异类型统计"),
    "section.o2c": ("Order to cash", "订单到回款"),
    "section.aging": ("Ageing buckets", "账龄区间"),
    "section.summary": ("Summary", "汇总"),
    "section.info": ("Report information", "报告信息"),
    "section.audit_by_rule": (
        "Audit findings on each rule's documents (listed once, under their audit plan)",
        "各规则单据上的稽核发现（只在所属稽核计划下列出一次）",
    ),
    # ---------------------------------------------------------------- column headings
    "col.id": ("Exception", "差异编号"),
    "col.rule": ("Rule", "规则"),
    "col.period": ("Period", "期间"),
    "col.type": ("Type", "差异类型"),
    "col.status": ("Status", "处理状态"),
    "col.assignee": ("Assignee", "负责人"),
    "col.left_number": ("Left document", "左方单据号"),
    "col.left_source": ("Left source", "左方来源"),
    "col.right_number": ("Right document", "右方单据号"),
    "col.right_source": ("Right source", "右方来源"),
    "col.left_amount": ("Left amount", "左方金额"),
    "col.right_amount": ("Right amount", "右方金额"),
    "col.difference": ("Difference", "差额"),
    "col.currency": ("Currency", "币种"),
    "col.party": ("Customer", "客户"),
    "col.issued_on": ("Date", "单据日期"),
    "col.explanation": ("Explanation", "说明"),
    "col.first_seen_at": ("First seen", "首次发现"),
    "col.last_seen_at": ("Last seen", "最近发现"),
    "col.item": ("Item", "项目"),
    "col.amount": ("Amount", "金额"),
    "col.count": ("Count", "条数"),
    "col.group": ("Group", "分组"),
    "col.customer": ("Customer", "客户"),
    "col.salesperson": ("Salesperson", "销售人员"),
    "col.month": ("Month", "月份"),
    "col.ordered": ("Ordered", "订单金额"),
    "col.invoiced": ("Invoiced", "开票金额"),
    "col.credited": ("Credited", "红字冲减"),
    "col.collected": ("Collected", "回款金额"),
    "col.outstanding": ("Outstanding", "应收余额"),
    "col.overdue": ("Overdue", "逾期金额"),
    "col.current": ("Current", "未到期"),
    "col.days_1_30": ("1–30 days", "逾期1–30天"),
    "col.days_31_60": ("31–60 days", "逾期31–60天"),
    "col.days_61_90": ("61–90 days", "逾期61–90天"),
    "col.days_over_90": ("> 90 days", "逾期90天以上"),
    "col.total": ("Total", "合计"),
    "col.field": ("Field", "字段"),
    "col.severity": ("Severity", "严重程度"),
    "col.audit_plan": ("Audit plan", "稽核计划"),
    # ---------------------------------------------------------------- bridge statement lines
    "bridge.left_total": ("Left total", "左方合计"),
    "bridge.right_total": ("Right total", "右方合计"),
    "bridge.difference": ("Difference (left − right)", "差额（左方 − 右方）"),
    "bridge.explained": ("Explained by type", "按差异类型解释"),
    "bridge.unexplained": ("Unexplained", "未解释差额"),
    "bridge.within_tolerance": ("Within tolerance (rounding)", "容差内差异（舍入）"),
    "bridge.open_balance": ("Open balance (not yet paid)", "未收余额"),
    "bridge.out_of_scope": ("Applied to invoices outside the period", "核销至本期以外的发票"),
    "bridge.other": ("Other", "其他"),
    "money.residue": (" (exact residue {residue} from rounding)", "（舍入尾差 {residue}）"),
    "money.below_minor_unit": (
        " (less than the minor unit, shown exactly)",
        "（不足最小货币单位，按精确值显示）",
    ),
    "bridge.rounding_residue": (
        "Rounding residue of the line above (below the minor unit, not shown there)",
        "上一行的舍入尾差（不足最小货币单位，上一行未显示）",
    ),
    "bridge.unconverted": ("Documents left out (no exchange rate)", "未计入单据（缺少汇率）"),
    # ---------------------------------------------------------------- discrepancy types (stable names)
    "type.missing_in_right": ("Missing in right", "右方缺失"),
    "type.missing_in_left": ("Missing in left", "左方缺失"),
    "type.amount_mismatch": ("Amount mismatch", "金额不符"),
    "type.currency_mismatch": ("Currency mismatch", "币种不符"),
    "type.date_mismatch": ("Date mismatch", "日期不符"),
    "type.status_mismatch": ("Status mismatch", "状态不符"),
    "type.party_mismatch": ("Customer mismatch", "客户不符"),
    "type.duplicate": ("Duplicate", "重复单据"),
    "type.ambiguous_match": ("Ambiguous match", "匹配不唯一"),
    "type.underpaid": ("Underpaid", "付款不足"),
    "type.overpaid": ("Overpaid", "超额付款"),
    "type.unapplied_payment": ("Unapplied payment", "未核销收款"),
    "type.deleted_in_source": ("Deleted in source", "源系统已删除"),
    "type.total_not_sum_of_lines": ("Total ≠ sum of lines", "总额≠明细合计"),
    "type.total_not_subtotal_plus_tax": ("Total ≠ subtotal + tax", "总额≠小计+税额"),
    "type.negative_amount": ("Negative amount", "负数金额"),
    "type.due_before_issue": ("Due before issue", "到期日早于开票日"),
    "type.missing_owner": ("Missing salesperson", "缺少销售负责人"),
    "type.invoice_before_order": ("Invoice before order", "发票早于订单"),
    "type.possible_duplicate": ("Possible duplicate", "疑似重复单据"),
    "type.discount_above_limit": ("Discount above limit", "折扣超出上限"),
    "type.unusual_amount": ("Unusual amount", "金额异常"),
    "type.credit_note_exceeds_invoice": ("Credit note exceeds invoice", "红字冲减超过原发票"),
    # ---------------------------------------------------------------- finding severity
    "severity.normal": ("Normal", "一般"),
    "severity.low": ("Low", "低"),
    # ---------------------------------------------------------------- audit runs: skipped checks
    "run.skipped": (
        "{check}: skipped on {count} documents, never guessed ({reasons})",
        "{check}：{count} 张单据未检查，不作推测（{reasons}）",
    ),
    "run.skip_reason": ("{reason}: {count}", "{reason} {count} 张"),
    "run.skip_separator": ("; ", "；另有"),
    "skip.discount_unknown": ("discount unknown", "折扣未知"),
    "skip.shipping_unknown": ("shipping unknown", "运费未知"),
    "skip.adjustment_unknown": ("adjustment unknown", "调整金额未知"),
    "skip.rounding_unknown": ("rounding unknown", "舍入金额未知"),
    "skip.tax_inclusive_unknown": ("whether tax is included unknown", "是否含税未知"),
    "skip.tax_unknown": ("tax unknown", "税额未知"),
    "skip.subtotal_unknown": ("subtotal unknown", "小计未知"),
    # ---------------------------------------------------------------- exception statuses
    "status.open": ("Open", "待处理"),
    "status.acknowledged": ("Acknowledged", "已确认"),
    "status.resolved": ("Resolved", "已解决"),
    "status.auto_resolved": ("Auto-resolved", "已自动解决"),
    # ---------------------------------------------------------------- document statuses
    "docstatus.draft": ("Draft", "草稿"),
    "docstatus.open": ("Open", "未结清"),
    "docstatus.partially_paid": ("Partially paid", "部分收款"),
    "docstatus.paid": ("Paid", "已收款"),
    "docstatus.void": ("Void", "已作废"),
    "docstatus.deleted": ("Deleted", "已删除"),
    "docstatus.unknown": ("Unknown", "未知"),
    # ---------------------------------------------------------------- status classes (what rules compare)
    "statusclass.draft": ("draft", "草稿"),
    "statusclass.open": ("open", "未结清"),
    "statusclass.paid": ("paid", "已结清"),
    "statusclass.void": ("void", "作废"),
    "statusclass.unknown": ("unknown", "未知"),
    # ---------------------------------------------------------------- document kinds
    "kind.sales_order": ("Sales order", "销售订单"),
    "kind.invoice": ("Invoice", "发票"),
    "kind.payment": ("Payment", "回款"),
    "kind.credit_note": ("Credit note", "红字发票"),
    "kind.customer": ("Customer", "客户"),
    "kind.product": ("Product", "产品"),
    # ---------------------------------------------------------------- revision change kinds
    "change.created": ("Created", "新建"),
    "change.updated": ("Updated", "修改"),
    "change.deleted": ("Deleted", "删除"),
    "change.restored": ("Restored", "恢复"),
    # ---------------------------------------------------------------- document fields
    "field.source": ("Source", "来源"),
    "field.kind": ("Kind", "单据类型"),
    "field.external_id": ("External id", "外部编号"),
    "field.number": ("Number", "单据号"),
    "field.party": ("Customer", "客户"),
    "field.deleted_by": ("Deleted by", "删除人"),
    "field.deleted_at": ("Deleted at", "删除时间"),
    "field.owner": ("Salesperson", "销售人员"),
    "field.issued_on": ("Issued on", "单据日期"),
    "field.due_on": ("Due on", "到期日"),
    "field.currency": ("Currency", "币种"),
    "field.exchange_rate": ("Exchange rate", "汇率"),
    "field.subtotal": ("Subtotal", "小计"),
    "field.tax": ("Tax", "税额"),
    "field.total": ("Total", "总额"),
    "field.balance": ("Balance", "余额"),
    "field.status": ("Status", "状态"),
    "field.allocations": ("Allocations", "核销明细"),
    "field.lines": ("Lines", "明细行"),
    "field.deleted": ("Deleted", "已删除"),
    "field.source_modified_at": ("Modified at source", "源系统修改时间"),
    "field.paid": ("Paid", "已收金额"),
    "field.allocated": ("Allocated", "已核销金额"),
    "field.discount": ("Discount", "折扣"),
    "field.credited": ("Credited", "红字冲减金额"),
    "field.shipping": ("Shipping", "运费"),
    "field.adjustment": ("Adjustment", "调整金额"),
    "field.rounding": ("Rounding", "舍入金额"),
    # ---------------------------------------------------------------- exception explanations (per type)
    # Both languages fill the same template from the finding (reconcile/report/explain.py): one case, one key,
    # the same placeholders, so the English and the Chinese sentence state the same figures, ids and dates.
    "explain.missing_in_right": (
        "{left} ({left_source}) has no counterpart in {right_source}",
        "{left}（{left_source}）在{right_source}中没有对应单据",
    ),
    "explain.missing_in_left": (
        "{right} ({right_source}) has no counterpart in {left_source}",
        "{right}（{right_source}）在{left_source}中没有对应单据",
    ),
    "explain.amount_mismatch": (
        "{left} ({left_source}) and {right} ({right_source}) are matched but their amounts differ: "
        "{left_amount} vs {right_amount}, difference {difference}{fx}{details}",
        "金额不符：{left}（{left_source}）{left_amount}，{right}（{right_source}）{right_amount}，"
        "差额 {difference}{fx}{details}",
    ),
    "explain.fx_tolerance": (", more than the {percent}% FX tolerance", "，超出 {percent}% 的汇率容差"),
    "explain.paid_mismatch": (
        "{left} ({left_source}) shows {claimed} paid but {applied} is applied to it (its balance is stale)",
        "{left}（{left_source}）显示已收 {claimed}，但核销到该单据的收款为 {applied}（余额未更新）",
    ),
    "explain.payment_to_missing_invoice": (
        "{right} ({right_source}) applies {amount} to invoice {invoice}, which does not exist",
        "{right}（{right_source}）向发票 {invoice} 核销 {amount}，但该发票不存在",
    ),
    "explain.currency_mismatch": (
        "{left} ({left_source}) and {right} ({right_source}) are in different currencies "
        "and no exchange rate is known: {fields}",
        "{left}（{left_source}）与{right}（{right_source}）币种不同且缺少汇率：{fields}",
    ),
    "explain.currency_mismatch_converted": (
        "{left} ({left_source}) and {right} ({right_source}) are in different currencies ({fields}); "
        "at the documents' exchange rates that is {left_amount} vs {right_amount}, "
        "a difference of {difference}",
        "{left}（{left_source}）与{right}（{right_source}）币种不同（{fields}）；"
        "按单据汇率折合为 {left_amount} 对 {right_amount}，差额 {difference}",
    ),
    "explain.date_mismatch": (
        "{left} ({left_source}) and {right} ({right_source}) are matched but their dates differ: {fields}",
        "{left}（{left_source}）与{right}（{right_source}）已匹配但日期不符：{fields}",
    ),
    "explain.status_mismatch": (
        "{left} ({left_source}) and {right} ({right_source}) are matched but their statuses differ: {fields}",
        "{left}（{left_source}）与{right}（{right_source}）已匹配但状态不符：{fields}",
    ),
    "explain.party_mismatch": (
        "{left} ({left_source}) and {right} ({right_source}) are matched "
        "but their customers differ: {fields}",
        "{left}（{left_source}）与{right}（{right_source}）已匹配但客户不符：{fields}",
    ),
    "explain.duplicate": (
        "Number {number} is used by {count} documents in {source} ({documents}); "
        "they are not paired until one is corrected",
        "单据号 {number} 在{source}中被{count}张单据重复使用（{documents}），更正前不予匹配",
    ),
    "explain.ambiguous_match": (
        "{left} ({left_source}) could be {right} ({right_source}): {reason}{candidates}; so none is taken "
        "(match them by hand)",
        "{left}（{left_source}）可能对应{right}（{right_source}）：{reason}{candidates}；均未匹配，请手工匹配",
    ),
    "explain.ambiguous_even": ("no candidate is clearly better than the others", "候选单据难分优劣"),
    "explain.ambiguous_close": (
        "no candidate is clearly better: pairing them differently scores within the margin of {margin} "
        "points of the best assignment ({apart} points apart)",
        "候选单据难分优劣：另一种配对的得分与最佳配对仅差 {apart} 分，在 {margin} 分的差距阈值以内",
    ),
    "explain.ambiguous_too_many": (
        "{lefts} and {rights} documents are candidates of each other, more than the {cap} a side "
        "that are weighed against each other",
        "{lefts} 张与 {rights} 张单据互为候选，超过每方最多比较 {cap} 张的上限",
    ),
    "explain.ambiguous_candidates": (
        "; candidates {candidates}",
        "；候选配对：{candidates}",
    ),
    "explain.ambiguous_more": ("and {count} more", "另有 {count} 个"),
    "explain.candidate": ("{pair}: score {total} ({components})", "{pair}：总分 {total}（{components}）"),
    "explain.score": (
        "amount {amount}, date {date}, party {party}, reference {reference}",
        "金额 {amount}，日期 {date}，客户 {party}，参照 {reference}",
    ),
    "explain.underpaid": (
        "{left} ({left_source}) shows {claimed} paid but only {applied} is applied to it",
        "{left}（{left_source}）显示已收 {claimed}，但核销到该单据的收款仅 {applied}",
    ),
    "explain.overpaid": (
        "{left} ({left_source}) of {left_amount} has {right_amount} applied to it, {excess} too much",
        "{left}（{left_source}）金额 {left_amount}，已核销收款 {right_amount}，超出 {excess}",
    ),
    "explain.unapplied_payment": (
        "{right} ({right_source}) of {right_amount} has {unapplied} not applied to any invoice",
        "{right}（{right_source}）金额 {right_amount}，其中 {unapplied} 未核销到任何发票",
    ),
    "explain.deleted_in_source_by": (
        "{left} ({left_source}) and {right} ({right_source}) are matched, but one side was deleted "
        "in its source by {deleted_by} at {deleted_at} while the other is still live",
        "{left}（{left_source}）与{right}（{right_source}）已匹配，但其中一方已于 {deleted_at} 被 "
        "{deleted_by} 在源系统删除，另一方仍有效",
    ),
    "explain.deleted_side": (
        "{deleted} ({deleted_source}) was deleted in its source{by}{at} but its counterpart "
        "{live} ({live_source}) is still live",
        "{deleted}（{deleted_source}）已在源系统删除{by}{at}，但其对应单据{live}（{live_source}）仍有效",
    ),
    "explain.deleted_by": (" by {who}", "（删除人 {who}）"),
    "explain.deleted_at": (" at {at}", "（删除时间 {at}）"),
    "explain.deleted_in_source": (
        "{left} ({left_source}) and {right} ({right_source}) are matched, but one side was deleted "
        "in its source while the other is still live",
        "{left}（{left_source}）与{right}（{right_source}）已匹配，但其中一方已在源系统删除，另一方仍有效",
    ),
    "explain.total_not_sum_of_lines": (
        "{document} ({source}): total {total} is not the sum of its lines {expected}",
        "{document}（{source}）总额 {total} 不等于明细合计 {expected}",
    ),
    "explain.total_not_subtotal_plus_tax": (
        "{document} ({source}): total {total} is not subtotal plus tax {expected}",
        "{document}（{source}）总额 {total} 不等于小计加税额 {expected}",
    ),
    "explain.total_identity": (
        "{document} ({source}): total {total} is not {parts} = {expected}",
        "{document}（{source}）总额 {total} 不等于 {parts} = {expected}",
    ),
    "explain.tax_included": ("(tax {tax} included)", "（含税额 {tax}）"),
    "explain.tax_included_unknown": ("(tax included)", "（含税）"),
    "explain.total_lines": (
        "{document} ({source}): total {total} is not the sum of its lines {lines} "
        "(the lines should add up to the {basis}, {expected})",
        "{document}（{source}）总额 {total} 不等于明细合计 {lines}（明细应合计为{basis} {expected}）",
    ),
    "explain.basis_subtotal": ("subtotal", "小计"),
    "explain.basis_derived": ("total less its other components", "总额减去其他组成部分"),
    "explain.negative_amount": (
        "{document} ({source}) has negative amounts: {amounts}",
        "{document}（{source}）存在负数金额：{amounts}",
    ),
    "explain.due_before_issue": (
        "{document} ({source}) is due on {due_on}, before it was issued on {issued_on}",
        "{document}（{source}）到期日 {due_on} 早于开票日 {issued_on}",
    ),
    "dates.due_before_issue": ("due {left}, issued {right}", "到期 {left}，开票 {right}"),
    "dates.invoice_before_order": ("invoiced {left}, ordered {right}", "开票 {left}，下单 {right}"),
    "explain.missing_owner": (
        "{document} ({source}) has no salesperson recorded",
        "{document}（{source}）未记录销售负责人",
    ),
    "explain.invoice_before_order": (
        "{document} ({source}) was invoiced on {issued_on}, before its sales order ({ordered_on})",
        "{document}（{source}）开票日 {issued_on} 早于其销售订单日期 {ordered_on}",
    ),
    "explain.possible_duplicate": (
        "{document} ({source}) has the same customer and amount {amount} as {original}, "
        "issued {days} day(s) earlier under another number",
        "{document}（{source}）与 {days} 天前开具的{original}客户相同、金额同为 {amount}，"
        "但单据号不同，疑似重复",
    ),
    "explain.discount_above_limit": (
        "{document} ({source}): discount {discount} is {percent}% of the subtotal {subtotal}, "
        "above the {limit}% limit",
        "{document}（{source}）折扣 {discount} 占小计 {subtotal} 的 {percent}%，超过 {limit}% 的上限",
    ),
    "explain.unusual_amount": (
        "{document} ({source}): total {total} is far outside this customer's usual amounts "
        "(median {typical})",
        "{document}（{source}）总额 {total} 远超出该客户的常见金额范围（中位数 {typical}）",
    ),
    "explain.unusual_amount_over": (
        "{document} ({source}): total {total} is far outside this customer's usual amounts "
        "(median {typical} over {count} documents)",
        "{document}（{source}）总额 {total} 远超出该客户的常见金额范围（{count} 张单据的中位数为 {typical}）",
    ),
    "explain.credit_note_exceeds_invoice_named": (
        "{document} ({source}) credits {credited} to invoice {invoice}, whose total is {invoice_total}",
        "{document}（{source}）向发票 {invoice} 红字冲减 {credited}，超过该发票总额 {invoice_total}",
    ),
    "explain.credit_notes_exceed_invoice": (
        "{document} ({source}): credit notes {notes} apply {credited} to it, more than its total "
        "{invoice_total}",
        "{document}（{source}）的红字发票 {notes} 合计冲减 {credited}，超过其总额 {invoice_total}",
    ),
    "explain.credit_note_exceeds_invoice": (
        "{document} ({source}): credit of {credited} exceeds the invoice total {invoice_total}",
        "{document}（{source}）红字冲减 {credited}，超过原发票金额 {invoice_total}",
    ),
    # pieces the templates above are filled with
    "explain.field": (
        "{field}: {left} on the left, {right} on the right",
        "{field}左方为 {left}，右方为 {right}",
    ),
    "explain.details": ("; in detail: {fields}", "；明细：{fields}"),
    "explain.more": ("{names} ({total} in all)", "{names}等{total}张"),
    "explain.unknown": ("unknown", "未知"),
    "explain.status_class": ("{status} (class {status_class})", "{status}（类别：{status_class}）"),
    # ---------------------------------------------------------------- o2c / ageing grouping
    "by.customer": ("Customer", "客户"),
    "by.salesperson": ("Salesperson", "销售人员"),
    "by.month": ("Month", "月份"),
    # ---------------------------------------------------------------- interface words
    "ui.filter": ("Filter rows…", "筛选…"),
    "ui.all_types": ("All types", "全部类型"),
    "ui.all_statuses": ("All statuses", "全部状态"),
    "ui.details": ("Details", "详情"),
    "ui.left": ("Left", "左方"),
    "ui.right": ("Right", "右方"),
    "ui.history": ("Revision history", "修改记录"),
    "ui.no_history": ("No revisions recorded", "无修改记录"),
    "ui.revision": ("Revision {number}", "第{number}版"),
    "ui.none": ("(none)", "（未指定）"),
    "ui.total": ("Total", "合计"),
    "ui.no_exceptions": ("No exceptions.", "无差异。"),
    "ui.no_rows": ("No rows.", "无数据。"),
    "ui.rows": ("{count} rows", "共{count}行"),
    "ui.sort_hint": ("Click a heading to sort", "点击列标题排序"),
    "ui.yes": ("Yes", "是"),
    "ui.no": ("No", "否"),
}


def _assemble(*parts: Mapping[str, tuple[str, str]]) -> Mapping[str, tuple[str, str]]:
    """One catalogue from the report section above and the command-line sections in catalogue/: a key
    defined twice is a bug caught at import, never a silent override."""
    merged: dict[str, tuple[str, str]] = {}
    for part in parts:
        for key, pair in part.items():
            if key in merged:
                raise ValueError(f"catalogue key {key!r} is defined twice")
            merged[key] = pair
    return merged


_MESSAGES: Final[Mapping[str, tuple[str, str]]] = _assemble(_REPORT_MESSAGES, *SECTIONS)


class UnknownLabelError(KeyError):
    """A report asked for a label the catalogue does not have (a bug: every label must be translated)."""


class Catalogue:
    """Labels in one language. `text(key)` raises for an unknown key rather than printing the key."""

    def __init__(self, lang: Lang) -> None:
        if lang not in LANGS:
            raise ValueError(f"language {lang!r} is not one of {', '.join(LANGS)}")
        self.lang: Lang = lang
        self._index = 0 if lang == "en" else 1

    def text(self, key: str, **params: object) -> str:
        try:
            message = _MESSAGES[key][self._index]
        except KeyError:
            raise UnknownLabelError(key) from None
        return message.format(**params) if params else message

    def has(self, key: str) -> bool:
        return key in _MESSAGES

    def value(self, namespace: str, value: str) -> str:
        """A coded value's label, e.g. value("type", "amount_mismatch") -> "金额不符"."""
        return self.text(f"{namespace}.{value}")


def catalogue_keys() -> frozenset[str]:
    """Every key the catalogue knows (tests walk it to prove both languages are complete)."""
    return frozenset(_MESSAGES)


def placeholders(key: str, lang: Lang) -> frozenset[str]:
    """The `{name}` placeholders of one message (both languages must use the same ones)."""
    message = _MESSAGES[key][0 if lang == "en" else 1]
    return frozenset(name for _, name, _, _ in string.Formatter().parse(message) if name)
