"""Catalogue section: command help (ADR 0024). One key per command path (`help.sync.run`; the root is
`help.ledgerbridge`): the command's description, whose first sentence is its summary in a command list.
Option help lines: `help.<command path>.<--option>`, else the shared `help.option.<--option>`.

English help is the commands' docstrings; the English here is what the Chinese translates. A test walks
the whole click tree and requires a Chinese entry for every command and every option."""

from __future__ import annotations

from typing import Final

_COMMANDS: Final[dict[str, tuple[str, str]]] = {
    "help.ledgerbridge": (
        "ledgerbridge keeps a company's sales books honest: it syncs CRM and accounting systems into one "
        "canonical ledger and reconciles them.",
        "ledgerbridge 让公司的销售账目保持真实可靠。它把 CRM 与财务系统同步到一本统一的标准账本，"
        "并对它们进行对账。",
    ),
    # ---------------------------------------------------------------- set-up
    "help.init": (
        "Write a commented starter config (never overwrites one), create the key file (0600) and the "
        "database, or bring an existing database up to date.",
        "写出带注释的初始配置（绝不覆盖已有配置），创建密钥文件（0600）和数据库。已有数据库则升级到最新结构。",
    ),
    "help.db": ("The database schema.", "数据库结构。"),
    "help.db.upgrade": (
        "Apply the migrations this version needs (safe to repeat).",
        "执行本版本需要的数据库迁移（可重复执行）。",
    ),
    "help.config": (
        "The configuration file: `config check` lists every problem.",
        "配置文件。`config check` 列出其中的全部问题。",
    ),
    "help.config.check": (
        "List every problem in the configuration as file:line (exit 2 when any), else print ok.",
        "检查配置文件。以“文件:行号”逐条列出全部问题（有问题时退出码为 2），没有问题则输出 ok。",
    ),
    "help.demo": (
        "Start the bundled Zoho and Fxiaoke sandboxes on loopback with a generated company, configure "
        "against them, sync, reconcile, write the reports and print what was found, then the web app's "
        "address and a reviewer's and an admin's login (new passwords each run); --web serves it.",
        "运行演示。在本机启动内置的 Zoho 与纷享销客沙箱并生成一家模拟公司，据此写出配置、同步、对账、"
        "生成报告，并输出发现的问题，最后输出网页应用的地址以及一名审核人和一名管理员的登录信息"
        "（每次运行生成新密码）；加 --web 则直接提供网页服务。",
    ),
    # ---------------------------------------------------------------- connectors and sync
    "help.connector": ("Configured connectors.", "已配置的连接器。"),
    "help.connector.list": (
        "Each connector with its streams, last successful sync, lag since then, and health.",
        "列出每个连接器及其数据流、最近一次成功同步、此后的滞后时间和健康状态。",
    ),
    "help.connector.test": (
        "Authenticate and read one page of each object each stream reads; print what works and what to "
        "fix. WARN: an optional object is missing, forbidden or empty (the sync goes on without it, at the "
        "cost named). Exit 1 if any check failed.",
        "测试连接器。先认证，再读取每个数据流所用对象的一页数据，说明哪些正常、哪些需要修正。"
        "WARN 表示某个可选对象缺失、无权访问或为空（同步会在没有它的情况下继续，代价会写明）。"
        "任一检查失败时退出码为 1。",
    ),
    "help.connector.authorize": (
        "Connect the vendor account of connector NAME: open the vendor's consent page, receive the "
        "authorization code on a loopback redirect (or pasted with --paste), trade it for tokens and store "
        "them encrypted.",
        "授权连接器 NAME 的供应商账户。打开供应商的授权页面，在本机回调地址上接收授权码（或用 --paste "
        "粘贴），换取令牌并加密保存。",
    ),
    "help.sync": ("Synchronize connectors into the ledger.", "把连接器的数据同步到账本。"),
    "help.sync.run": (
        "Sync the configured connectors (all, or those named). Exit 1 if a stream failed or a connector "
        "was locked by another run (the message names the holder).",
        "同步已配置的连接器（全部，或指定的几个）。有数据流失败，或连接器被另一次运行锁定时，"
        "退出码为 1（消息会写明持锁者）。",
    ),
    "help.sync.status": (
        "Per connector+stream: cursor, last run, its counts and error, and quarantined records (their id, "
        "reason and raw payload).",
        "查看同步状态。按连接器和数据流列出游标、最近一次运行及其计数和错误，以及被隔离的记录"
        "（编号、原因和原始数据）。",
    ),
    "help.daemon": (
        "Run every connector and rule on its schedule until SIGTERM/SIGINT; then let the page in flight "
        "commit and exit 0 (within the configured shutdown timeout, 25 s by default).",
        "按计划运行所有连接器和对账规则，直到收到 SIGTERM/SIGINT。之后等正在写入的一页提交完毕，"
        "以退出码 0 退出（不超过配置的关闭超时，默认 25 秒）。",
    ),
    # ---------------------------------------------------------------- the ledger and reconciliation
    "help.ledger": ("The canonical ledger.", "标准账本。"),
    "help.ledger.export": (
        "Every canonical document (deleted ones too, flagged), amounts as exact decimal strings. "
        "Streamed: memory stays flat whatever the ledger's size; a file is replaced only once it is "
        "complete, and only when it is a previous export of this format (or with --force); never the "
        "database, its key or the config. CSV text cells are neutralised against spreadsheet formulas.",
        "导出账本中的全部标准单据（含已删除的，并加标记），金额为精确的十进制字符串。流式导出，"
        "无论账本多大内存都保持平稳。文件只在写完后才替换，且只替换同格式的旧导出（或加 --force），"
        "绝不覆盖数据库、其密钥或配置。CSV 文本单元格会做处理，防止被电子表格当作公式执行。",
    ),
    "help.ledger.history": (
        "Every revision of one document, oldest first: what changed, when, and in which sync run. Name it "
        "by its number (INV-000204), its external id, SOURCE/KIND/EXTERNAL_ID or SOURCE KIND EXTERNAL_ID; "
        "a number several documents share lists them (choose with --source/--kind or the id).",
        "查看一张单据的全部修订（从旧到新）：改了什么、何时改的、在哪次同步中改的。可用单据号"
        "（INV-000204）、外部编号、SOURCE/KIND/EXTERNAL_ID 或 SOURCE KIND EXTERNAL_ID 指定单据；"
        "多张单据共用一个单据号时会把它们列出来（用 --source/--kind 或编号选择）。",
    ),
    "help.sandbox": (
        "The bundled vendor sandboxes (Zoho CRM + Books, Fxiaoke) on loopback.",
        "在本机运行的内置厂商沙箱（Zoho CRM + Books、纷享销客）。",
    ),
    "help.sandbox.serve": (
        "Serve the sandboxes on 127.0.0.1 with a generated company until Ctrl-C or SIGTERM; print each "
        "one's address and the `connectors:` block (with credentials the sandboxes accept) to paste.",
        "在 127.0.0.1 上启动沙箱并生成一家模拟公司，直到按 Ctrl-C 或收到 SIGTERM。输出每个沙箱的地址，"
        "以及可直接粘贴的 `connectors:` 配置块（含沙箱接受的凭据）。",
    ),
    "help.reconcile": (
        "Reconcile the sources against each other under the configured rules.",
        "按配置的规则在各数据来源之间对账。",
    ),
    "help.reconcile.run": (
        "Run rules, then audit plans (all without --rule); new findings become exceptions, vanished ones "
        "auto-resolve. A rule whose sources another process is syncing waits for it (--wait-for-sync), "
        "then is skipped with the reason: exit status 1.",
        "运行对账规则，然后运行稽核计划（不加 --rule 时运行全部）。新发现成为差异，消失的差异自动解决。"
        "若规则的数据来源正被其他进程同步，会等待它完成（--wait-for-sync），超时则跳过该规则并说明原因，"
        "退出码为 1。",
    ),
    "help.exceptions": (
        "Reconciliation exceptions: list, look closer, acknowledge, resolve, assign, reopen, comment.",
        "对账差异：列出、查看详情、确认、解决、指派、重新打开、评论。",
    ),
    "help.exceptions.list": ("Exceptions, oldest first.", "列出差异，最早的在前。"),
    "help.exceptions.show": (
        "One exception: both sides, the fields that differ, both documents' history, every event.",
        "查看一条差异：双方单据、不一致的字段、两张单据的历史以及每个处理事件。",
    ),
    "help.exceptions.ack": (
        "Acknowledge: someone is looking at it.",
        "确认差异：表示已有人在处理。",
    ),
    "help.exceptions.assign": ("Give the exception to someone.", "把差异指派给某人。"),
    "help.exceptions.resolve": (
        "Resolve with a kind and a note; it stays resolved while the finding is unchanged.",
        "以处理类型和备注解决差异。只要发现的情况不变，它就保持已解决状态。",
    ),
    "help.exceptions.reopen": (
        "Open a resolved or auto-resolved exception again.",
        "重新打开已解决或已自动解决的差异。",
    ),
    "help.exceptions.comment": (
        "Comment on the exception; its status stays as it is.",
        "评论差异；其状态保持不变。",
    ),
    "help.match": (
        "Tell rule R to pair two documents on every later run (overrides the passes).",
        "指定规则在以后每次运行时都把两张单据配对（优先于自动匹配）。",
    ),
    "help.unmatch": (
        "Tell rule R to never pair two documents on every later run (overrides the passes).",
        "指定规则在以后每次运行时都不把两张单据配对（优先于自动匹配）。",
    ),
    "help.report": (
        "Finance reports: reconciliation mismatches, order-to-cash, AR ageing.",
        "财务报告：对账差异、订单到回款、应收账龄。",
    ),
    "help.report.mismatches": (
        "The reconciliation mismatch report: bridge statements, counts per type, every exception.",
        "对账差异报告：差异调节表、各类型数量和每一条差异。",
    ),
    "help.report.o2c": (
        "Ordered, invoiced, credited, collected, outstanding and overdue per customer, salesperson or month.",
        "订单到回款汇总。按客户、销售人员或月份列出订单、开票、红冲、回款、应收余额和逾期金额。",
    ),
    "help.report.aging": (
        "Open invoice balances by days overdue: current, 1–30, 31–60, 61–90, over 90.",
        "应收账龄。按逾期天数列出未结发票余额：未到期、1–30、31–60、61–90、90 天以上。",
    ),
    # ---------------------------------------------------------------- administration
    "help.secret": (
        "Secrets encrypted in the database, referenced in the config as `secret:NAME`.",
        "加密保存在数据库中的机密（密码、令牌等），在配置中以 `secret:NAME` 引用。",
    ),
    "help.secret.set": (
        "Store NAME encrypted: the value is prompted for without echo, or read from stdin.",
        "加密保存机密 NAME。其值通过不回显的提示输入，或从标准输入读取。",
    ),
    "help.secret.list": (
        "Names, when each was set, and which config references a missing one. Never the values.",
        "列出机密名称、各自的设置时间，以及配置中引用了哪些缺失的机密。从不显示机密的值。",
    ),
    "help.secret.delete": ("Delete the secret NAME.", "删除机密 NAME。"),
    "help.secret.rotate-key": (
        "Re-encrypt every secret and token under a new key, in one transaction. Stop the daemon first.",
        "在一个事务中用新密钥重新加密所有机密和令牌。请先停止守护进程。",
    ),
    "help.audit": (
        "The append-only audit log: who set secrets, ran syncs and reconciliations, acted on exceptions.",
        "只追加的审计日志：谁设置了机密、运行了同步和对账、处理了差异。",
    ),
    "help.audit.list": ("The newest entries first.", "列出审计日志，最新的在前。"),
    "help.audit.verify": (
        "Check the audit chain under the seal key and against the head file kept outside the database, "
        "and every document row against its digest; exit 1 naming the first bad row and every row that "
        "fails (ADR 0020). `sync run --full --repair` rewrites failing documents.",
        "校验审计日志。用封印密钥和数据库外保存的链头文件检查审计链，并用摘要检查每一行单据。"
        "有问题时退出码为 1，并写明第一条出错的行和所有未通过的行（ADR 0020）。"
        "`sync run --full --repair` 会重写未通过的单据。",
    ),
    "help.backup": (
        "Write a consistent copy of the database to PATH, safe while the daemon runs. SQLite: the online "
        "backup API. PostgreSQL: pg_dump (custom format) when it is installed.",
        "把数据库的一致副本写到 PATH，守护进程运行时也可安全执行。SQLite 使用在线备份接口；"
        "PostgreSQL 在已安装 pg_dump 时使用它（自定义格式）。",
    ),
    "help.restore": (
        "Replace the database with the backup at PATH, after checking it is a ledgerbridge database of a "
        "known schema version, with no trigger, view or function ledgerbridge did not create, made under "
        "this installation's key. Takes the daemon's and every connector's lock first: refuses while a "
        "daemon, a sync or a token refresh holds one (ADR 0020).",
        "用 PATH 处的备份替换数据库。替换前检查：它是已知结构版本的 ledgerbridge 数据库，"
        "没有 ledgerbridge 未创建的触发器、视图或函数，并且是用本安装的密钥加密的。"
        "先取得守护进程和每个连接器的锁；守护进程、同步或令牌刷新持有锁时拒绝恢复（ADR 0020）。",
    ),
}

_HEADINGS: Final[dict[str, tuple[str, str]]] = {
    "help.heading.usage": ("Usage:", "用法："),
    "help.heading.options": ("Options", "选项"),
    "help.heading.commands": ("Commands", "命令"),
}

_SHARED_OPTIONS: Final[dict[str, tuple[str, str]]] = {
    "help.option.--help": ("Show this message and exit.", "显示本帮助并退出。"),
    "help.option.--version": ("Show the version and exit.", "显示版本并退出。"),
    "help.option.--json": ("Print one JSON document on stdout.", "在标准输出打印一个 JSON 文档。"),
    "help.option.--as": (
        "Who is acting, for the audit log (default: the operating-system user).",
        "执行人，记入审计日志（默认：操作系统用户）。",
    ),
    "help.option.--force": (
        "Replace an existing --output file that is not a previous output of this kind (never the "
        "database, its key or the config).",
        "覆盖已存在、且不是同类旧输出的 --output 文件（绝不覆盖数据库、其密钥或配置）。",
    ),
    "help.option.--yes": ("Do not ask for confirmation.", "不询问确认。"),
    "help.option.--rule": ("Only this rule or audit plan (repeatable).", "只限此规则或稽核计划（可重复）。"),
    "help.option.--note": (
        "Why (kept with the override and in the audit log).",
        "原因（与人工指定一起保存，并记入审计日志）。",
    ),
    "help.option.--lang": (
        "zh or en (default: `locale` in the config; zh when the time zone is Asia/Shanghai).",
        "zh 或 en（默认：配置中的 `locale`；时区为 Asia/Shanghai 时为 zh）。",
    ),
    "help.option.--output": (
        "Write to this file (default: stdout; an Excel workbook needs a file). An existing file is "
        "replaced only when it is a previous output of this kind, or with --force.",
        "写入此文件（默认：标准输出；Excel 工作簿必须写入文件）。已存在的文件只有是同类旧输出，"
        "或加了 --force 时才会被替换。",
    ),
    "help.option.--period": (
        "2026-10, 2026-Q3, 2026 or all (default: the rule's).",
        "期间：2026-10、2026-Q3、2026 或 all（默认：规则自己的期间）。",
    ),
}

_OPTIONS: Final[dict[str, tuple[str, str]]] = {
    "help.ledgerbridge.--config": (
        "Configuration file (else $LEDGERBRIDGE_CONFIG, else ./ledgerbridge.yaml).",
        "配置文件（否则用 $LEDGERBRIDGE_CONFIG，再否则用 ./ledgerbridge.yaml）。",
    ),
    "help.ledgerbridge.--log-level": (
        "How much the log says: debug, info, warning or error.",
        "日志详细程度：debug、info、warning 或 error。",
    ),
    "help.ledgerbridge.--lang": (
        "Language of everything printed: zh or en (else $LEDGERBRIDGE_LANG, else the config's locale).",
        "所有输出使用的语言：zh 或 en（否则用 $LEDGERBRIDGE_LANG，再否则用配置中的 locale）。",
    ),
    "help.connector.authorize.--paste": (
        "Paste the code (or the whole redirected URL) instead of listening.",
        "粘贴授权码（或跳转后的完整网址），不在本机监听。",
    ),
    "help.connector.authorize.--redirect-uri": (
        "The redirect URI registered with the vendor's app; a loopback one is listened on.",
        "在供应商应用中登记的跳转地址；若为本机地址则在其上监听。",
    ),
    "help.connector.authorize.--no-browser": (
        "Only print the URL, never open a browser.",
        "只输出网址，不打开浏览器。",
    ),
    "help.connector.authorize.--timeout": ("Seconds to wait for the redirect.", "等待跳转的秒数。"),
    "help.sync.run.--connector": ("Only this connector (repeatable).", "只同步此连接器（可重复）。"),
    "help.sync.run.--stream": ("Only this stream (repeatable).", "只同步此数据流（可重复）。"),
    "help.sync.run.--full": (
        "Re-read everything; mark what was not seen as deleted if it completes.",
        "重新读取全部数据；完整读完后，把未出现的记录标记为已删除。",
    ),
    "help.sync.run.--repair": (
        "With --full: rewrite the rows whose digest fails (changed outside ledgerbridge) from the records "
        "read again, and seal rows written before digests existed.",
        "与 --full 一起使用：用重新读取的记录重写摘要校验失败（在 ledgerbridge 之外被改动）的行，"
        "并为摘要功能出现之前写入的行加上摘要。",
    ),
    "help.sync.run.--since": (
        "Re-read from this time (no zone: the company's time zone).",
        "从此时间起重新读取（不带时区时按公司时区）。",
    ),
    "help.sync.run.--sweep": (
        "Also list live ids and tombstone those the vendor no longer has.",
        "同时列出厂商现有的编号，把厂商已没有的记录标记为已删除。",
    ),
    "help.sync.run.--verify": (
        "After the run, compare the vendor's own count of each stream with the ledger's (a full pass "
        "always does).",
        "运行后比对每个数据流在厂商处的记录数与账本中的记录数（完整同步总会比对）。",
    ),
    "help.sync.run.--wait": (
        "Wait this long for a connector another run holds.",
        "连接器被另一次运行占用时，最多等待这么多秒。",
    ),
    "help.sync.status.--quarantine": (
        "List every open quarantined record with its id, reason and raw payload (not only the first "
        "few, payloads shortened).",
        "列出所有未处理的隔离记录及其编号、原因和原始数据（而不只是前几条的缩略数据）。",
    ),
    "help.reconcile.run.--dry-run": ("Match and report, but save nothing.", "只匹配和报告，不保存任何结果。"),
    "help.reconcile.run.--wait-for-sync": (
        "Wait this long for a sync of a rule's sources to finish; then skip the rule (exit 1).",
        "最多等待这么多秒，让规则的数据来源完成同步；超时则跳过该规则（退出码 1）。",
    ),
    "help.backup.--force": ("Replace PATH if it exists.", "PATH 已存在时覆盖它。"),
    "help.restore.--yes": ("Replace the current database without asking.", "不询问，直接替换当前数据库。"),
    "help.secret.set.--stdin": ("Read the value from standard input.", "从标准输入读取值。"),
    "help.secret.rotate-key.--new-key-file": (
        "Where to write the new key (required when the key comes from $LEDGERBRIDGE_SECRET_KEY).",
        "新密钥写到哪里（密钥来自 $LEDGERBRIDGE_SECRET_KEY 时必须指定）。",
    ),
    "help.audit.list.--limit": ("How many entries at most.", "最多显示的条数。"),
    "help.audit.list.--action": (
        "Only actions starting with this (e.g. `secret.`).",
        "只显示以此开头的操作（例如 `secret.`）。",
    ),
    "help.audit.list.--actor": ("Only this user's actions.", "只显示此用户的操作。"),
    "help.demo.--dir": (
        "Where the demo's config, database, truth file and reports go: a new or empty directory, or one "
        "a previous demo made.",
        "演示的配置、数据库、真值文件和报告存放的目录：新目录、空目录，或之前演示创建的目录。",
    ),
    "help.demo.--seed": ("Same seed, same company.", "相同的种子生成相同的公司。"),
    "help.demo.--clean": (
        "A clean company: nothing planted, nothing malformed (only traps); every rule and audit must "
        "report zero exceptions.",
        "干净的公司：不植入问题，也没有格式错误的记录（只有陷阱）；每条规则和稽核都应报告零差异。",
    ),
    "help.exceptions.list.--period": (
        "On the documents' issue date: 2026-10, 2026-Q3, 2026.",
        "按单据日期筛选：2026-10、2026-Q3、2026。",
    ),
    "help.exceptions.list.--document": (
        "Only exceptions involving this document: its number (INV-000204), external id, or "
        "SOURCE/KIND/EXTERNAL_ID.",
        "只列出涉及此单据的差异：单据号（INV-000204）、外部编号，或 SOURCE/KIND/EXTERNAL_ID。",
    ),
    "help.exceptions.list.--source": (
        "With --document: the document's connector.",
        "与 --document 一起使用：单据所属的连接器。",
    ),
    "help.exceptions.list.--kind": (
        "With --document: the document's kind.",
        "与 --document 一起使用：单据的类型。",
    ),
    "help.exceptions.comment.--note": (
        "The comment (kept in the exception's events).",
        "评论内容（保存在差异的处理事件中）。",
    ),
    "help.exceptions.resolve.--note": (
        "Why it is resolved (kept in the history).",
        "解决的原因（保存在历史中）。",
    ),
    "help.ledger.export.--source": ("Only documents of this connector.", "只导出此连接器的单据。"),
    "help.ledger.export.--kind": ("Only documents of this kind.", "只导出此类单据。"),
    "help.ledger.export.--output": (
        "File (default: stdout). An existing file is replaced only when it is a previous export in this "
        "format, or with --force.",
        "输出文件（默认：标准输出）。已存在的文件只有是同格式的旧导出，或加了 --force 时才会被替换。",
    ),
    "help.ledger.history.--source": (
        "With a NUMBER or ID: the document's connector.",
        "与单据号或编号一起使用：单据所属的连接器。",
    ),
    "help.ledger.history.--kind": (
        "With a NUMBER or ID: the document's kind.",
        "与单据号或编号一起使用：单据的类型。",
    ),
    "help.sandbox.serve.--vendor": (
        "Which sandbox to serve (repeatable); default all.",
        "启动哪个沙箱（可重复）；默认全部。",
    ),
    "help.sandbox.serve.--port": (
        "Port of the first sandbox (Zoho), the next one's is PORT+1; 0 picks free ports.",
        "第一个沙箱（Zoho）的端口，下一个为 PORT+1；0 表示自动选择空闲端口。",
    ),
    "help.sandbox.serve.--seed": ("Same seed, same company.", "相同的种子生成相同的公司。"),
    "help.sandbox.serve.--size": (
        "small: 40 customers, 400 orders (the demo's); medium: 200, 4,000; large: 500, 20,000.",
        "small：40 个客户、400 张订单（与演示相同）；medium：200 个、4,000 张；large：500 个、20,000 张。",
    ),
    "help.sandbox.serve.--clean": (
        "Nothing planted, nothing malformed (only the traps).",
        "不植入问题，也没有格式错误的记录（只有陷阱）。",
    ),
    "help.match.--rule": ("The match rule the override belongs to.", "此人工指定所属的匹配规则。"),
    "help.unmatch.--rule": ("The match rule the override belongs to.", "此人工指定所属的匹配规则。"),
    "help.report.aging.--as-of": ("Age on this date (default: today).", "按此日期计算账龄（默认：今天）。"),
    "help.report.aging.--invoices-from": (
        "Source(s) of the invoices (repeatable or comma-separated; their documents are added up). "
        "Default: the only source holding them.",
        "发票的数据来源（可重复或用逗号分隔多个来源，单据合并计算）。默认：唯一含有此类单据的来源。",
    ),
    "help.report.mismatches.--period": (
        "Exceptions of documents issued in 2026-10, 2026-Q3, 2026...",
        "单据日期在此期间的差异：2026-10、2026-Q3、2026……",
    ),
    "help.report.mismatches.--status": (
        "Only exceptions in this state (repeatable; default: all).",
        "只包括此状态的差异（可重复；默认：全部）。",
    ),
    "help.report.mismatches.--no-history": (
        "Leave out both sides' documents and revision history.",
        "不包括双方单据及其修订历史。",
    ),
    "help.report.o2c.--period": (
        "2026-10, 2026-Q3, 2026, all, previous_month...",
        "期间：2026-10、2026-Q3、2026、all、previous_month……",
    ),
    "help.report.o2c.--as-of": ("Judge overdue on this date.", "按此日期判断是否逾期。"),
    "help.report.o2c.--orders-from": (
        "Source(s) of the sales orders (repeatable or comma-separated; their documents are added up). "
        "Default: the only source holding them.",
        "销售订单的数据来源（可重复或用逗号分隔多个来源，单据合并计算）。默认：唯一含有此类单据的来源。",
    ),
    "help.report.o2c.--invoices-from": (
        "Source(s) of the invoices and credit notes (repeatable or comma-separated; their documents "
        "are added up). Default: the only source holding them.",
        "发票和红字发票的数据来源（可重复或用逗号分隔多个来源，单据合并计算）。默认：唯一含有此类单据的来源。",
    ),
    "help.report.o2c.--payments-from": (
        "Source(s) of the payments (repeatable or comma-separated; their documents are added up). "
        "Default: the only source holding them.",
        "回款的数据来源（可重复或用逗号分隔多个来源，单据合并计算）。默认：唯一含有此类单据的来源。",
    ),
}

MESSAGES: Final[dict[str, tuple[str, str]]] = {**_COMMANDS, **_HEADINGS, **_SHARED_OPTIONS, **_OPTIONS}
