"""Catalogue section: sync, connector, audit, backup/restore, secret, config check, reconcile run and daemon
commands; the errors they raise and the CLI's last-resort lines."""

from __future__ import annotations

from typing import Final

_ERRORS: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- sync/cli.py main
    "errors.aborted": ("aborted", "已取消"),
    "errors.interrupted": ("interrupted", "已中断"),
    "errors.internal": ("internal error: {trace}", "内部错误：{trace}"),
    # ---------------------------------------------------------------- sync/commands/common.py
    "errors.no_ledger": (
        "the database has no ledger yet: run `ledgerbridge init` (or `ledgerbridge db upgrade`)",
        "数据库中还没有账本：请运行 `ledgerbridge init`（或 `ledgerbridge db upgrade`）",
    ),
    "errors.schema_behind": (
        "the database schema is at revision {current}, the code needs {head}: run `ledgerbridge db upgrade`",
        "数据库结构版本为 {current}，本程序需要 {head}：请运行 `ledgerbridge db upgrade`",
    ),
    "errors.schema": ("the database is not ready: {detail}", "数据库尚未就绪：{detail}"),
    "errors.other_key": (
        "the database was encrypted with another key: its stored secrets and tokens do not decrypt with "
        "this installation's key (fingerprint {fingerprint}, from {where}). Use the key this database "
        "was made with, or restore a backup made under this key.",
        "数据库是用另一把密钥加密的：其中保存的机密和令牌无法用本安装的密钥（指纹 {fingerprint}，"
        "来自 {where}）解密。请使用创建该数据库时的密钥，或恢复用本密钥制作的备份。",
    ),
    "errors.key": ("encryption key problem: {detail}", "加密密钥有问题：{detail}"),
    "errors.no_connectors": (
        "no connectors configured: add one under `connectors:` in the config",
        "没有配置任何连接器：请在配置的 `connectors:` 下添加",
    ),
    "errors.memory_database": (
        "an in-memory database cannot be backed up or restored",
        "内存数据库无法备份或恢复",
    ),
}

_SYNC: Final[dict[str, tuple[str, str]]] = {
    "sync.full_and_since": (
        "--full re-reads everything: use either --full or --since",
        "--full 会重新读取全部数据：--full 和 --since 只能二选一",
    ),
    "sync.repair_needs_full": (
        "--repair rewrites rows from a full re-read: use it with --full",
        "--repair 依据完整重读的数据重写行：请与 --full 一起使用",
    ),
    "sync.bad_since": (
        "--since {value} is not an ISO date-time such as 2026-11-01T00:00:00Z",
        "--since {value} 不是 ISO 日期时间（例如 2026-11-01T00:00:00Z）",
    ),
    "sync.no_stream": (
        "no selected connector has stream {stream} (streams: {known})",
        "所选连接器都没有数据流 {stream}（已有数据流：{known}）",
    ),
    "sync.locked": (
        "{lock}: not synced (try --wait SECONDS)",
        "{lock}：未同步（可加 --wait 秒数 等待）",
    ),
    "sync.not_synced": ("{connector} not synced: {error}", "{connector} 未同步：{error}"),
    "sync.audit_failed": (
        "cannot record the run in the audit log: {error}",
        "无法把本次运行记入审计日志：{error}",
    ),
    "sync.stream_failed": ("{connector}/{stream} failed: {error}", "{connector}/{stream} 失败：{error}"),
    "sync.reconciled": (
        "reconciled {rule}: {count} exceptions",
        "已对账 {rule}：差异 {count} 条",
    ),
    "sync.not_reconciled": ("not reconciled {rule}: {reason}", "未对账 {rule}：{reason}"),
    "sync.rule_skipped": ("rule {rule} skipped: {reason}", "规则 {rule} 已跳过：{reason}"),
    "sync.busy": (
        "{source} is being synced by {holder} (waited {waited}s): {rule} would read a half-written "
        "picture; run it again once the sync has finished",
        "{source} 正由 {holder} 同步（已等待 {waited} 秒）：{rule} 会读到写了一半的数据；"
        "请在同步完成后重新运行",
    ),
    "sync.nothing": (
        "nothing synced yet and no connectors configured",
        "尚未同步任何数据，也没有配置连接器",
    ),
    # table headers
    "sync.col.stream": ("stream", "数据流"),
    "sync.col.status": ("status", "状态"),
    "sync.col.fetched": ("fetched", "读取"),
    "sync.col.new": ("new", "新增"),
    "sync.col.updated": ("updated", "更新"),
    "sync.col.same": ("same", "未变"),
    "sync.col.deleted": ("deleted", "删除"),
    "sync.col.quarantined": ("quarantined", "隔离"),
    "sync.col.error": ("error", "错误"),
    "sync.col.cursor": ("cursor", "游标"),
    "sync.col.last_run": ("last run", "最近运行"),
    "sync.never": ("never", "从未运行"),
    "sync.cursor_in_future": ("(in the future!)", "（在未来！）"),
    # run statuses (the `status` value of a sync run; --json keeps the English code)
    "runstatus.ok": ("ok", "成功"),
    "runstatus.failed": ("failed", "失败"),
    "runstatus.running": ("running", "运行中"),
    "runstatus.interrupted": ("interrupted", "已中断"),
    "runstatus.never": ("never synced", "从未同步"),
    # notes under the tables
    "sync.waited": (
        "waited: {connector}/{stream} waited {duration} for rate limits shared with the organization's "
        "other apps in its last run",
        "等待：{connector}/{stream} 在最近一次运行中因与本组织其他应用共享的速率限制等待了 {duration}",
    ),
    "sync.daily_cap": (
        "daily cap: {connector}/{stream} stopped on the vendor's spent daily API cap; the daemon resumes "
        "it after {resets_at} without anyone acting",
        "每日上限：{connector}/{stream} 因厂商的每日 API 调用额度用完而停止；守护进程会在 {resets_at} "
        "之后自动恢复，无需人工处理",
    ),
    "sync.count_drift": (
        "warning: {connector}/{stream}: the vendor counts {vendor} records, the ledger has {total} "
        "({ledger} documents + {held} quarantined): {what} (run {run}); "
        "`ledgerbridge sync run --connector {connector} --stream {stream} --full` reads everything again",
        "警告：{connector}/{stream}：厂商统计有 {vendor} 条记录，账本有 {total} 条"
        "（单据 {ledger} 条 + 隔离 {held} 条）：{what}（运行 {run}）；"
        "`ledgerbridge sync run --connector {connector} --stream {stream} --full` 会重新读取全部数据",
    ),
    "sync.count_missing": ("{count} missing from the ledger", "账本缺少 {count} 条"),
    "sync.count_extra": ("{count} more than the vendor counts", "比厂商统计多 {count} 条"),
    "sync.count_match": (
        "count: {connector}/{stream}: count checked, {vendor} at the vendor and in the ledger",
        "计数：{connector}/{stream}：已核对，厂商与账本都是 {vendor} 条",
    ),
    "sync.count_unknown": (
        "count: {connector}/{stream}: count unknown: the vendor gave no total this time; the ledger has "
        "{total} ({ledger} documents + {held} quarantined)",
        "计数：{connector}/{stream}：数量未知，厂商这次没有给出总数；账本有 {total} 条"
        "（单据 {ledger} 条 + 隔离 {held} 条）",
    ),
    "sync.count_unavailable": (
        "count: {connector}/{stream}: no vendor count is available for this stream; the ledger has "
        "{total} ({ledger} documents + {held} quarantined)",
        "计数：{connector}/{stream}：该数据流没有厂商计数；账本有 {total} 条"
        "（单据 {ledger} 条 + 隔离 {held} 条）",
    ),
    "sync.count_error": (
        "count: {connector}/{stream}: the vendor's count could not be read (run {run}); the ledger has "
        "{total} ({ledger} documents + {held} quarantined)",
        "计数：{connector}/{stream}：无法读取厂商的计数（运行 {run}）；账本有 {total} 条"
        "（单据 {ledger} 条 + 隔离 {held} 条）",
    ),
    "sync.unavailable_detail": (
        "{connector}/{stream}: {object} was unavailable for {documents} documents: {cost}",
        "{connector}/{stream}：{documents} 张单据同步时 {object} 不可用：{cost}",
    ),
    "sync.health": ("health: {status}", "健康状态：{status}"),
    "health.ok": ("ok", "正常"),
    "health.degraded": ("degraded", "异常"),
    # quarantine
    "sync.quarantined_in": (
        "quarantined in {connector}/{stream} ({count}):",
        "{connector}/{stream} 中被隔离的记录（{count} 条）：",
    ),
    "sync.quarantine_entry": (
        "  #{id} {external_id}: {reason} (seen {count}x)",
        "  #{id} {external_id}：{reason}（出现 {count} 次）",
    ),
    "sync.quarantine_payload": ("      payload: {payload}", "      原始数据：{payload}"),
    "sync.quarantine_no_id": ("(no id)", "（无编号）"),
    "sync.quarantine_more": (
        "  … and {count} more: `ledgerbridge sync status --quarantine` lists them all with their payloads",
        "  ……另有 {count} 条：`ledgerbridge sync status --quarantine` 会列出全部记录及其原始数据",
    ),
    "sync.quarantine_none": ("no records are quarantined", "没有被隔离的记录"),
}

_CONNECTOR: Final[dict[str, tuple[str, str]]] = {
    "connector.none": (
        "no connectors configured (add some under `connectors:` in the config)",
        "没有配置任何连接器（请在配置的 `connectors:` 下添加）",
    ),
    "connector.col.connector": ("connector", "连接器"),
    "connector.col.kind": ("kind", "类型"),
    "connector.col.health": ("health", "健康状态"),
    "connector.col.last_sync": ("last sync", "最近同步"),
    "connector.col.lag": ("lag", "滞后"),
    "connector.daily_cap": ("(daily cap; resumes after {resets_at})", "（每日上限；{resets_at} 之后恢复）"),
    "connector.check_failed": ("{connector}: cannot check: {error}", "{connector}：无法检查：{error}"),
    "connector.checks_failed": (
        "{connector}: {failed} of {total} checks failed",
        "{connector}：{total} 项检查中有 {failed} 项失败",
    ),
    "connector.mark_ok": ("ok  ", "正常"),
    "connector.mark_warn": ("WARN", "警告"),
    "connector.mark_fail": ("FAIL", "失败"),
}

_AUDIT: Final[dict[str, tuple[str, str]]] = {
    "audit.empty": ("the audit log is empty", "审计日志为空"),
    "audit.no_match": ("no matching entries", "没有符合条件的记录"),
    "audit.intact_unsealed": (
        "audit log intact: {rows} rows, unkeyed chain from before the upgrade verified; the next audited "
        "action seals it with the seal key {fingerprint}",
        "审计日志完好：{rows} 行，升级前的无密钥链已校验；下一次记入审计的操作会用封印密钥 {fingerprint} "
        "为其加封",
    ),
    "audit.intact": (
        "audit log intact: {rows} rows, chain sealed with key {fingerprint}{anchored}",
        "审计日志完好：{rows} 行，链已用密钥 {fingerprint} 加封{anchored}",
    ),
    "audit.anchored": (", its end anchored in {path}", "，链尾记录在 {path}"),
    "audit.row_problem": ("row {row}: {problem}", "第 {row} 行：{problem}"),
    "audit.document_problem": ("document {document}: {problem}", "单据 {document}：{problem}"),
    "audit.documents_intact": (
        "documents intact: {rows} rows, digests verified",
        "单据完好：{rows} 行，摘要已校验",
    ),
    "audit.unsealed_documents": (
        "{count} document rows were written before digests existed (they match their history): "
        "`ledgerbridge sync run --full --repair` seals them",
        "{count} 行单据写于摘要功能出现之前（与其历史一致）：`ledgerbridge sync run --full --repair` "
        "会为它们加上摘要",
    ),
    "audit.document_name": (
        "{source} {kind} {external_id} (id {id})",
        "{source} {kind} {external_id}（编号 {id}）",
    ),
    "audit.tampered": (
        "the audit log was tampered with: {problem}{more}{documents}",
        "审计日志被篡改：{problem}{more}{documents}",
    ),
    "audit.tampered_more": (" (and {count} more)", "（另有 {count} 处）"),
    "audit.tampered_documents": ("; {count} document rows fail too", "；另有 {count} 行单据也未通过"),
    "audit.documents_changed": (
        "{count} document row(s) changed outside ledgerbridge, first {document}: {problem}; "
        "`ledgerbridge sync run --full --repair` rewrites them from the vendor",
        "{count} 行单据在 ledgerbridge 之外被改动，第一处是 {document}：{problem}；"
        "`ledgerbridge sync run --full --repair` 会用厂商数据重写它们",
    ),
}

_BACKUP: Final[dict[str, tuple[str, str]]] = {
    "backup.exists": (
        "{path} exists: choose another path or pass --force",
        "{path} 已存在：请换一个路径，或加 --force 覆盖",
    ),
    "backup.written": (
        "backup written to {path} ({kind}, {size} bytes, schema revision {revision})",
        "备份已写入 {path}（{kind}，{size} 字节，结构版本 {revision}）",
    ),
    "backup.audit_head": (
        "audit head: row {seq}, MAC {mac} (kept in {manifest})",
        "审计链头：第 {seq} 行，MAC {mac}（保存在 {manifest}）",
    ),
    "backup.failed": ("backup failed: {error}", "备份失败：{error}"),
    "backup.tool_missing": (
        "{tool} is not installed here: install the PostgreSQL client tools, or run {fallback}",
        "此处未安装 {tool}：请安装 PostgreSQL 客户端工具，或 {fallback}",
    ),
    "backup.pg_dump_failed": ("pg_dump failed: {reason}", "pg_dump 失败：{reason}"),
    "restore.refused": ("refusing to restore {path}: {reason}", "拒绝恢复 {path}：{reason}"),
    "restore.confirm": ("Replace the database {database} with {path}?", "用 {path} 替换数据库 {database}？"),
    "restore.locked": (
        "refusing to restore while {lock}: stop the daemon and any `sync run`, then restore",
        "{lock}，拒绝恢复：请先停止守护进程和所有 `sync run`，再恢复",
    ),
    "restore.done": (
        "restored {path} (schema revision {revision}){advice}",
        "已恢复 {path}（结构版本 {revision}）{advice}",
    ),
    "restore.needs_upgrade": (
        "; run `ledgerbridge db upgrade` before starting the daemon",
        "；启动守护进程前请先运行 `ledgerbridge db upgrade`",
    ),
    "restore.failed": (
        "restore failed, the database was not changed: {error}",
        "恢复失败，数据库未被改动：{error}",
    ),
    "restore.pg_restore_failed": (
        "pg_restore failed (the database was not changed): {error}",
        "pg_restore 失败（数据库未被改动）：{error}",
    ),
    # why a backup is refused (sync/restore_safety.py and backup_cmd.py's checks)
    "restore.other_key": (
        "the backup was encrypted with another key: its secrets do not decrypt with this installation's "
        "key (fingerprint {fingerprint}, from {where}). Restore it where its own key is, or restore a "
        "backup made under this key.",
        "该备份是用另一把密钥加密的：其中的机密无法用本安装的密钥（指纹 {fingerprint}，来自 {where}）解密。"
        "请在持有其原密钥的安装上恢复，或恢复用本密钥制作的备份。",
    ),
    "restore.other_seal": (
        "the backup comes from another installation: its audit log is sealed with key {theirs}, this "
        "installation's seal is {ours} (derived from the key at {where}).",
        "该备份来自另一个安装：其审计日志用密钥 {theirs} 加封，而本安装的封印是 {ours}"
        "（由 {where} 处的密钥派生）。",
    ),
    "restore.foreign_object": (
        "it carries a {kind} {name}{where} that ledgerbridge did not create{more}: a trigger or view can "
        "rewrite the ledger behind its back",
        "其中有 ledgerbridge 未创建的 {kind} {name}{where}{more}：触发器或视图可能在背后改写账本",
    ),
    "restore.foreign_on": (" on {table}", "（位于 {table}）"),
    "restore.foreign_more": (" (and {count} more)", "（另有 {count} 个）"),
    "restore.foreign_pg_entry": (
        "it carries a {entry} that ledgerbridge did not create: a trigger, view or function can rewrite "
        "the ledger behind its back",
        "其中有 ledgerbridge 未创建的 {entry}：触发器、视图或函数可能在背后改写账本",
    ),
    "restore.foreign_schema": (
        "it carries {kind} {schema}.{name}, outside ledgerbridge's schema",
        "其中有 ledgerbridge 模式之外的 {kind} {schema}.{name}",
    ),
    "restore.foreign_table": (
        "it carries a table {name} that ledgerbridge did not create",
        "其中有 ledgerbridge 未创建的表 {name}",
    ),
    "restore.foreign_index": (
        "it carries an index {name} that ledgerbridge did not create",
        "其中有 ledgerbridge 未创建的索引 {name}",
    ),
    "restore.not_a_backup": ("{detail}", "这不是可用的 ledgerbridge 备份：{detail}"),
}

_SECRET: Final[dict[str, tuple[str, str]]] = {
    "secret.prompt": ("Value of {name}", "{name} 的值"),
    "secret.empty": ("refusing to store an empty value for {name}", "拒绝为 {name} 保存空值"),
    "secret.stored": (
        "secret {name} stored (encrypted with the key from {where})",
        "机密 {name} 已保存（用来自 {where} 的密钥加密）",
    ),
    "secret.replaced": (
        "secret {name} replaced (encrypted with the key from {where})",
        "机密 {name} 已替换（用来自 {where} 的密钥加密）",
    ),
    "secret.none": ("no secrets stored", "没有保存任何机密"),
    "secret.row": ("{name}  set {set_at}{used}", "{name}  设置于 {set_at}{used}"),
    "secret.used_by": ("  used by {users}", "  被 {users} 使用"),
    "secret.unused": ("  (not referenced by the config)", "  （配置中未引用）"),
    "secret.missing": (
        "{name}  MISSING, used by {users}: `ledgerbridge secret set {name}`",
        "{name}  缺失，被 {users} 使用：`ledgerbridge secret set {name}`",
    ),
    "secret.confirm_delete": (
        "{name} is used by {users}; delete it anyway?",
        "{name} 正被 {users} 使用；仍要删除吗？",
    ),
    "secret.no_such": (
        "no secret named {name} (see `ledgerbridge secret list`)",
        "没有名为 {name} 的机密（见 `ledgerbridge secret list`）",
    ),
    "secret.deleted": ("secret {name} deleted", "机密 {name} 已删除"),
    "secret.key_from_env": (
        "the key comes from ${env}: pass --new-key-file PATH to receive the new key",
        "密钥来自 ${env}：请加 --new-key-file PATH 指定新密钥写到哪里",
    ),
    "secret.rotated": (
        "re-encrypted {secrets} secrets and {tokens} tokens under a new key",
        "已用新密钥重新加密 {secrets} 个机密和 {tokens} 个令牌",
    ),
    "secret.rotated_in_place": (
        "the key file now holds the new key; restart the daemon",
        "密钥文件现在保存的是新密钥；请重启守护进程",
    ),
    "secret.rotated_env": (
        "put the key from {path} into ${env} (e.g. /etc/ledgerbridge/ledgerbridge.env), restart the "
        "daemon, then delete {path}",
        "把 {path} 中的密钥放入 ${env}（例如 /etc/ledgerbridge/ledgerbridge.env），重启守护进程，"
        "然后删除 {path}",
    ),
    "secret.rotated_file": (
        "point secret_key_file at {path} (or move it to {current}), then restart the daemon",
        "把 secret_key_file 指向 {path}（或把它移到 {current}），然后重启守护进程",
    ),
    "secret.new_key_exists": (
        "{path} already exists: a previous rotation may have been interrupted. If the database decrypts "
        "with that key, move it over the current key; otherwise delete it and retry",
        "{path} 已存在：上一次轮换可能被中断了。如果数据库能用该密钥解密，就用它替换当前密钥；"
        "否则删除它后重试",
    ),
    "secret.new_key_unwritable": (
        "cannot write the new key to {path}: {error}",
        "无法把新密钥写入 {path}：{error}",
    ),
    "secret.bad_name": (
        "secret name {name} must be letters, digits, '.', '_' or '-' (at most 200)",
        "机密名称 {name} 只能包含字母、数字、'.'、'_' 或 '-'（最多 200 个字符）",
    ),
}

_OTHERS: Final[dict[str, tuple[str, str]]] = {
    "config.problems": (
        "{count} problems in the configuration",
        "配置中有 {count} 个问题",
    ),
    "config.problem": (
        "{count} problem in the configuration",
        "配置中有 {count} 个问题",
    ),
    "config.ok": ("ok: {path}", "配置正确：{path}"),
    "reconcile.no_rules": (
        "{path}: no reconcile rules are configured (add `reconcile: rules:` or `audits:`)",
        "{path}：没有配置对账规则（请添加 `reconcile: rules:` 或 `audits:`）",
    ),
    "reconcile.bad_period": ("--period: {error}", "--period 无效：{error}"),
    "reconcile.dry_run": ("dry run, nothing saved", "试运行，未保存"),
    "reconcile.run_id": ("run {id}", "运行 {id}"),
    "reconcile.plan_head": (
        "{name} (audit plan, {period}, {saved})",
        "{name}（稽核计划，{period}，{saved}）",
    ),
    "reconcile.rule_head": ("{name} ({period}, {saved})", "规则 {name}（{period}，{saved}）"),
    "reconcile.plan_counts": (
        "  documents {documents}  exceptions {exceptions}",
        "  单据 {documents}  差异 {exceptions}",
    ),
    "reconcile.rule_counts": (
        "  left {left}  right {right}  matched {matched}  exceptions {exceptions}",
        "  左方 {left}  右方 {right}  已匹配 {matched}  差异 {exceptions}",
    ),
    "reconcile.new_resolved": (
        " (new {opened}, auto-resolved {resolved})",
        "（新增 {opened}，自动解决 {resolved}）",
    ),
    "reconcile.bridge": (
        "  bridge ({currency}): left {left}  right {right}  difference {difference}",
        "  差异调节（{currency}）：左方 {left}  右方 {right}  差额 {difference}",
    ),
    "reconcile.unexplained": ("unexplained", "未解释"),
    "reconcile.unconverted": (
        "  {count} documents left out: amount in a currency without a known rate",
        "  {count} 张单据未计入：其币种没有已知汇率",
    ),
    "reconcile.skipped": ("{rule} ({period}): skipped: {reason}", "{rule}（{period}）：已跳过：{reason}"),
    "reconcile.skipped_short": ("{rule} skipped: {reason}", "{rule} 已跳过：{reason}"),
    "daemon.ready": (
        "daemon started: {jobs} scheduled job(s) ({work}){health}",
        "守护进程已启动：{jobs} 个计划任务（{work}）{health}",
    ),
    "daemon.ready_health": ("; health at {url}", "；健康检查地址 {url}"),
    "daemon.no_work": (
        "no jobs: no connector, rule or audit plan has a `schedule:`, so the daemon runs nothing",
        "没有任务：没有任何连接器、规则或稽核计划配置了 `schedule:`，守护进程不会执行任何工作",
    ),
    "daemon.nothing": ("only the daily integrity check", "只有每日完整性检查"),
    "daemon.refused": ("{detail}", "守护进程无法启动：{detail}"),
}

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    **_ERRORS,
    **_SYNC,
    **_CONNECTOR,
    **_AUDIT,
    **_BACKUP,
    **_SECRET,
    **_OTHERS,
}
