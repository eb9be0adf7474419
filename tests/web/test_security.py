"""Security headers on every answer, templates without inline script, and no secret in any response."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from config.settings import Settings
from store.secrets import SqlSecretStore
from store.users import Role
from sync.bootstrap import secret_box
from tests.web.conftest import PASSWORD, WebClient
from web.rendering import TEMPLATES

SECRET = "zoho-refresh-1000.8c2b77f0d4e5"


def test_every_answer_carries_the_security_headers(anon: WebClient, viewer: WebClient) -> None:
    answers = [
        anon.get("/login"),
        anon.get("/"),
        anon.post("/logout"),
        anon.get("/web/health"),
        viewer.get("/no-such-page"),
        viewer.post("/logout"),  # refused: no CSRF token
        anon.get("/static/app.css"),
    ]
    for answer in answers:
        csp = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert answer.headers["X-Frame-Options"] == "DENY"
    assert answers[0].headers["Cache-Control"] == "no-store"


def test_templates_hold_no_inline_script_style_or_event_handler() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.DOTALL)  # comments
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"{template.name}: inline <script>"
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", text), f"{template.name}: script body"
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), f"{template.name}: on* attribute"
        assert not re.search(r"\sstyle\s*=|<style\b", text, re.IGNORECASE), f"{template.name}: inline style"
        assert "|safe" not in text.replace(" ", ""), f"{template.name}: |safe"


def test_a_forbidden_action_is_a_403_page_in_the_readers_language(viewer: WebClient) -> None:
    answer = viewer.post("/logout", headers={"Accept-Language": "zh-CN"})
    assert answer.status_code == 403
    assert "您没有执行此操作的权限。" in answer.text


def test_a_malformed_form_is_refused_without_echoing_what_was_sent(reviewer: WebClient) -> None:
    answer = reviewer.post("/account/lang", data={"csrf_token": reviewer.csrf, "bogus": "hunter2-secret"})
    assert answer.status_code == 400
    assert "hunter2-secret" not in answer.text


def test_no_response_shows_a_secret_or_a_password(
    make_client: Callable[..., WebClient], web_settings: Settings, web_engine: Engine
) -> None:
    SqlSecretStore(web_engine, secret_box(web_settings)).set("zoho-refresh-token", SECRET)
    seen: list[str] = []
    anon = make_client()
    seen += [anon.get("/login").text, anon.login("ada", "wrong " + SECRET).text, anon.get("/web/health").text]
    for role in Role:
        client = make_client(role)
        for path in ("/", "/no-such-page", "/login"):
            answer = client.get(path)
            seen.append(answer.text + str(answer.headers))
    assert all(SECRET not in text and PASSWORD not in text for text in seen)


def test_the_vendored_htmx_is_the_pinned_file(tmp_path: Path) -> None:
    import hashlib

    from web.rendering import HTMX_VERSION

    vendor = TEMPLATES.parent / "static" / "vendor"
    script = vendor / f"htmx-{HTMX_VERSION}.min.js"
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(script.read_bytes()).hexdigest() in readme
    assert (vendor / f"htmx-{HTMX_VERSION}.LICENSE").is_file()
