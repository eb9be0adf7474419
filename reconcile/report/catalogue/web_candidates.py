"""Catalogue section: an exception's matching suggestions (match these, not this one), the Aliases page and
`ledgerbridge alias`."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- suggestions on the Exception page
    "web.candidates.title": ("Matching suggestions", "匹配建议"),
    "web.candidates.load": ("Show matching suggestions", "显示匹配建议"),
    "web.candidates.intro": (
        "Documents of {source} that the last run of {rule} left unmatched in {period}, best first. "
        "The score is the matcher's own: amount, date, party and reference.",
        "{rule} 最近一次运行在 {period} 中未匹配的 {source} 单据，按得分从高到低排列。"
        "得分与自动匹配相同：金额、日期、客户、参考号。",
    ),
    "web.candidates.none": (
        "No unmatched document of {source} in {period} resembles this one.",
        "{period} 中没有与此单据相似的 {source} 未匹配单据。",
    ),
    "web.candidates.col.for": ("For", "对应"),
    "web.candidates.col.document": ("Candidate", "候选单据"),
    "web.candidates.col.party": ("Customer", "客户"),
    "web.candidates.col.score": ("Score", "得分"),
    "web.candidates.col.reasons": ("Why", "理由"),
    "web.candidates.col.actions": ("Actions", "操作"),
    "web.candidates.reason.amount": (
        "amount {points}: {difference} apart",
        "金额 {points}：相差 {difference}",
    ),
    "web.candidates.reason.no_amount": ("amount {points}: not comparable", "金额 {points}：无法比较"),
    "web.candidates.reason.date": ("date {points}: {days} days apart", "日期 {points}：相隔 {days} 天"),
    "web.candidates.reason.no_date": ("date {points}: a date is unknown", "日期 {points}：日期未知"),
    "web.candidates.reason.party": ("party {points}: {likeness}% alike", "客户 {points}：相似度 {likeness}%"),
    "web.candidates.reason.alias": ("party {points}: an alias", "客户 {points}：已登记别名"),
    "web.candidates.reason.reference": ("reference {points}: found", "参考号 {points}：互相引用"),
    "web.candidates.reason.no_reference": ("reference {points}: none", "参考号 {points}：无"),
    "web.candidates.outside": (
        "outside the rule's tolerance, date window or customer likeness",
        "超出规则的容差、日期窗口或客户相似度",
    ),
    "web.candidates.note": ("Note", "备注"),
    "web.candidates.match": ("Match these", "匹配这两张"),
    "web.candidates.decline": ("Not this one", "不是这张"),
    "web.candidates.matched": (
        "The match of {left} and {right} is recorded; {rule} was run again for {period}. "
        "This exception is now: {status}.",
        "已记录 {left} 与 {right} 的人工匹配；已为 {period} 重新运行 {rule}。此异常现在的状态：{status}。",
    ),
    "web.candidates.rerun_skipped": (
        "The match of {left} and {right} is recorded; the run of {rule} for {period} did not start: "
        "{reason}. The next run applies it.",
        "已记录 {left} 与 {right} 的人工匹配；{rule} 在 {period} 的重新运行未启动：{reason}。"
        "下一次运行时生效。",
    ),
    "web.candidates.declined": (
        "{candidate} will not be suggested again for {rule}, nor paired by its runs.",
        "{candidate} 不会再作为 {rule} 的建议出现，该规则的运行也不会自动匹配它。",
    ),
    "web.candidates.refused": (
        "This pair is not a suggestion of this exception.",
        "该组合不是此异常的匹配建议。",
    ),
    "web.candidates.alias_offer": (
        "The customer is spelled differently: “{a}” and “{b}”. Record them as one customer?",
        "客户名称写法不同：“{a}” 与 “{b}”。是否登记为同一客户？",
    ),
    "web.candidates.alias_for_rule": ("for {rule} only", "仅用于 {rule}"),
    "web.candidates.alias_for_all": ("for every rule", "用于所有规则"),
    "web.candidates.alias_record": ("Record the alias", "登记别名"),
    "web.candidates.aliases_link": ("Party aliases", "客户别名"),
    # ---------------------------------------------------------------- the Aliases page
    "web.aliases.title": ("Party aliases", "客户别名"),
    "web.aliases.intro": (
        "Two names recorded here are the same customer when rules compare customers (every rule, or "
        "the one named). Runs after a change use it.",
        "登记在此的两个名称在规则比较客户时视为同一客户（所有规则，或指定的规则）。之后的运行生效。",
    ),
    "web.aliases.none": ("No alias is recorded.", "尚未登记别名。"),
    "web.aliases.col.a": ("Name", "名称"),
    "web.aliases.col.b": ("Same customer as", "等同于"),
    "web.aliases.col.rule": ("Rule", "规则"),
    "web.aliases.col.who": ("Recorded by", "登记人"),
    "web.aliases.col.when": ("When", "时间"),
    "web.aliases.col.note": ("Note", "备注"),
    "web.aliases.every_rule": ("every rule", "所有规则"),
    "web.aliases.remove": ("Remove", "删除"),
    "web.aliases.add": ("Add an alias", "添加别名"),
    "web.aliases.added": ("Recorded: {a} ≡ {b}.", "已登记：{a} ≡ {b}。"),
    "web.aliases.removed": ("Removed: {a} ≡ {b}.", "已删除：{a} ≡ {b}。"),
    # ---------------------------------------------------------------- refusals (CLI and web alike)
    "alias.refused.empty": ("both names are needed", "需要两个名称"),
    "alias.refused.same": (
        "the two names are already the same customer when compared",
        "这两个名称在比较时已是同一客户",
    ),
    "alias.refused.rule": ("there is no match rule {rule}", "没有名为 {rule} 的匹配规则"),
    "alias.exists": ("{a} ≡ {b} is already recorded", "{a} ≡ {b} 已登记"),
    "alias.unknown": ("no alias {id} is in force", "没有生效的别名 {id}"),
    # ---------------------------------------------------------------- ledgerbridge alias
    "alias.added": ("alias {id}: {a} ≡ {b} ({scope})", "别名 {id}：{a} ≡ {b}（{scope}）"),
    "alias.removed": ("alias {id} removed: {a} ≡ {b}", "已删除别名 {id}：{a} ≡ {b}"),
    "alias.none": ("no alias is recorded", "尚未登记别名"),
    "alias.line": (
        "{id}  {a} ≡ {b}  ({scope}; {actor}, {at}: {note})",
        "{id}  {a} ≡ {b}（范围：{scope}；{actor} 于 {at} 登记：{note}）",
    ),
    "alias.every_rule": ("every rule", "所有规则"),
    "help.alias": (
        "Party aliases: two customer names that are the same customer when rules compare parties.",
        "客户别名：规则比较客户时视为同一客户的两个名称。",
    ),
    "help.alias.list": (
        "List the aliases in force (all, or those that apply to --rule).",
        "列出生效的别名（全部，或适用于 --rule 的）。",
    ),
    "help.alias.list.--rule": ("Only the aliases that apply to this rule.", "只列出适用于此规则的别名。"),
    "help.alias.add": (
        "Record that party names A and B are the same customer (every rule, or --rule).",
        "登记客户名称 A 与 B 为同一客户（所有规则，或 --rule 指定的规则）。",
    ),
    "help.alias.add.--rule": (
        "Only for this match rule (default: every rule).",
        "只用于此匹配规则（默认：所有规则）。",
    ),
    "help.alias.add.--note": (
        "Why (kept with the alias and in the audit log).",
        "原因（与别名一起保存，并记入审计日志）。",
    ),
    "help.alias.remove": (
        "End the alias ID (kept in its history and the audit log).",
        "结束别名 ID（保留在历史和审计日志中）。",
    ),
}
