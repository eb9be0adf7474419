"""Server-rendered pages: `render(request, "page.html", {...})` fills a template from web/templates with
the reader's language, the user, the navigation they may see and the CSRF token. Templates autoescape;
vendor text is never marked safe."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from reconcile.report.i18n import Catalogue, Lang
from web.auth import principal
from web.i18n import HTML_LANG, choose_lang
from web.nav import DOCUMENT_SEARCH, NAV
from web.permissions import Permission
from web.state import web_state

TEMPLATES = Path(__file__).with_name("templates")
HTMX_VERSION = "2.0.11"
HTMX = f"/static/vendor/htmx-{HTMX_VERSION}.min.js"


def template_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt variable is an error, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
    )


def request_lang(request: Request) -> Lang:
    """The language this request is answered in (see web/i18n.py)."""
    found = principal(request)
    return choose_lang(request, None if found is None else found.user, web_state(request).settings.locale)


def is_htmx(request: Request) -> bool:
    """An htmx request wants a fragment (templates/fragments/...), not a whole page."""
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    lang: Lang | None = None,
) -> HTMLResponse:
    """Render `template` with `context` plus what every page has: `t(key, **params)` (the catalogue in
    the reader's language), `lang`, `html_lang`, `user` (a Principal or None), `can(permission)`,
    `csrf_token` (also sent by htmx from the body's hx-headers), `nav` (the entries the user may open),
    `search_href`, `htmx` (the vendored script's URL), `path` (this request's path). `lang` overrides
    the reader's language (the login page's own switch)."""
    found = principal(request)
    lang = lang or request_lang(request)
    catalogue = Catalogue(lang)

    def can(permission: Permission | str) -> bool:
        return found is not None and found.can(permission)

    page = {
        "request": request,
        "t": catalogue.text,
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "user": found,
        "can": can,
        "csrf_token": "" if found is None else found.csrf_token,
        "nav": [item for item in NAV if can(item.permission)],
        "search_href": DOCUMENT_SEARCH,
        "htmx": HTMX,
        "path": request.url.path,
        **(context or {}),
    }
    html = web_state(request).templates.get_template(template).render(page)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
