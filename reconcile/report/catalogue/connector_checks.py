"""Catalogue section: the lines of `ledgerbridge connector test` and of the web Connectors page's Test
(issues 19/20/21). A connector's check says each line as a key and its values (connectors/base.py Said);
the values (names, URLs, counts, what a vendor said) are shown verbatim inside the sentence. The English
is what `connector test --json` keeps in `what` and `detail`."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- what was tried (every connector)
    "check.sign_in": ("sign in at {url}", "登录 {url}"),
    "check.sign_in_company": ("sign in at {url} (company {company})", "登录 {url}（公司 {company}）"),
    "check.stream": ("stream {name}", "数据流 {name}"),
    "check.stream_form": ("stream {name} ({form})", "数据流 {name}（{form}）"),
    "check.read_stream": ("read stream {name}", "读取数据流 {name}"),
    "check.organizations": ("organizations", "组织"),
    "check.organization_id": ("organization {id}", "组织 {id}"),
    "check.organisation": ("organisation", "组织"),
    "check.organisation_id": ("organisation {id}", "组织 {id}"),
    "check.scopes": ("scopes", "授权范围"),
    # ---------------------------------------------------------------- what came of it (shared)
    "check.failed": ("{error}", "错误（原文）：{error}"),
    "check.skipped": ("skipped: cannot sign in", "已跳过：无法登录"),
    "check.readable": ("readable", "可读取"),
    "check.none": ("none", "无"),
    "check.first_page": ("read {count} record(s) from the first page", "第一页读到 {count} 条记录"),
    "check.token_valid": ("access token valid until {until} UTC", "访问令牌有效期至 {until} UTC"),
    "check.token_valid_api": ("{valid}; API at {api}", "{valid}；API 地址 {api}"),
    "check.token_valid_warning": ("{valid}; WARNING: {warning}", "{valid}；警告：{warning}"),
    "check.refresh_expires": (
        "the refresh token expires {deadline} (in {days} day(s)): run `ledgerbridge connector authorize` "
        "before then",
        "刷新令牌将于 {deadline} 过期（还剩 {days} 天）：请在此之前运行 `ledgerbridge connector authorize`",
    ),
    # ---------------------------------------------------------------- Zoho Books
    "check.zoho.organizations_unlisted": (
        "cannot list organizations ({error}); needs ZohoBooks.settings.READ. The stream checks below still "
        "show whether organization_id works",
        "无法列出组织（{error}）；需要 ZohoBooks.settings.READ 授权范围。下方各数据流的检查仍能说明 "
        "organization_id 是否可用",
    ),
    "check.zoho.organization_found": ("found: {name}", "已找到：{name}"),
    "check.zoho.organization_unseen": (
        "not one of this token's organizations; it sees: {seen}",
        "不是此令牌可访问的组织；它能看到：{seen}",
    ),
    # ---------------------------------------------------------------- Xero
    "check.organisation_found": ("{name} ({id})", "已连接：{name}（{id}）"),
    "check.organisation_found_others": (
        "{name} ({id}); {others} other(s) connected",
        "已连接：{name}（{id}）；另有 {others} 个组织也已连接",
    ),
    "check.scopes_unlisted": (
        "the token does not list its scopes: the stream checks below tell",
        "令牌未列出其授权范围：以下各数据流的检查会说明",
    ),
    "check.scopes_granted": ("{scopes}", "已授予：{scopes}"),
    "check.scope_needed": ("stream {name} needs {scope}", "数据流 {name} 需要 {scope}"),
    "check.scopes_missing": (
        "missing: {needs}. Add the scope to the app's authorization and run "
        "`ledgerbridge connector authorize {connector}` (granted: {granted})",
        "缺少授权范围：{needs}。请在应用的授权中加上该范围，然后运行 "
        "`ledgerbridge connector authorize {connector}`（已授予：{granted}）",
    ),
    # ---------------------------------------------------------------- Kingdee K/3 Cloud
    "check.kingdee.sign_in": (
        "sign in at {url} ({method} as {user} in data center {acct})",
        "登录 {url}（{method}，以用户 {user} 登录账套 {acct}）",
    ),
    "check.kingdee.signed_in": (
        "signed in; the session is reused until {until} UTC",
        "已登录；会话将沿用至 {until} UTC",
    ),
    "check.kingdee.empty_form": (
        "0 rows — check permission for {form}: some K/3 Cloud versions answer a form the user may not "
        "read with an empty result instead of an error (a tenant that has no such bills also reads 0)",
        "0 行 — 请检查 {form} 的权限：部分 K/3 Cloud 版本对用户无权读取的表单返回空结果而不是报错"
        "（没有此类单据的账套也读到 0 行）",
    ),
    "check.kingdee.form_unlisted": ("cannot list {form}: {error}", "无法列出 {form}：{error}"),
    "check.kingdee.organizations_unlisted": (
        "cannot list organizations: {error}",
        "无法列出组织：{error}",
    ),
    "check.kingdee.orgs_unseen": (
        "org_numbers {missing} not among those the user sees: {listed}",
        "org_numbers 中的 {missing} 不在该用户可见的组织中：{listed}",
    ),
    "check.kingdee.orgs_unseen_sampled": (
        "org_numbers {missing} not among those the user sees on the first {rows} rows of {form} "
        "({unread} unreadable): {listed}",
        "在 {form} 的前 {rows} 行中（{unread} 无法读取），org_numbers 中的 {missing} 不在该用户可见的"
        "组织中：{listed}",
    ),
    "check.kingdee.reading": ("reading {orgs}", "读取组织 {orgs}"),
    "check.kingdee.reading_all": ("reading all (org_numbers not set)", "读取全部组织（未设置 org_numbers）"),
    "check.kingdee.visible": ("{reading}; visible: {listed}", "{reading}；可见组织：{listed}"),
    "check.kingdee.visible_sampled": (
        "{reading}; visible on the first {rows} rows of {form} ({unread} unreadable): {listed}",
        "{reading}；{form} 前 {rows} 行中可见的组织（{unread} 无法读取）：{listed}",
    ),
    # ---------------------------------------------------------------- Fxiaoke
    "check.fxiaoke.authenticate": ("authenticate ({style})", "认证（{style}）"),
    "check.fxiaoke.token_valid": ("token valid until {until} UTC", "令牌有效期至 {until} UTC"),
    "check.fxiaoke.read": ("read {name} ({api})", "读取 {name}（{api}）"),
    "check.fxiaoke.read_detail": ("read {name} detail ({api})", "读取 {name} 明细（{api}）"),
    "check.fxiaoke.readable_none": ("readable, no records visible", "可读取，但看不到任何记录"),
    "check.fxiaoke.detail_unavailable": ("{error}; {cost}", "{error}；影响：{cost}"),
    "check.fxiaoke.detail_empty": (
        "empty but permitted: no rows visible. If the tenant has records here, it may not have the "
        "object (some versions answer with an empty result instead of an error): {cost}",
        "有权限但为空：看不到任何行。如果该租户在这里确有记录，可能是租户没有这个对象"
        "（部分版本对不可用的对象返回空结果而不是报错）：{cost}",
    ),
    # (connectors/fxiaoke/streams.py DetailSpec.cost_key; the English is the spec's `cost`, a test compares)
    "check.fxiaoke.cost.order_lines": (
        "order lines unavailable: line-level checks skipped",
        "订单明细不可用：跳过明细行级检查",
    ),
    "check.fxiaoke.cost.payment_allocations": (
        "payment allocations unavailable: payments have unknown allocations (no unapplied amount is "
        "computed and no order is taken as collected from them)",
        "回款明细不可用：回款的核销去向未知（不计算未核销金额，也不据此认定任何订单已回款）",
    ),
    "check.fxiaoke.cost.invoice_lines": (
        "invoice lines unavailable: line-level checks skipped",
        "开票明细不可用：跳过明细行级检查",
    ),
    # ---------------------------------------------------------------- JSONL files
    "check.jsonl.live_records": ("{count} live records in {path}", "{path} 中有 {count} 条有效记录"),
    # ---------------------------------------------------------------- bank statements
    "check.bank.inbox": ("inbox", "收件目录（inbox）"),
    "check.bank.no_inbox": (
        "no inbox: files load only when named to import statement",
        "未配置 inbox：只有在 import statement 命令中指定的文件才会导入",
    ),
    "check.bank.not_a_directory": ("{path} is not a directory", "{path} 不是目录"),
    "check.bank.waiting": (
        "{count} file(s) waiting in {path}: {command}",
        "{path} 中有 {count} 个文件待导入：{command}",
    ),
    "check.bank.csv_mapping": ("csv mapping", "CSV 列映射"),
    "check.bank.csv_mapping_needed": (
        "formats {formats} need a csv column mapping",
        "格式 {formats} 需要配置 csv 列映射",
    ),
}
