"""Catalogue section: refusals and words every command shares (output guards, file roles, the global
language option)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- command-line refusals
    "cli.output_protected": (
        "{path} is {role}: choose another --output path",
        "{path} 是{role}：请用 --output 指定其他路径",
    ),
    "cli.output_directory": (
        "{path} is a directory: give a file path with --output",
        "{path} 是目录：请用 --output 指定文件路径",
    ),
    "cli.output_foreign": (
        "{path} exists and is not a {what} written by ledgerbridge: choose another path, "
        "or pass --force to replace it",
        "{path} 已存在，且不是 ledgerbridge 写出的{what}：请换一个路径，或加 --force 覆盖它",
    ),
    "cli.demo_dir_foreign": (
        "{path} holds files the demo did not write ({found}): the demo writes only into an empty "
        "directory or one a previous demo made; choose another --dir",
        "{path} 中有不是演示写入的文件（{found}）：演示只写入空目录或之前演示创建的目录；"
        "请用 --dir 指定其他目录",
    ),
    "role.database": ("the database", "数据库"),
    "role.key_file": ("the encryption key file", "加密密钥文件"),
    "role.config": ("the configuration file", "配置文件"),
    "role.kept": ("a file ledgerbridge keeps", "ledgerbridge 自身使用的文件"),
    "output.report-table": ("text report", "文本报告"),
    "output.report-csv": ("CSV report", "CSV 报告"),
    "output.report-xlsx": ("Excel report", "Excel 报告"),
    "output.report-html": ("HTML report", "HTML 报告"),
    "output.report-json": ("JSON report", "JSON 报告"),
    "output.ledger-jsonl": ("JSONL ledger export", "JSONL 账本导出"),
    "output.ledger-csv": ("CSV ledger export", "CSV 账本导出"),
}
