"""Bank statement connectors under `sync run`, `sync status` and the daemon (issue 21): the files of
the connector's inbox a run loaded, found already loaded, or rejected."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "sync.statement_files": (
        "{connector}: statement files from the inbox: {loaded} loaded, {duplicate} already loaded, "
        "{rejected} rejected",
        "{connector}：收件箱中的对账单文件：已导入 {loaded} 个，已导入过 {duplicate} 个，"
        "被拒收 {rejected} 个",
    ),
    "sync.statement_rejected": (
        "{connector}: {count} statement file(s) rejected, nothing of them loaded (see the reasons above "
        "and the .reason.txt files in rejected/)",
        "{connector}：{count} 个对账单文件被拒收，均未导入（原因见上，以及 rejected/ 中的 .reason.txt 文件）",
    ),
    "sync.status_statement_files": (
        "{connector}: last run {finished_at}: statement files {loaded} loaded, {duplicate} already "
        "loaded, {rejected} rejected",
        "{connector}：最近一次运行 {finished_at}：对账单文件已导入 {loaded} 个，已导入过 {duplicate} 个，"
        "被拒收 {rejected} 个",
    ),
}
