"""The reader's language: the user's own setting, else a language chosen on the login page (cookie),
else the browser's Accept-Language, else the config's `locale`, else English. Labels come from the one
catalogue (reconcile/report/i18n.py; this app's keys in reconcile/report/catalogue/web.py)."""

from __future__ import annotations

from starlette.requests import Request

from reconcile.report.i18n import LANGS, Lang
from store.users import User

LANG_COOKIE = "lb_lang"
HTML_LANG: dict[Lang, str] = {"zh": "zh-CN", "en": "en"}


def accepted(header: str) -> Lang | None:
    """The first of our languages in an Accept-Language header, by q-value then order."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and weight > 0:
            ranked.append((-weight, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        primary = tag.split("-", 1)[0]
        if primary in LANGS:
            return primary
    return None


def choose_lang(request: Request, user: User | None, default: Lang | None) -> Lang:
    if user is not None and user.lang in LANGS:
        return user.lang
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return cookie
    return accepted(request.headers.get("accept-language", "")) or default or "en"
