"""Catalogue section: init, demo, sandbox, daemon and metrics."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- ledgerbridge init
    "init.config_exists": ("config: {path} exists, left as it is", "配置：{path} 已存在，保持不变"),
    "init.config_written": (
        "config: wrote a starter {path} (edit it to add connectors; `ledgerbridge config check` "
        "lists what is wrong)",
        "配置：已写入初始配置 {path}（编辑它来添加连接器；`ledgerbridge config check` 列出所有问题）",
    ),
    "init.key_env": ("key: using ${name}", "密钥：使用环境变量 ${name}"),
    "init.key_created": (
        "key: created {path} (mode 0600) — back it up: without it stored secrets are lost",
        "密钥：已创建 {path}（权限 0600）——请备份：丢失它，已存储的机密将无法解密",
    ),
    "init.key_exists": ("key: {path} exists, left as it is", "密钥：{path} 已存在，保持不变"),
    "init.database": ("database: {url} at schema {revision}", "数据库：{url}，结构版本 {revision}"),
    "init.database_created": (
        "database: {url} at schema {revision} (created)",
        "数据库：{url}，结构版本 {revision}（新建）",
    ),
    # ---------------------------------------------------------------- ledgerbridge demo: the summary
    "demo.records": ("Records per source", "各来源的记录"),
    "demo.source": ("source", "来源"),
    "demo.kind": ("kind", "类型"),
    "demo.documents": ("documents", "单据数"),
    "demo.deleted": ("deleted", "已删除"),
    "demo.quarantined": ("quarantined", "已隔离"),
    "demo.exceptions": ("Exceptions per rule and type", "各规则的差异（按类型）"),
    "demo.rule": ("rule", "规则"),
    "demo.type": ("type", "差异类型"),
    "demo.count": ("count", "数量"),
    "demo.amount": ("amount", "金额"),
    "demo.bridge": ("Bridge statement (base currency)", "差异调节表（本位币）"),
    "demo.left": ("left total", "左侧合计"),
    "demo.right": ("right total", "右侧合计"),
    "demo.difference": ("difference", "差额"),
    "demo.explained": ("explained by", "差额来源"),
    "demo.unexplained": ("unexplained", "未解释"),
    "demo.files": ("Files", "文件"),
    "demo.next": ("Next", "下一步"),
    "demo.took": (
        "done in {seconds} s; {requests} API requests to the sandboxes",
        "用时 {seconds} 秒；向沙箱发出 {requests} 次 API 请求",
    ),
    # ---------------------------------------------------------------- ledgerbridge sandbox serve
    "sandbox.generating": (
        "generating a company: {orders} orders, {customers} customers, seed {seed}",
        "正在生成公司数据：{orders} 个订单，{customers} 个客户，种子 {seed}",
    ),
    "sandbox.serving": ("{vendor} sandbox: {url}", "{vendor} 沙箱：{url}"),
    "sandbox.zoho_serves": (
        "Zoho Accounts (OAuth), CRM v8 and Books v3 on one address",
        "Zoho Accounts（OAuth）、CRM v8 和 Books v3 共用一个地址",
    ),
    "sandbox.fxiaoke_serves": ("Fxiaoke Open API (纷享销客)", "纷享销客开放平台 API"),
    "sandbox.paste": (
        "Paste into your ledgerbridge.yaml as its `connectors:` section (or these entries under yours); "
        "the credentials are the sandboxes' own, not secrets:",
        "粘贴到 ledgerbridge.yaml，作为其 `connectors:` 部分（或把这些条目加到已有的连接器下）；"
        "其中的凭据是沙箱自带的，不是机密：",
    ),
    "sandbox.try": ("Then try:", "然后试试："),
    "sandbox.stop": (
        "Serving until Ctrl-C (or SIGTERM); the data lives in memory and is gone when it stops.",
        "持续服务，直到按 Ctrl-C（或收到 SIGTERM）；数据只在内存中，停止后即消失。",
    ),
    "sandbox.stopped": ("sandboxes stopped", "沙箱已停止"),
    "sandbox.port_taken": (
        "port {port} cannot be used ({reason}): choose another --port, or 0 for free ports",
        "端口 {port} 无法使用（{reason}）：请用 --port 换一个端口，或用 0 自动选择空闲端口",
    ),
}
