"""Catalogue section: the collections rule (issue 21) — payments recorded in the books against the bank."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- finding types
    "type.not_in_bank": ("Not in bank", "银行未到账"),
    "type.unrecorded_receipt": ("Unrecorded receipt", "未入账的银行收款"),
    "type.fee_difference": ("Fee difference", "手续费差额"),
    "bridge.in_transit": ("In transit (date window not yet passed)", "在途（尚未超过到账期限）"),
    "field.fee": ("Fee", "手续费"),
    "field.expected_by": ("Expected in the bank by", "应到账日期"),
    "field.remittance": ("Remittance", "附言"),
    "field.payer": ("Payer", "付款人"),
    # ---------------------------------------------------------------- explanations (one template a case)
    "explain.not_in_bank": (
        "{documents} ({source}) of {amount} dated {date} is recorded as received, but no bank credit in "
        "{other} matches it by {expected_by}",
        "{documents}（{source}）{date} 的收款 {amount} 已入账，"
        "但截至 {expected_by}，{other} 中没有与之相符的银行入账",
    ),
    "explain.unrecorded_receipt": (
        "bank credit {documents} ({source}) of {amount} received on {date} from {payer} matches no "
        "payment recorded in {other}{remittance}",
        "{source} 于 {date} 收到 {payer} 的银行入账 {documents}，金额 {amount}，"
        "但 {other} 中没有与之对应的收款记录{remittance}",
    ),
    "explain.unnamed_payer": ("an unnamed payer", "未具名付款人"),
    "explain.remittance": (' (remittance: "{text}")', "（附言：“{text}”）"),
    "explain.fee_difference": (
        "bank credit {credit} ({bank}) of {net} settles {payments} ({source}) of {gross} less a fee "
        "of {fee}{reported}",
        "{bank} 的银行入账 {credit} 金额 {net}，结清 {source} 的收款 {payments}（合计 {gross}），"
        "差额 {fee} 为手续费{reported}",
    ),
    "explain.fee_reported": (" (the bank reports a fee of {fee})", "（银行报告的手续费为 {fee}）"),
    # ---------------------------------------------------------------- order-to-cash: the last step
    "col.collected_in_bank": ("Collected in bank", "银行已到账"),
}
