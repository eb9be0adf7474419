"""Catalogue section: exceptions, ledger and match commands; tables."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- exceptions list
    "finance.low": ("{type} (low)", "{type}（低）"),
    "finance.bad_period": ("--period: {reason}", "--period 不是有效期间：{reason}"),
    "finance.narrow_without_document": (
        "--source and --kind narrow --document: give --document NUMBER too",
        "--source 和 --kind 用于限定 --document：请同时给出 --document 单据号",
    ),
    # why a listing is empty
    "finance.empty.no_run": (
        "no reconcile run yet: run `ledgerbridge reconcile run`",
        "尚未运行过对账：请运行 `ledgerbridge reconcile run`",
    ),
    "finance.empty.no_run_rule": (
        "rule {rule} has no reconcile run yet: run `ledgerbridge reconcile run --rule {rule}`",
        "规则 {rule} 尚未运行过对账：请运行 `ledgerbridge reconcile run --rule {rule}`",
    ),
    "finance.empty.no_run_period": (
        "no reconcile run covers {period}: run `ledgerbridge reconcile run --period {period}`",
        "没有覆盖 {period} 的对账运行：请运行 `ledgerbridge reconcile run --period {period}`",
    ),
    "finance.empty.no_run_rule_period": (
        "no reconcile run of rule {rule} covers {period}: "
        "run `ledgerbridge reconcile run --rule {rule} --period {period}`",
        "规则 {rule} 没有覆盖 {period} 的对账运行："
        "请运行 `ledgerbridge reconcile run --rule {rule} --period {period}`",
    ),
    "finance.empty.partial": (
        "the reconcile runs cover only part of {period} ({covered}) and found no exceptions there: "
        "run `ledgerbridge reconcile run{rule_option} --period {period}` for all of it",
        "对账运行只覆盖了 {period} 的一部分（{covered}），且其中未发现差异：如需整个期间，"
        "请运行 `ledgerbridge reconcile run{rule_option} --period {period}`",
    ),
    "finance.empty.none": ("the reconcile runs found no exceptions", "对账运行未发现差异"),
    "finance.empty.none_rule": (
        "the runs of rule {rule} found no exceptions",
        "规则 {rule} 的对账运行未发现差异",
    ),
    "finance.empty.none_period": ("the run of {period} found no exceptions", "{period} 的对账运行未发现差异"),
    "finance.empty.none_rule_period": (
        "the run of rule {rule} for {period} found no exceptions",
        "规则 {rule} 在 {period} 的对账运行未发现差异",
    ),
    "finance.empty.filters": (
        "filters {filters} match nothing ({count} exceptions{where} without filters)",
        "筛选条件 {filters} 没有匹配的差异（{where}不加筛选共有 {count} 条差异）",
    ),
    "finance.where.period": (" in {period}", "{period} 期间"),
    "finance.where.rule": (" of rule {rule}", "规则 {rule} "),
    "finance.where.rule_period": (" of rule {rule} in {period}", "规则 {rule} 在 {period} "),
    # ---------------------------------------------------------------- exceptions show
    "finance.show.title": (
        "exception {id}: {type} ({status}) in rule {rule}",
        "差异 {id}：{type}（{status}），规则 {rule}",
    ),
    "finance.show.title_low": (
        "exception {id}: {type} ({status}, severity low) in rule {rule}",
        "差异 {id}：{type}（{status}，低严重度），规则 {rule}",
    ),
    "finance.show.field": ("{field}: {left} vs {right}", "{field}：左方 {left}，右方 {right}"),
    "finance.show.assignee": ("assignee: {name}", "负责人：{name}"),
    "finance.show.history": ("history of {document}: {revisions}", "{document} 的修改记录：{revisions}"),
    "finance.show.revision": ("r{revision} {change}", "第{revision}版 {change}"),
    # ---------------------------------------------------------------- exception events and actions
    "finance.action.opened": ("opened", "发现"),
    "finance.action.acknowledged": ("acknowledged", "确认"),
    "finance.action.resolved": ("resolved", "解决"),
    "finance.action.assigned": ("assigned", "指派"),
    "finance.action.reopened": ("reopened", "重新打开"),
    "finance.action.auto_resolved": ("auto-resolved", "自动解决"),
    "finance.action.changed": ("figures changed", "金额变动"),
    "finance.action.commented": ("commented", "评论"),
    "finance.verb.acknowledged": ("acknowledge", "确认"),
    "finance.verb.resolved": ("resolve", "解决"),
    "finance.verb.assigned": ("assign", "指派"),
    "finance.verb.reopened": ("reopen", "重新打开"),
    "finance.verb.commented": ("comment on", "评论"),
    "finance.act.commented": ("exception {id}: comment added", "差异 {id}：已添加评论"),
    "finance.act.needs_note": ("a note is needed to {action} an exception", "{action}差异需要填写备注"),
    "finance.act.needs_assignee": ("to {action} an exception, name who", "{action}差异需要指定负责人"),
    "finance.act.done": ("exception {id}: {before} -> {after}", "差异 {id}：{before} → {after}"),
    "finance.act.refused": (
        "exception {id}: cannot {action} it while it is {status} (only when {allowed})",
        "差异 {id}：当前状态为{status}，不能{action}（仅在{allowed}时可以）",
    ),
    "finance.act.by_runs": (
        "exception {id}: {action} is done by reconcile runs, not by people",
        "差异 {id}：{action}由对账运行完成，不能手工操作",
    ),
    "finance.act.changed_meanwhile": (
        "exception {id} changed meanwhile; look at it again (`ledgerbridge exceptions show {id}`)",
        "差异 {id} 刚被他人修改；请重新查看（`ledgerbridge exceptions show {id}`）",
    ),
    "finance.no_exception": (
        "no exception {id} (see `ledgerbridge exceptions list`)",
        "没有编号为 {id} 的差异（见 `ledgerbridge exceptions list`）",
    ),
    "finance.or": (" or ", "或"),
    # ---------------------------------------------------------------- documents named by number or id
    "finance.doc.none": (
        "no document numbered {name} or with that id{scope}",
        "没有单据号或编号为 {name} 的单据{scope}",
    ),
    "finance.doc.scope": (" (source {source}, kind {kind})", "（来源 {source}，类型 {kind}）"),
    "finance.doc.any_source": ("any", "任意"),
    "finance.doc.any_kind": ("any", "任意"),
    "finance.doc.ambiguous": (
        "{name} names {count} documents; choose one with --source and --kind, or give its id "
        "(SOURCE/KIND/EXTERNAL_ID):",
        "{name} 对应 {count} 张单据；请用 --source 和 --kind 选择，或给出其编号（来源/类型/外部编号）：",
    ),
    "finance.doc.ambiguous_id": (
        "{name} names {count} documents; give the one you mean by its id (SOURCE/KIND/EXTERNAL_ID):",
        "{name} 对应 {count} 张单据；请给出所指单据的编号（来源/类型/外部编号）：",
    ),
    "finance.doc.more": (
        "… and more: narrow with --source and --kind",
        "……还有更多：请用 --source 和 --kind 缩小范围",
    ),
    "finance.doc.deleted": ("deleted", "已删除"),
    "finance.doc.prompt": ("Which one (1–{count})", "选择哪一张（1–{count}）"),
    # ---------------------------------------------------------------- ledger history and export
    "finance.col.revision": ("Rev", "版本"),
    "finance.col.change": ("Change", "变更"),
    "finance.col.recorded_at": ("Recorded at", "记录时间"),
    "finance.col.run": ("Sync run", "同步批次"),
    "finance.col.what_changed": ("What changed", "变更内容"),
    "finance.history.first": ("total {amount}", "总额 {amount}"),
    "finance.history.same": ("(same values, new payload)", "（取值未变，原始数据有更新）"),
    "finance.history.no_document": ("the ledger has no document {document}", "账本中没有单据 {document}"),
    "finance.history.arguments": (
        "give a document NUMBER or id, or SOURCE KIND EXTERNAL_ID (got {count} arguments)",
        "请给出单据号或编号，或者 来源 类型 外部编号（收到 {count} 个参数）",
    ),
    "finance.bad_kind": (
        "{kind} is not a document kind: use one of {kinds}",
        "{kind} 不是单据类型：请使用 {kinds} 之一",
    ),
    "finance.export.done": ("exported {count} documents to {path}", "已导出 {count} 张单据到 {path}"),
    "finance.export.empty": (
        "the ledger holds no documents yet: run `ledgerbridge sync run`",
        "账本中还没有单据：请运行 `ledgerbridge sync run`",
    ),
    "finance.export.empty_filter": (
        "no documents match {filters}; the ledger holds: {known}",
        "没有符合 {filters} 的单据；账本中现有：{known}",
    ),
    "finance.export.count": ("{source} {kind} {count}", "{source} {kind} {count} 张"),
    # ---------------------------------------------------------------- match / unmatch
    "finance.match.no_rule": (
        "no rule named {rule} (configured: {known})",
        "没有名为 {rule} 的规则（已配置：{known}）",
    ),
    "finance.match.settlement": (
        "rule {rule} is a settlement rule; manual matches apply to match and collections rules",
        "规则 {rule} 是核销规则；手工匹配只适用于匹配规则和银行到账核对规则",
    ),
    "finance.match.wrong_side": (
        "{name} {document} is not a {source} document of kind {kind}, as rule {rule} expects",
        "{name} {document} 不是规则 {rule} 所要求的 {source} {kind}",
    ),
    "finance.match.done": (
        "{rule}: will pair {left} and {right} from the next run on",
        "{rule}：从下次运行起将 {left} 与 {right} 配对",
    ),
    "finance.unmatch.done": (
        "{rule}: will never pair {left} and {right} from the next run on",
        "{rule}：从下次运行起不再将 {left} 与 {right} 配对",
    ),
}
