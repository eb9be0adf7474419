"""Catalogue section: what `ledgerbridge demo` says about its web app (sync/commands/demo_cmd.py)."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "demo.web.title": ("Web app", "网页应用"),
    "demo.web.start": ("Start it:  {command}", "启动：  {command}"),
    "demo.web.open": ("Then open: {url}", "然后打开：{url}"),
    "demo.web.serving": ("Serving on {url} (Ctrl-C stops)", "正在 {url} 提供服务（Ctrl-C 停止）"),
    "demo.web.login": (
        "{role} login:  {name}  password: {password}",
        "{role}登录：  {name}  密码：{password}",
    ),
    "demo.web.once": (
        "These passwords are shown only now; the next demo run makes new ones.",
        "这些密码只显示这一次；下次运行 demo 会重新生成。",
    ),
    "help.demo.--web": (
        "Then serve the web app over the demo's database until Ctrl-C (log in with the printed users).",
        "随后在演示数据库上提供网页应用，直到按 Ctrl-C（用输出的用户登录）。",
    ),
    "help.demo.--host": ("With --web: the address to listen on.", "与 --web 一起使用：监听地址。"),
    "help.demo.--port": ("With --web: the port.", "与 --web 一起使用：监听端口。"),
}
